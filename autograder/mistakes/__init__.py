"""Wrong implementations that the checker compares a failing answer with, to name the mistake.

Never shown to learners. One module per family, shared by every chapter that needs it:
:mod:`~autograder.mistakes.activations` (NumPy activations and their derivatives),
:mod:`~autograder.mistakes.initializers` (VarianceScaling with the usual slips),
:mod:`~autograder.mistakes.propagation` (signal through a stack of Dense layers),
:mod:`~autograder.mistakes.losses` (cross-entropies, hinge, KL and wrong reductions),
:mod:`~autograder.mistakes.huber` (Huber in NumPy and as keras.ops loss classes), and
:mod:`~autograder.mistakes.optimizers` (keras.optimizers updates and schedules in NumPy).
"""
