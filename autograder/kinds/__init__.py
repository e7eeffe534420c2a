"""Kinds of exercise: how a learner's object is called, where, what crosses back, how judged.

Each kind is one thin class over :class:`~autograder.kinds.kind.Kind` (as Keras writes one
class per loss), in a module of its own: :mod:`~autograder.kinds.numpy_function` (the
default), :mod:`~autograder.kinds.tensorflow_function`, :mod:`~autograder.kinds.sampler`,
:mod:`~autograder.kinds.stateful_step`, :mod:`~autograder.kinds.trainer`,
:mod:`~autograder.kinds.model_builder` and :mod:`~autograder.kinds.keras_class`. A catalogue
entry (:mod:`autograder.exercises`) names its kind and gives it its data; the checker and
the grader ask the kind. Adding a kind is one module here plus its catalogue entries.
"""
