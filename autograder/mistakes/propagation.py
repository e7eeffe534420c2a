"""Signal propagation through a stack of Dense layers in NumPy, with the usual slips."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.mistakes.activations import ACTIVATIONS, DERIVATIVES


def forward(x: Any, kernels: Any, activation: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations and outputs of every layer, in float64."""
    function = ACTIVATIONS[activation]
    h, pre_activations, outputs = np.asarray(x, dtype=np.float64), [], []
    for kernel in kernels:
        pre_activations.append(h @ np.asarray(kernel, dtype=np.float64))
        h = function(pre_activations[-1])
        outputs.append(h)
    return pre_activations, outputs


def pre_activation_stds(x: Any, kernels: Any, activation: str = "relu") -> np.ndarray:
    """The stds of z = h·W instead of the layers' outputs f(z)."""
    return np.array([z.std() for z in forward(x, kernels, activation)[0]])


def last_layer_linear_stds(x: Any, kernels: Any, activation: str = "relu") -> np.ndarray:
    """Output stds with the last layer's activation left out."""
    pre_activations, outputs = forward(x, kernels, activation)
    return np.array([h.std() for h in outputs[:-1]] + [pre_activations[-1].std()])


def gradient_stds(
    x: Any,
    kernels: Any,
    upstream: Any,
    activation: str = "relu",
    derivative: bool = True,
    after: bool = False,
) -> np.ndarray:
    """Std of dL/dz per layer (dL/dh with ``after``; without f'(z) unless ``derivative``)."""
    pre_activations, _ = forward(x, kernels, activation)
    slope = DERIVATIVES[activation]
    g, stds = np.asarray(upstream, dtype=np.float64), []
    for z, kernel in zip(pre_activations[::-1], list(kernels)[::-1], strict=True):
        delta = g * slope(z) if derivative else g
        stds.append((g if after else delta).std())
        g = delta @ np.asarray(kernel, dtype=np.float64).T
    return np.array(stds[::-1])
