"""Judges: how a learner's answer is weighed when equality with one Keras call does not apply.

One module per kind of answer: :mod:`~autograder.judges.distribution` (samplers, by
distribution), :mod:`~autograder.judges.models` (Keras models, by structure and behaviour),
:mod:`~autograder.judges.training` (models, by what they reach in a fixed training run).
"""
