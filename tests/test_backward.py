"""The backward-pass exercises of chapters 01, 02, 04 and 05 in-process: the reference solutions
equal tf.GradientTape on the checker's random inputs, every known mistake is told apart and named,
the course's own NumPy MLP agrees, and the course's functions cross the wire by name only."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from autograder import CheckFailed, check, wire
from autograder.registry import all_exercises
from course import functions, mlp
from tests.harness import solution_namespace

BACKWARD = {
    "01_model_building": ["dense_backward"],
    "02_activations": [
        "elu_derivative",
        "selu_derivative",
        "softplus_derivative",
        "swish_derivative",
        "gelu_derivative",
        "softmax_jacobian",
    ],
    "04_losses": [
        "mse_gradient",
        "binary_crossentropy_logits_gradient",
        "categorical_crossentropy_logits_gradient",
    ],
    "05_training_with_losses": [
        "numerical_gradient",
        "gradient_check",
        "mlp_gradients",
        "train_numpy_mlp",
    ],
}
EXERCISES = [(chapter, name) for chapter, names in BACKWARD.items() for name in names]


@pytest.fixture(scope="module")
def solutions() -> dict[str, dict]:
    return {chapter: solution_namespace(chapter, np=np, keras=keras, tf=tf) for chapter in BACKWARD}


@pytest.mark.parametrize(("chapter", "name"), EXERCISES, ids=[n for _, n in EXERCISES])
def test_solution_equals_gradient_tape_on_visible_and_hidden_cases(solutions, chapter, name):
    check(name, solutions[chapter][name], hidden=True)


MISTAKES = [
    pytest.param(name, index, id=f"{name}-{index}")
    for _, name in EXERCISES
    for index, mistake in enumerate(all_exercises()[name].mistakes)
    if mistake.produces is not None
]


@pytest.mark.parametrize(("name", "index"), MISTAKES)
def test_every_wrong_implementation_fails_and_is_named(name, index):
    """Each mistake, handed in as the answer, fails somewhere and the message names it."""
    mistake = all_exercises()[name].mistakes[index]
    with np.errstate(all="ignore"), pytest.raises(CheckFailed) as raised:
        check(name, mistake.produces, hidden=True)
    assert mistake.hint in str(raised.value)


def test_course_implementations_equal_gradient_tape():
    check("numerical_gradient", mlp.numerical_gradient, hidden=True)
    check("gradient_check", mlp.gradient_check, hidden=True)
    check("dense_backward", mlp.dense_backward, hidden=True)
    check("mlp_gradients", mlp.mlp_gradients, hidden=True)
    check("train_numpy_mlp", mlp.train_numpy_mlp, hidden=True)


def test_course_softmax_jacobian_is_keras_and_collapses_with_crossentropy():
    """J^T (-y / p) = softmax(x) - y, the gradient Keras's cross-entropy from logits has."""
    from course.reference import softmax_jacobian

    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, size=5)
    labels = np.eye(5)[2]
    jacobian = softmax_jacobian(logits)
    p = keras.ops.convert_to_numpy(keras.activations.softmax(logits[None].astype("float32")))[0]
    z = tf.constant(logits[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)(labels[None], z)
    np.testing.assert_allclose(jacobian.T @ (-labels / p), tape.gradient(loss, z)[0], atol=1e-6)


def test_sigmoid_output_gradients_vanish_for_mse_not_for_crossentropy():
    from course.gradients import sigmoid_output_gradients

    gradients = sigmoid_output_gradients(np.array([-8.0, 0.0]))
    assert abs(gradients["MSE"][0]) < 1e-2 * abs(gradients["BCE"][0])
    assert abs(gradients["MSE"][1]) > 0.1 * abs(gradients["BCE"][1])


@pytest.mark.parametrize("name", sorted(functions.FUNCTIONS))
def test_course_functions_cross_the_wire_by_name_and_back(name):
    function = functions.FUNCTIONS[name]
    text = wire.dumps((function, np.ones(2)))
    assert "function" in text and name in text and "npy" in text
    back, _ = wire.loads(text)
    assert back is function


@pytest.mark.parametrize("impostor", [np.sum, lambda x: 0.0, functions.Named(np.sum)])
def test_other_callables_do_not_cross_as_course_functions(impostor):
    assert wire.loads(wire.dumps(impostor)).__class__ is wire.Opaque


def test_an_unknown_course_function_name_is_refused():
    with pytest.raises(wire.WireError, match="no course function"):
        wire.loads('{"$": "function", "name": "__import__"}')
