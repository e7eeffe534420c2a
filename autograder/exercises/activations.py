"""Chapter 02_activations: activations, their derivatives, and choosing an output activation.

A catalogue: each exercise's Keras reference, cases and known mistakes (the NumPy
activations they are built from live in :mod:`autograder.mistakes.activations`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograder.compare import non_finite_where_finite
from autograder.inputs import EXTREMES, elementwise_hidden, elementwise_visible
from autograder.mistakes.activations import as_float64, naive_sigmoid, whole_array_softmax
from autograder.mistakes.gradients import (
    SELU_SCALE,
    elu_derivative_one_at_zero,
    elu_derivative_without_alpha,
    gelu_derivative_swapped,
    normal_cdf,
    selu_derivative_negative_at_zero,
    selu_derivative_without_scale,
    sigmoid64,
    softmax_vector,
)
from autograder.references import as_float32, keras, keras_elementwise, keras_gradient, tf, to_numpy
from autograder.registry import DEFAULT_ATOL, Case, Exercise, Mistake


def overflows(hint: str) -> Mistake:
    return Mistake(hint, when=lambda case, got, expected: non_finite_where_finite(got, expected))


def elementwise_exercise(
    name: str,
    function: Callable[..., Any],
    reference_name: str,
    variants: Sequence[Mapping[str, Any]] = ({},),
    mistakes: tuple[Mistake, ...] = (),
    derivative: bool = False,
    lists: bool = False,
    atol: float = DEFAULT_ATOL,
) -> Exercise:
    """An exercise on an elementwise function (or its derivative) of an array ``x``."""
    reference = keras_gradient(function) if derivative else keras_elementwise(function)
    return Exercise(
        name=name,
        reference=reference,
        reference_name=reference_name,
        visible=lambda: elementwise_visible(variants),
        hidden=lambda rng: elementwise_hidden(rng, variants, lists=lists),
        mistakes=mistakes,
        atol=atol,
    )


SIGMOID = elementwise_exercise(
    "sigmoid",
    keras.activations.sigmoid,
    "keras.activations.sigmoid",
    mistakes=(
        Mistake(
            "sign slip: σ(x) = 1 / (1 + e^(-x)), with a minus in the exponent.",
            produces=lambda x: 1.0 / (1.0 + np.exp(as_float64(x))),
        ),
    ),
)
TANH = elementwise_exercise(
    "tanh",
    keras.activations.tanh,
    "keras.activations.tanh",
    mistakes=(
        overflows(
            "(e^x - e^-x) / (e^x + e^-x) becomes inf/inf = NaN for large |x|; "
            "np.tanh, or 2σ(2x) - 1 with a stable σ, stays finite."
        ),
        Mistake(
            "that is the sigmoid; tanh(x) = 2σ(2x) - 1 ranges over (-1, 1).",
            produces=naive_sigmoid,
        ),
    ),
)
RELU = elementwise_exercise(
    "relu",
    keras.activations.relu,
    "keras.activations.relu",
    mistakes=(
        Mistake(
            "that is |x|; ReLU clips negatives to 0: max(x, 0).",
            produces=lambda x: np.abs(as_float64(x)),
        ),
    ),
)
LEAKY_RELU = elementwise_exercise(
    "leaky_relu",
    keras.activations.leaky_relu,
    "keras.activations.leaky_relu",
    variants=({}, {"negative_slope": 0.1}),
    mistakes=(
        Mistake(
            "slope 0.3 is keras.layers.LeakyReLU's default; keras.activations.leaky_relu "
            "uses negative_slope (default 0.2).",
            produces=lambda x, negative_slope=0.2: np.where(
                as_float64(x) > 0, as_float64(x), 0.3 * as_float64(x)
            ),
        ),
        Mistake(
            "slope 0.01 is PyTorch's default; use the negative_slope argument (default 0.2).",
            produces=lambda x, negative_slope=0.2: np.where(
                as_float64(x) > 0, as_float64(x), 0.01 * as_float64(x)
            ),
        ),
    ),
)
ELU = elementwise_exercise(
    "elu",
    keras.activations.elu,
    "keras.activations.elu",
    variants=({}, {"alpha": 0.5}),
    mistakes=(
        Mistake(
            "the negative branch is alpha · (e^x - 1): alpha is missing.",
            produces=lambda x, alpha=1.0: np.where(
                as_float64(x) > 0, as_float64(x), np.expm1(np.minimum(as_float64(x), 0))
            ),
        ),
    ),
)
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
SELU = elementwise_exercise(
    "selu",
    keras.activations.selu,
    "keras.activations.selu",
    mistakes=(
        Mistake(
            f"that is ELU(x, alpha={_SELU_ALPHA:.4f}) without the scale λ = {_SELU_SCALE:.4f}.",
            produces=lambda x: np.where(
                as_float64(x) > 0,
                as_float64(x),
                _SELU_ALPHA * np.expm1(np.minimum(as_float64(x), 0)),
            ),
        ),
        Mistake(
            "that is λ · ELU(x) with alpha = 1; SELU uses alpha ≈ 1.6733.",
            produces=lambda x: (
                _SELU_SCALE
                * np.where(as_float64(x) > 0, as_float64(x), np.expm1(np.minimum(as_float64(x), 0)))
            ),
        ),
    ),
)
SOFTPLUS = elementwise_exercise(
    "softplus",
    keras.activations.softplus,
    "keras.activations.softplus",
    mistakes=(
        overflows(
            "log(1 + e^x) overflows for x > ~709: use np.logaddexp(0, x), or "
            "max(x, 0) + log1p(e^-|x|)."
        ),
    ),
)
SWISH = elementwise_exercise(
    "swish",
    keras.activations.silu,
    "keras.activations.silu (swish)",
    mistakes=(
        Mistake("that is σ(x) alone; swish multiplies it by x: x · σ(x).", produces=naive_sigmoid),
    ),
)


def _tanh_gelu(x: Any) -> np.ndarray:
    x = as_float64(x)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _erf_gelu(x: Any) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * as_float64(x) * (1 + erf(as_float64(x) / math.sqrt(2)))


GELU = elementwise_exercise(
    "gelu",
    keras.activations.gelu,
    "keras.activations.gelu",
    variants=({}, {"approximate": True}),
    mistakes=(
        Mistake(
            "exact and approximate are swapped: approximate=False is x · Φ(x) = "
            "½x(1 + erf(x/√2)); approximate=True is ½x(1 + tanh(√(2/π)(x + 0.044715x³))).",
            produces=lambda x, approximate=False: _erf_gelu(x) if approximate else _tanh_gelu(x),
        ),
    ),
)


def _softmax_visible() -> list[Case]:
    logits = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    return [
        Case((logits,), why="two rows of logits"),
        Case((logits.astype(np.float32),), {"axis": 0}, why="softmax down the columns"),
    ]


def _softmax_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.normal(0, 3, size=(5, 4)),), why="random float64 (5, 4)"),
        Case(
            (rng.normal(0, 3, size=(2, 3, 4)).astype(np.float32),),
            {"axis": 1},
            why="random float32 (2, 3, 4), axis=1",
        ),
        Case((rng.normal(0, 3, size=(3, 2, 5)),), {"axis": -1}, why="3-D, last axis"),
        Case((rng.normal(0, 2, size=(2, 4)).round(3).tolist(),), why="Python nested list"),
        Case(
            (np.array([[1000.0, 1001.0, 1002.0], [-1e4, 0.0, 1e4], [-1e4, -1e4, -1e4]]),),
            why="large logits",
        ),
        Case(
            (rng.normal(0, 2, size=(3, 4)).astype(np.float16),),
            rtol=2e-3,
            atol=2e-3,
            why="float16 (looser tolerance)",
        ),
    ]


def _softmax_wrong_axis(x: Any, axis: int = -1) -> np.ndarray:
    x = as_float64(x)
    other = 0 if axis in (-1, x.ndim - 1) else -1
    e = np.exp(x - x.max(axis=other, keepdims=True))
    return e / e.sum(axis=other, keepdims=True)


SOFTMAX = Exercise(
    name="softmax",
    reference=keras_elementwise(keras.activations.softmax),
    reference_name="keras.activations.softmax",
    visible=_softmax_visible,
    hidden=_softmax_hidden,
    mistakes=(
        overflows(
            "np.exp(x) overflows for large logits (inf / inf = NaN). Subtract the "
            "maximum along the axis first: softmax(x) = softmax(x - max(x))."
        ),
        Mistake(
            "normalised along the wrong axis: sum over `axis` (default -1, each row).",
            produces=_softmax_wrong_axis,
        ),
        Mistake(
            "normalised over the whole batch: np.sum(np.exp(x)) without an axis adds up every "
            "logit of every example, so the probabilities of all examples together sum to 1. "
            "Each example's must: sum along `axis` with keepdims=True.",
            produces=whole_array_softmax,
        ),
    ),
)
LINEAR = elementwise_exercise(
    "linear", keras.activations.linear, "keras.activations.linear", lists=True
)

SIGMOID_DERIVATIVE = elementwise_exercise(
    "sigmoid_derivative",
    keras.activations.sigmoid,
    "the gradient of keras.activations.sigmoid (tf.GradientTape)",
    derivative=True,
    mistakes=(
        Mistake(
            "σ'(x) = σ(x)(1 - σ(x)): apply σ first, then the formula, not x(1 - x).",
            produces=lambda x: as_float64(x) * (1 - as_float64(x)),
        ),
        Mistake("that is σ(x) itself; the derivative is σ(x)(1 - σ(x)).", produces=naive_sigmoid),
        overflows(
            "e^-x / (1 + e^-x)² becomes inf/inf = NaN for large negative x; "
            "σ(x)(1 - σ(x)) with a stable σ stays finite."
        ),
    ),
)
TANH_DERIVATIVE = elementwise_exercise(
    "tanh_derivative",
    keras.activations.tanh,
    "the gradient of keras.activations.tanh (tf.GradientTape)",
    derivative=True,
    mistakes=(
        Mistake(
            "tanh'(x) = 1 - tanh(x)²: apply tanh first, not 1 - x².",
            produces=lambda x: 1 - as_float64(x) ** 2,
        ),
    ),
)
RELU_DERIVATIVE = elementwise_exercise(
    "relu_derivative",
    keras.activations.relu,
    "the gradient of keras.activations.relu (tf.GradientTape)",
    derivative=True,
    mistakes=(
        Mistake(
            "at x = 0 TensorFlow's ReLU gradient is 0 (use x > 0, not x >= 0).",
            produces=lambda x: (as_float64(x) >= 0).astype(np.float64),
        ),
    ),
)
LEAKY_RELU_DERIVATIVE = elementwise_exercise(
    "leaky_relu_derivative",
    keras.activations.leaky_relu,
    "the gradient of keras.activations.leaky_relu (tf.GradientTape)",
    derivative=True,
    variants=({}, {"negative_slope": 0.1}),
    mistakes=(
        Mistake(
            "at x = 0 TensorFlow uses the negative slope (x > 0 → 1, otherwise slope).",
            produces=lambda x, negative_slope=0.2: np.where(
                as_float64(x) >= 0, 1.0, negative_slope
            ),
        ),
        Mistake(
            "the slope for x < 0 is the negative_slope argument (default 0.2).",
            produces=lambda x, negative_slope=0.2: np.where(as_float64(x) > 0, 1.0, 0.01),
        ),
    ),
)

OUTPUT_ACTIVATIONS = {
    "binary": "sigmoid",
    "multiclass": "softmax",
    "multilabel": "sigmoid",
    "regression": "linear",
}


def _output_activation(task: str) -> str:
    if task not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown task {task!r}")
    return OUTPUT_ACTIVATIONS[task]


OUTPUT_ACTIVATION = Exercise(
    name="output_activation",
    reference=_output_activation,
    reference_name="the table of output activations",
    params=("task",),
    visible=lambda: [Case((task,)) for task in OUTPUT_ACTIVATIONS],
    hidden=lambda rng: [
        Case((task,), why="unknown task") for task in ("ranking", "", "segmentation")
    ],
    rtol=0.0,
    atol=0.0,
    mistakes=(
        Mistake(
            "several labels can be on at once in multi-label problems: each output is its "
            "own yes/no, so use sigmoid, not softmax.",
            when=lambda case, got, expected: case.args == ("multilabel",) and got == "softmax",
        ),
    ),
)

# ----------------------------------------------------------------------------- backward passes


def _keras_elu(x: Any, alpha: float = 1.0) -> Any:
    return keras.activations.elu(x, alpha=alpha)


ELU_DERIVATIVE = elementwise_exercise(
    "elu_derivative",
    _keras_elu,
    "the gradient of keras.activations.elu (tf.GradientTape)",
    derivative=True,
    variants=({}, {"alpha": 0.5}),
    mistakes=(
        Mistake(
            "the negative branch's derivative is alpha · e^x: alpha is missing.",
            produces=elu_derivative_without_alpha,
        ),
        Mistake(
            "at x = 0 Keras's gradient is that of the negative branch, alpha · e^0 = alpha "
            "(x > 0 → 1, otherwise alpha · e^x), not 1.",
            produces=elu_derivative_one_at_zero,
        ),
    ),
)
#: Keras's SELU computes e^x - 1 in float32 and takes the gradient's positive branch where that
#: is >= 0, so at x = -1e-8 (where e^x rounds to 1) it gives λ: a float32 artefact, left out.
_SELU_EXTREMES = EXTREMES[np.abs(EXTREMES) != 1e-8]
SELU_DERIVATIVE = Exercise(
    name="selu_derivative",
    reference=keras_gradient(keras.activations.selu),
    reference_name="the gradient of keras.activations.selu (tf.GradientTape)",
    visible=elementwise_visible,
    hidden=lambda rng: elementwise_hidden(rng, extremes=_SELU_EXTREMES),
    mistakes=(
        Mistake(
            f"at x = 0 Keras's gradient is λ ≈ {SELU_SCALE:.4f} (x >= 0 → λ, "
            "otherwise λ · alpha · e^x), not λ · alpha.",
            produces=selu_derivative_negative_at_zero,
        ),
        Mistake(
            f"both branches are multiplied by the scale λ ≈ {SELU_SCALE:.4f}.",
            produces=selu_derivative_without_scale,
        ),
    ),
)
SOFTPLUS_DERIVATIVE = elementwise_exercise(
    "softplus_derivative",
    keras.activations.softplus,
    "the gradient of keras.activations.softplus (tf.GradientTape)",
    derivative=True,
    mistakes=(
        overflows(
            "e^x / (1 + e^x) is inf/inf = NaN for large x: the derivative of softplus is "
            "the sigmoid, computed stably."
        ),
        Mistake(
            "that is softplus itself; its derivative is σ(x).",
            produces=lambda x: np.logaddexp(0.0, as_float64(x)),
        ),
    ),
)
SWISH_DERIVATIVE = elementwise_exercise(
    "swish_derivative",
    keras.activations.silu,
    "the gradient of keras.activations.silu (swish) (tf.GradientTape)",
    derivative=True,
    mistakes=(
        Mistake(
            "product rule: (x · σ(x))' = σ(x) + x · σ'(x); you kept only σ(x).",
            produces=sigmoid64,
        ),
        Mistake(
            "product rule: (x · σ(x))' = σ(x) + x · σ'(x); you kept only x · σ'(x).",
            produces=lambda x: as_float64(x) * sigmoid64(x) * (1 - sigmoid64(x)),
        ),
    ),
)


def _keras_gelu(x: Any, approximate: bool = False) -> Any:
    return keras.activations.gelu(x, approximate=approximate)


#: Keras differentiates the tanh form in float32, where its two terms (each near 1 in size)
#: cancel in the left tail: around x = -4 its gradient, about -1.7e-4, is off by up to 1.2e-6.
GELU_DERIVATIVE = elementwise_exercise(
    "gelu_derivative",
    _keras_gelu,
    "the gradient of keras.activations.gelu (tf.GradientTape)",
    derivative=True,
    variants=({}, {"approximate": True}),
    atol=1e-5,
    mistakes=(
        Mistake(
            "exact and approximate are swapped: approximate=False differentiates x · Φ(x), "
            "approximate=True the tanh form.",
            produces=gelu_derivative_swapped,
        ),
        Mistake(
            "product rule: (x · Φ(x))' = Φ(x) + x · φ(x); you kept only Φ(x).",
            produces=lambda x, approximate=False: normal_cdf(x),
        ),
    ),
)


def _softmax_jacobian_reference(x: Any) -> np.ndarray:
    tensor = tf.constant(as_float32(x)[None, :])
    with tf.GradientTape(persistent=True) as tape:  # an eager jacobian without tf.function
        tape.watch(tensor)
        output = keras.activations.softmax(tensor)
    return to_numpy(tape.jacobian(output, tensor, experimental_use_pfor=False))[0, :, 0, :]


def _softmax_jacobian_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 2.0, 3.0]),), why="three logits"),
        Case((np.zeros(4, dtype=np.float32),), why="four equal logits (float32)"),
    ]


def _softmax_jacobian_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.normal(0, 2, size=5),), why="random float64 (5,)"),
        Case((rng.normal(0, 2, size=10).astype(np.float32),), why="random float32 (10,)"),
        Case((np.array([1000.0, 1001.0, 1002.0]),), why="large logits"),
        Case((np.array([-1e4, 0.0, 1e4, 3.0]),), why="extreme logits"),
        Case((np.array([0.7]),), why="a single logit"),
        Case((rng.normal(0, 2, size=4).round(3).tolist(),), why="Python list"),
    ]


SOFTMAX_JACOBIAN = Exercise(
    name="softmax_jacobian",
    reference=_softmax_jacobian_reference,
    reference_name="the Jacobian of keras.activations.softmax (tf.GradientTape.jacobian)",
    visible=_softmax_jacobian_visible,
    hidden=_softmax_jacobian_hidden,
    mistakes=(
        overflows(
            "np.exp(x) overflows for large logits: compute p = softmax(x) with the max "
            "subtracted first, then the Jacobian from p."
        ),
        Mistake(
            "that is diag(p) alone: every output depends on every logit through the "
            "normalisation, so subtract the outer product p pᵀ.",
            produces=lambda x: np.diag(softmax_vector(x)),
        ),
        Mistake(
            "that is only the diagonal p_i(1 - p_i); off the diagonal J[i, j] = -p_i p_j.",
            produces=lambda x: np.diag(softmax_vector(x) * (1 - softmax_vector(x))),
        ),
    ),
)

BACKWARD = (
    ELU_DERIVATIVE,
    SELU_DERIVATIVE,
    SOFTPLUS_DERIVATIVE,
    SWISH_DERIVATIVE,
    GELU_DERIVATIVE,
    SOFTMAX_JACOBIAN,
)

EXERCISES = (
    SIGMOID,
    TANH,
    RELU,
    LEAKY_RELU,
    ELU,
    SELU,
    SOFTPLUS,
    SWISH,
    GELU,
    SOFTMAX,
    LINEAR,
    SIGMOID_DERIVATIVE,
    TANH_DERIVATIVE,
    RELU_DERIVATIVE,
    LEAKY_RELU_DERIVATIVE,
    OUTPUT_ACTIVATION,
    *BACKWARD,
)
