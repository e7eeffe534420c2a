"""A function that may use TensorFlow, judged on what it returns."""

from __future__ import annotations

from autograder.kinds.kind import Kind


class TensorFlowFunction(Kind):
    """The learner's function, called plainly in the notebook's own kernel (TensorFlow
    allowed); its answer is compared within the tolerance, or weighed by ``judge``."""

    numpy_only = False
