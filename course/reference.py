"""Keras's own values of an activation and of its derivative, for plots and experiments."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.references import keras, keras_elementwise, keras_gradient


def activation(name: str, x: Any, **kwargs: Any) -> np.ndarray:
    """``keras.activations.<name>(x)`` as a NumPy array."""
    return keras_elementwise(getattr(keras.activations, name))(x, **kwargs)


def derivative(name: str, x: Any, **kwargs: Any) -> np.ndarray:
    """The elementwise derivative of ``keras.activations.<name>`` from tf.GradientTape."""
    return keras_gradient(getattr(keras.activations, name))(x, **kwargs)
