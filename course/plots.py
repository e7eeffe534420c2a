"""Plots the chapters share: an activation with its derivative, and a gallery of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from course.reference import activation, derivative


def plot_activation(
    name: str, x: np.ndarray | None = None, ax: plt.Axes | None = None, **kwargs: Any
) -> plt.Axes:
    """Plot ``keras.activations.<name>`` (solid) and its tf.GradientTape derivative (dashed)."""
    x = np.linspace(-5, 5, 401) if x is None else x
    ax = ax or plt.subplots(figsize=(5.5, 3.5))[1]
    options = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    ax.plot(x, activation(name, x, **kwargs), lw=2, label="f(x)")
    ax.plot(x, derivative(name, x, **kwargs), lw=2, ls="--", label="f'(x)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set(title=f"{name}(x{options})", xlabel="x")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_activation_gallery(names: Sequence[str], columns: int = 4) -> plt.Figure:
    """A grid of activations with their derivatives, for comparing shapes at a glance."""
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        plot_activation(name, ax=ax)
        ax.set_xlabel("")
        ax.get_legend().remove()
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.legend(["f(x)", "f'(x)"], loc="upper right")
    fig.tight_layout()
    return fig
