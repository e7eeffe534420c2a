"""Wrong implementations of Keras's losses in NumPy: cross-entropies, hinge, KL, reductions.

Each per-sample function has switches that reproduce the usual slips (log base 2, no
clipping, logits read as probabilities...); :func:`wrong_loss` reduces one the Keras way,
and :func:`reduction_mistakes` holds the wrong reductions and weightings every loss class
can suffer from. Never shown to learners.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.mistakes.activations import ACTIVATIONS, as_float64
from autograder.references import as_float32, to_numpy
from autograder.registry import Mistake

EPSILON = 1e-7  # keras.config.epsilon()
TOP = float(np.float32(1 - EPSILON))  # Keras clips in float32: 1 - 1e-7 rounds to 1 - 2**-23


def keras_values(cls: type, y_true: Any, y_pred: Any, **options: Any) -> np.ndarray:
    """Keras's per-sample losses (no reduction), for building wrong reductions."""
    loss = cls(reduction=None, **options)
    return as_float64(to_numpy(loss(as_float32(y_true), as_float32(y_pred))))


def same_rank(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's rank rule (``squeeze_or_expand_to_same_rank``): ranks one apart and the longer
    ends in an axis of length 1: a 1-D shorter array gains that axis, else the longer loses it."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def weighted_mean(values: Any, sample_weight: Any) -> float:
    """Keras's default reduction: sum of weighted per-sample losses / their number."""
    values = as_float64(values)
    if sample_weight is not None:
        values, weights = same_rank(values, as_float64(sample_weight))
        values = values * weights
    return float(values.sum() / values.size)


def targets_broadcast(cls: type) -> Callable[..., float]:
    """y_true and y_pred broadcast against each other without Keras's rank rule: (N,) and
    (N, 1) make an N x N grid of every target with every prediction."""

    def produce(y_true: Any, y_pred: Any, sample_weight: Any = None, **options: Any) -> float:
        t, p = as_float64(y_true), as_float64(y_pred)
        if [a.shape for a in same_rank(t, p)] == [t.shape, p.shape]:
            raise ValueError("not applicable: the rank rule changes nothing here")
        values = keras_values(cls, *np.broadcast_arrays(t, p), **options)
        return weighted_mean(values, sample_weight)

    return produce


def shape_mistakes(cls: type) -> tuple[Mistake, ...]:
    """y_true against y_pred without Keras's rank rule (for losses that broadcast them)."""
    return (
        Mistake(
            "your targets were broadcast against the predictions into a matrix: y_true of "
            "shape (N,) against y_pred of shape (N, 1) makes an N x N grid that pairs every "
            "target with every prediction. Keras first gives y_true the rank of y_pred (the "
            "rule it applies to the weights: a 1-D array gains a trailing axis of length 1, "
            "otherwise the longer shape loses its trailing 1), so each target meets its own "
            "prediction and there is one loss per sample.",
            produces=targets_broadcast(cls),
        ),
    )


def weights_broadcast(cls: type) -> Callable[..., float]:
    """Weights multiplied into the per-sample losses without Keras's rank rule."""

    def produce(y_true: Any, y_pred: Any, sample_weight: Any = None, **options: Any) -> float:
        if sample_weight is None or np.ndim(sample_weight) <= 1:
            raise ValueError("not applicable")
        values = keras_values(cls, y_true, y_pred, **options) * as_float64(sample_weight)
        return float(values.sum() / values.size)

    return produce


def wrong_loss(
    per_sample: Callable[..., np.ndarray],
    applies: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[..., float]:
    """A (wrong) loss: ``per_sample(y_true, y_pred, **options)`` reduced the Keras way.

    ``applies(options)`` limits the mistake to cases whose options make it visible.
    """

    def produce(y_true: Any, y_pred: Any, sample_weight: Any = None, **options: Any) -> float:
        if applies is not None and not applies(options):
            raise ValueError("this mistake does not apply to these options")
        t, p = same_rank(as_float64(y_true), as_float64(y_pred))
        return weighted_mean(per_sample(t, p, **options), sample_weight)

    return produce


def reduced(cls: type, reduce: Callable[[np.ndarray, np.ndarray], float], weighted: bool):
    """Keras's per-sample losses, reduced by ``reduce(values, weights)``.

    With ``weighted`` the mistake only applies to cases with non-scalar weights.
    """

    def produce(y_true: Any, y_pred: Any, sample_weight: Any = None, **options: Any) -> float:
        if weighted and (sample_weight is None or np.ndim(sample_weight) == 0):
            raise ValueError("not applicable")
        values = keras_values(cls, y_true, y_pred, **options)
        values, weights = same_rank(
            values, as_float64(1.0 if sample_weight is None else sample_weight)
        )
        return reduce(values, np.broadcast_to(weights, values.shape))

    return produce


def reduction_mistakes(cls: type) -> tuple[Mistake, ...]:
    """Wrong reductions and weightings that every Keras loss class can suffer from."""
    return (
        Mistake(
            "your weights were broadcast against the per-sample losses into a matrix: N losses "
            "(shape (N,)) times weights of shape (N, 1) make an N x N array, so every loss is "
            "counted N times with every weight. Keras first gives the weights the rank of the "
            "losses: when the ranks differ by one and the longer shape ends in an axis of "
            "length 1, that axis is dropped (weights[..., 0]); then it multiplies.",
            produces=weights_broadcast(cls),
        ),
        Mistake(
            "zero weights were dropped from the divisor. Keras's default reduction divides "
            "the weighted sum by the NUMBER of per-sample losses, zero-weight samples "
            "included: Σ wᵢℓᵢ / N, not Σ wᵢℓᵢ / (number of non-zero weights).",
            produces=reduced(
                cls, lambda v, w: float((v * w).sum() / np.count_nonzero(w)), weighted=True
            ),
        ),
        Mistake(
            "you divided by the sum of the weights (that is reduction='mean_with_sample_weight'). "
            "The default reduction divides by the number of per-sample losses: Σ wᵢℓᵢ / N.",
            produces=reduced(cls, lambda v, w: float((v * w).sum() / w.sum()), weighted=True),
        ),
        Mistake(
            "sample_weight was ignored: multiply each per-sample loss by its weight before "
            "summing.",
            produces=reduced(cls, lambda v, w: float(v.mean()), weighted=True),
        ),
        Mistake(
            "you summed the per-sample losses; the default reduction 'sum_over_batch_size' "
            "divides that sum by the number of per-sample losses (a mean, not a sum).",
            produces=reduced(cls, lambda v, w: float((v * w).sum()), weighted=False),
        ),
        Mistake(
            "your result is float16: convert the inputs with np.asarray(x, dtype=np.float64) "
            "before computing (float16 keeps only about 3 significant digits).",
            when=lambda case, got, expected: getattr(got, "dtype", None) == np.float16,
        ),
    )


def stable_sigmoid_crossentropy(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def binary_crossentropy(
    z: np.ndarray,
    p: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    log: Callable[[np.ndarray], np.ndarray] = np.log,
    top: float = TOP,
    smooth_to: float = 0.5,
    logits_as_probabilities: bool = False,
    logits_through_sigmoid: bool = False,
) -> np.ndarray:
    """Per-sample binary cross-entropy, with switches that reproduce known mistakes."""
    z = z * (1 - label_smoothing) + smooth_to * label_smoothing
    if from_logits and not logits_as_probabilities:
        if not logits_through_sigmoid:
            return stable_sigmoid_crossentropy(z, p).mean(axis=-1)
        p = ACTIVATIONS["sigmoid"](p)
    p = np.clip(p, EPSILON, top)
    return -(z * log(p) + (1 - z) * log(1 - p)).mean(axis=-1)


def categorical_crossentropy(
    z: np.ndarray,
    p: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    log: Callable[[np.ndarray], np.ndarray] = np.log,
    axis: int = -1,
    renormalise: bool = True,
    classes: int | None = None,
    logits_as_probabilities: bool = False,
) -> np.ndarray:
    """Per-sample categorical cross-entropy, with switches that reproduce known mistakes."""
    k = z.shape[-1] if classes is None else classes
    z = z * (1 - label_smoothing) + label_smoothing / k
    if from_logits and not logits_as_probabilities:
        return -(z * log_softmax(p)).sum(axis=axis)
    if renormalise:
        p = p / p.sum(axis=-1, keepdims=True)
    return -(z * log(np.clip(p, EPSILON, TOP))).sum(axis=axis)


def binary_formula_for_classes(z: np.ndarray, p: np.ndarray, **options: Any) -> np.ndarray:
    if options.get("from_logits"):
        raise ValueError("not applicable")
    z = (
        z * (1 - options.get("label_smoothing", 0.0))
        + options.get("label_smoothing", 0.0) / (z.shape[-1])
    )
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPSILON, TOP)
    return -(z * np.log(p) + (1 - z) * np.log(1 - p)).mean(axis=-1)


def sparse_categorical_crossentropy(
    labels: np.ndarray,
    p: np.ndarray,
    from_logits: bool = False,
    log: Callable[[np.ndarray], np.ndarray] = np.log,
    renormalise: bool = True,
    logits_as_probabilities: bool = False,
) -> np.ndarray:
    """Per-sample sparse categorical cross-entropy, with mistake switches."""
    if labels.ndim == p.ndim:
        labels = labels[..., 0]
    if from_logits and not logits_as_probabilities:
        log_p = log_softmax(p)
    else:
        clipped = np.clip(p, EPSILON, TOP)
        log_p = log(clipped)
        if renormalise:
            log_p = log_p - log(clipped.sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, labels.astype(np.int64)[..., None], axis=-1)
    return -picked[..., 0]


def hinge_labels(z: np.ndarray) -> np.ndarray:
    return 2 * z - 1 if np.all((z == 0) | (z == 1)) else z


def kl_divergence(z: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    z, p = np.clip(z, EPSILON, 1), np.clip(p, EPSILON, 1)
    return (z * np.log(z / p)).sum(axis=axis)
