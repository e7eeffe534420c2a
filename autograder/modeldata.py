"""A Keras model as data, for NumPy exercises that receive one (``numpy_forward``).

Such an exercise runs in the NumPy kernel, where TensorFlow and Keras are absent, like
every other NumPy exercise: the judge sends its model as the data a NumPy solution reads
(each layer's class, name, weights, ``use_bias``, ``units``, activation name and
configuration, see :func:`autograder.handback.as_data`), and the kernel gives the
learner's function a :class:`Model` made of :class:`Layer` stand-ins. They answer what a
Keras model answers about itself; computing with them (``model(x)``, ``layer(x)``,
``layer.activation(z)``, ``model.predict``) raises :class:`~autograder.runner.NumPyOnlyError`,
and ``isinstance(layer, keras.layers.Dense)`` holds for a Dense layer's stand-in (see
:class:`autograder.runner._Refusing`). Imports only NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The key of a model's data (:func:`autograder.handback.as_data`).
MODEL_DATA = "__model_data__"


def _refuse(what: str) -> Any:
    from autograder.runner import NumPyOnlyError

    raise NumPyOnlyError(f"{what}: this exercise must compute with NumPy only")


class Activation:
    """A layer's activation: its ``__name__``; calling it is computing with Keras."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _refuse(f"keras.activations.{self.__name__}")

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class Layer:
    """A layer as data: what ``numpy_forward`` may read off a Keras layer."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.class_name = str(data.get("class", "Layer"))
        self.name = str(data.get("name", ""))
        self._weights = [np.asarray(w) for w in data.get("weights", [])]
        self._config = dict(data.get("config", {}))
        self.use_bias = bool(data.get("use_bias", False))
        self.units = data.get("units")
        activation = data.get("activation")
        self.activation = None if activation is None else Activation(str(activation))
        self.built = True

    def keras_classes(self) -> tuple[str, ...]:
        return (self.class_name, "Layer", "Operation")

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self._weights]

    @property
    def weights(self) -> list[np.ndarray]:
        return self.get_weights()

    @property
    def kernel(self) -> np.ndarray | None:
        return self._weights[0].copy() if self._weights else None

    @property
    def bias(self) -> np.ndarray | None:
        return self._weights[1].copy() if self.use_bias and len(self._weights) > 1 else None

    def get_config(self) -> dict[str, Any]:
        return dict(self._config)

    def count_params(self) -> int:
        return int(sum(w.size for w in self._weights))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _refuse(f"calling the layer {self.name}")

    def __repr__(self) -> str:
        return f"<{self.class_name} name={self.name}>"


class Model:
    """A Sequential or Functional model as data: its name and its layers in order."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.class_name = str(data.get("class", "Model"))
        self.name = str(data.get("name", ""))
        self.layers = [Layer(layer) for layer in data.get("layers", [])]
        self.built = True

    def keras_classes(self) -> tuple[str, ...]:
        return (self.class_name, "Model", "Layer", "Operation")

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}")

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.get_weights()]

    @property
    def weights(self) -> list[np.ndarray]:
        return self.get_weights()

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _refuse("calling the model")

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        return _refuse("model.predict")

    def __repr__(self) -> str:
        return f"<{self.class_name} name={self.name}>"


def stand_ins(value: Any) -> Any:
    """``value`` with every model's data (:data:`MODEL_DATA`) made a :class:`Model`."""
    if isinstance(value, dict):
        if MODEL_DATA in value:
            return Model(value)
        return {k: stand_ins(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(stand_ins(v) for v in value)
    return value
