"""Chapter 01_model_building: three ways to build a model, parameter counts, Dense by hand.

A catalogue. The builder exercises are judged by :mod:`autograder.judges.models` (structure,
then behaviour with the learner's weights copied into the specified network). The counting
and forward-pass exercises are NumPy reimplementations compared with what Keras computes;
their wrong versions use the NumPy activations of :mod:`autograder.mistakes.activations`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.judges.gradients import judge_gradients
from autograder.judges.models import (
    N_INPUTS,
    NETWORK,
    activation_name,
    dense_layers,
    judge_functional,
    judge_sequential,
    judge_subclassed,
)
from autograder.kinds.model_builder import ModelBuilder
from autograder.kinds.numpy_function import NumPyFunction
from autograder.mistakes.activations import ACTIVATIONS
from autograder.mistakes.propagation import dense_backward
from autograder.references import as_float32, keras, tf, to_numpy
from autograder.registry import DEFAULT_ATOL, DEFAULT_RTOL, Case, Exercise, Mistake

#: Reading a Keras weight dispatches exactly these ops; neither computes anything.
READ_WEIGHT_OPS = frozenset({"ReadVariableOp", "Identity"})

# ---------------------------------------------------------------- the reference network


def _dense(name: str, units: int, activation: str) -> keras.layers.Dense:
    return keras.layers.Dense(
        units, activation=activation, kernel_initializer="he_normal", name=name
    )


def _reference_sequential(probe: Any = None) -> keras.Sequential:
    layers = [_dense(*spec) for spec in NETWORK]
    return keras.Sequential([keras.Input(shape=(N_INPUTS,)), *layers], name="my_Sequential")


def _reference_functional(probe: Any = None) -> keras.Model:
    inputs = keras.Input(shape=(N_INPUTS,), name="input")
    hidden = inputs
    for spec in NETWORK:
        hidden = _dense(*spec)(hidden)
    return keras.Model(inputs=inputs, outputs=hidden, name="my_model")


class SpecifiedModel(keras.Model):
    """The subclassed version of the chapter's network."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer1, self.layer2, self.layer3 = (_dense(*spec) for spec in NETWORK)

    def call(self, inputs: Any) -> Any:
        return self.layer3(self.layer2(self.layer1(inputs)))


def _reference_subclassed(probe: Any) -> keras.Model:
    model = SpecifiedModel(name="my_model")
    model(as_float32(probe))
    return model


def _call_builder(build: Callable[[], Any], probe: Any) -> Any:
    """``build_*_model()`` takes no argument; the probe is only used by the judge."""
    return build()


def _instantiate_and_call(cls: Callable[[], Any], probe: Any) -> Any:
    """A subclassed model has no weights until it is called: instantiate, call once."""
    model = cls()
    model(as_float32(probe))
    return model


def _probes_visible() -> list[Case]:
    probe = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
    return [Case((probe,), why="two examples; the model's output is compared with its weights")]


def _probes_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.normal(0, 2, size=(6, N_INPUTS)),), why="random float64 batch of 6"),
        Case((rng.normal(0, 1, size=(1, N_INPUTS)).astype(np.float32),), why="one example"),
    ]


_MODEL_SPEC = "the specified network (Dense 3 relu → 2 relu → 2 sigmoid, he_normal)"


def _builder_exercise(
    name: str,
    reference: Callable[[Any], Any],
    call: Callable[..., Any],
    judge: Callable[[Any, Any, Case], str | None],
) -> Exercise:
    """An exercise whose answer builds the specified network, judged on structure then output.

    ``autograder grade`` runs ``call`` in the learner's kernel: it only builds (or
    instantiates and calls) what the learner wrote, and a check's calls then take one
    request; the model comes back as data all the same.
    """
    return Exercise(
        name=name,
        reference=reference,
        reference_name=_MODEL_SPEC,
        visible=_probes_visible,
        hidden=_probes_hidden,
        params=("model input",),
        rtol=0.0,
        atol=0.0,
        kind=ModelBuilder(call, judge),
    )


BUILD_SEQUENTIAL_MODEL = _builder_exercise(
    "build_sequential_model", _reference_sequential, _call_builder, judge_sequential
)
BUILD_FUNCTIONAL_MODEL = _builder_exercise(
    "build_functional_model", _reference_functional, _call_builder, judge_functional
)
MY_MODEL = _builder_exercise(
    "MyModel", _reference_subclassed, _instantiate_and_call, judge_subclassed
)


# ---------------------------------------------------------------- parameter counts


def _dense_count_reference(n_inputs: int, units: int, use_bias: bool = True) -> int:
    layer = keras.layers.Dense(units, use_bias=use_bias)
    layer.build((None, n_inputs))
    return int(layer.count_params())


def _mlp_count_reference(layer_sizes: Sequence[int], use_bias: bool = True) -> int:
    model = keras.Sequential(
        [keras.Input(shape=(layer_sizes[0],))]
        + [keras.layers.Dense(units, use_bias=use_bias) for units in layer_sizes[1:]]
    )
    return int(model.count_params())


def _judge_count(got: Any, expected: Any, case: Case) -> str | None:
    if isinstance(got, bool) or not isinstance(got, int | np.integer):
        return f"returned {got!r} ({type(got).__name__}); return an int"
    return None if got == expected else f"got {got}, expected {expected}"


def _dense_count_visible() -> list[Case]:
    return [
        Case((3, 3), why="layer1 of the chapter's network"),
        Case((2, 2), {"use_bias": True}, why="layer3"),
        Case((4, 5), {"use_bias": False}, why="a layer without bias"),
    ]


def _dense_count_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case((784, 128), why="MNIST-sized first layer"),
        Case((1, 1), why="a single neuron with a single input"),
        Case((64, 10), {"use_bias": False}, why="no bias"),
    ]
    for n_inputs, units in rng.integers(1, 300, size=(3, 2)):
        cases.append(Case((int(n_inputs), int(units)), why="random sizes"))
    return cases


DENSE_PARAM_COUNT = Exercise(
    name="dense_param_count",
    reference=_dense_count_reference,
    reference_name="count_params() of a built keras.layers.Dense",
    visible=_dense_count_visible,
    hidden=_dense_count_hidden,
    params=("n_inputs", "units"),
    rtol=0.0,
    atol=0.0,
    kind=NumPyFunction(judge=_judge_count),
    mistakes=(
        Mistake(
            "the bias is missing: each of the `units` neurons also has one bias, so a Dense "
            "layer has n_inputs·units + units parameters when use_bias=True.",
            lambda n_inputs, units, use_bias=True: n_inputs * units,
        ),
        Mistake(
            "with use_bias=False the layer has no bias vector: only the n_inputs × units kernel.",
            lambda n_inputs, units, use_bias=True: (n_inputs + 1) * units,
        ),
    ),
)


def _mlp_count_visible() -> list[Case]:
    return [
        Case(([3, 3, 2, 2],), why="the chapter's network: 3 inputs, layers of 3, 2, 2"),
        Case(([4, 8, 1],), {"use_bias": False}, why="two layers without bias"),
    ]


def _mlp_count_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case(([784, 256, 128, 10],), why="an MNIST classifier"),
        Case(([5, 1],), why="a single layer"),
        Case(((2, 4, 4, 4, 3),), why="a tuple of sizes"),
        Case(([6, 3, 9],), {"use_bias": False}, why="no bias"),
    ]
    for depth in (3, 5):
        sizes = [int(n) for n in rng.integers(1, 100, size=depth)]
        cases.append(Case((sizes,), why="random sizes"))
    return cases


def _pairs(layer_sizes: Sequence[int]) -> list[tuple[int, int]]:
    sizes = list(layer_sizes)
    return list(zip(sizes[:-1], sizes[1:], strict=True))


MLP_PARAM_COUNT = Exercise(
    name="mlp_param_count",
    reference=_mlp_count_reference,
    reference_name="count_params() of a keras.Sequential of Dense layers",
    visible=_mlp_count_visible,
    hidden=_mlp_count_hidden,
    params=("layer_sizes",),
    rtol=0.0,
    atol=0.0,
    kind=NumPyFunction(judge=_judge_count),
    mistakes=(
        Mistake(
            "the biases are missing: every Dense layer adds one bias per unit.",
            lambda layer_sizes, use_bias=True: sum(a * b for a, b in _pairs(layer_sizes)),
        ),
        Mistake(
            "with use_bias=False no layer has a bias: count only the kernels.",
            lambda layer_sizes, use_bias=True: sum((a + 1) * b for a, b in _pairs(layer_sizes)),
        ),
        Mistake(
            "the first size is the number of inputs, not a layer: the input has no weights, "
            "so count the pairs (previous size, units) of layer_sizes[1:].",
            lambda layer_sizes, use_bias=True: sum(
                (a + use_bias) * b for a, b in _pairs([layer_sizes[0], *layer_sizes])
            ),
        ),
    ),
)


# ---------------------------------------------------------------- a Dense layer by hand


def _dense_reference(x: Any, kernel: Any, bias: Any, activation: str = "linear") -> np.ndarray:
    kernel = as_float32(kernel)
    layer = keras.layers.Dense(kernel.shape[1], activation=activation, use_bias=bias is not None)
    layer.build((None, kernel.shape[0]))
    layer.set_weights([kernel] if bias is None else [kernel, as_float32(bias)])
    return to_numpy(layer(as_float32(x)))


def _affine(x: Any, kernel: Any, bias: Any) -> np.ndarray:
    z = np.asarray(x, dtype=np.float64) @ np.asarray(kernel, dtype=np.float64)
    return z if bias is None else z + np.asarray(bias, dtype=np.float64)


def _dense_without_bias(x, kernel, bias, activation="linear"):
    return ACTIVATIONS[activation](_affine(x, kernel, None))


def _dense_activation_first(x, kernel, bias, activation="linear"):
    z = ACTIVATIONS[activation](_affine(x, kernel, None))
    return z if bias is None else z + np.asarray(bias, dtype=np.float64)


def _dense_transposed(x, kernel, bias, activation="linear"):
    return ACTIVATIONS[activation](_affine(x, np.asarray(kernel).T, bias))


def _dense_no_activation(x, kernel, bias, activation="linear"):
    return _affine(x, kernel, bias)


def _dense_softmax_axis0(x, kernel, bias, activation="linear"):
    z = _affine(x, kernel, bias)
    e = np.exp(z - z.max(0, keepdims=True))
    return e / e.sum(0, keepdims=True)


def _dense_forward_visible() -> list[Case]:
    x = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    kernel = np.array([[0.5, -1.0], [0.25, 0.75], [-1.5, 0.5]])
    bias = np.array([0.5, -0.25])
    square = np.array([[1.0, -0.5, 0.25], [0.5, 1.0, -1.0], [-0.25, 0.75, 0.5]])
    return [
        Case((x, kernel, bias), why="default activation (linear)"),
        Case((x, kernel, bias), {"activation": "relu"}, why="relu"),
        Case((x, kernel, bias), {"activation": "sigmoid"}, why="sigmoid"),
        Case((x, square, None), {"activation": "tanh"}, why="square kernel, no bias (None)"),
        Case((x, kernel, bias), {"activation": "softmax"}, why="softmax over the units"),
    ]


def _dense_forward_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for activation in ("linear", "relu", "sigmoid", "tanh", "softmax"):
        n_in, units = (int(n) for n in rng.integers(2, 9, size=2))
        cases.append(
            Case(
                (
                    rng.normal(0, 1, size=(5, n_in)),
                    rng.normal(0, 0.7, size=(n_in, units)),
                    rng.normal(0, 0.5, size=units),
                ),
                {"activation": activation},
                why=f"random float64, {activation}",
            )
        )
    cases += [
        Case(
            (
                rng.normal(0, 1, size=(4, 6)).astype(np.float32),
                rng.normal(0, 0.5, size=(6, 6)).astype(np.float32),
                rng.normal(0, 0.5, size=6).astype(np.float32),
            ),
            {"activation": "relu"},
            why="float32, square kernel",
        ),
        Case(
            (
                rng.normal(0, 1, size=(2, 3, 4)),
                rng.normal(0, 0.7, size=(4, 3)),
                rng.normal(0, 0.5, size=3),
            ),
            {"activation": "softmax"},
            why="3-D input: Dense acts on the last axis",
        ),
        Case(
            (
                rng.normal(0, 1, size=(3, 5)),
                rng.normal(0, 0.7, size=(5, 2)),
                None,
            ),
            {"activation": "sigmoid"},
            why="no bias (None)",
        ),
        Case(
            (
                rng.normal(0, 1, size=(2, 3)).round(3).tolist(),
                rng.normal(0, 0.7, size=(3, 4)).round(3).tolist(),
                rng.normal(0, 0.5, size=4).round(3).tolist(),
            ),
            {"activation": "tanh"},
            why="Python lists",
        ),
        Case(
            (
                rng.normal(0, 1, size=(1, 4)),
                rng.normal(0, 0.7, size=(4, 1)),
                rng.normal(0, 0.5, size=1),
            ),
            {"activation": "relu"},
            why="one example, one unit",
        ),
    ]
    return cases


DENSE_FORWARD = Exercise(
    name="dense_forward",
    reference=_dense_reference,
    reference_name="keras.layers.Dense with that kernel, bias and activation",
    visible=_dense_forward_visible,
    hidden=_dense_forward_hidden,
    params=("x", "kernel", "bias"),
    mistakes=(
        Mistake(
            "the bias is missing: Dense computes activation(x @ kernel + bias).",
            produces=_dense_without_bias,
        ),
        Mistake(
            "the activation was applied before adding the bias: Dense computes "
            "activation(x @ kernel + bias), the bias goes inside.",
            produces=_dense_activation_first,
        ),
        Mistake(
            "the kernel has shape (inputs, units): compute x @ kernel, not x @ kernel.T.",
            produces=_dense_transposed,
        ),
        Mistake(
            "the activation is missing: apply the named activation to x @ kernel + bias.",
            produces=_dense_no_activation,
        ),
        Mistake(
            "softmax was normalised over the batch (axis 0): it normalises each example's "
            "units, the last axis.",
            produces=_dense_softmax_axis0,
        ),
    ),
)


# ---------------------------------------------------------------- a whole model by hand


def _randomise(model: keras.Model, rng: np.random.Generator) -> keras.Model:
    """Random weights everywhere, biases included, so that a forgotten bias shows."""
    model.set_weights([rng.normal(0, 0.8, size=w.shape) for w in model.get_weights()])
    return model


def _sequential(
    name: str, n_inputs: int | tuple[int, ...], spec: Sequence[tuple[int, str, bool]]
) -> keras.Model:
    shape = n_inputs if isinstance(n_inputs, tuple) else (n_inputs,)
    layers = [keras.layers.Dense(u, activation=a, use_bias=b) for u, a, b in spec]
    return keras.Sequential([keras.Input(shape=shape), *layers], name=name)


def _functional(name: str, n_inputs: int, spec: Sequence[tuple[int, str, bool]]) -> keras.Model:
    inputs = keras.Input(shape=(n_inputs,), name="features")
    hidden = inputs
    for units, activation, use_bias in spec:
        hidden = keras.layers.Dense(units, activation=activation, use_bias=use_bias)(hidden)
    return keras.Model(inputs=inputs, outputs=hidden, name=name)


def _forward_visible() -> list[Case]:
    rng = np.random.default_rng(12)  # a seed whose relu units are active for most examples
    chapter = _randomise(
        _sequential(
            "chapter_network", 3, [(3, "relu", True), (2, "relu", True), (2, "sigmoid", True)]
        ),
        rng,
    )
    functional = _randomise(
        _functional("tanh_then_softmax", 4, [(5, "tanh", False), (3, "softmax", True)]), rng
    )
    return [
        Case(
            (chapter, rng.normal(0, 1, size=(4, 3))),
            why="Sequential 3 → 3 relu → 2 relu → 2 sigmoid, random weights",
        ),
        Case(
            (functional, rng.normal(0, 1, size=(2, 4)).astype(np.float32)),
            why="Functional 4 → 5 tanh (no bias) → 3 softmax, random weights",
        ),
    ]


def _forward_hidden(rng: np.random.Generator) -> list[Case]:
    deep = [(8, "relu", True), (8, "linear", True), (6, "tanh", False), (4, "sigmoid", True)]
    models = [
        (_sequential("deep_sequential", 6, deep), (7, 6), "Sequential, 4 layers, one without bias"),
        (
            _functional("functional_softmax", 5, [(4, "relu", True), (3, "softmax", True)]),
            (3, 5),
            "Functional ending in softmax",
        ),
        (_sequential("one_layer", 2, [(3, "linear", True)]), (4, 2), "a single linear layer"),
        (
            _sequential("sequence_model", (3, 4), [(5, "relu", True), (2, "softmax", False)]),
            (2, 3, 4),
            "3-D input (batch, steps, features)",
        ),
    ]
    cases = [
        Case((_randomise(model, rng), rng.normal(0, 1, size=shape)), why=why)
        for model, shape, why in models
    ]
    chapter = _randomise(
        _functional(
            "chapter_functional", 3, [(3, "relu", True), (2, "relu", True), (2, "sigmoid", True)]
        ),
        rng,
    )
    cases.append(Case((chapter, rng.normal(0, 1, size=(2, 3)).round(3).tolist()), why="a list"))
    return cases


def _forward_reference(model: keras.Model, x: Any) -> np.ndarray:
    return to_numpy(model(as_float32(x)))


def _forward_without(model: keras.Model, x: Any, activations: bool, biases: bool) -> np.ndarray:
    out = np.asarray(x, dtype=np.float64)
    for layer in dense_layers(model):
        weights = layer.get_weights()
        out = _affine(out, weights[0], weights[1] if layer.use_bias and biases else None)
        if activations:
            out = ACTIVATIONS[activation_name(layer)](out)
    return out


NUMPY_FORWARD = Exercise(
    name="numpy_forward",
    reference=_forward_reference,
    reference_name="model(x)",
    visible=_forward_visible,
    hidden=_forward_hidden,
    params=("model", "x"),
    kind=NumPyFunction(allowed_ops=READ_WEIGHT_OPS),
    mistakes=(
        Mistake(
            "the activations are missing: after x @ kernel + bias, apply each layer's own "
            "activation (layer.activation.__name__ tells you which).",
            produces=lambda model, x: _forward_without(model, x, False, True),
        ),
        Mistake(
            "the biases are missing: each Dense layer adds its bias (layer.get_weights()[1] "
            "when layer.use_bias) before the activation.",
            produces=lambda model, x: _forward_without(model, x, True, False),
        ),
    ),
)


# ---------------------------------------------------------------- a Dense layer's backward pass


def _dense_backward_reference(
    x: Any, kernel: Any, bias: Any, upstream: Any, activation: str = "linear"
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """tf.GradientTape's gradients of sum(upstream * Dense(x)) for a float64 Keras Dense."""
    kernel = np.asarray(kernel, dtype=np.float64)
    layer = keras.layers.Dense(
        kernel.shape[1], activation=activation, use_bias=bias is not None, dtype="float64"
    )
    layer.build((None, kernel.shape[0]))
    layer.set_weights([kernel] if bias is None else [kernel, np.asarray(bias, dtype=np.float64)])
    inputs = tf.constant(np.asarray(x, dtype=np.float64))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(tf.constant(np.asarray(upstream, dtype=np.float64)) * layer(inputs))
    variables = [inputs, layer.kernel] + ([layer.bias] if bias is not None else [])
    gradients = [to_numpy(g) for g in tape.gradient(total, variables)]
    return gradients[0], gradients[1], gradients[2] if bias is not None else None


def _dense_backward_visible() -> list[Case]:
    x = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    kernel = np.array([[0.5, -1.0], [0.25, 0.75], [-1.5, 0.5]])
    bias = np.array([0.5, -0.25])
    upstream = np.array([[1.0, -0.5], [0.25, 2.0]])
    square = np.array([[1.0, -0.5, 0.25], [0.5, 1.0, -1.0], [-0.25, 0.75, 0.5]])
    up3 = np.array([[0.5, -1.0, 1.0], [2.0, 0.25, -0.5]])
    return [  # the square kernel first: a transpose on the wrong side gives values, not an error
        Case((x, square, None, up3), {"activation": "tanh"}, why="square kernel, no bias (None)"),
        Case((x, kernel, bias, upstream), why="default activation (linear)"),
        Case((x, kernel, bias, upstream), {"activation": "relu"}, why="relu"),
        Case((x, kernel, bias, upstream), {"activation": "sigmoid"}, why="sigmoid"),
        Case((x, kernel, bias, upstream), {"activation": "softmax"}, why="softmax over the units"),
    ]


def _dense_backward_hidden(rng: np.random.Generator) -> list[Case]:
    def case(shape, units, activation, why, bias=True, dtype=np.float64):
        n_in = shape[-1]
        return Case(
            (
                rng.normal(0, 1, size=shape).astype(dtype),
                rng.normal(0, 0.7, size=(n_in, units)).astype(dtype),
                rng.normal(0, 0.5, size=units).astype(dtype) if bias else None,
                rng.normal(0, 1, size=(*shape[:-1], units)).astype(dtype),
            ),
            {"activation": activation},
            why=why,
        )

    cases = [
        case((6, int(rng.integers(2, 7))), int(rng.integers(2, 7)), a, f"random float64, {a}")
        for a in ("linear", "relu", "sigmoid", "tanh", "softmax")
    ]
    return cases + [
        case((4, 5), 5, "relu", "float32, square kernel", dtype=np.float32),
        case((2, 3, 4), 3, "softmax", "3-D input: Dense acts on the last axis"),
        case((2, 3, 4), 2, "tanh", "3-D input, tanh"),
        case((3, 5), 2, "sigmoid", "no bias (None)", bias=False),
        case((1, 4), 1, "relu", "one example, one unit"),
    ]


def _dense_slip(**switches: Any) -> Callable[..., Any]:
    return lambda x, kernel, bias, upstream, activation="linear": dense_backward(
        x, kernel, bias, upstream, activation, **switches
    )


DENSE_BACKWARD = Exercise(
    name="dense_backward",
    reference=_dense_backward_reference,
    reference_name="tf.GradientTape on a float64 keras.layers.Dense with that kernel, bias "
    "and activation",
    visible=_dense_backward_visible,
    hidden=_dense_backward_hidden,
    params=("x", "kernel", "bias", "upstream"),
    kind=NumPyFunction(
        judge=judge_gradients(("dx", "dkernel", "dbias"), DEFAULT_RTOL, DEFAULT_ATOL)
    ),
    mistakes=(
        Mistake(
            "transpose on the wrong side: dkernel = xᵀ δ, shape (inputs, units) like the "
            "kernel, not δᵀ x.",
            produces=_dense_slip(kernel_transposed=True),
        ),
        Mistake(
            "transpose on the wrong side: dx = δ Wᵀ, shape (batch, inputs) like x, not δ W.",
            produces=_dense_slip(input_transposed=True),
        ),
        Mistake(
            "the bias is shared by every example: dbias sums δ over the batch (every axis "
            "but the last).",
            produces=_dense_slip(bias_summed=False),
        ),
        Mistake(
            "the activation's derivative is missing: δ = upstream ⊙ f'(z) before the "
            "products with x and W.",
            produces=_dense_slip(slope="none"),
        ),
        Mistake(
            "the activation's derivative was taken at the output f(z): take it at the "
            "pre-activation z = x W + b.",
            produces=_dense_slip(slope="output"),
        ),
        Mistake(
            "softmax is not elementwise: δ = p ⊙ (g - Σⱼ gⱼ pⱼ) (the Jacobian-vector "
            "product), not g ⊙ p(1 - p).",
            produces=_dense_slip(slope="diagonal"),
        ),
    ),
)

BACKWARD = (DENSE_BACKWARD,)

EXERCISES = (
    BUILD_SEQUENTIAL_MODEL,
    BUILD_FUNCTIONAL_MODEL,
    MY_MODEL,
    DENSE_PARAM_COUNT,
    MLP_PARAM_COUNT,
    DENSE_FORWARD,
    NUMPY_FORWARD,
    *BACKWARD,
)
