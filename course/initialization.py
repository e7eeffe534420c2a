"""Chapter 3 helpers: Keras's own initializer draws, the symmetry demo and depth plots."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles

from autograder.exercises.initialization import keras_gradient_stds, keras_layer_output_stds
from autograder.references import keras, tf, to_numpy
from course.fallback import yours_or_reference


def keras_draw(name: str, shape: Sequence[int], seed: int = 0, **kwargs: Any) -> np.ndarray:
    """``keras.initializers.<name>(**kwargs, seed=seed)(shape)`` as a NumPy array."""
    initializer = getattr(keras.initializers, name)(**kwargs, seed=seed)
    return to_numpy(initializer(tuple(shape)))


def keras_sampler(make: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """A sampler ``(shape, *options, rng=None)`` drawing with Keras: ``make(*options, seed=s)``,
    the seed ``s`` taken from ``rng`` (so one seed gives one array, as the exercises require)."""

    def sampler(shape: Sequence[int], *args: Any, rng: Any = None, **kwargs: Any) -> np.ndarray:
        rng = np.random.default_rng() if rng is None else rng
        initializer = make(*args, **kwargs, seed=int(rng.integers(2**31 - 1)))
        return to_numpy(initializer(tuple(int(d) for d in shape)))

    return sampler


#: The chapter's exercises computed by Keras: what a demonstration uses until yours is written.
REFERENCES: dict[str, Callable[..., Any]] = {
    "random_normal": keras_sampler(keras.initializers.RandomNormal),
    "random_uniform": keras_sampler(keras.initializers.RandomUniform),
    "truncated_normal": keras_sampler(keras.initializers.TruncatedNormal),
    "standard_uniform": keras_sampler(
        lambda seed: keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed)
    ),
    "glorot_normal": keras_sampler(keras.initializers.GlorotNormal),
    "glorot_uniform": keras_sampler(keras.initializers.GlorotUniform),
    "he_normal": keras_sampler(keras.initializers.HeNormal),
    "he_uniform": keras_sampler(keras.initializers.HeUniform),
    "lecun_normal": keras_sampler(keras.initializers.LecunNormal),
    "lecun_uniform": keras_sampler(keras.initializers.LecunUniform),
    "layer_output_stds": keras_layer_output_stds,
    "gradient_stds": keras_gradient_stds,
}


def or_reference(yours: Callable[..., Any]) -> Callable[..., Any]:
    """Your exercise function, or Keras's version of it until yours is written (see
    :func:`course.fallback.yours_or_reference`)."""
    return yours_or_reference(yours, REFERENCES[yours.__name__])


def plot_against_keras(
    pairs: Mapping[str, tuple[np.ndarray, np.ndarray]], columns: int = 3, bins: int = 80
) -> plt.Figure:
    """One panel per title: histograms of (yours, Keras's) samples, as densities."""
    rows = -(-len(pairs) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.8 * rows), squeeze=False)
    for ax, (title, (yours, theirs)) in zip(axes.flat, pairs.items(), strict=False):
        edges = np.histogram_bin_edges(np.concatenate([yours.ravel(), theirs.ravel()]), bins)
        ax.hist(theirs.ravel(), edges, density=True, color="lightgrey", label="Keras")
        ax.hist(yours.ravel(), edges, density=True, histtype="step", lw=1.5, label="yours")
        ax.set_title(title, fontsize=10)
        ax.set_yticks([])
        ax.locator_params(axis="x", nbins=5)
    for ax in axes.flat[len(pairs) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def train_tiny_classifier(
    kernel_initializer: str | float, steps: int = 60, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train a 2-16-16-1 ReLU network on two concentric circles (full batch, Adam).

    Every Dense kernel starts from ``kernel_initializer``, a Keras initializer name or
    a number (every weight equal to it); biases start from zero. Returns the training
    accuracy at each step and the first layer's kernel after training.
    """
    if not isinstance(kernel_initializer, str):
        kernel_initializer = keras.initializers.Constant(kernel_initializer)
    x, y = make_circles(n_samples=400, noise=0.08, factor=0.5, random_state=seed)
    x, y = x.astype(np.float32), y.astype(np.float32)[:, None]
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(16, "relu", kernel_initializer=kernel_initializer),
            keras.layers.Dense(16, "relu", kernel_initializer=kernel_initializer),
            keras.layers.Dense(1, "sigmoid", kernel_initializer=kernel_initializer),
        ]
    )
    optimizer = keras.optimizers.Adam(0.03)
    loss = keras.losses.BinaryCrossentropy()

    @tf.function
    def step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            p = model(x)
            value = loss(y, p)
        gradients = tape.gradient(value, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return tf.reduce_mean(tf.cast((p > 0.5) == (y > 0.5), tf.float32))

    accuracy = np.array([float(step()) for _ in range(steps)])
    return accuracy, to_numpy(model.layers[0].kernel)


def depth_profiles(
    initializers: Mapping[str, Callable[..., np.ndarray]],
    activations: Sequence[str],
    measure: Callable[..., np.ndarray],
    depth: int = 20,
    width: int = 256,
    batch: int = 128,
    seed: int = 0,
) -> dict[tuple[str, str], np.ndarray]:
    """``measure(x, kernels, activation)`` for every activation × initializer.

    ``x`` is a standard normal batch; every initializer draws ``depth`` kernels of
    shape (width, width) from ``np.random.default_rng(seed)``, so each pair sees the
    same data and the same random stream.
    """
    x = np.random.default_rng(seed).normal(size=(batch, width))
    results = {}
    for activation in activations:
        for name, sampler in initializers.items():
            rng = np.random.default_rng(seed + 1)
            kernels = [sampler((width, width), rng=rng) for _ in range(depth)]
            results[activation, name] = measure(x, kernels, activation)
    return results


def plot_depth_profiles(
    profiles: Mapping[tuple[str, str], np.ndarray], ylabel: str, axes: Sequence[plt.Axes]
) -> None:
    """One panel per activation: a log-scale line per initializer, layer 1 to depth."""
    activations = list(dict.fromkeys(a for a, _ in profiles))
    for ax, activation in zip(axes, activations, strict=True):
        for (act, name), values in profiles.items():
            if act == activation:
                ax.semilogy(np.arange(1, len(values) + 1), values, "o-", ms=3, label=name)
        ax.set(title=f"{activation} network", xlabel="layer", ylabel=ylabel)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=8)


def input_similarity(
    sampler: Callable[..., np.ndarray],
    activation: Callable[[np.ndarray], np.ndarray] = np.tanh,
    depth: int = 40,
    width: int = 256,
    alike: float = 0.95,
    seed: int = 0,
) -> np.ndarray:
    """How alike two correlated inputs stay through a deep bias-free network, layer by layer.

    Draws 128 pairs of inputs whose entries have correlation ``alike``, passes both
    through the same ``depth`` layers (kernels from ``sampler(shape, rng=...)``) and
    returns, per layer, the mean cosine similarity of the pairs' centred outputs.
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(128, width))
    b = alike * a + np.sqrt(1 - alike**2) * rng.normal(size=a.shape)
    similarity = []
    for _ in range(depth):
        kernel = sampler((width, width), rng=rng)
        a, b = activation(a @ kernel), activation(b @ kernel)
        ca, cb = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
        cosine = (ca * cb).sum(1) / np.sqrt((ca * ca).sum(1) * (cb * cb).sum(1))
        similarity.append(cosine.mean())
    return np.array(similarity)
