"""Huber losses with the usual slips: per-sample in NumPy, and as keras.ops loss classes.

:func:`numpy_huber` serves the NumPy loss exercise (04_losses); the classes serve the
custom-loss exercise (05_training_with_losses). Like Keras's own presets over one base
class, each class slip is a small subclass of :class:`HandWrittenHuber`, which holds
``delta`` and the two branches.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.references import keras


def numpy_huber(
    t: np.ndarray, p: np.ndarray, delta: float = 1.0, swap: bool = False, half: float = 0.5
) -> np.ndarray:
    e = p - t
    quadratic = half * e**2
    linear = delta * np.abs(e) - half * delta**2
    small = np.abs(e) <= delta
    if swap:
        quadratic, linear = linear, quadratic
    return np.where(small, quadratic, linear).mean(axis=-1)


class HandWrittenHuber(keras.losses.Loss):
    """A Huber loss subclassing keras.losses.Loss by hand; subclasses write call()."""

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__(name="huber_loss")
        self.delta = delta

    def branches(self, y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
        """|e|, the quadratic branch ½e² and the linear branch delta·|e| - ½·delta²."""
        error = keras.ops.abs(y_pred - y_true)
        return error, 0.5 * error**2, self.delta * error - 0.5 * self.delta**2


class SwappedBranches(HandWrittenHuber):
    """½e² for large errors and the linear branch for small ones."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        error, quadratic, linear = self.branches(y_true, y_pred)
        return keras.ops.mean(keras.ops.where(error <= self.delta, linear, quadratic), axis=-1)


class BatchMeanInCall(HandWrittenHuber):
    """call() averages over the whole batch instead of returning one loss per sample."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        error, quadratic, linear = self.branches(y_true, y_pred)
        return keras.ops.mean(keras.ops.where(error <= self.delta, quadratic, linear))


class NoHalfDeltaSquared(HandWrittenHuber):
    """The linear branch without its -½·delta², so the branches do not meet."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        error, quadratic, _ = self.branches(y_true, y_pred)
        return keras.ops.mean(
            keras.ops.where(error <= self.delta, quadratic, self.delta * error), axis=-1
        )


class SumReduction(keras.losses.Huber):
    """Keras's Huber reduced with 'sum' instead of 'sum_over_batch_size'."""

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__(delta=delta, reduction="sum")
