"""Keras's own values of an activation and of its derivative, for plots and experiments."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.references import as_float32, keras, keras_elementwise, keras_gradient, tf, to_numpy


def activation(name: str, x: Any, **kwargs: Any) -> np.ndarray:
    """``keras.activations.<name>(x)`` as a NumPy array."""
    return keras_elementwise(getattr(keras.activations, name))(x, **kwargs)


def derivative(name: str, x: Any, **kwargs: Any) -> np.ndarray:
    """The elementwise derivative of ``keras.activations.<name>`` from tf.GradientTape."""
    return keras_gradient(getattr(keras.activations, name))(x, **kwargs)


def softmax_jacobian(x: Any) -> np.ndarray:
    """The Jacobian of ``keras.activations.softmax`` at a vector ``x``, from tf.GradientTape."""
    logits = tf.constant(as_float32(x)[None, :])
    with tf.GradientTape(persistent=True) as tape:  # an eager jacobian without tf.function
        tape.watch(logits)
        probabilities = keras.activations.softmax(logits)
    return to_numpy(tape.jacobian(probabilities, logits, experimental_use_pfor=False))[0, :, 0, :]
