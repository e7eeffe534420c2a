"""Learning curves and pictures for the training chapter.

:class:`HeldOutCurves` records the loss (and any metric) on a held-out set after every
epoch with one forward pass, which is much quicker on tiny data than ``validation_data``
(that builds a fresh input pipeline every epoch). Its values land in ``History.history``
as ``val_loss`` and ``val_<metric>``, exactly where ``validation_data`` would put them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from autograder.references import keras

Metric = Callable[[np.ndarray, np.ndarray], float]


class HeldOutCurves(keras.callbacks.Callback):
    """After each epoch, add ``val_loss`` and ``val_<name>`` for a held-out set to the logs."""

    def __init__(self, x: np.ndarray, y: np.ndarray, metrics: Mapping[str, Metric] | None = None):
        super().__init__()
        self.x, self.y = x, y
        self.metrics = dict(metrics or {})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        y_pred = self.model(self.x, training=False)
        logs["val_loss"] = float(self.model.compute_loss(y=self.y, y_pred=y_pred, training=False))
        predictions = keras.ops.convert_to_numpy(y_pred)
        for name, metric in self.metrics.items():
            logs[f"val_{name}"] = float(metric(self.y, predictions))


def _history(run: Any) -> Mapping[str, Sequence[float]]:
    """Accept a ``keras.callbacks.History`` or its ``.history`` dict."""
    return getattr(run, "history", run)


def plot_learning_curves(
    runs: Mapping[str, Any],
    key: str | Sequence[str] = "loss",
    ylabel: str | None = None,
    log: bool = False,
    sharey: bool = False,
) -> plt.Figure:
    """Panels side by side, one per run and key: training (solid) and test (dashed) curves.

    A run without ``key`` (or ``val_<key>``) in its history simply shows the other curve.
    """
    keys = [key] if isinstance(key, str) else list(key)
    panels = [(name, run, k) for name, run in runs.items() for k in keys]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 3.3), squeeze=False, sharey=sharey
    )
    for ax, (name, run, k) in zip(axes[0], panels, strict=True):
        history = _history(run)
        for series, style, label in [(k, "-", "train"), (f"val_{k}", "--", "test")]:
            if series in history:
                values = history[series]
                ax.plot(np.arange(1, len(values) + 1), values, lw=2, ls=style, label=label)
        title = name if len(keys) == 1 else f"{name}: {k}"
        ax.set(title=title, xlabel="epoch", ylabel=ylabel or k)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_line_fit(
    x: np.ndarray,
    y: np.ndarray,
    steps: Sequence[int],
    path: Sequence[tuple[float, float]],
    truth: tuple[float, float],
) -> plt.Figure:
    """Gradient descent on a line: w and b against steps, and the path over the loss surface."""
    path = np.asarray(path, dtype=np.float64)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, (name, colour) in enumerate([("w", "C0"), ("b", "C1")]):
        left.plot(steps, path[:, k], "o-", color=colour, label=f"{name} after n steps")
        left.axhline(truth[k], color=colour, ls=":", label=f"true {name} = {truth[k]}")
    left.set_xscale("symlog", linthresh=1)
    left.set(xlim=(0, 1.2 * max(steps)), xlabel="steps n", title="The parameters converge")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)

    w_grid, b_grid = np.meshgrid(np.linspace(-0.6, 0.8, 141), np.linspace(-0.2, 0.8, 101))
    residuals = w_grid[..., None] * x + b_grid[..., None] - y
    loss = np.mean(residuals**2, axis=-1)
    contours = right.contour(w_grid, b_grid, loss, levels=np.geomspace(1e-4, 1, 13), cmap="viridis")
    right.clabel(contours, fontsize=7, fmt="%.0e")
    right.plot(path[:, 0], path[:, 1], "o-", color="C3", ms=4, label="(w, b) after n steps")
    right.plot(*truth, "k*", ms=12, label="minimum")
    right.set(xlabel="w", ylabel="b", title="Path over the mean squared error")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_decision_regions(
    models: Mapping[str, tuple[Any, float]], x: np.ndarray, y: np.ndarray
) -> plt.Figure:
    """Decision regions on 2-D inputs; ``models`` maps a title to (model, threshold)."""
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.8), squeeze=False)
    lows, highs = x.min(axis=0) - 0.2, x.max(axis=0) + 0.2
    g0, g1 = np.meshgrid(np.linspace(lows[0], highs[0], 150), np.linspace(lows[1], highs[1], 150))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1).astype(np.float32)
    labels = np.ravel(y) > 0
    for ax, (title, (model, threshold)) in zip(axes[0], models.items(), strict=True):
        scores = keras.ops.convert_to_numpy(model(grid, training=False)).reshape(g0.shape)
        ax.contourf(
            g0, g1, scores > threshold, levels=[-0.5, 0.5, 1.5], colors=["C0", "C1"], alpha=0.25
        )
        ax.contour(g0, g1, scores, levels=[threshold], colors="k", linewidths=1)
        ax.scatter(*x[~labels].T, s=6, color="C0", label="outer circle (0)")
        ax.scatter(*x[labels].T, s=6, color="C1", label="inner circle (1)")
        ax.set(title=title, aspect="equal")
    axes[0, 0].legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    return fig
