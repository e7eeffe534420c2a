"""Keras models judged by structure, then by behaviour, against the specified network.

A builder exercise's answer is whatever model the learner built. The judge reads its
structure (layer classes, names, units, activations, initializers, wiring, parameter
count), then copies the learner's weights into the specified network and requires both
to compute the same output. A judge reports the unexpected and never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograder.compare import array_difference
from autograder.references import as_float32, keras, to_numpy
from autograder.registry import Case

#: The specified network: (name, units, activation) of each Dense layer, after 3 inputs.
N_INPUTS = 3
NETWORK = (("layer1", 3, "relu"), ("layer2", 2, "relu"), ("layer3", 2, "sigmoid"))
#: Output comparison for the builders (float32 on both sides, so this is generous).
OUTPUT_RTOL = 1e-5
OUTPUT_ATOL = 1e-6

try:  # Keras 3 keeps the Functional class in a private module
    from keras.src.models.functional import Functional
except ImportError:  # pragma: no cover
    Functional = keras.Model


def activation_name(layer: Any) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", type(activation).__name__)


def is_variance_scaling(initializer: Any, scale: float, mode: str, distribution: str) -> bool:
    """Is ``initializer`` VarianceScaling with these settings (a preset such as HeNormal is)?"""
    return isinstance(initializer, keras.initializers.VarianceScaling) and (
        float(initializer.scale),
        initializer.mode,
        initializer.distribution,
    ) == (scale, mode, distribution)


def initializer_problem(initializer: Any) -> str | None:
    """None for he_normal (HeNormal, or the VarianceScaling it stands for)."""
    if is_variance_scaling(initializer, 2.0, "fan_in", "truncated_normal"):
        return None
    return f"kernel_initializer is {type(initializer).__name__}, expected he_normal (HeNormal)"


def config_problems(label: str, layer: Any, name: str, units: int, activation: str) -> list[str]:
    """What differs between one layer and Dense(units, activation, he_normal, name=name)."""
    if not isinstance(layer, keras.layers.Dense):
        return [f"{label}: is a {type(layer).__name__}, expected a keras.layers.Dense"]
    problems = []
    if layer.name != name:
        problems.append(f"{label}: the layer is named {layer.name!r}, expected name={name!r}")
    if layer.units != units:
        problems.append(f"{label}: units is {layer.units}, expected {units}")
    if activation_name(layer) != activation:
        problems.append(f"{label}: activation is {activation_name(layer)}, expected {activation}")
    initializer = initializer_problem(layer.kernel_initializer)
    if initializer:
        problems.append(f"{label}: {initializer}")
    if not layer.use_bias:
        problems.append(f"{label}: use_bias is False, expected True (the default)")
    return problems


def wiring_problems(labelled: Sequence[tuple[str, Any]]) -> list[str]:
    """Kernel shapes show what each layer was fed: (inputs of the previous layer, units)."""
    problems = []
    feeds, n_in = "the model's input", N_INPUTS
    for (label, layer), (name, units, _) in zip(labelled, NETWORK, strict=True):
        kernel = getattr(layer, "kernel", None) if layer.built else None
        if kernel is None:
            problems.append(f"{label} has no weights: it was never called")
        elif tuple(kernel.shape) != (n_in, units):
            problems.append(
                f"{label}: kernel shape {tuple(kernel.shape)}, expected {(n_in, units)} (it "
                f"should receive the {n_in} values of {feeds})"
            )
        feeds, n_in = name, units
    return problems


def behaviour_problem(got: Any, expected: Any, labelled: Sequence[tuple[str, Any]], probe: Any):
    """Copy the learner's weights into the reference network; both must compute the same."""
    for (_, layer), reference_layer in zip(labelled, dense_layers(expected), strict=True):
        reference_layer.set_weights(layer.get_weights())
    x = as_float32(probe)
    try:
        got_output = to_numpy(got(x))
    except Exception as error:
        return f"calling the model on the input raised {type(error).__name__}: {error}"
    difference = array_difference(got_output, to_numpy(expected(x)), OUTPUT_RTOL, OUTPUT_ATOL)
    if difference:
        return (
            f"with the same weights, the model computes something else than "
            f"layer3(layer2(layer1(x))): {difference}"
        )
    return None


def dense_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def chain_problems(
    got: Any, expected: Any, labelled: list[tuple[str, Any]], probe: Any, order_hint: str
) -> str | None:
    """Config of every layer, then what each layer was fed, then the parameters, then outputs."""
    problems = [
        p
        for (label, layer), spec in zip(labelled, NETWORK, strict=True)
        for p in config_problems(label, layer, *spec)
    ]
    if problems:
        return "; ".join(problems)
    problems = wiring_problems(labelled)
    if problems:
        return "; ".join(problems) + (f". {order_hint}" if order_hint else "")
    if got.count_params() != expected.count_params():
        return (
            f"the model has {got.count_params()} parameters, expected "
            f"{expected.count_params()}: it holds weights besides layer1, layer2 and layer3"
        )
    return behaviour_problem(got, expected, labelled, probe)


def layers_in_order(got: Any, kind: str) -> tuple[list[tuple[str, Any]] | None, str | None]:
    layers = [layer for layer in got.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(layers) != len(NETWORK):
        found = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in layers) or "none"
        return None, (
            f"the {kind} model has {len(layers)} layers after its input ({found}), expected 3 "
            "Dense layers: layer1, layer2, layer3"
        )
    return [(spec[0], layer) for spec, layer in zip(NETWORK, layers, strict=True)], None


def input_problem(got: Any) -> str | None:
    if not got.built or not getattr(got, "inputs", None):
        return (
            "the model has no input yet (it is not built, so it has no weights): put "
            f"keras.Input(shape=({N_INPUTS},)) first"
        )
    shapes = [tuple(tensor.shape) for tensor in got.inputs]
    if shapes != [(None, N_INPUTS)]:
        return f"the model's input shape is {shapes}, expected [(None, {N_INPUTS})]"
    return None


def judge_sequential(got: Any, expected: Any, case: Case) -> str | None:
    if not isinstance(got, keras.Sequential):
        return f"returned {type(got).__name__}, expected a keras.Sequential"
    if got.name != "my_Sequential":
        return f"the model is named {got.name!r}, expected name='my_Sequential'"
    problem = input_problem(got)
    if problem:
        return problem
    labelled, problem = layers_in_order(got, "Sequential")
    if problem:
        return problem
    return chain_problems(got, expected, labelled, case.args[0], "")


def judge_functional(got: Any, expected: Any, case: Case) -> str | None:
    if isinstance(got, keras.Sequential) or not isinstance(got, Functional):
        return (
            f"returned {type(got).__name__}, expected a Functional model: "
            "keras.Model(inputs=..., outputs=..., name=...) built from keras.Input"
        )
    if got.name != "my_model":
        return f"the model is named {got.name!r}, expected name='my_model'"
    problem = input_problem(got)
    if problem:
        return problem
    input_layers = [layer for layer in got.layers if isinstance(layer, keras.layers.InputLayer)]
    if input_layers and input_layers[0].name != "input":
        return (
            f"the input is named {input_layers[0].name!r}, expected "
            f"keras.Input(shape=({N_INPUTS},), name='input')"
        )
    labelled, problem = layers_in_order(got, "Functional")
    if problem:
        return problem
    return chain_problems(got, expected, labelled, case.args[0], "")


def judge_subclassed(got: Any, expected: Any, case: Case) -> str | None:
    if isinstance(got, keras.Sequential | Functional) or not isinstance(got, keras.Model):
        return f"MyModel must subclass keras.Model (got a {type(got).__name__})"
    missing = [spec[0] for spec in NETWORK if not hasattr(got, spec[0])]
    if missing:
        return (
            f"MyModel has no attribute {', '.join(missing)}: __init__ must create "
            "self.layer1, self.layer2 and self.layer3"
        )
    labelled = [(f"self.{spec[0]}", getattr(got, spec[0])) for spec in NETWORK]
    hint = "Does call apply self.layer1, self.layer2, self.layer3 in this order?"
    return chain_problems(got, expected, labelled, case.args[0], hint)


def never_crash(judge: Callable[[Any, Any, Case], str | None]):
    """A judge inspects whatever the learner built: report the unexpected, never raise."""

    def safe(got: Any, expected: Any, case: Case) -> str | None:
        try:
            return judge(got, expected, case)
        except Exception as error:
            return f"could not inspect the model ({type(error).__name__}: {error})"

    return safe
