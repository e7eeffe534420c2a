"""Chapter 01_model_building in-process: the model judges, integrity, and the picture helper.

Test names carry the chapter id so that ``pytest -k 01_model_building`` runs them too.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from autograder import CheckFailed, check
from autograder.references import keras

L = keras.layers


def dense(units, activation, name, **kwargs):
    return L.Dense(
        units, activation=activation, kernel_initializer="he_normal", name=name, **kwargs
    )


def chapter_layers():
    return [dense(3, "relu", "layer1"), dense(2, "relu", "layer2"), dense(2, "sigmoid", "layer3")]


def failure(name, fn) -> str:
    with pytest.raises(CheckFailed) as raised:
        check(name, fn, hidden=True)
    return str(raised.value)


def solution_forward(model, x):
    h = np.asarray(x, dtype=np.float64)
    for layer in model.layers:
        if isinstance(layer, L.Dense):
            weights = layer.get_weights()
            h = h @ weights[0] + (weights[1] if layer.use_bias else 0.0)
            h = {
                "linear": lambda z: z,
                "relu": lambda z: np.maximum(z, 0),
                "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
                "tanh": np.tanh,
                "softmax": lambda z: (
                    np.exp(z - z.max(-1, keepdims=True))
                    / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)
                ),
            }[layer.activation.__name__](h)
    return h


def test_01_model_building_equivalent_spellings_pass(capfd):
    def builder():
        return keras.Sequential(
            [
                keras.Input(shape=(3,)),
                L.Dense(3, activation=keras.activations.relu, kernel_initializer="he_normal",
                        name="layer1"),
                L.Dense(2, "relu", kernel_initializer=keras.initializers.HeNormal(seed=1),
                        name="layer2"),
                L.Dense(2, "sigmoid", name="layer3", kernel_initializer=(
                    keras.initializers.VarianceScaling(2.0, "fan_in", "truncated_normal"))),
            ],
            name="my_Sequential",
        )  # fmt: skip

    check("build_sequential_model", builder, hidden=True)
    assert capfd.readouterr().err == ""


def test_01_model_building_keras2_input_shape_passes_quietly(capfd):
    def builder():
        layers = chapter_layers()
        layers[0] = dense(3, "relu", "layer1", input_shape=(3,))
        return keras.Sequential(layers, name="my_Sequential")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning at definition time, outside the checker
        check("build_sequential_model", builder)
    out, err = capfd.readouterr()
    assert err == "" and "✔ build_sequential_model" in out


def test_01_model_building_separate_activation_layers_are_named():
    def builder():
        return keras.Sequential(
            [keras.Input(shape=(3,)), L.Dense(3, name="layer1"), L.Activation("relu")]
            + chapter_layers()[1:],
            name="my_Sequential",
        )

    message = failure("build_sequential_model", builder)
    assert "has 4 layers after its input" in message
    # Keras numbers automatic names globally: activation, activation_1, ... (order-dependent)
    assert re.search(r"activation(_\d+)? \(Activation\)", message), message


def test_01_model_building_functional_must_not_be_sequential():
    def builder():
        return keras.Sequential([keras.Input(shape=(3,)), *chapter_layers()], name="my_model")

    assert "expected a Functional model" in failure("build_functional_model", builder)


def test_01_model_building_subclass_skipping_a_layer():
    class Skips(keras.Model):
        def __init__(self):
            super().__init__()
            self.layer1, self.layer2, self.layer3 = chapter_layers()

        def call(self, inputs):
            return self.layer3(self.layer1(inputs))

    message = failure("MyModel", Skips)
    assert "self.layer2 has no weights: it was never called" in message
    assert "in this order" in message


def test_01_model_building_subclass_with_an_extra_activation():
    class Extra(keras.Model):
        def __init__(self):
            super().__init__()
            self.layer1, self.layer2, self.layer3 = chapter_layers()

        def call(self, inputs):
            return keras.ops.sigmoid(self.layer3(self.layer2(self.layer1(inputs))))

    message = failure("MyModel", Extra)
    assert "computes something else than layer3(layer2(layer1(x)))" in message


def test_01_model_building_not_a_model_and_broken_returns_do_not_crash():
    assert "expected a keras.Sequential" in failure("build_sequential_model", lambda: None)
    assert "raised" in failure("MyModel", object)


def test_01_model_building_counts_must_be_ints():
    message = failure("dense_param_count", lambda n, u, use_bias=True: float(n * u + u * use_bias))
    assert "return an int" in message


def test_01_model_building_reading_weights_is_allowed_computing_is_not(capfd):
    check("numpy_forward", solution_forward, hidden=True)
    assert capfd.readouterr().err == ""

    def calls_layers(model, x):
        h = np.asarray(x, dtype=np.float32)
        for layer in model.layers:
            if isinstance(layer, L.Dense):
                h = layer(h)
        return keras.ops.convert_to_numpy(h)

    def keras_matmul(model, x):
        h = np.asarray(x, dtype=np.float32)
        for layer in model.layers:
            if isinstance(layer, L.Dense):
                h = keras.ops.matmul(h, layer.kernel)
        return np.asarray(h)

    assert "ran TensorFlow ops (MatMul" in failure("numpy_forward", calls_layers)
    assert "ran TensorFlow ops (MatMul" in failure("numpy_forward", keras_matmul)


def test_01_model_building_show_model_falls_back_to_text(monkeypatch, capfd):
    from course import models

    model = keras.Sequential([keras.Input(shape=(3,)), *chapter_layers()], name="my_Sequential")
    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    assert models.show_model(model) is None
    out, err = capfd.readouterr()
    assert err == ""
    assert "No model picture: Graphviz's `dot` program was not found" in out
    assert "apt install graphviz" in out and "layer3 (Dense, sigmoid)" in out


def test_01_model_building_show_model_draws_with_graphviz(capfd):
    from course import models

    if models.missing_for_plot_model():
        pytest.skip(models.missing_for_plot_model())
    inputs = keras.Input(shape=(3,), name="input")
    model = keras.Model(inputs, L.Dense(2, name="out")(inputs))
    picture = models.show_model(model)
    assert picture is not None and picture.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert capfd.readouterr().err == ""


def test_01_model_building_draw_network_counts_parameters():
    from course.models import draw_network

    figure = draw_network([3, 3, 2, 2])
    assert figure.axes[0].get_title().startswith("26 parameters")
    assert draw_network([4, 8, 1], use_bias=False).axes[0].get_title().startswith("40 parameters")
