"""Scalar functions of an array, in NumPy, that the checker hands to ``numerical_gradient``.

A function crosses to a learner's kernel by its name only (see :mod:`autograder.wire`): the
kernel calls this module's own copy, so nothing of the grader's process runs there. Each one
has a TensorFlow twin in the catalogue, whose tf.GradientTape gradient is the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def sum_of_squares(x: Any) -> float:
    """Σ x², whose gradient is 2x."""
    return float(np.sum(np.asarray(x, dtype=np.float64) ** 2))


def log_sum_exp(x: Any) -> float:
    """ln Σ e^x, computed stably; its gradient is softmax(x) over all entries."""
    x = np.asarray(x, dtype=np.float64)
    top = x.max()
    return float(top + np.log(np.sum(np.exp(x - top))))


def weighted_sines(x: Any) -> float:
    """Σ_k k · sin(x_k), entries numbered from 1 in C order: each slope differs."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(np.arange(1, x.size + 1).reshape(x.shape) * np.sin(x)))


def tanh_of_sum(x: Any) -> float:
    """tanh(Σ x)², which couples every entry to every other."""
    return float(np.tanh(np.sum(np.asarray(x, dtype=np.float64))) ** 2)


class Named:
    """One of these functions, shown by its name (failure messages show the arguments)."""

    def __init__(self, function: Callable[[Any], float]) -> None:
        self.function = function
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__

    def __call__(self, x: Any) -> float:
        return self.function(x)

    def __repr__(self) -> str:
        return f"course.functions.{self.__name__}"


#: The functions that may cross to a learner's kernel, by name.
FUNCTIONS: dict[str, Named] = {
    f.__name__: Named(f) for f in (sum_of_squares, log_sum_exp, weighted_sines, tanh_of_sum)
}


def name_of(value: Any) -> str | None:
    """The name under which ``value`` crosses the wire, if it is one of :data:`FUNCTIONS`."""
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) and FUNCTIONS.get(name) is value else None


sum_of_squares = FUNCTIONS["sum_of_squares"]
log_sum_exp = FUNCTIONS["log_sum_exp"]
weighted_sines = FUNCTIONS["weighted_sines"]
tanh_of_sum = FUNCTIONS["tanh_of_sum"]
