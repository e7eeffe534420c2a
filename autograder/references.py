"""Reference helpers: call tf.keras on float32 copies of the inputs, return NumPy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.quiet import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402


def as_float32(x: Any) -> np.ndarray:
    """Keras references run on float32, the dtype Keras computes in by default."""
    return np.asarray(x, dtype=np.float32)


def to_numpy(value: Any) -> np.ndarray:
    """A Keras/TensorFlow result as a NumPy array."""
    return np.asarray(keras.ops.convert_to_numpy(value))


def keras_elementwise(function: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Reference for an elementwise Keras function of an array ``x`` (plus keyword options)."""

    def reference(x: Any, **kwargs: Any) -> np.ndarray:
        return to_numpy(function(as_float32(x), **kwargs))

    return reference


def keras_gradient(function: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Reference for the elementwise derivative that tf.GradientTape gives for ``function``."""

    def reference(x: Any, **kwargs: Any) -> np.ndarray:
        tensor = tf.constant(as_float32(x))
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            output = function(tensor, **kwargs)
        return to_numpy(tape.gradient(output, tensor))

    return reference
