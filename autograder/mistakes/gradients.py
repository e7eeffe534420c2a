"""Wrong derivatives and gradients in NumPy: the slips of backward passes (never shown)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.mistakes.activations import as_float64
from autograder.registry import Mistake

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def sigmoid64(x: Any) -> np.ndarray:
    """A sigmoid that never overflows (via tanh)."""
    return 0.5 * (1.0 + np.tanh(0.5 * as_float64(x)))


def normal_cdf(x: Any) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * (1.0 + erf(as_float64(x) / math.sqrt(2.0)))


def normal_pdf(x: Any) -> np.ndarray:
    return np.exp(-0.5 * as_float64(x) ** 2) / math.sqrt(2.0 * math.pi)


def tanh_gelu_derivative(x: Any) -> np.ndarray:
    """The derivative of GELU's tanh approximation."""
    x = as_float64(x)
    c = math.sqrt(2.0 / math.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * c * (1.0 + 3 * 0.044715 * x**2)


def softmax_vector(x: Any) -> np.ndarray:
    x = as_float64(x)
    e = np.exp(x - x.max())
    return e / e.sum()


def elu_derivative_without_alpha(x: Any, alpha: float = 1.0) -> np.ndarray:
    x = as_float64(x)
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))


def elu_derivative_one_at_zero(x: Any, alpha: float = 1.0) -> np.ndarray:
    x = as_float64(x)
    return np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu_derivative_negative_at_zero(x: Any) -> np.ndarray:
    x = as_float64(x)
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


def selu_derivative_without_scale(x: Any) -> np.ndarray:
    x = as_float64(x)
    return np.where(x >= 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))


def gelu_derivative_swapped(x: Any, approximate: bool = False) -> np.ndarray:
    if approximate:
        return normal_cdf(x) + as_float64(x) * normal_pdf(x)
    return tanh_gelu_derivative(x)


def softmax_rows(z: Any) -> np.ndarray:
    z = as_float64(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


Elementwise = Callable[[np.ndarray, np.ndarray], np.ndarray]


def scaled_gradient(
    elementwise: Elementwise,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    summed: bool = False,
    batch_mean: bool = True,
    axis_mean: bool = True,
    weighted: bool = True,
    by_weight_sum: bool = False,
) -> np.ndarray:
    """A loss gradient from its term per element, scaled as Keras's default reduction does.

    ``summed``: the per-sample loss sums over the last axis (cross-entropy) rather than
    averaging over it. The other switches reproduce the slips: no 1/N, no 1/D, weights
    ignored, division by the sum of the weights instead of N.
    """
    y, p = as_float64(y_true), as_float64(y_pred)
    gradient = elementwise(y, p)
    if axis_mean and not summed:
        gradient = gradient / p.shape[-1]
    divisor = float(np.prod(p.shape[:-1]))
    if sample_weight is not None:
        weights = as_float64(sample_weight)
        if weights.ndim == p.ndim and weights.shape[-1] == 1:
            weights = weights[..., 0]
        if weighted:
            gradient = gradient * weights[..., None]
        if by_weight_sum:
            divisor = float(weights.sum())
    return gradient / divisor if batch_mean else gradient


def gradient_scaling_mistakes(elementwise: Elementwise, summed: bool) -> tuple[Mistake, ...]:
    """The wrong scalings every loss gradient can suffer from (1/N, 1/D, sample weights)."""

    def slip(hint: str, **switches: bool) -> Mistake:
        switches = {"summed": summed, **switches}
        return Mistake(
            hint,
            produces=lambda y_true, y_pred, sample_weight=None: scaled_gradient(
                elementwise, y_true, y_pred, sample_weight, **switches
            ),
        )

    mistakes = [
        slip(
            "1/M is missing: the loss is the mean of the M per-sample losses (Keras's default "
            "reduction), so each sample's gradient is divided by M, zero-weight samples included.",
            batch_mean=False,
        ),
        slip(
            "sample_weight is ignored: each sample's gradient is multiplied by its weight.",
            weighted=False,
        ),
        slip(
            "you divided by the sum of the weights: Keras divides by the number M of per-sample "
            "losses, zero weights included.",
            by_weight_sum=True,
        ),
    ]
    if summed:
        mistakes.append(
            slip(
                "you divided by M·K: cross-entropy sums over the K classes, so only the mean "
                "over the M per-sample losses divides the gradient.",
                summed=False,
            )
        )
    else:
        mistakes += [
            slip(
                "1/D is missing: each per-sample loss is a mean over the last axis (D values), "
                "so every term is also divided by D.",
                axis_mean=False,
            ),
            slip(
                "that is the gradient of the sum of all terms: divide by M (the mean over the "
                "per-sample losses) and by D (the mean over the last axis).",
                batch_mean=False,
                axis_mean=False,
            ),
        ]
    return tuple(mistakes)


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: Any,
    eps: float = 1e-5,
    *,
    central: bool = True,
    together: bool = False,
) -> np.ndarray:
    """Finite differences of ``f`` at ``x``: central or one-sided, one entry or all at once."""
    x = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.full_like(x, eps) if together else np.zeros_like(x)
        step[index] = eps
        if central:
            gradient[index] = (f(x + step) - f(x - step)) / (2 * eps)
        else:
            gradient[index] = (f(x + step) - f(x)) / eps
    return gradient


def mlp_gradients(
    params: Any,
    x: Any,
    y: Any,
    *,
    mean: bool = True,
    relu_slope: bool = True,
    bias_summed: bool = True,
    transposed: bool = False,
    labels: bool = True,
) -> list[np.ndarray]:
    """Gradients of a Dense(relu) → Dense network under sparse cross-entropy from logits."""
    w1, b1, w2, b2 = (as_float64(p) for p in params)
    x, y = as_float64(x), np.asarray(y).astype(int)
    z1 = x @ w1 + b1
    h = np.maximum(z1, 0.0)
    delta2 = softmax_rows(h @ w2 + b2)
    if labels:
        delta2[np.arange(len(y)), y] -= 1.0
    if mean:
        delta2 = delta2 / len(y)
    delta1 = delta2 @ w2.T
    if relu_slope:
        delta1 = delta1 * (z1 > 0)

    def kernel(inputs: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return delta.T @ inputs if transposed else inputs.T @ delta

    def bias(delta: np.ndarray) -> np.ndarray:
        return delta.sum(axis=0) if bias_summed else delta

    return [kernel(x, delta1), bias(delta1), kernel(h, delta2), bias(delta2)]
