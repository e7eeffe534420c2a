"""Chapter 04_losses: Keras's regression and classification losses, reductions and logits.

Every loss exercise is graded against the Keras loss class with its default
reduction ("sum_over_batch_size"), called at grading time on float32 copies of
the inputs; the two logits exercises against the tf.nn functions of that name.
A catalogue: the NumPy losses with the usual slips, and the wrong reductions every
loss class can suffer from, live in :mod:`autograder.mistakes.losses` (Huber in
:mod:`autograder.mistakes.huber`, shared with 05_training_with_losses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.compare import non_finite_where_finite
from autograder.inputs import EXTREMES
from autograder.mistakes.activations import as_float64
from autograder.mistakes.gradients import (
    gradient_scaling_mistakes,
    scaled_gradient,
    sigmoid64,
    softmax_rows,
)
from autograder.mistakes.huber import numpy_huber
from autograder.mistakes.losses import (
    EPSILON,
    TOP,
    binary_crossentropy,
    binary_formula_for_classes,
    categorical_crossentropy,
    hinge_labels,
    kl_divergence,
    log_softmax,
    reduction_mistakes,
    shape_mistakes,
    sparse_categorical_crossentropy,
    stable_sigmoid_crossentropy,
    wrong_loss,
)
from autograder.references import as_float32, keras, tf, to_numpy
from autograder.registry import Case, Exercise, Mistake

_PARAMS = ("y_true", "y_pred")


def _exact32(x: np.ndarray) -> np.ndarray:
    """Random float64 data that float32 represents exactly, so input rounding never matters."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# ----------------------------------------------------------------------------- references


def _keras_loss(cls: type) -> Callable[..., np.ndarray]:
    """``cls(**options)(y_true, y_pred, sample_weight)`` on float32 copies, as NumPy."""

    def reference(y_true: Any, y_pred: Any, sample_weight: Any = None, **options: Any):
        weights = None if sample_weight is None else as_float32(sample_weight)
        loss = cls(**options)
        return to_numpy(loss(as_float32(y_true), as_float32(y_pred), sample_weight=weights))

    return reference


def _sigmoid_xent_reference(labels: Any, logits: Any) -> np.ndarray:
    return to_numpy(
        tf.nn.sigmoid_cross_entropy_with_logits(
            labels=as_float32(labels), logits=as_float32(logits)
        )
    )


def _softmax_xent_reference(labels: Any, logits: Any, axis: int = -1) -> np.ndarray:
    return to_numpy(
        tf.nn.softmax_cross_entropy_with_logits(
            labels=as_float32(labels), logits=as_float32(logits), axis=axis
        )
    )


def _non_finite(hint: str, when: Callable[[Case], bool] = lambda case: True) -> Mistake:
    return Mistake(
        hint,
        when=lambda case, got, expected: when(case) and non_finite_where_finite(got, expected),
    )


def _logits(case: Case) -> bool:
    return bool(case.kwargs.get("from_logits"))


def _from_logits(options: dict[str, Any]) -> bool:
    return bool(options.get("from_logits"))


_LOG2 = (
    "you used log base 2 (np.log2): cross-entropy in Keras uses the natural log np.log. "
    "log₂ x = ln x / ln 2, so your losses are 1.44 times too large."
)
_LOGITS_IGNORED = (
    "from_logits=True means y_pred holds logits (any real numbers), not probabilities: "
    "they must go through the stable logits formula, not be clipped as probabilities."
)
_LOGITS_CAPPED = (
    "you turned the logits into probabilities and then used the clipped probability "
    "formula: for large logits that caps each term near -ln(1e-7) ≈ 16. With "
    "from_logits=True Keras uses the exact, stable logits formula (no clipping)."
)


# ----------------------------------------------------------------------------- inputs


def _weights(rng: np.random.Generator, shape: tuple[int, ...], zeros: int = 1) -> np.ndarray:
    """Random non-negative weights with some exact zeros."""
    weights = _exact32(rng.uniform(0.2, 2.0, size=shape))
    flat = weights.reshape(-1)
    flat[rng.choice(flat.size, size=min(zeros, flat.size), replace=False)] = 0.0
    return weights


def _target_ranks(
    truth: Callable[[tuple[int, ...]], Any],
    pred: Callable[[tuple[int, ...]], Any],
    weights: Callable[[tuple[int, ...]], Any],
) -> list[Case]:
    """y_true and y_pred one rank apart, as Keras's rank rule brings them together.

    ``truth(shape)`` and ``pred(shape)`` draw y_true and y_pred; ``weights(shape)`` weights.
    """
    return [
        Case(
            (truth((5, 1)), pred((5,))),
            {"sample_weight": weights((5,))},
            why="y_true (5, 1) against y_pred (5,): Keras gives y_pred a trailing axis",
        ),
        Case(
            (truth((2, 3)), pred((2, 3, 1))),
            why="y_true (2, 3) against y_pred (2, 3, 1): Keras drops y_pred's trailing axis",
        ),
        Case(
            (truth((6,)), pred((6, 1))),
            {"sample_weight": weights((6, 1))},
            why="y_true (6,) against y_pred (6, 1), weights (6, 1): one loss per sample",
        ),
    ]


def _weight_shapes(
    rng: np.random.Generator, draw: Callable[[tuple[int, ...]], tuple[Any, Any]], classes: int
) -> list[Case]:
    """Weights of shape (N, 1) and (N, T, 1): Keras drops the trailing axis of length 1.

    ``draw(batch_shape)`` gives ``(y_true, y_pred)`` whose per-sample losses have that shape.
    """
    return [
        Case(
            draw((4,)),
            {"sample_weight": _weights(rng, (4, 1))},
            why=f"weights of shape (4, 1) for 4 samples of {classes}",
        ),
        Case(
            draw((2, 3)),
            {"sample_weight": _weights(rng, (2, 3, 1), zeros=2)},
            why="per-timestep weights of shape (2, 3, 1) for (2, 3) per-sample losses",
        ),
    ]


def _regression_hidden(
    rng: np.random.Generator,
    draw: Callable[[tuple[int, ...]], np.ndarray],
    extreme: tuple[np.ndarray, np.ndarray],
    options: Sequence[dict[str, Any]] = ({},),
) -> list[Case]:
    """Random shapes, dtypes and weights; lists; 1-D; integer targets; extreme values."""

    def d(shape: tuple[int, ...]) -> np.ndarray:
        return _exact32(draw(shape))

    cases = []
    for opts in options:
        cases += [
            Case((d((4, 3)), d((4, 3))), dict(opts), why="random float64 (4, 3)"),
            Case(
                (d((5, 2)).astype(np.float32), d((5, 2)).astype(np.float32)),
                {**opts, "sample_weight": _weights(rng, (5,), zeros=2)},
                why="float32 (5, 2), per-sample weights with zeros",
            ),
        ]
    cases += [
        Case((d((3, 4)), d((3, 4))), {"sample_weight": 2.5}, why="scalar weight"),
        Case(
            (d((2, 3, 4)), d((2, 3, 4))),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 4): per-timestep weights (2, 3) with zeros",
        ),
        Case((d((6,)), d((6,))), why="1-D inputs: one sample of 6 outputs"),
        Case(
            (d((3, 2)).round(2).tolist(), d((3, 2)).round(2).tolist()),
            {"sample_weight": [1.0, 0.0, 0.5]},
            why="Python lists",
        ),
        Case(
            (np.rint(d((4, 2))).astype(np.int64), d((4, 2)).astype(np.float16)),
            why="integer y_true, float16 y_pred",
        ),
        Case((d((3, 2)), d((3, 2))), {"sample_weight": np.zeros(3)}, why="all weights zero"),
        Case(extreme, why="extreme values"),
    ]
    cases += _target_ranks(d, d, lambda shape: _weights(rng, shape))
    return cases + _weight_shapes(rng, lambda batch: (d((*batch, 3)), d((*batch, 3))), 3)


_COLUMN = [[0.5], [0.0], [2.0]]
_COLUMN_WHY = "weights of shape (3, 1): one per sample, not a 3 x 3 matrix"
_TARGETS_WHY = (
    "y_true of shape (4,) against y_pred of shape (4, 1): Keras gives y_true the rank of "
    "y_pred first, one loss per sample, not a 4 x 4 grid"
)


def _targets_column(y_true: Any, y_pred_column: Any) -> Case:
    """Targets as a vector, predictions as a column (a regression model's usual output)."""
    return Case((y_true, [[v] for v in y_pred_column]), why=_TARGETS_WHY)


def _regression_visible(y_true: Any, y_pred: Any, expected_note: str) -> list[Case]:
    """A worked example from the tutorials, then a 2 x 3 example, unweighted and weighted."""
    y3 = [[1.0, -0.5], [2.0, 0.0], [3.0, -1.0]]
    p3 = [[1.5, -0.5], [0.5, 0.2], [2.0, 1.5]]
    return [
        Case((y_true, y_pred), why=f"worked example, {expected_note}"),
        Case((y3, p3), why="three samples, two outputs each"),
        Case(
            (y3, p3),
            {"sample_weight": [0.5, 0.0, 2.0]},
            why="per-sample weights: the zero-weight sample still counts in the divisor",
        ),
        Case((y3, p3), {"sample_weight": _COLUMN}, why=_COLUMN_WHY),
        _targets_column([0.0, 1.0, 2.0, 3.0], [0.5, 1.0, 2.5, 2.0]),
    ]


def _loss_exercise(
    name: str,
    cls: type,
    visible: Callable[[], Sequence[Case]],
    hidden: Callable[[np.random.Generator], Sequence[Case]],
    mistakes: tuple[Mistake, ...] = (),
    broadcasts: bool = True,
) -> Exercise:
    """An exercise on the Keras loss class ``cls``, with the wrong reductions every loss has
    (and, where the loss broadcasts y_true against y_pred, targets broadcast into a matrix)."""
    return Exercise(
        name=name,
        reference=_keras_loss(cls),
        reference_name=f"keras.losses.{cls.__name__}",
        params=_PARAMS,
        visible=visible,
        hidden=hidden,
        mistakes=mistakes + (shape_mistakes(cls) if broadcasts else ()) + reduction_mistakes(cls),
    )


# ----------------------------------------------------------------------------- regression

_EXTREME_ERRORS = (
    np.zeros((2, 4)),
    np.array([[-1e4, -710.0, -30.0, 1e-3], [1e4, 710.0, 100.0, -1e-8]]),
)


def _normal(rng: np.random.Generator, scale: float = 2.0):
    return lambda shape: rng.normal(0.0, scale, size=shape)


MEAN_SQUARED_ERROR = _loss_exercise(
    "mean_squared_error",
    keras.losses.MeanSquaredError,
    lambda: _regression_visible([[0.0], [1.0]], [[1.0], [1.0]], "Keras: 0.5"),
    lambda rng: _regression_hidden(rng, _normal(rng), _EXTREME_ERRORS),
    mistakes=(
        Mistake(
            "you summed the squared errors over the last axis; Keras takes their MEAN over the "
            "last axis (one loss per sample), then averages the samples.",
            produces=wrong_loss(lambda t, p: ((p - t) ** 2).sum(axis=-1)),
        ),
        Mistake(
            "that is the root mean squared error; the mean squared error has no square root.",
            produces=lambda t, p, sample_weight=None: float(
                np.sqrt(wrong_loss(lambda t, p: ((p - t) ** 2).mean(axis=-1))(t, p, sample_weight))
            ),
        ),
        Mistake(
            "you averaged the plain errors: square them first, (ŷ - y)².",
            produces=wrong_loss(lambda t, p: (p - t).mean(axis=-1)),
        ),
    ),
)

MEAN_ABSOLUTE_ERROR = _loss_exercise(
    "mean_absolute_error",
    keras.losses.MeanAbsoluteError,
    lambda: _regression_visible([[0.0], [1.0]], [[1.0], [0.0]], "Keras: 1.0"),
    lambda rng: _regression_hidden(rng, _normal(rng), _EXTREME_ERRORS),
    mistakes=(
        Mistake(
            "positive and negative errors cancel out: take |ŷ - y| before the mean.",
            produces=wrong_loss(lambda t, p: (p - t).mean(axis=-1)),
        ),
        Mistake(
            "you summed the absolute errors over the last axis; Keras takes their mean.",
            produces=wrong_loss(lambda t, p: np.abs(p - t).sum(axis=-1)),
        ),
    ),
)


def _msle(t: np.ndarray, p: np.ndarray, clamp: bool = True, plus_one: bool = True) -> np.ndarray:
    if clamp:
        t, p = np.maximum(t, EPSILON), np.maximum(p, EPSILON)
    shift = 1.0 if plus_one else 0.0
    return ((np.log(p + shift) - np.log(t + shift)) ** 2).mean(axis=-1)


def _msle_visible() -> list[Case]:
    return [
        Case(([[1.0, 0.0], [2.0, 5.0]], [[1.5, 0.5], [1.0, 4.0]]), why="two samples, two outputs"),
        Case(
            ([[1.0, 0.0], [2.0, 5.0], [0.5, 3.0]], [[1.5, -0.5], [1.0, 4.0], [0.0, 3.5]]),
            {"sample_weight": [1.5, 0.0, 0.5]},
            why="a negative prediction (Keras clamps it at 1e-7), weights [1.5, 0, 0.5]",
        ),
        Case(
            ([[1.0, 0.0], [2.0, 5.0], [0.5, 3.0]], [[1.5, 0.5], [1.0, 4.0], [0.0, 3.5]]),
            {"sample_weight": _COLUMN},
            why=_COLUMN_WHY,
        ),
        _targets_column([0.0, 1.0, 2.0, 3.0], [0.5, 1.0, 2.5, 2.0]),
    ]


MEAN_SQUARED_LOGARITHMIC_ERROR = _loss_exercise(
    "mean_squared_logarithmic_error",
    keras.losses.MeanSquaredLogarithmicError,
    _msle_visible,
    lambda rng: _regression_hidden(
        rng,
        lambda shape: rng.uniform(-0.5, 5.0, size=shape),
        (
            np.array([[0.0, 1e4, 3.0], [2.0, 0.0, 1e-8]]),
            np.array([[1e4, 0.0, -5.0], [-1e4, 1e-8, 0.0]]),
        ),
    ),
    mistakes=(
        Mistake(
            "Keras clamps both arguments at ε = 1e-7 before the log, ln(max(x, ε) + 1): a "
            "negative value counts as (almost) zero instead of giving ln(1 + x) < 0 or NaN.",
            produces=wrong_loss(lambda t, p: _msle(t, p, clamp=False)),
        ),
        Mistake(
            "MSLE compares ln(1 + x), not ln(x): the +1 keeps zero targets finite "
            "(np.log1p(x) computes ln(1 + x) accurately).",
            produces=wrong_loss(lambda t, p: _msle(t, p, plus_one=False)),
        ),
        _non_finite("a log of zero or of a negative number: clamp at ε and use ln(1 + x)."),
    ),
)


def _huber_visible() -> list[Case]:
    y3 = [[1.0, -0.5], [2.0, 0.0], [3.0, -1.0]]
    p3 = [[1.5, -0.5], [0.5, 0.2], [2.0, 1.5]]
    return [
        Case(([[0], [1]], [[0.6], [0.4]]), why="worked example, Keras: 0.18"),
        Case((y3, p3), why="errors on both sides of delta = 1"),
        Case(
            (y3, p3),
            {"delta": 0.4, "sample_weight": [0.5, 0.0, 2.0]},
            why="delta = 0.4 and weights [0.5, 0, 2]",
        ),
        Case((y3, p3), {"sample_weight": _COLUMN}, why=_COLUMN_WHY),
        _targets_column([0.0, 1.0, 2.0, 3.0], [0.5, 1.0, 4.5, 2.0]),
    ]


HUBER = _loss_exercise(
    "huber",
    keras.losses.Huber,
    _huber_visible,
    lambda rng: _regression_hidden(
        rng, _normal(rng), _EXTREME_ERRORS, options=({}, {"delta": 0.5}, {"delta": 2.5})
    ),
    mistakes=(
        Mistake(
            "the two branches are swapped: ½e² is for small errors |e| ≤ δ, and "
            "δ·|e| - ½δ² for large ones.",
            produces=wrong_loss(lambda t, p, delta=1.0: numpy_huber(t, p, delta, swap=True)),
        ),
        Mistake(
            "use the delta argument: you switched at |e| = 1 whatever delta was passed.",
            produces=wrong_loss(lambda t, p, delta=1.0: numpy_huber(t, p, 1.0)),
        ),
        Mistake(
            "a factor ½ is missing: ½e² for |e| ≤ δ and δ·|e| - ½δ² beyond.",
            produces=wrong_loss(lambda t, p, delta=1.0: numpy_huber(t, p, delta, half=1.0)),
        ),
    ),
)

LOG_COSH = _loss_exercise(
    "log_cosh",
    keras.losses.LogCosh,
    lambda: _regression_visible([[0.0], [1.0]], [[1.0], [1.0]], "one error of 1"),
    lambda rng: _regression_hidden(rng, _normal(rng), _EXTREME_ERRORS),
    mistakes=(
        _non_finite(
            "np.cosh(x) overflows to inf for |x| > 710 (and log(inf) = inf). Use the stable "
            "identity ln cosh x = |x| + log1p(e^(-2|x|)) - ln 2."
        ),
        Mistake(
            "that is ln(cosh x) summed over the last axis; Keras takes the mean.",
            produces=wrong_loss(lambda t, p: np.log(np.cosh(p - t)).sum(axis=-1)),
        ),
    ),
)


# ----------------------------------------------------------------------------- binary


_MISMATCH_WHY = "y_true (3, 1) against y_pred (3, 3): Keras raises ValueError"


def _bce_visible() -> list[Case]:
    labels = [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    probs = [[0.9, 0.2, 0.6], [0.3, 0.05, 0.75], [0.5, 0.8, 0.4]]
    return [
        Case(([[0], [1]], [[0.4], [0.6]]), why="worked example, Keras 3: 0.5108256"),
        Case(([[0], [1]], [[0.1], [0.9]]), why="worked example, Keras 3: 0.105360545"),
        Case(
            (labels, probs),
            {"sample_weight": [1.5, 0.0, 0.5]},
            why="multi-label, weights [1.5, 0, 0.5]",
        ),
        Case(
            ([[1.0, 0.0, 1.0, 0.0]], [[0.0, 1.0, 1.0, 0.0]]),
            why="probabilities exactly 0 and 1: Keras clips",
        ),
        Case(
            (labels, [[2.0, -1.0, 0.5], [-3.0, -0.5, 4.0], [1.0, 3.0, -2.0]]),
            {"from_logits": True},
            why="from_logits=True",
        ),
        Case((labels, probs), {"label_smoothing": 0.2}, why="label_smoothing=0.2"),
        Case((labels, probs), {"sample_weight": _COLUMN}, why=_COLUMN_WHY),
        _targets_column([0.0, 1.0, 1.0, 0.0], [0.2, 0.7, 0.9, 0.4]),
        Case(([[0], [1], [1]], probs), why=_MISMATCH_WHY),
    ]


def _bce_hidden(rng: np.random.Generator) -> list[Case]:
    def labels(shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, 2, size=shape).astype(np.float64)

    def probs(shape: tuple[int, ...]) -> np.ndarray:
        return _exact32(rng.uniform(0.01, 0.99, size=shape))

    def logits(shape: tuple[int, ...]) -> np.ndarray:
        return _exact32(rng.normal(0, 3, size=shape))

    extreme_labels = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.3, 0.7, 1.0, 0.0, 0.5, 1.0]])
    extreme_probs = np.array(
        [[0.0, 1.0, 1.0, 0.0, 1e-9, 1 - 1e-9], [0.0, 1.0, 1e-12, 1.0, 0.5, 0.9999999]]
    )
    extreme_logits = np.array(
        [[-1e4, 1e4, -1e3, 1e3, -710.0, 710.0], [-30.0, 30.0, -1e4, 1e4, 0.0, 100.0]]
    )
    return [
        Case((labels((4, 3)), probs((4, 3))), why="random 0/1 labels (4, 3)"),
        Case(
            (_exact32(rng.uniform(size=(5, 2))).astype(np.float32), probs((5, 2))),
            {"sample_weight": _weights(rng, (5,), zeros=2)},
            why="soft labels, float32, per-sample weights with zeros",
        ),
        Case((labels((4, 3)), logits((4, 3))), {"from_logits": True}, why="random logits"),
        Case((extreme_labels, extreme_logits), {"from_logits": True}, why="extreme logits"),
        Case((extreme_labels, extreme_probs), why="probabilities at and near 0 and 1"),
        Case((labels((3, 4)), probs((3, 4))), {"label_smoothing": 0.1}, why="label_smoothing"),
        Case(
            (labels((4, 2)), logits((4, 2))),
            {"from_logits": True, "label_smoothing": 0.3, "sample_weight": 0.5},
            why="logits, label_smoothing=0.3, scalar weight",
        ),
        Case(
            (labels((2, 3, 2)), probs((2, 3, 2))),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 2): per-timestep weights",
        ),
        Case((labels((6,)), probs((6,))), why="1-D inputs"),
        Case(
            (labels((3, 2)).tolist(), probs((3, 2)).round(3).tolist()),
            {"sample_weight": [0.0, 1.0, 2.0]},
            why="Python lists",
        ),
        Case(
            (labels((3, 3)).astype(np.int64), probs((3, 3)).astype(np.float16)),
            why="integer labels, float16 probabilities",
        ),
        Case(
            (labels((4, 1)), logits((4, 2))),
            {"from_logits": True},
            why="y_true (4, 1) against logits (4, 2): Keras raises ValueError",
        ),
        Case(
            (labels((4,)), probs((4, 2))),
            why="y_true (4,) against y_pred (4, 2): the ranks differ and the last axis is not "
            "1, so Keras raises ValueError",
        ),
        Case(
            (labels((2, 3)), logits((2, 3, 1))),
            {"from_logits": True, "sample_weight": _weights(rng, (2,))},
            why="y_true (2, 3) against logits (2, 3, 1): Keras drops the logits' trailing axis",
        ),
        *_target_ranks(labels, probs, lambda shape: _weights(rng, shape)),
        *_weight_shapes(rng, lambda batch: (labels((*batch, 2)), probs((*batch, 2))), 2),
    ]


BINARY_CROSSENTROPY = _loss_exercise(
    "binary_crossentropy",
    keras.losses.BinaryCrossentropy,
    _bce_visible,
    _bce_hidden,
    mistakes=(
        Mistake(
            _LOG2,
            produces=wrong_loss(lambda t, p, **o: binary_crossentropy(t, p, **o, log=np.log2)),
        ),
        _non_finite(
            "log(0) = -inf: clip y_pred to [1e-7, 1 - 1e-7] before taking logs, as Keras does.",
            when=lambda case: not _logits(case),
        ),
        _non_finite(
            "σ(x) rounds to exactly 0 or 1 for large |x|, so log σ(x) is -inf. Use the stable "
            "logits formula max(x, 0) - x·z + log1p(e^(-|x|)).",
            when=_logits,
        ),
        Mistake(
            "Keras clips in float32, where 1 - 1e-7 rounds to 0.99999988 (= 1 - 2⁻²³): clip "
            "at np.float32(1 - 1e-7), so a wrong certain prediction costs -ln(2⁻²³) ≈ 15.94, "
            "not -ln(1e-7) ≈ 16.12.",
            produces=wrong_loss(lambda t, p, **o: binary_crossentropy(t, p, **o, top=1 - EPSILON)),
        ),
        Mistake(
            "label smoothing pulls the labels towards ½: y·(1 - s) + s/2 for binary cross-entropy.",
            produces=wrong_loss(lambda t, p, **o: binary_crossentropy(t, p, **o, smooth_to=1.0)),
        ),
        Mistake(
            "label_smoothing was ignored: use y·(1 - s) + s/2 as the labels.",
            produces=wrong_loss(
                lambda t, p, label_smoothing=0.0, **o: binary_crossentropy(t, p, **o),
                applies=lambda o: bool(o.get("label_smoothing")),
            ),
        ),
        Mistake(
            _LOGITS_IGNORED,
            produces=wrong_loss(
                lambda t, p, **o: binary_crossentropy(t, p, **o, logits_as_probabilities=True),
                applies=_from_logits,
            ),
        ),
        Mistake(
            _LOGITS_CAPPED,
            produces=wrong_loss(
                lambda t, p, **o: binary_crossentropy(t, p, **o, logits_through_sigmoid=True),
                applies=_from_logits,
            ),
        ),
    ),
)


# ----------------------------------------------------------------------------- categorical


def _softmax_rows(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.5):
    x = rng.normal(0, scale, size=shape)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return _exact32(e / e.sum(axis=-1, keepdims=True))


def _one_hot(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]


_EXTREME_CLASS_LOGITS = np.array(
    [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e3, 1000.5, -3.0], [-710.0, 710.0, 0.0]]
)
_EXTREME_CLASS_LABELS = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [1, 0, 0]])

_SEED_LABELS = [[0, 1, 0], [0, 0, 1]]
_SEED_PROBS = [[0.05, 0.9, 0.05], [0.3, 0.2, 0.5]]


def _cce_visible() -> list[Case]:
    return [
        Case((_SEED_LABELS, _SEED_PROBS), why="worked example, Keras 3: 0.39925388"),
        Case(
            (_SEED_LABELS, [[0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]),
            why="worked example, Keras 3: 0.105360545",
        ),
        Case(
            ([[0, 1, 0], [1, 0, 0]], [[1.0, 2.0, 1.0], [0.5, 0.25, 0.25]]),
            why="a row that does not sum to 1: Keras rescales it first",
        ),
        Case(
            (
                [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
                [[0.1, 0.8, 0.1], [0.5, 0.5, 0.0], [0.7, 0.2, 0.1]],
            ),
            {"sample_weight": [1.0, 0.5, 0.0]},
            why="probability 0 for a true class (Keras clips), weights [1, 0.5, 0]",
        ),
        Case(
            (_SEED_LABELS, [[2.0, 5.0, -1.0], [0.5, 0.5, 3.0]]),
            {"from_logits": True},
            why="from_logits=True",
        ),
        Case((_SEED_LABELS, _SEED_PROBS), {"label_smoothing": 0.1}, why="label_smoothing=0.1"),
        Case(
            (
                [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
                [[0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.7, 0.2, 0.1]],
            ),
            {"sample_weight": _COLUMN},
            why=_COLUMN_WHY,
        ),
        Case(
            ([[1], [2], [0]], [[0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.7, 0.2, 0.1]]),
            why=_MISMATCH_WHY,
        ),
    ]


def _cce_hidden(rng: np.random.Generator) -> list[Case]:
    with_zero = _softmax_rows(rng, (4, 3))
    labels_zero = _one_hot(rng, (4, 3))
    with_zero[labels_zero == 1] = 0.0
    return [
        Case((_one_hot(rng, (5, 4)), _softmax_rows(rng, (5, 4))), why="random one-hot (5, 4)"),
        Case(
            (_softmax_rows(rng, (3, 4)).astype(np.float32), _exact32(rng.uniform(0.1, 3, (3, 4)))),
            {"sample_weight": _weights(rng, (3,))},
            why="soft labels, unnormalised scores, weights with a zero",
        ),
        Case(
            (_one_hot(rng, (4, 5)), _exact32(rng.normal(0, 3, (4, 5)))),
            {"from_logits": True},
            why="random logits",
        ),
        Case((_EXTREME_CLASS_LABELS, _EXTREME_CLASS_LOGITS), {"from_logits": True}, why="extreme"),
        Case((labels_zero, with_zero), {"label_smoothing": 0.1}, why="zero probability, smoothing"),
        Case(
            (_one_hot(rng, (3, 4)), _exact32(rng.normal(0, 2, (3, 4)))),
            {"from_logits": True, "label_smoothing": 0.3, "sample_weight": 2.0},
            why="logits, label_smoothing=0.3, scalar weight",
        ),
        Case(
            (_one_hot(rng, (2, 3, 4)), _softmax_rows(rng, (2, 3, 4))),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 4): per-timestep weights",
        ),
        Case(
            (_one_hot(rng, (3, 3)).tolist(), _softmax_rows(rng, (3, 3)).round(3).tolist()),
            why="Python lists",
        ),
        Case(([0.0, 0.0, 1.0, 0.0], _softmax_rows(rng, (4,))), why="1-D: a single example"),
        Case(
            (rng.integers(0, 4, size=(3, 1)), _exact32(rng.normal(0, 2, (3, 4)))),
            {"from_logits": True},
            why="class indices (3, 1) against logits (3, 4): Keras raises ValueError",
        ),
        Case(
            (rng.integers(0, 4, size=3), _softmax_rows(rng, (3, 4))),
            why="class indices (3,) against y_pred (3, 4): the ranks differ and the last axis "
            "is not 1, so Keras raises ValueError",
        ),
        *_weight_shapes(
            rng, lambda batch: (_one_hot(rng, (*batch, 4)), _softmax_rows(rng, (*batch, 4))), 4
        ),
    ]


CATEGORICAL_CROSSENTROPY = _loss_exercise(
    "categorical_crossentropy",
    keras.losses.CategoricalCrossentropy,
    _cce_visible,
    _cce_hidden,
    broadcasts=False,
    mistakes=(
        Mistake(
            "that is the binary cross-entropy formula averaged over the classes. Categorical "
            "cross-entropy is -Σₖ yₖ ln pₖ, SUMMED over the classes, with no (1 - y) ln(1 - p) "
            "term: the softmax already makes the wrong classes share the probability.",
            produces=wrong_loss(binary_formula_for_classes, applies=lambda o: not _from_logits(o)),
        ),
        Mistake(
            "you summed over the batch axis (axis 0): sum -y·ln p over the class axis (-1), "
            "one loss per example, then average the examples.",
            produces=wrong_loss(lambda t, p, **o: categorical_crossentropy(t, p, **o, axis=0)),
        ),
        Mistake(
            "you averaged -y·ln p over the classes, which divides by the number of classes: "
            "sum over the class axis.",
            produces=wrong_loss(
                lambda t, p, **o: categorical_crossentropy(t, p, **o) / t.shape[-1]
            ),
        ),
        Mistake(
            "Keras first rescales each row of y_pred to sum to 1 (p / Σp), then clips to "
            "[1e-7, 1 - 1e-7].",
            produces=wrong_loss(
                lambda t, p, **o: categorical_crossentropy(t, p, **o, renormalise=False),
                applies=lambda o: not _from_logits(o),
            ),
        ),
        Mistake(
            _LOG2,
            produces=wrong_loss(lambda t, p, **o: categorical_crossentropy(t, p, **o, log=np.log2)),
        ),
        _non_finite(
            "log(0) = -inf (and 0·(-inf) = NaN): rescale the rows to sum 1, then clip to "
            "[1e-7, 1 - 1e-7] before the log, as Keras does.",
            when=lambda case: not _logits(case),
        ),
        _non_finite(
            "exponentials of large logits overflow, and the log of a softmax that underflowed "
            "to 0 is -inf. Use the log-sum-exp form: ln softmax(x)ₖ = xₖ - m - ln Σⱼ e^(xⱼ - m), "
            "with m = max(x).",
            when=_logits,
        ),
        Mistake(
            "label smoothing spreads s over all K classes: y·(1 - s) + s/K (you used s/2, the "
            "binary rule).",
            produces=wrong_loss(lambda t, p, **o: categorical_crossentropy(t, p, **o, classes=2)),
        ),
        Mistake(
            _LOGITS_IGNORED,
            produces=wrong_loss(
                lambda t, p, **o: categorical_crossentropy(t, p, **o, logits_as_probabilities=True),
                applies=_from_logits,
            ),
        ),
    ),
)


def _scce_visible() -> list[Case]:
    return [
        Case(([1, 2], _SEED_PROBS), why="the worked example with integer labels: 0.39925388"),
        Case(([[1], [2]], _SEED_PROBS), why="labels of shape (N, 1)"),
        Case(
            ([0, 2, 1], [[0.2, 0.2, 0.2], [0.5, 0.5, 0.0], [0.1, 0.6, 0.3]]),
            {"sample_weight": [1.0, 0.5, 0.0]},
            why="an unnormalised row, a zero probability, weights [1, 0.5, 0]",
        ),
        Case(([1, 2], [[2.0, 5.0, -1.0], [0.5, 0.5, 3.0]]), {"from_logits": True}, why="logits"),
        Case(
            ([0, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.1, 0.6, 0.3]]),
            {"sample_weight": _COLUMN},
            why=_COLUMN_WHY,
        ),
        Case(
            ([0, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]),
            why="3 labels against 2 rows of probabilities: Keras raises ValueError",
        ),
    ]


def _scce_hidden(rng: np.random.Generator) -> list[Case]:
    with_zero = _softmax_rows(rng, (4, 3))
    zero_labels = rng.integers(0, 3, size=4)
    with_zero[np.arange(4), zero_labels] = 0.0
    return [
        Case((rng.integers(0, 4, size=5), _softmax_rows(rng, (5, 4))), why="random (5, 4)"),
        Case(
            (
                rng.integers(0, 3, size=(4, 1)).astype(np.float32),
                _exact32(rng.uniform(0.1, 3.0, (4, 3))),
            ),
            {"sample_weight": _weights(rng, (4,))},
            why="float labels (4, 1), unnormalised scores, weights",
        ),
        Case(
            (rng.integers(0, 5, size=4), _exact32(rng.normal(0, 3, (4, 5)))),
            {"from_logits": True, "sample_weight": 0.5},
            why="random logits, scalar weight",
        ),
        Case((np.array([1, 0, 2, 0]), _EXTREME_CLASS_LOGITS), {"from_logits": True}, why="extreme"),
        Case((zero_labels, with_zero), why="zero probability for the true class"),
        Case(
            (rng.integers(0, 4, size=(2, 3)), _softmax_rows(rng, (2, 3, 4))),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 4) with labels (2, 3): per-timestep weights",
        ),
        Case(
            (rng.integers(0, 3, size=3).tolist(), _softmax_rows(rng, (3, 3)).round(3).tolist()),
            why="Python lists",
        ),
        Case(
            (rng.integers(0, 4, size=(2, 3)), _softmax_rows(rng, (2, 4))),
            {"from_logits": True},
            why="labels (2, 3) against y_pred (2, 4): one label per row is needed, so Keras "
            "raises ValueError",
        ),
        *_weight_shapes(
            rng, lambda batch: (rng.integers(0, 4, size=batch), _softmax_rows(rng, (*batch, 4))), 4
        ),
    ]


SPARSE_CATEGORICAL_CROSSENTROPY = _loss_exercise(
    "sparse_categorical_crossentropy",
    keras.losses.SparseCategoricalCrossentropy,
    _scce_visible,
    _scce_hidden,
    broadcasts=False,
    mistakes=(
        _non_finite(
            "log(0) = -inf: clip y_pred to [1e-7, 1 - 1e-7] before the log, as Keras does.",
            when=lambda case: not _logits(case),
        ),
        _non_finite(
            "the log of a softmax that underflowed to 0 is -inf: use the log-sum-exp form "
            "ln softmax(x)ₖ = xₖ - m - ln Σⱼ e^(xⱼ - m), with m = max(x).",
            when=_logits,
        ),
        Mistake(
            "Keras normalises the clipped probabilities: loss = -ln pᵧ + ln Σⱼ pⱼ (it feeds "
            "ln p to a softmax cross-entropy), so rows that do not sum to 1 are rescaled.",
            produces=wrong_loss(
                lambda t, p, **o: sparse_categorical_crossentropy(t, p, **o, renormalise=False),
                applies=lambda o: not _from_logits(o),
            ),
        ),
        Mistake(
            _LOG2,
            produces=wrong_loss(
                lambda t, p, **o: sparse_categorical_crossentropy(t, p, **o, log=np.log2)
            ),
        ),
        Mistake(
            _LOGITS_IGNORED,
            produces=wrong_loss(
                lambda t, p, **o: sparse_categorical_crossentropy(
                    t, p, **o, logits_as_probabilities=True
                ),
                applies=_from_logits,
            ),
        ),
    ),
)


# ----------------------------------------------------------------------------- margins, KL


def _hinge_visible() -> list[Case]:
    scores = [[0.3, -0.2], [0.9, 1.5], [-0.4, 2.0]]
    return [
        Case(([[0, 1], [1, 0], [1, 1]], scores), why="0/1 labels: Keras maps them to -1/+1"),
        Case(([[-1, 1], [1, -1], [1, 1]], scores), why="labels already -1/+1"),
        Case(
            ([[0, 1], [1, 0], [1, 1]], scores),
            {"sample_weight": [2.0, 0.0, 1.0]},
            why="weights [2, 0, 1]",
        ),
        Case(([[0, 1], [1, 0], [1, 1]], scores), {"sample_weight": _COLUMN}, why=_COLUMN_WHY),
        _targets_column([0.0, 1.0, 1.0, 0.0], [0.3, 0.4, 2.0, -1.5]),
    ]


def _hinge_hidden(rng: np.random.Generator) -> list[Case]:
    def scores(shape: tuple[int, ...]) -> np.ndarray:
        return _exact32(rng.normal(0, 1.5, size=shape))

    return [
        Case((rng.integers(0, 2, (4, 3)).astype(float), scores((4, 3))), why="0/1 labels"),
        Case(
            (rng.choice([-1.0, 1.0], (5, 2)).astype(np.float32), scores((5, 2))),
            {"sample_weight": _weights(rng, (5,), zeros=2)},
            why="-1/+1 labels, float32, weights",
        ),
        Case(
            (rng.choice([-1.0, 0.0, 1.0], (3, 4)), scores((3, 4))),
            why="labels in {-1, 0, 1}: not all 0/1, so Keras leaves them alone",
        ),
        Case((np.ones((2, 3)), scores((2, 3))), {"sample_weight": 3.0}, why="every label 1"),
        Case(
            (rng.integers(0, 2, (2, 3, 2)), scores((2, 3, 2))),
            {"sample_weight": _weights(rng, (2, 3))},
            why="(2, 3, 2) integer labels, per-timestep weights",
        ),
        Case(
            (rng.integers(0, 2, (3, 2)).tolist(), scores((3, 2)).round(2).tolist()),
            why="Python lists",
        ),
        Case(
            (np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[-1e4, 1e4, 1e4, -1e4]])),
            why="extreme scores",
        ),
        Case((rng.integers(0, 2, 6), scores((6,)).astype(np.float16)), why="1-D, float16"),
        *_target_ranks(
            lambda shape: rng.integers(0, 2, shape), scores, lambda shape: _weights(rng, shape)
        ),
        *_weight_shapes(
            rng, lambda batch: (rng.integers(0, 2, (*batch, 3)), scores((*batch, 3))), 3
        ),
    ]


def _hinge(t: np.ndarray, p: np.ndarray, map_labels: bool | None = None, square: int = 0):
    """Per-sample (squared) hinge; ``map_labels`` None follows Keras's rule."""
    if map_labels is None:
        t = hinge_labels(t)
    elif map_labels:
        t = 2 * t - 1
    margin = np.maximum(1 - t * p, 0)
    return (margin**square if square else margin).mean(axis=-1)


def _hinge_mistakes(square: int) -> tuple[Mistake, ...]:
    return (
        Mistake(
            "the labels are 0/1, but the hinge needs -1/+1: Keras maps them with 2y - 1 "
            "when every label is 0 or 1. With y = 0 the margin 1 - y·ŷ is always 1.",
            produces=wrong_loss(lambda t, p: _hinge(t, p, map_labels=False, square=square)),
        ),
        Mistake(
            "Keras maps labels to 2y - 1 only when ALL of them are 0 or 1; labels already in "
            "{-1, +1} (or any other values) are used as they are.",
            produces=wrong_loss(lambda t, p: _hinge(t, p, map_labels=True, square=square)),
        ),
        Mistake(
            "correct predictions beyond the margin must cost nothing: clip with "
            "max(1 - y·ŷ, 0) before averaging.",
            produces=wrong_loss(
                lambda t, p: ((1 - hinge_labels(t) * p) ** max(square, 1)).mean(axis=-1)
            ),
        ),
    )


HINGE = _loss_exercise(
    "hinge", keras.losses.Hinge, _hinge_visible, _hinge_hidden, mistakes=_hinge_mistakes(0)
)
SQUARED_HINGE = _loss_exercise(
    "squared_hinge",
    keras.losses.SquaredHinge,
    _hinge_visible,
    _hinge_hidden,
    mistakes=_hinge_mistakes(2)
    + (
        Mistake(
            "you forgot the square: squared hinge is mean(max(1 - y·ŷ, 0)²).",
            produces=wrong_loss(lambda t, p: _hinge(t, p)),
        ),
    ),
)


def _kld_visible() -> list[Case]:
    return [
        Case(
            ([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]], [[0.4, 0.6], [0.9, 0.1], [0.5, 0.5]]),
            why="three distributions over two classes",
        ),
        Case(
            ([[0.0, 1.0, 0.0], [0.3, 0.3, 0.4]], [[0.2, 0.8, 0.0], [0.1, 0.6, 0.3]]),
            {"sample_weight": [2.0, 0.5]},
            why="zeros in both (Keras clips to [1e-7, 1]), weights [2, 0.5]",
        ),
        Case(
            ([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]], [[0.4, 0.6], [0.9, 0.1], [0.5, 0.5]]),
            {"sample_weight": _COLUMN},
            why=_COLUMN_WHY,
        ),
    ]


def _kld_hidden(rng: np.random.Generator) -> list[Case]:
    sparse = _softmax_rows(rng, (3, 4))
    sparse[rng.uniform(size=(3, 4)) < 0.3] = 0.0
    return [
        Case((_softmax_rows(rng, (4, 5)), _softmax_rows(rng, (4, 5))), why="random (4, 5)"),
        Case(
            (_one_hot(rng, (5, 3)).astype(np.float32), _softmax_rows(rng, (5, 3))),
            {"sample_weight": _weights(rng, (5,), zeros=2)},
            why="one-hot y_true, float32, weights",
        ),
        Case((_softmax_rows(rng, (3, 4)), sparse), {"sample_weight": 1.5}, why="zeros in y_pred"),
        Case(
            (_exact32(rng.uniform(0, 2, (3, 3))), _exact32(rng.uniform(0, 2, (3, 3)))),
            why="values above 1 (Keras clips them to 1)",
        ),
        Case(
            (_softmax_rows(rng, (2, 3, 4)), _softmax_rows(rng, (2, 3, 4))),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 4): per-timestep weights",
        ),
        Case(
            (_softmax_rows(rng, (2, 3)).round(3).tolist(), _softmax_rows(rng, (2, 3)).tolist()),
            why="Python lists",
        ),
        *_target_ranks(
            lambda shape: _exact32(rng.uniform(size=shape)),
            lambda shape: _exact32(rng.uniform(size=shape)),
            lambda shape: _weights(rng, shape),
        ),
        *_weight_shapes(
            rng, lambda batch: (_softmax_rows(rng, (*batch, 3)), _softmax_rows(rng, (*batch, 3))), 3
        ),
    ]


KL_DIVERGENCE = _loss_exercise(
    "kl_divergence",
    keras.losses.KLDivergence,
    _kld_visible,
    _kld_hidden,
    mistakes=(
        Mistake(
            "the arguments are swapped: KL(y_true ‖ y_pred) = Σ y_true · ln(y_true / y_pred); "
            "KL divergence is not symmetric.",
            produces=wrong_loss(lambda t, p: kl_divergence(p, t)),
        ),
        Mistake(
            "you summed over the batch axis (axis 0): sum over the last axis, one divergence "
            "per example, then average the examples.",
            produces=wrong_loss(lambda t, p: kl_divergence(t, p, axis=0)),
        ),
        Mistake(
            "KL divergence SUMS over the last axis; you took the mean.",
            produces=wrong_loss(lambda t, p: kl_divergence(t, p) / t.shape[-1]),
        ),
        _non_finite(
            "0·ln(0) is NaN and ln(y/0) is inf: clip both arguments to [1e-7, 1] first, as "
            "Keras does."
        ),
    ),
)


# ----------------------------------------------------------------------------- tf.nn logits


def _sigmoid_xent_visible() -> list[Case]:
    return [
        Case(
            ([[0.0, 1.0, 1.0], [0.5, 0.0, 1.0]], [[-2.0, 0.5, 3.0], [0.0, 4.0, -1.0]]),
            why="labels and logits (2, 3)",
        ),
        Case(
            ([1.0, 0.0, 1.0, 0.0, 0.5], [40.0, 40.0, -1000.0, 1e4, -1e4]),
            why="large logits (the contract goes up to |x| = 1e4)",
        ),
    ]


def _sigmoid_xent_hidden(rng: np.random.Generator) -> list[Case]:
    extremes = EXTREMES.copy()
    return [
        Case(
            (rng.integers(0, 2, (4, 5)).astype(float), _exact32(rng.normal(0, 3, (4, 5)))),
            why="random 0/1 labels (4, 5)",
        ),
        Case(
            (
                _exact32(rng.uniform(size=(2, 3, 4))).astype(np.float32),
                _exact32(rng.normal(0, 3, (2, 3, 4))).astype(np.float32),
            ),
            why="soft labels, float32 (2, 3, 4)",
        ),
        Case((np.resize([0.0, 1.0, 0.3], extremes.shape), extremes), why="extreme logits"),
        Case((1.0, -2.5), why="Python floats"),
        Case(
            (rng.integers(0, 2, 4).tolist(), rng.normal(0, 2, 4).round(2).tolist()),
            why="Python lists",
        ),
        Case(
            (rng.integers(0, 2, (3, 3)), _exact32(rng.normal(0, 3, (3, 3))).astype(np.float16)),
            why="integer labels, float16 logits",
        ),
    ]


def _naive_sigmoid_xent(z: Any, x: Any, clip: bool = False) -> np.ndarray:
    z, x = as_float64(z), as_float64(x)
    p = 0.5 * (1 + np.tanh(0.5 * x))
    if clip:
        p = np.clip(p, EPSILON, TOP)
    return -(z * np.log(p) + (1 - z) * np.log(1 - p))


SIGMOID_CROSS_ENTROPY_WITH_LOGITS = Exercise(
    name="sigmoid_cross_entropy_with_logits",
    reference=_sigmoid_xent_reference,
    reference_name="tf.nn.sigmoid_cross_entropy_with_logits",
    params=("labels", "logits"),
    visible=_sigmoid_xent_visible,
    hidden=_sigmoid_xent_hidden,
    mistakes=(
        _non_finite(
            "σ(x) rounds to exactly 0 or 1 for large |x| (and e^x overflows past 709), so "
            "the log gives -inf. Use the stable form max(x, 0) - x·z + log1p(e^(-|x|))."
        ),
        Mistake(
            "clipping the probabilities caps each term near -ln(1e-7) ≈ 16; the logits "
            "form needs no clipping: max(x, 0) - x·z + log1p(e^(-|x|)).",
            produces=lambda z, x: _naive_sigmoid_xent(z, x, clip=True),
        ),
        Mistake(
            "the sign is wrong: cross-entropy is -[z ln σ(x) + (1 - z) ln(1 - σ(x))] ≥ 0.",
            produces=lambda z, x: -stable_sigmoid_crossentropy(as_float64(z), as_float64(x)),
        ),
    ),
)


def _softmax_xent_visible() -> list[Case]:
    labels = [[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]]
    return [
        Case((labels, [[2.0, 5.0, -1.0], [0.5, 0.5, 3.0]]), why="one-hot and soft labels"),
        Case(
            (labels, [[1e4, -1e4, 0.0], [1000.0, 1000.5, -1000.0]]),
            why="large logits (the contract goes up to |x| = 1e4)",
        ),
        Case(
            ([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]], [[2.0, -1.0], [0.5, 3.0], [1.0, 1.0]]),
            {"axis": 0},
            why="classes down the columns: axis=0",
        ),
    ]


def _softmax_xent_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            (_one_hot(rng, (5, 4)), _exact32(rng.normal(0, 3, (5, 4)))), why="random one-hot (5, 4)"
        ),
        Case(
            (
                _softmax_rows(rng, (3, 4)).astype(np.float32),
                _exact32(rng.normal(0, 3, (3, 4))).astype(np.float32),
            ),
            why="soft labels, float32",
        ),
        Case(
            (_one_hot(rng, (2, 4, 3)).transpose(0, 2, 1), _exact32(rng.normal(0, 3, (2, 3, 4)))),
            {"axis": 1},
            why="(2, 3, 4) with the classes on axis 1",
        ),
        Case((_EXTREME_CLASS_LABELS, _EXTREME_CLASS_LOGITS), why="extreme logits"),
        Case(
            (_one_hot(rng, (2, 3)).tolist(), rng.normal(0, 2, (2, 3)).round(2).tolist()),
            why="Python lists",
        ),
        Case(([0.0, 0.0, 1.0], [-1e4, 0.0, 1e4]), why="1-D: a single example"),
    ]


def _softmax_xent(z: Any, x: Any, axis: int = -1, fixed_axis: bool = False) -> np.ndarray:
    z, x = as_float64(z), as_float64(x)
    axis = -1 if fixed_axis else axis
    return -(z * log_softmax(x, axis)).sum(axis=axis)


SOFTMAX_CROSS_ENTROPY_WITH_LOGITS = Exercise(
    name="softmax_cross_entropy_with_logits",
    reference=_softmax_xent_reference,
    reference_name="tf.nn.softmax_cross_entropy_with_logits",
    params=("labels", "logits"),
    visible=_softmax_xent_visible,
    hidden=_softmax_xent_hidden,
    mistakes=(
        _non_finite(
            "exponentials of large logits overflow, and the log of a softmax that "
            "underflowed to 0 is -inf (0·(-inf) = NaN). Use the log-sum-exp form: "
            "ln softmax(x)ₖ = xₖ - m - ln Σⱼ e^(xⱼ - m), with m = max(x) along the axis."
        ),
        Mistake(
            "use the axis argument: the softmax and the sum both run along `axis`.",
            produces=lambda z, x, axis=-1: _softmax_xent(z, x, axis, fixed_axis=True),
        ),
        Mistake(
            "you averaged over the classes; the cross-entropy SUMS -zₖ ln softmax(x)ₖ over them.",
            produces=lambda z, x, axis=-1: _softmax_xent(z, x, axis) / np.shape(z)[axis],
        ),
    ),
)

# ----------------------------------------------------------------------------- backward passes


def _keras_loss_gradient(cls: type, **options: Any) -> Callable[..., np.ndarray]:
    """tf.GradientTape: d cls(**options)(y_true, y_pred, sample_weight) / d y_pred."""

    def reference(y_true: Any, y_pred: Any, sample_weight: Any = None) -> np.ndarray:
        weights = None if sample_weight is None else as_float32(sample_weight)
        predictions = tf.constant(as_float32(y_pred))
        with tf.GradientTape() as tape:
            tape.watch(predictions)
            loss = cls(**options)(as_float32(y_true), predictions, sample_weight=weights)
        return to_numpy(tape.gradient(loss, predictions))

    return reference


def _gradient_cases(
    rng: np.random.Generator, draw: Callable[[tuple[int, ...]], tuple[Any, Any]], width: int
) -> list[Case]:
    """Hidden cases of a loss gradient: ``draw(shape)`` gives ``(y_true, y_pred)`` of that shape."""
    return [
        Case(draw((5, 3)), why="random float64 (5, 3)"),
        Case(
            tuple(np.asarray(a, dtype=np.float32) for a in draw((4, 2))),
            {"sample_weight": _weights(rng, (4,))},
            why="float32 (4, 2), weights (4,) with a zero",
        ),
        Case(
            draw((6, width)),
            {"sample_weight": _weights(rng, (6, 1))},
            why=f"(6, {width}) with weights of shape (6, 1): one per sample",
        ),
        Case(
            draw((2, 3, 4)),
            {"sample_weight": _weights(rng, (2, 3), zeros=2)},
            why="(2, 3, 4) with per-timestep weights (2, 3)",
        ),
        Case(tuple(np.asarray(a).tolist() for a in draw((3, 2))), why="Python nested lists"),
    ]


_GRADIENT_VISIBLE_WEIGHTS = np.array([1.0, 0.0, 0.5])


def _gradient_visible(y_true: Any, y_pred: Any) -> list[Case]:
    return [
        Case((y_true, y_pred), why="three samples of two outputs"),
        Case(
            (y_true, y_pred),
            {"sample_weight": _GRADIENT_VISIBLE_WEIGHTS},
            why="weights [1, 0, 0.5]: the zero still counts in 1/M",
        ),
    ]


def _gradient_exercise(
    name: str,
    cls: type,
    reference_name: str,
    visible: tuple[Any, Any],
    draw: Callable[[np.random.Generator], Callable[[tuple[int, ...]], tuple[Any, Any]]],
    elementwise: Callable[[np.ndarray, np.ndarray], np.ndarray],
    mistakes: tuple[Mistake, ...],
) -> Exercise:
    """A loss gradient wrt the predictions (or logits); ``elementwise`` is its term per element."""
    summed = name.startswith("categorical")
    return Exercise(
        name=name,
        reference=_keras_loss_gradient(cls, **({"from_logits": True} if "logits" in name else {})),
        reference_name=reference_name,
        params=("y_true", "y_pred" if "logits" not in name else "logits"),
        visible=lambda: _gradient_visible(*visible),
        hidden=lambda rng: _gradient_cases(rng, draw(rng), width=3 if summed else 1),
        mistakes=mistakes + gradient_scaling_mistakes(elementwise, summed),
    )


def _regression_draw(rng: np.random.Generator) -> Callable[[tuple[int, ...]], tuple[Any, Any]]:
    return lambda shape: (_exact32(rng.normal(0, 2, shape)), _exact32(rng.normal(0, 2, shape)))


def _binary_draw(rng: np.random.Generator) -> Callable[[tuple[int, ...]], tuple[Any, Any]]:
    return lambda shape: (
        rng.integers(0, 2, shape).astype(np.float64),
        _exact32(rng.normal(0, 3, shape)),
    )


def _categorical_draw(rng: np.random.Generator) -> Callable[[tuple[int, ...]], tuple[Any, Any]]:
    def draw(shape: tuple[int, ...]) -> tuple[Any, Any]:
        """One-hot labels, soft ones (summing to 1) for two classes."""
        labels = _one_hot(rng, shape)
        if shape[-1] == 2:
            labels = _exact32(rng.dirichlet(np.ones(2), size=shape[:-1]))
        return labels, _exact32(rng.normal(0, 3, shape))

    return draw


def _gradient_slip(elementwise: Callable[[np.ndarray, np.ndarray], np.ndarray], summed: bool):
    """A wrong gradient: a wrong term per element, scaled the Keras way."""
    return lambda y_true, y_pred, sample_weight=None: scaled_gradient(
        elementwise, y_true, y_pred, sample_weight, summed=summed
    )


MSE_GRADIENT = _gradient_exercise(
    "mse_gradient",
    keras.losses.MeanSquaredError,
    "the gradient of keras.losses.MeanSquaredError() wrt y_pred (tf.GradientTape)",
    ([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0]], [[0.5, 1.0], [1.0, 3.0], [2.0, 1.0]]),
    _regression_draw,
    lambda y, p: 2.0 * (p - y),
    mistakes=(
        Mistake(
            "the derivative of (ŷ - y)² is 2(ŷ - y): the factor 2 is missing.",
            produces=_gradient_slip(lambda y, p: p - y, summed=False),
        ),
        Mistake(
            "sign: the gradient with respect to the prediction is 2(ŷ - y), not 2(y - ŷ).",
            produces=_gradient_slip(lambda y, p: 2.0 * (y - p), summed=False),
        ),
    ),
)
BCE_LOGITS_GRADIENT = _gradient_exercise(
    "binary_crossentropy_logits_gradient",
    keras.losses.BinaryCrossentropy,
    "the gradient of keras.losses.BinaryCrossentropy(from_logits=True) wrt the logits "
    "(tf.GradientTape)",
    ([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], [[-1.0, 2.0], [0.5, -3.0], [4.0, 0.0]]),
    _binary_draw,
    lambda y, z: sigmoid64(z) - y,
    mistakes=(
        Mistake(
            "that is z - y: the logits go through the sigmoid first, σ(z) - y.",
            produces=_gradient_slip(lambda y, z: z - y, summed=False),
        ),
    ),
)
CCE_LOGITS_GRADIENT = _gradient_exercise(
    "categorical_crossentropy_logits_gradient",
    keras.losses.CategoricalCrossentropy,
    "the gradient of keras.losses.CategoricalCrossentropy(from_logits=True) wrt the logits "
    "(tf.GradientTape)",
    (
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
        [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]],
    ),
    _categorical_draw,
    lambda y, z: softmax_rows(z) - y,
    mistakes=(
        Mistake(
            "that is σ(z) - y, each logit on its own: categorical cross-entropy couples the "
            "classes through the softmax, softmax(z) - y.",
            produces=_gradient_slip(lambda y, z: sigmoid64(z) - y, summed=True),
        ),
    ),
)

BACKWARD = (MSE_GRADIENT, BCE_LOGITS_GRADIENT, CCE_LOGITS_GRADIENT)

EXERCISES = (
    MEAN_SQUARED_ERROR,
    MEAN_ABSOLUTE_ERROR,
    MEAN_SQUARED_LOGARITHMIC_ERROR,
    HUBER,
    LOG_COSH,
    BINARY_CROSSENTROPY,
    CATEGORICAL_CROSSENTROPY,
    SPARSE_CATEGORICAL_CROSSENTROPY,
    HINGE,
    SQUARED_HINGE,
    KL_DIVERGENCE,
    SIGMOID_CROSS_ENTROPY_WITH_LOGITS,
    SOFTMAX_CROSS_ENTROPY_WITH_LOGITS,
    *BACKWARD,
)
