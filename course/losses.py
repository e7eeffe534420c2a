"""Keras's losses as curves: regression losses with their gradients, cross-entropy against p."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from autograder.references import as_float32, keras, tf, to_numpy

REGRESSION_LOSSES = ("MeanSquaredError", "MeanAbsoluteError", "Huber", "LogCosh")


def per_sample_loss(name: str, y_true: Any, y_pred: Any, **options: Any) -> np.ndarray:
    """``keras.losses.<name>(reduction=None, **options)(y_true, y_pred)``: one loss per sample."""
    loss = getattr(keras.losses, name)(reduction=None, **options)
    return to_numpy(loss(as_float32(y_true), as_float32(y_pred)))


def loss_and_gradient(name: str, errors: Any, **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """Keras's loss for a single output y_pred = error, y_true = 0, and d loss / d y_pred."""
    y_pred = tf.constant(as_float32(errors).reshape(-1, 1))
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        values = getattr(keras.losses, name)(reduction=None, **options)(
            tf.zeros_like(y_pred), y_pred
        )
    return to_numpy(values), to_numpy(tape.gradient(values, y_pred))[:, 0]


def plot_regression_losses(
    names: Sequence[str] = REGRESSION_LOSSES, delta: float = 1.0, limit: float = 3.0
) -> plt.Figure:
    """Each regression loss (left) and its gradient (right) against the error ŷ - y."""
    errors = np.linspace(-limit, limit, 601)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    for name in names:
        options = {"delta": delta} if name == "Huber" else {}
        label = f"{name}(delta={delta:g})" if options else name
        loss, gradient = loss_and_gradient(name, errors, **options)
        left.plot(errors, loss, lw=2, label=label)
        right.plot(errors, gradient, lw=2, label=label)
    for ax, title in ((left, "loss"), (right, "gradient d loss / d ŷ")):
        for x in (-delta, delta) if "Huber" in names else ():
            ax.axvline(x, color="grey", ls=":", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set(title=title, xlabel="error ŷ - y")
        ax.grid(alpha=0.3)
    left.set_ylim(-0.2, limit**2 / 2 + 0.5)
    left.legend()
    fig.tight_layout()
    return fig


def plot_crossentropy(epsilon: float = 1e-7) -> plt.Figure:
    """Binary cross-entropy against the predicted probability, and where Keras's clip cuts in."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    p = np.linspace(0.001, 0.999, 999)[:, None]
    for label in (1.0, 0.0):
        loss = per_sample_loss("BinaryCrossentropy", np.full_like(p, label), p)
        left.plot(p[:, 0], loss, lw=2, label=f"y = {label:g}: -ln({'p' if label else '1 - p'})")
    left.set(title="Cross-entropy of one prediction", xlabel="predicted probability p of y = 1")
    left.set_ylim(0, 7)
    left.legend()
    tiny = np.logspace(-12, 0, 400)[:, None]
    keras_loss = per_sample_loss("BinaryCrossentropy", np.ones_like(tiny), tiny)
    with np.errstate(divide="ignore"):
        right.semilogx(tiny[:, 0], -np.log(tiny[:, 0]), lw=2, ls="--", label="-ln p")
    right.semilogx(tiny[:, 0], keras_loss, lw=2, label="Keras (p clipped to [1e-7, 1 - 1e-7])")
    right.axvline(epsilon, color="grey", ls=":", lw=1)
    right.set(title="y = 1: a confident wrong answer", xlabel="predicted probability p (log scale)")
    right.legend()
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
