"""Judges: how a learner's answer is weighed when equality with one Keras call does not apply.

One module per kind of answer: :mod:`~autograder.judges.distribution` (samplers, by
distribution), :mod:`~autograder.judges.models` (Keras models, by structure and behaviour),
:mod:`~autograder.judges.training` (models, by what they reach in a fixed training run); which
kind of exercise uses which is :mod:`autograder.kinds`'s to say. What a handed-back model may
hold is :mod:`~autograder.judges.allowlist`'s to say (:mod:`autograder.handback` converts
models to data), and :mod:`~autograder.judges.process_state` puts the judge process back
after each submission.
"""
