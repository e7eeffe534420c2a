"""Loss gradients with respect to a sigmoid output's logit, from Keras and tf.GradientTape."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from autograder.references import as_float32, keras, tf, to_numpy


def sigmoid_output_gradients(logits: Any, label: float = 1.0) -> dict[str, np.ndarray]:
    """d loss / d z for one sigmoid output σ(z) and target ``label``, one value per logit z.

    "MSE": ``MeanSquaredError`` of σ(z); "BCE": ``BinaryCrossentropy(from_logits=True)`` of z.
    """
    z = tf.constant(as_float32(logits).reshape(-1, 1))
    y = tf.fill(tf.shape(z), float(label))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        mse = keras.losses.MeanSquaredError(reduction=None)(y, keras.activations.sigmoid(z))
        bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)(y, z)
    return {
        name: to_numpy(tape.gradient(loss, z))[:, 0] for name, loss in (("MSE", mse), ("BCE", bce))
    }


def plot_sigmoid_output_gradients(limit: float = 10.0) -> plt.Figure:
    """|d loss / d z| of MSE and cross-entropy for a sigmoid output whose target is 1."""
    z = np.linspace(-limit, limit, 401)
    gradients = sigmoid_output_gradients(z)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    left.plot(z, 1 / (1 + np.exp(-z)), lw=2, color="grey", label=r"prediction $\sigma(z)$")
    left.axhline(1.0, color="black", ls=":", lw=1, label="target y = 1")
    left.set(title="A sigmoid output, target 1", xlabel="logit z")
    left.legend()
    right.semilogy(z, np.abs(gradients["BCE"]), lw=2, label=r"cross-entropy: $|\sigma(z) - 1|$")
    right.semilogy(z, np.abs(gradients["MSE"]), lw=2, label=r"MSE: $|2\sigma'(z)(\sigma(z) - 1)|$")
    right.axvspan(-limit, -3, color="red", alpha=0.08, label="confidently wrong")
    right.set(title="Gradient reaching the logit (Keras, tf.GradientTape)", xlabel="logit z")
    right.set_ylim(1e-5, 2)
    right.legend(loc="lower left")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
