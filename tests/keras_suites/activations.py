"""``keras.src.activations`` as the course teaches it: the 02_activations solutions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from keras.src import activations as keras_activations

from tests.harness import solution_namespace
from tests.keras_suites.contract import course, outside, taught_options

_SOLUTIONS = solution_namespace("02_activations", np=np)

#: Keras activation -> the course's function that computes it (Keras's silu is the course's swish).
TAUGHT = {
    name: name
    for name in (
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "softplus",
        "gelu",
        "softmax",
        "linear",
    )
} | {"silu": "swish"}


def _adapter(keras_name: str, function: str) -> Callable[..., Any]:
    signature = inspect.signature(getattr(keras_activations, keras_name))
    solution = _SOLUTIONS[function]
    taught = tuple(inspect.signature(solution).parameters)
    counted = course(solution)

    def activation(*args: Any, **kwargs: Any) -> Any:
        options = taught_options(signature, taught, f"activations.{keras_name}", *args, **kwargs)
        return counted(**options)

    activation.__name__ = keras_name
    return activation


globals().update({name: _adapter(name, function) for name, function in TAUGHT.items()})


def __getattr__(name: str) -> Any:
    """Everything else Keras's module has is outside the contract."""
    if not name.startswith("__") and hasattr(keras_activations, name):
        outside("untaught", f"activations.{name}")
    raise AttributeError(name)
