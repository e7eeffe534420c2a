"""The course's own answers to the exercises that chapters 01 and 05 demonstrate with.

``yours_or_reference(fit_line, stand_ins.fit_line)`` (:mod:`course.fallback`) uses them while
an exercise is still blank. Each is what the checker compares with: Keras's layers and models,
the contract's models, ``keras.losses.Huber``; graded cells never use them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.exercises import model_building, training
from autograder.references import keras

build_sequential_model = model_building._reference_sequential
build_functional_model = model_building._reference_functional
mlp_param_count = model_building._mlp_count_reference
dense_forward = model_building._dense_reference
numpy_forward = model_building._forward_reference
build_regression_mlp = training._contract_regression_mlp
to_hinge_labels = training._keras_hinge_labels
build_digits_classifier = training._contract_digits_classifier
HuberLoss = keras.losses.Huber


def MyModel(**kwargs: Any) -> keras.Model:  # noqa: N802 (stands in for the class MyModel)
    """The chapter's network as a subclassed model, named as the exercise's is by default."""
    return model_building.SpecifiedModel(**{"name": "my_model", **kwargs})


def fit_line(x: Any, y: Any, learning_rate: float = 0.5, steps: int = 200) -> tuple[float, float]:
    """Gradient descent on the mean squared error of w·x + b from w = b = 0, in float32."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    w = b = np.float32(0.0)
    rate = np.float32(learning_rate)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            residual = w * x + b - y
            w, b = w - rate * 2 * np.mean(residual * x), b - rate * 2 * np.mean(residual)
    return float(w), float(b)
