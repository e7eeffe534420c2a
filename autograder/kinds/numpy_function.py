"""A NumPy function (elementwise or not), compared with Keras's numbers: the default kind."""

from __future__ import annotations

from autograder.kinds.kind import Kind


class NumPyFunction(Kind):
    """The learner's NumPy function, called plainly in the NumPy kernel; its answer is compared
    within the tolerance, or weighed by the exercise's ``judge`` (e.g. a tuple of gradients)."""
