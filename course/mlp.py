"""A reference NumPy MLP: Dense(relu) → Dense(linear) logits, its backward pass and its training.

The course's own implementation, for demonstrations (and for chapters whose exercises build
on one): ``params = [W1, b1, W2, b2]``, kernels of shape (inputs, units) as in Keras, loss
``SparseCategoricalCrossentropy(from_logits=True)`` with its mean over the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course.fallback import yours_or_reference

Params = list[np.ndarray]


def dense_backward(
    x: Any, kernel: Any, bias: Any, upstream: Any, activation: str = "linear"
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of sum(upstream * Dense(x)) wrt x, kernel and bias (None without a bias)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    upstream = np.asarray(upstream, dtype=np.float64)
    z = x @ kernel if bias is None else x @ kernel + np.asarray(bias, dtype=np.float64)
    if activation == "relu":
        delta = upstream * (z > 0)
    elif activation == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        delta = upstream * s * (1.0 - s)
    elif activation == "tanh":
        delta = upstream * (1.0 - np.tanh(z) ** 2)
    elif activation == "softmax":
        p = softmax(z)
        delta = p * (upstream - np.sum(upstream * p, axis=-1, keepdims=True))
    elif activation == "linear":
        delta = upstream
    else:
        raise ValueError(f"unknown activation {activation!r}")
    x2, delta2 = x.reshape(-1, x.shape[-1]), delta.reshape(-1, delta.shape[-1])
    dbias = None if bias is None else delta2.sum(axis=0)
    return delta @ kernel.T, x2.T @ delta2, dbias


def softmax(z: np.ndarray) -> np.ndarray:
    exps = np.exp(z - z.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def init_params(n_in: int, hidden: int, n_out: int, seed: int = 0) -> Params:
    """He-normal kernels (std √(2 / fan_in)), zero biases."""
    rng = np.random.default_rng(seed)
    return [
        rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, hidden)),
        np.zeros(hidden),
        rng.normal(0.0, np.sqrt(2.0 / hidden), size=(hidden, n_out)),
        np.zeros(n_out),
    ]


def logits(params: Params, x: Any) -> np.ndarray:
    w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    return np.maximum(np.asarray(x, dtype=np.float64) @ w1 + b1, 0.0) @ w2 + b2


def mlp_gradients(params: Params, x: Any, y: Any) -> Params:
    """Gradients of the mean sparse categorical cross-entropy from logits wrt the four arrays."""
    w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(int).reshape(-1)
    z1 = x @ w1 + b1
    h = np.maximum(z1, 0.0)
    delta2 = softmax(h @ w2 + b2)
    delta2[np.arange(len(y)), y] -= 1.0
    delta2 /= len(y)
    delta1 = (delta2 @ w2.T) * (z1 > 0)
    return [x.T @ delta1, delta1.sum(axis=0), h.T @ delta2, delta2.sum(axis=0)]


def accuracy(params: Params, x: Any, y: Any) -> float:
    return float(np.mean(logits(params, x).argmax(axis=1) == np.asarray(y)))


def train_numpy_mlp(
    x: Any,
    y: Any,
    hidden: int = 32,
    learning_rate: float = 0.1,
    epochs: int = 20,
    seed: int = 0,
    batch_size: int = 32,
    on_epoch: Callable[[Params], None] | None = None,
) -> Params:
    """Mini-batch gradient descent on shuffled batches; ``on_epoch(params)`` after each epoch."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(int)
    rng = np.random.default_rng(seed)
    params = init_params(x.shape[1], hidden, int(y.max()) + 1, seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            gradients = mlp_gradients(params, x[batch], y[batch])
            params = [p - learning_rate * g for p, g in zip(params, gradients, strict=True)]
        if on_epoch is not None:
            on_epoch(params)
    return params


def numerical_gradient(f: Callable[[np.ndarray], float], x: Any, eps: float = 1e-5) -> np.ndarray:
    """Central differences of ``f`` at ``x``, one entry at a time (``x`` is left unchanged)."""
    x = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        gradient[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return gradient


def gradient_check(analytic: Any, numeric: Any) -> float:
    """Relative error ‖a - n‖ / max(‖a‖ + ‖n‖, 1e-12)."""
    a = np.asarray(analytic, dtype=np.float64).ravel()
    n = np.asarray(numeric, dtype=np.float64).ravel()
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12))


_OURS: dict[str, Callable[..., Any]] = {
    "numerical_gradient": numerical_gradient,
    "gradient_check": gradient_check,
    "dense_backward": dense_backward,
    "mlp_gradients": mlp_gradients,
    "train_numpy_mlp": train_numpy_mlp,
}


def yours_or_course(name: str, yours: Callable[..., Any]) -> Callable[..., Any]:
    """``yours``, or while it raises ``NotImplementedError`` this module's ``name``, with a
    one-line note the first time (:func:`course.fallback.yours_or_reference`)."""
    return yours_or_reference(yours, _OURS[name], name)
