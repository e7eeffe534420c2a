"""``keras.src.initializers`` as the course teaches it: the 03_initialization samplers.

A Keras initializer with an integer ``seed`` (or none) becomes the course's sampler with
``rng=np.random.default_rng(seed)``, drawn afresh at each call, so a fixed seed gives the
same values every time, as in Keras.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from keras.src import initializers as keras_initializers
from keras.src.initializers import random_initializers

from tests.harness import solution_namespace
from tests.keras_suites.contract import course, outside, taught_options

_SOLUTIONS = solution_namespace("03_initialization", np=np)

#: Keras initializer class -> the course's sampler.
TAUGHT = {
    "RandomNormal": "random_normal",
    "RandomUniform": "random_uniform",
    "TruncatedNormal": "truncated_normal",
    "VarianceScaling": "variance_scaling",
    "GlorotNormal": "glorot_normal",
    "GlorotUniform": "glorot_uniform",
    "HeNormal": "he_normal",
    "HeUniform": "he_uniform",
    "LecunNormal": "lecun_normal",
    "LecunUniform": "lecun_uniform",
}


class CourseInitializer:
    """A Keras initializer whose values come from the course's sampler."""

    keras_class: type
    function: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = self.keras_class.__name__
        signature = inspect.signature(self.keras_class)
        taught = (*inspect.signature(_SOLUTIONS[self.function]).parameters, "seed")
        options = taught_options(signature, taught, name, *args, **kwargs)
        seed = options.pop("seed", None)
        if seed is not None and not isinstance(seed, int):
            outside("rng", f"{name}(seed={type(seed).__name__})")
        self.seed = seed
        for key, value in signature.bind(*args, **kwargs).arguments.items():
            setattr(self, key, value)
        for key, parameter in signature.parameters.items():
            if not hasattr(self, key):
                setattr(self, key, parameter.default)
        self._options = options
        self._fn = course(_SOLUTIONS[self.function])

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        if dtype not in (None, "float32"):
            outside("dtype", f"{self.keras_class.__name__}()(dtype={dtype!r})")
        return self._fn(shape, **self._options, rng=np.random.default_rng(self.seed))

    def get_config(self) -> dict:
        outside("serialization", f"{self.keras_class.__name__}.get_config()")

    @classmethod
    def from_config(cls, config: dict) -> CourseInitializer:
        outside("serialization", f"{cls.keras_class.__name__}.from_config()")


def _adapter(keras_name: str, function: str) -> type[CourseInitializer]:
    keras_class = getattr(keras_initializers, keras_name)
    return type(
        keras_name, (CourseInitializer,), {"keras_class": keras_class, "function": function}
    )


globals().update({name: _adapter(name, function) for name, function in TAUGHT.items()})

_COMPUTE_FANS = inspect.signature(random_initializers.compute_fans)
_course_fans = course(_SOLUTIONS["compute_fans"])


def compute_fans(*args: Any, **kwargs: Any) -> tuple[int, int]:
    """Keras's ``compute_fans`` computed by the course's (axes are not taught)."""
    return _course_fans(
        **taught_options(_COMPUTE_FANS, ("shape",), "compute_fans", *args, **kwargs)
    )


def __getattr__(name: str) -> Any:
    """Everything else Keras's module has is outside the contract."""
    if not name.startswith("__") and hasattr(keras_initializers, name):
        outside("untaught", f"initializers.{name}")
    raise AttributeError(name)
