"""Keras models as data, so that a model crosses between a kernel and the judge safely.

A learner's model is handed back as its configuration (Keras's own serialization) and
its weights; the judge rebuilds it with Keras's safe mode once the configuration passed
:mod:`autograder.judges.allowlist` (the contract's classes and settings, bounded sizes),
so no code of the learner's runs in the judge; whether it keeps its weights is its
exercise's kind's to say (:attr:`autograder.kinds.kind.Kind.keeps_weights`). A model the judge
sends to the NumPy kernel goes as data (:func:`as_data`, :mod:`autograder.modeldata`). A
subclassed model has no configuration that Keras can rebuild: it crosses as its class's
name, its ``layer1``..``layer3`` (each a Dense configuration and weights), its parameter
count and its outputs on the case's inputs, and is rebuilt as a :class:`HandedBack` model
that answers with those outputs.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from autograder.judges import allowlist
from autograder.modeldata import MODEL_DATA
from autograder.references import as_float32, keras, to_numpy
from autograder.wire import Opaque

MODEL = "__keras_model__"
ATTRIBUTES = ("layer1", "layer2", "layer3")


def _kind(model: Any) -> str:
    from autograder.judges.models import Functional

    if isinstance(model, keras.Sequential):
        return "sequential"
    if isinstance(model, Functional):
        return "functional"
    return "subclassed"


def _layer(layer: Any) -> dict[str, Any]:
    return {
        "config": json.dumps(keras.saving.serialize_keras_object(layer)),
        "weights": [np.asarray(w) for w in layer.get_weights()],
        "built": bool(layer.built),
    }


def hand_back(value: Any, inputs: tuple = ()) -> Any:
    """``value`` as wire data; a Keras model as its configuration and weights."""
    if not isinstance(value, keras.Model):
        return value
    data: dict[str, Any] = {MODEL: _kind(value), "class": type(value).__name__}
    if data[MODEL] != "subclassed":
        data["config"] = json.dumps(keras.saving.serialize_keras_object(value))
        data["weights"] = [np.asarray(w) for w in value.get_weights()]
        return data
    data["name"] = value.name
    data["layers"] = {a: _layer(getattr(value, a)) for a in ATTRIBUTES if hasattr(value, a)}
    data["count_params"] = int(value.count_params()) if value.built else 0
    outputs = []
    for x in inputs:
        if isinstance(x, np.ndarray):
            try:
                outputs.append([as_float32(x), to_numpy(value(as_float32(x))), None])
            except Exception as error:
                outputs.append([as_float32(x), None, [type(error).__name__, str(error)[:500]]])
    data["outputs"] = outputs
    return data


def as_data(value: Any) -> Any:
    """``value`` as wire data for the NumPy kernel: a Keras model as the data a NumPy
    solution reads off it (see :mod:`autograder.modeldata`); anything else unchanged."""
    if not isinstance(value, keras.Model):
        return value
    from autograder.judges.models import activation_name

    layers = []
    for layer in value.layers:
        activation = getattr(layer, "activation", None)
        layers.append(
            {
                "class": type(layer).__name__,
                "name": layer.name,
                "weights": [np.asarray(w) for w in layer.get_weights()],
                "config": json.loads(json.dumps(layer.get_config(), default=str)),
                "use_bias": bool(getattr(layer, "use_bias", False)),
                "units": getattr(layer, "units", None),
                "activation": None if activation is None else activation_name(layer),
            }
        )
    return {
        MODEL_DATA: _kind(value),
        "class": type(value).__name__,
        "name": value.name,
        "layers": layers,
    }


def is_model(value: Any) -> bool:
    return isinstance(value, keras.Model)


def _rebuild(config_text: str) -> Any:
    """The model or layer of a configuration the contract allows, from Keras's classes only."""
    config = json.loads(config_text)
    allowlist.check(config)
    return keras.saving.deserialize_keras_object(config, safe_mode=True)


class HandedBack(keras.Model):
    """A subclassed model as handed back: its layers, and its outputs on the case's inputs."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(name=str(data.get("name", "")))
        for attribute, layer in data.get("layers", {}).items():
            if attribute in ATTRIBUTES:
                rebuilt = _rebuild(layer["config"])
                if layer["built"] and layer["weights"]:
                    if not rebuilt.built:
                        rebuilt.build((None, np.shape(layer["weights"][0])[0]))
                    rebuilt.set_weights(layer["weights"])
                setattr(self, attribute, rebuilt)
        self._answers = data.get("outputs", [])
        self._count = int(data.get("count_params", 0))

    def count_params(self) -> int:
        return self._count

    def call(self, inputs: Any) -> Any:
        x = as_float32(inputs)
        for given, output, error in self._answers:
            if np.shape(given) == x.shape and np.array_equal(given, x):
                if error is not None:
                    raise type(str(error[0]), (Exception,), {})(error[1])
                return output
        raise RuntimeError("the model was not called on this input in the learner's kernel")


def _named(type_name: str, text: str) -> Any:
    """An object whose type has the learner's object's name (failure messages name it)."""
    return type(type_name, (), {"__repr__": lambda self: text or f"<{type_name} object>"})()


def take_back(value: Any, weights: bool = True) -> Any:
    """The value :func:`hand_back` described, rebuilt; models from Keras's classes only.

    Without ``weights`` a rebuilt model keeps the weights its initializers drew here.
    """
    if isinstance(value, Opaque):
        return _named(value.type_name, value.text)
    if not (isinstance(value, dict) and MODEL in value):
        return value
    if value[MODEL] == "subclassed":
        return HandedBack(value)
    model = _rebuild(value["config"])
    if weights and value.get("weights"):
        model.set_weights(value["weights"])
    return model
