"""Pictures of models: Keras's own diagram (plot_model) and a drawing of a dense network."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from IPython.display import Image

from autograder.quiet import captured_stderr
from autograder.references import keras

INSTALL_HINT = (
    "install Graphviz to get the picture (Debian/Ubuntu: apt install graphviz; "
    "conda: conda install graphviz; macOS: brew install graphviz), then restart the kernel"
)


def missing_for_plot_model() -> str | None:
    """Why ``keras.utils.plot_model`` cannot draw here, or None when it can."""
    if importlib.util.find_spec("pydot") is None:
        return "the Python package pydot is not installed (pip install pydot)"
    if shutil.which("dot") is None:
        return "Graphviz's `dot` program was not found on the PATH"
    return None


def describe_model(model: keras.Model) -> str:
    """A plain-text sketch of a model: one line per layer, top to bottom."""
    lines = [f"{model.name} ({type(model).__name__}), {model.count_params()} parameters"]
    for layer in model.layers:
        kind = type(layer).__name__
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        details = f"{kind}, {activation}" if activation else kind
        try:
            shape = f" → output {tuple(layer.output.shape)}"
        except (AttributeError, ValueError):  # layers of subclassed models have no symbolic output
            shape = ""
        lines.append(f"  ↓ {layer.name} ({details}){shape}, {layer.count_params()} parameters")
    return "\n".join(lines)


def show_model(model: keras.Model, dpi: int = 60, **options: Any) -> Image | None:
    """Keras's diagram of ``model`` (shapes, names, activations); text when Graphviz is missing.

    Never raises for a missing Graphviz and never writes to stderr: it prints why there is
    no picture, how to get one, and a text sketch of the model instead.
    """
    reason = missing_for_plot_model()
    if reason is None:
        settings = {
            "show_shapes": True,
            "show_layer_names": True,
            "show_layer_activations": True,
            "dpi": dpi,
            **options,
        }
        try:
            with tempfile.TemporaryDirectory() as folder, captured_stderr():
                path = Path(folder) / "model.png"
                keras.utils.plot_model(model, to_file=str(path), **settings)
                return Image(data=path.read_bytes())
        except Exception as error:  # a picture is a nicety: fall back to text, never crash
            reason = f"plot_model failed ({type(error).__name__}: {error})"
    print(f"No model picture: {reason}; {INSTALL_HINT}.\n")
    print(describe_model(model))
    return None


def draw_network(layer_sizes: Sequence[int], use_bias: bool = True) -> plt.Figure:
    """Every neuron, weight and bias of a chain of Dense layers, with the count per layer."""
    sizes = list(layer_sizes)
    fig, ax = plt.subplots(figsize=(2.4 * len(sizes) + 1, 0.9 * max(sizes) + 2))
    tallest = max(sizes) + (1 if use_bias else 0)

    def heights(n: int) -> list[float]:
        return [(tallest - 1) / 2 + (n - 1) / 2 - i for i in range(n)]

    total, lowest = 0, 0.0
    for column, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        sources = heights(n_in)
        targets = heights(n_out)
        for y0 in sources:
            for y1 in targets:
                ax.plot([column, column + 1], [y0, y1], color="tab:blue", lw=1, alpha=0.6)
        bias_y = min(sources) - 1
        lowest = min(lowest, bias_y if use_bias else min(sources))
        if use_bias:
            ax.scatter([column], [bias_y], marker="s", s=380, color="tab:orange", zorder=3)
            ax.text(column, bias_y, "+1", ha="center", va="center", fontsize=8, zorder=4)
            for y1 in targets:
                ax.plot([column, column + 1], [bias_y, y1], color="tab:orange", lw=1, ls="--")
        count = n_in * n_out + (n_out if use_bias else 0)
        total += count
        formula = f"{n_in}·{n_out} + {n_out} = {count}" if use_bias else f"{n_in}·{n_out} = {count}"
        ax.text(column + 0.5, tallest - 0.2, formula, ha="center", fontsize=10)
    for column, n in enumerate(sizes):
        ax.scatter([column] * n, heights(n), s=420, color="white", edgecolor="black", zorder=3)
    labels = ["input"] + [f"layer{i}" for i in range(1, len(sizes))]
    ax.set_xticks(
        range(len(sizes)), [f"{name}\n({n})" for name, n in zip(labels, sizes, strict=True)]
    )
    ax.set_yticks([])
    ax.set_ylim(lowest - 0.7, tallest + 0.4)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    kinds = "weights (blue) and biases (orange)" if use_bias else "weights"
    ax.set_title(f"{total} parameters: {kinds}")
    fig.tight_layout()
    return fig
