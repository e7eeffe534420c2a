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


def dense_backward(
    x: Any,
    kernel: Any,
    bias: Any,
    upstream: Any,
    activation: str = "linear",
    *,
    slope: str = "pre-activation",
    kernel_transposed: bool = False,
    input_transposed: bool = False,
    bias_summed: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A Dense layer's backward pass in float64, with switches for the usual slips.

    ``slope``: where the activation's derivative is taken ("pre-activation", right;
    "output", at f(z); "none", forgotten; "diagonal", softmax as if elementwise).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(kernel, dtype=np.float64)
    g = np.asarray(upstream, dtype=np.float64)
    z = x @ w if bias is None else x @ w + np.asarray(bias, dtype=np.float64)
    at = ACTIVATIONS[activation](z) if slope == "output" else z
    if slope == "none" or activation == "linear":
        delta = g
    elif activation == "softmax" and slope != "diagonal":
        p = ACTIVATIONS["softmax"](at)
        delta = p * (g - (g * p).sum(-1, keepdims=True))
    elif activation == "softmax":
        p = ACTIVATIONS["softmax"](at)
        delta = g * p * (1 - p)
    else:
        delta = g * DERIVATIVES[activation](at)
    x2, d2 = x.reshape(-1, x.shape[-1]), delta.reshape(-1, delta.shape[-1])
    dkernel = d2.T @ x2 if kernel_transposed else x2.T @ d2
    dx = delta @ w if input_transposed else delta @ w.T
    dbias = None if bias is None else (d2.sum(0) if bias_summed else delta)
    return dx, dkernel, dbias
