"""What a handed-back model's configuration may hold, checked before Keras reads any of it.

A model crosses from the learner's kernel to the judge as its Keras configuration: plain
JSON data. Keras's own deserialization calls whatever the configuration names (a class's
constructor, or a function such as ``keras.config.set_epsilon`` given to a ``Lambda``),
and safe mode refuses only Python bytecode. So the judge reads the configuration as data
first and refuses it unless every object in it is one of the classes below with no
configuration key that class's own ``get_config`` lacks, every activation is one of
Keras's built-in activations named by its string, the model has at most
:data:`MAX_LAYERS` layers and at most :data:`MAX_PARAMS` parameters (bounded from the
configuration, before anything is built). The course's exercises need far less: Dense
chains of a few dozen units (see the exercise contract).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

from autograder.references import keras

#: Layers a model handed back to the judge may hold.
LAYERS = (
    "InputLayer",
    "Dense",
    "Dropout",
    "Activation",
    "Flatten",
    "ReLU",
    "LeakyReLU",
    "Softmax",
    "BatchNormalization",
)
#: At most this many layers, and at most this many parameters (16 MB of float32 weights).
MAX_LAYERS = 64
MAX_PARAMS = 4_000_000
#: Input width assumed where the configuration declares none (the model builds on the data).
UNDECLARED_WIDTH = 1_024
#: Keys of a serialized object beside its class's configuration.
WRAPPER_KEYS = frozenset(
    {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
)
#: Keys a functional model's layer entry adds (its name and what feeds it).
FUNCTIONAL_LAYER_KEYS = frozenset({"name", "inbound_nodes"})
#: Serialized values that are data, not classes: a tensor's place in a functional graph, a tuple.
DATA_CLASSES = ("__keras_tensor__", "__tuple__")


class Refused(ValueError):
    """A configuration that names something the exercise's contract does not allow."""


def _samples() -> Iterator[Any]:
    """One instance of every allowed class (their serialized forms give the allowed keys)."""
    layers = keras.layers
    yield keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1)])
    inputs = keras.Input(shape=(1,))
    yield keras.Model(inputs, layers.Dense(1)(inputs))
    yield layers.InputLayer(shape=(1,))
    yield layers.Dense(1)
    yield layers.Dropout(0.5)
    yield layers.Activation("relu")
    yield layers.Flatten()
    yield layers.ReLU()
    yield layers.LeakyReLU()
    yield layers.Softmax()
    yield layers.BatchNormalization()
    yield keras.DTypePolicy("float32")
    initializers = keras.initializers
    for name in (
        "Zeros",
        "Ones",
        "Constant",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "VarianceScaling",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "LecunNormal",
        "LecunUniform",
        "Orthogonal",
        "Identity",
    ):
        yield getattr(initializers, name)()
    yield from (keras.regularizers.L1(), keras.regularizers.L2(), keras.regularizers.L1L2())
    yield from (keras.constraints.MaxNorm(), keras.constraints.NonNeg())
    yield from (keras.constraints.UnitNorm(), keras.constraints.MinMaxNorm())


@functools.cache
def allowed() -> dict[tuple[str, str], frozenset[str]]:
    """(module, class name) of every allowed class → the configuration keys it may have."""
    table: dict[tuple[str, str], frozenset[str]] = {}
    for sample in _samples():
        serialized = keras.saving.serialize_keras_object(sample)
        key = (serialized["module"], serialized["class_name"])
        table[key] = table.get(key, frozenset()) | frozenset(serialized["config"])
    return table


@functools.cache
def activations() -> frozenset[str]:
    """Keras's built-in activations, by the names a configuration gives them."""
    from keras.src.activations import ALL_OBJECTS_DICT

    return frozenset(name for name, fn in ALL_OBJECTS_DICT.items() if callable(fn))


def _plain(value: Any, where: str) -> None:
    """Data only: no object to build anywhere inside."""
    if isinstance(value, dict):
        if "class_name" in value and value["class_name"] not in DATA_CLASSES:
            raise Refused(f"{where} holds {str(value['class_name'])[:80]}")
        for item in value.values():
            _plain(item, where)
    elif isinstance(value, list):
        for item in value:
            _plain(item, where)


def _object(config: dict[str, Any], where: str, layers: list[dict[str, Any]]) -> None:
    name, module = str(config.get("class_name"))[:80], str(config.get("module"))[:80]
    if name in DATA_CLASSES:
        _plain(config.get("config"), where)
        return
    keys = allowed().get((module, name))
    if keys is None:
        raise Refused(f"{where} is a {module}.{name}, which this exercise does not accept")
    if config.get("registered_name") not in (None, name):
        raise Refused(f"{where}: {name} is registered as {config.get('registered_name')!r}")
    wrapper = WRAPPER_KEYS | (FUNCTIONAL_LAYER_KEYS if where.startswith("layer") else set())
    extra = sorted(set(config) - wrapper)
    inner = config.get("config")
    if not isinstance(inner, dict):
        raise Refused(f"{where}: the {name}'s configuration is not a dictionary")
    extra += sorted(set(inner) - keys)
    if extra:
        raise Refused(f"{where}: the {name} has settings Keras's {name} does not: {extra[:5]}")
    if name in LAYERS:
        layers.append(inner)
    for key, value in inner.items():
        if key == "activation":
            if not (isinstance(value, str) and value in activations()):
                raise Refused(f"{where}: activation {str(value)[:80]!r} is not Keras's own")
        elif key == "layers":
            if not isinstance(value, list):
                raise Refused(f"{where}: layers is not a list")
            for index, layer in enumerate(value):
                _check(layer, f"layer {index}", layers)
        else:
            _check(value, f"{where}.{key}", layers)
    for key in ("build_config", "compile_config", "inbound_nodes"):
        _plain(config.get(key), where)


def _check(value: Any, where: str, layers: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        if "class_name" in value:
            _object(value, where, layers)
            return
        for key, item in value.items():
            _check(item, f"{where}.{key}", layers)
    elif isinstance(value, list):
        for item in value:
            _check(item, where, layers)


def _widths(value: Any) -> Iterator[int]:
    """Every feature count a configuration declares (the product of an input's shape)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("batch_shape", "input_shape", "shape", "build_input_shape") and (
                isinstance(item, list) and item and not isinstance(item[0], list)
            ):
                dims = [d for d in item[1:] if isinstance(d, int) and d > 0]
                yield math.prod(dims)
            else:
                yield from _widths(item)
    elif isinstance(value, list):
        for item in value:
            yield from _widths(item)


def parameter_bound(layers: list[dict[str, Any]], config: Any) -> int:
    """At least as many parameters as the model can have, read off its configuration: every
    Dense layer counted as if fed by the widest input or layer the configuration declares."""
    units = [layer.get("units") for layer in layers if "units" in layer]
    if not all(type(u) is int and 0 < u <= MAX_PARAMS for u in units):
        raise Refused(f"a Dense layer has {str(units)[:80]} units")
    widths = [w for w in _widths(config) if w > 0] or [UNDECLARED_WIDTH]
    widest = max([*units, *widths])
    return sum((widest + 1) * u for u in units) + 4 * widest * len(layers)


def check(config: Any) -> None:
    """Refuse (:class:`Refused`) a configuration the exercise's contract does not allow."""
    layers: list[dict[str, Any]] = []
    _check(config, "the model", layers)
    if len(layers) > MAX_LAYERS:
        raise Refused(f"the model has {len(layers)} layers; at most {MAX_LAYERS} are accepted")
    bound = parameter_bound(layers, config)
    if bound > MAX_PARAMS:
        raise Refused(
            f"the model may hold up to {bound:,} parameters; at most {MAX_PARAMS:,} are "
            "accepted (the exercise needs a few thousand)"
        )
