"""``keras.src.losses.losses`` as the course teaches it: each class calls a 04_losses solution."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from keras.src.losses import losses as keras_losses

from tests.harness import solution_namespace
from tests.keras_suites.contract import course, outside, taught_options

_SOLUTIONS = solution_namespace("04_losses", np=np)

#: Keras class -> the course's function that computes it.
TAUGHT = {
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "Huber": "huber",
    "LogCosh": "log_cosh",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "KLDivergence": "kl_divergence",
}


class CourseLoss:
    """A Keras loss class with its default reduction, computed by the course's function."""

    keras_class: type
    function: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        signature = inspect.signature(self.keras_class)
        taught = tuple(inspect.signature(_SOLUTIONS[self.function]).parameters)
        name = self.keras_class.__name__
        self._options = taught_options(signature, taught, name, *args, **kwargs)
        self._fn = course(_SOLUTIONS[self.function])

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return self._fn(y_true, y_pred, sample_weight=sample_weight, **self._options)

    def get_config(self) -> dict:
        outside("serialization", f"{self.keras_class.__name__}.get_config()")

    @classmethod
    def from_config(cls, config: dict) -> CourseLoss:
        outside("serialization", f"{cls.keras_class.__name__}.from_config()")


def _adapter(keras_name: str, function: str) -> type[CourseLoss]:
    keras_class = getattr(keras_losses, keras_name)
    return type(keras_name, (CourseLoss,), {"keras_class": keras_class, "function": function})


globals().update({name: _adapter(name, function) for name, function in TAUGHT.items()})


def __getattr__(name: str) -> Any:
    """Everything else Keras's module has is outside the contract."""
    if not name.startswith("__") and hasattr(keras_losses, name):
        kind = "loss function without reduction" if name.islower() else "loss"
        outside("untaught", f"{kind} losses.{name}")
    raise AttributeError(name)
