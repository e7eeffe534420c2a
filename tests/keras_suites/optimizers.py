"""``keras.optimizers`` and ``keras.optimizers.schedules`` as the course teaches them.

Each optimizer class is Keras's own (its variables, iteration counter, learning rate and
``apply`` machinery) with its ``update_step`` computed by a 06_optimizers solution: the
variable and the optimizer's slots go in as NumPy arrays, the solution's results are assigned
back. ExponentialDecay and CosineDecay call the course's schedules.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import tensorflow as tf
from keras.src import optimizers as keras_optimizers
from keras.src.optimizers import schedules as keras_schedules

from tests.harness import solution_namespace
from tests.keras_suites.contract import course, outside, taught_options

_SOLUTIONS = solution_namespace("06_optimizers", np=np)

#: Keras class -> (the course's update function, the optimizer attribute of each state array,
#: whether the function takes the step).
TAUGHT = {
    "SGD": ("sgd_update", ("momentums",), False),
    "RMSprop": ("rmsprop_update", ("_velocities",), False),
    "Adagrad": ("adagrad_update", ("_accumulators",), False),
    "Adam": ("adam_update", ("_momentums", "_velocities"), True),
    "AdamW": ("adamw_update", ("_momentums", "_velocities"), True),
}
SCHEDULES = {"ExponentialDecay": "exponential_decay", "CosineDecay": "cosine_decay"}


def _eager(what: str) -> None:
    if not tf.executing_eagerly():
        outside("graph", what)


def _optimizer(name: str, function: str, slots: tuple[str, ...], counts_steps: bool) -> type:
    keras_class = getattr(keras_optimizers, name)
    taught = tuple(inspect.signature(_SOLUTIONS[function]).parameters)

    class CourseOptimizer(keras_class):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            options = taught_options(inspect.signature(keras_class), taught, name, *args, **kwargs)
            super().__init__(**options)
            self._hyper = {k: v for k, v in options.items() if k != "learning_rate"}
            self._update = course(_SOLUTIONS[function])

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            _eager(f"{name}.update_step inside a tf.function (model.fit)")
            if isinstance(gradient, tf.IndexedSlices):
                outside("options", f"{name} with sparse gradients (tf.IndexedSlices)")
            index = self._get_variable_index(variable)
            w = variable.numpy()
            state = [getattr(self, attribute) for attribute in slots]
            values = [s[index].numpy() if s else np.zeros_like(w) for s in state]
            step = [int(self.iterations.numpy()) + 1] if counts_steps else []
            rate = float(learning_rate)
            new_w, *new_state = self._update(
                w, np.asarray(gradient), *values, *step, learning_rate=rate, **self._hyper
            )
            variable.assign(np.asarray(new_w, dtype=w.dtype))
            for slot, value in zip(state, new_state, strict=True):
                if slot:
                    slot[index].assign(np.asarray(value, dtype=w.dtype))

        def _apply_weight_decay(self, variables: Any) -> None:
            """AdamW's decay is part of the course's update; the others take no weight_decay."""

        def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
            outside("options", f"{name}.exclude_from_weight_decay()")

        def get_config(self) -> dict:
            outside("serialization", f"{name}.get_config()")

    CourseOptimizer.__name__ = CourseOptimizer.__qualname__ = name
    return CourseOptimizer


def _schedule(name: str, function: str) -> type:
    keras_class = getattr(keras_schedules, name)
    taught = tuple(inspect.signature(_SOLUTIONS[function]).parameters)

    class CourseSchedule(keras_class):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            options = taught_options(inspect.signature(keras_class), taught, name, *args, **kwargs)
            super().__init__(**options)
            self._options = options
            self._schedule = course(_SOLUTIONS[function])

        def __call__(self, step: Any) -> Any:
            _eager(f"{name} inside a tf.function (model.fit)")
            return self._schedule(np.asarray(step), **self._options)

        def get_config(self) -> dict:
            outside("serialization", f"{name}.get_config()")

    CourseSchedule.__name__ = CourseSchedule.__qualname__ = name
    return CourseSchedule


OPTIMIZERS = {name: _optimizer(name, *spec) for name, spec in TAUGHT.items()}


class schedules:  # noqa: N801 - stands in for the module ``keras.src.optimizers.schedules``
    """``schedules.ExponentialDecay`` and ``schedules.CosineDecay`` call the course's code;
    every other schedule, and the module's functions, are outside the contract."""

    ExponentialDecay = _schedule("ExponentialDecay", SCHEDULES["ExponentialDecay"])
    CosineDecay = _schedule("CosineDecay", SCHEDULES["CosineDecay"])

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__") and hasattr(keras_schedules, name):
            outside("untaught", f"schedules.{name}")
        raise AttributeError(name)


SCHEDULES_MODULE = schedules()
