"""NumPy activations (and derivatives) that wrong answers are built from, by Keras name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Activation = Callable[[np.ndarray], np.ndarray]


def as_float64(x: Any) -> np.ndarray:
    """The input as a float64 array (mistakes compute in float64)."""
    return np.asarray(x, dtype=np.float64)


def naive_sigmoid(x: Any) -> np.ndarray:
    """1 / (1 + e^-x), which overflows for large negative x."""
    return 1.0 / (1.0 + np.exp(-as_float64(x)))


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


#: Each activation f(z), stable, by its Keras name.
ACTIVATIONS: dict[str, Activation] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "tanh": np.tanh,
    "softmax": _softmax,
}

#: The derivative f'(z) of each elementwise activation.
DERIVATIVES: dict[str, Activation] = {
    "linear": lambda z: np.ones_like(z),
    "relu": lambda z: (z > 0).astype(np.float64),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "sigmoid": lambda z: 0.25 * (1.0 - np.tanh(0.5 * z) ** 2),
}


def whole_array_softmax(x: Any, axis: int = -1) -> np.ndarray:
    """``np.exp(x) / np.sum(np.exp(x))``: normalised over every element of the batch at once
    (computed shifted, so that it matches wherever the naive form does not overflow)."""
    x = as_float64(x)
    e = np.exp(x - x.max())
    return e / e.sum()
