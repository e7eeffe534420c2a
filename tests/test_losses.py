"""Chapter 04_losses in-process: solutions, worked examples, diagnoses and plot helpers."""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pytest

from autograder import CheckFailed, check
from autograder.compare import array_difference
from autograder.references import keras
from autograder.registry import all_exercises
from tests.harness import solution_namespace
from tests.test_notebook_contract import spec_names

matplotlib.use("Agg")

ASSIGNMENT = "04_losses"
EXERCISES = spec_names(ASSIGNMENT)


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The source notebook's solution cells, run as a learner would type them."""
    return solution_namespace(ASSIGNMENT, np=np)


@pytest.mark.parametrize("name", EXERCISES)
def test_04_losses_solutions_pass_visible_and_hidden_checks(solutions, name, capsys):
    check(name, solutions[name], hidden=True)
    assert "✔" in capsys.readouterr().out


ONE_HOT = [[0, 1, 0], [0, 0, 1]]


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred", "value"),
    [
        ("CategoricalCrossentropy", ONE_HOT, [[0.05, 0.9, 0.05], [0.3, 0.2, 0.5]], 0.39925388),
        ("CategoricalCrossentropy", ONE_HOT, [[0.05, 0.9, 0.05], [0.05, 0.05, 0.9]], 0.105360545),
        ("BinaryCrossentropy", [[0], [1]], [[0.4], [0.6]], 0.5108256),
        ("BinaryCrossentropy", [[0], [1]], [[0.1], [0.9]], 0.105360545),
        ("MeanAbsoluteError", [[0.0], [1.0]], [[1.0], [0.0]], 1.0),
        ("MeanSquaredError", [[0.0], [1.0]], [[1.0], [1.0]], 0.5),
        ("Huber", [[0], [1]], [[0.6], [0.4]], 0.18),
    ],
)
def test_04_losses_worked_examples_have_the_keras_3_values_the_notebook_quotes(
    loss, y_true, y_pred, value
):
    got = float(getattr(keras.losses, loss)()(np.array(y_true), np.array(y_pred)))
    assert got == pytest.approx(value, rel=1e-6)


def _keras_rejects(exercise, case) -> bool:
    try:
        exercise.reference(*case.args, **case.kwargs)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("name", EXERCISES)
def test_04_losses_every_diagnosed_mistake_really_differs_from_keras(name):
    exercise = all_exercises()[name]
    cases = [case for case in exercise.cases(hidden=True) if not _keras_rejects(exercise, case)]
    expected = [exercise.reference(*case.args, **case.kwargs) for case in cases]
    for mistake in exercise.mistakes:
        if mistake.produces is None:
            continue
        differs = 0
        for case, value in zip(cases, expected, strict=True):
            try:
                with np.errstate(all="ignore"):
                    wrong = mistake.produces(
                        *copy.deepcopy(case.args), **copy.deepcopy(case.kwargs)
                    )
            except ValueError:  # the mistake does not apply to this case
                continue
            rtol = exercise.rtol if case.rtol is None else case.rtol
            atol = exercise.atol if case.atol is None else case.atol
            differs += array_difference(wrong, value, rtol, atol) is not None
        assert differs, f"{name}: never distinguishable: {mistake.hint}"


def test_04_losses_scalar_mismatch_is_reported_with_expected_and_got():
    with pytest.raises(CheckFailed) as raised:
        check("mean_squared_error", lambda y_true, y_pred, sample_weight=None: 1.0)
    message = str(raised.value)
    assert "expected 0.5, got 1" in message and "input (worked example" in message


def test_04_losses_zero_weights_hint_names_the_divisor():
    def dropped(y_true, y_pred, sample_weight=None):
        losses = np.mean(np.abs(np.subtract(y_pred, y_true)), axis=-1)
        if sample_weight is None:
            return losses.mean()
        weights = np.broadcast_to(np.asarray(sample_weight, dtype=float), losses.shape)
        return np.sum(losses * weights) / np.count_nonzero(weights)

    with pytest.raises(CheckFailed) as raised:
        check("mean_absolute_error", dropped)
    assert "zero weights were dropped from the divisor" in str(raised.value)


def test_04_losses_plot_helpers_use_keras_gradients():
    from course.losses import loss_and_gradient, plot_crossentropy, plot_regression_losses

    errors = np.array([-3.0, -0.5, 0.25, 2.0])
    loss, gradient = loss_and_gradient("Huber", errors, delta=1.0)
    np.testing.assert_allclose(gradient, np.clip(errors, -1.0, 1.0), rtol=1e-6)
    np.testing.assert_allclose(loss, [2.5, 0.125, 0.03125, 1.5], rtol=1e-6)
    _, mae_gradient = loss_and_gradient("MeanAbsoluteError", errors)
    np.testing.assert_array_equal(mae_gradient, np.sign(errors))
    assert len(plot_regression_losses().axes) == 2
    assert len(plot_crossentropy().axes) == 2


KERAS_MSE_EXAMPLE = ([[1, 9, 2], [-5, -2, 6]], [[4, 8, 12], [8, 1, 3]])  # losses_test.py's


def _broadcast_weights(y_true, y_pred, sample_weight=None):
    losses = np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2, axis=-1)
    if sample_weight is not None:
        losses = losses * np.asarray(sample_weight, dtype=float)
    return np.sum(losses) / losses.size


@pytest.mark.parametrize(
    ("weights", "value"),
    [
        ([[1.2], [3.4]], 767.8 / 6),
        ([1.2, 3.4], 767.8 / 6),
        (2.3, 113.85),
        ([[[1.2]], [[3.4]]], None),
    ],
)
def test_04_losses_weights_take_the_rank_of_the_losses_as_in_keras(solutions, weights, value):
    """(N, 1) weights weight samples; (N, 1, 1) has two extra axes, so Keras broadcasts it."""
    keras_value = float(keras.losses.MeanSquaredError()(*KERAS_MSE_EXAMPLE, sample_weight=weights))
    if value is not None:
        assert keras_value == pytest.approx(value, rel=1e-6)
    got = solutions["mean_squared_error"](*KERAS_MSE_EXAMPLE, sample_weight=weights)
    assert got == pytest.approx(keras_value, rel=1e-6)


def test_04_losses_weights_broadcast_into_a_matrix_are_diagnosed():
    assert _broadcast_weights(*KERAS_MSE_EXAMPLE, [[1.2], [3.4]]) == pytest.approx(113.85)
    with pytest.raises(CheckFailed) as raised:
        check("mean_squared_error", _broadcast_weights)
    message = str(raised.value)
    assert "(3, 1): one per sample" in message and "broadcast" in message
    assert "into a matrix" in message


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_04_losses_mismatched_shapes_must_raise_as_in_keras(solutions, name):
    """Shapes that still differ after the rank rule raise ValueError, in Keras and the course."""

    def broadcasts(y_true, y_pred, sample_weight=None, **options):
        ranked = solutions["same_rank"](np.asarray(y_true, float), np.asarray(y_pred, float))
        return solutions[name](
            *np.broadcast_arrays(*ranked), sample_weight=sample_weight, **options
        )

    for y_true, y_pred in (
        ([[0], [1], [1]], np.full((3, 3), 0.3)),
        ([0, 1, 1], np.full((3, 2), 0.5)),
    ):
        with pytest.raises(ValueError):
            getattr(keras.losses, all_exercises()[name].reference_name.split(".")[-1])()(
                np.asarray(y_true, np.float32), y_pred
            )
        with pytest.raises(ValueError, match="must have the same shape"):
            solutions[name](y_true, y_pred)
    with pytest.raises(CheckFailed, match="should raise ValueError"):
        check(name, broadcasts)


TARGETS, COLUMN = np.array([0.0, 1.0, 2.0, 3.0]), np.array([[0.0], [1.0], [2.0], [3.0]])


@pytest.mark.parametrize("name", ["mean_squared_error", "binary_crossentropy", "hinge"])
def test_04_losses_targets_take_the_rank_of_the_predictions_as_in_keras(solutions, name):
    """y_true (N,) against y_pred (N, 1) is one loss per sample in Keras's loss classes."""
    reference = all_exercises()[name].reference
    probabilities = np.array([[0.2], [0.7], [0.9], [0.4]])
    for y_true, y_pred in ((np.array([0.0, 1.0, 1.0, 0.0]), probabilities), (COLUMN[:, 0], COLUMN)):
        got = solutions[name](y_true, y_pred)
        assert got == pytest.approx(float(reference(y_true, y_pred)), rel=1e-6)
        assert solutions[name](y_pred, y_true) == pytest.approx(float(reference(y_pred, y_true)))
    assert float(keras.losses.MeanSquaredError()(TARGETS, COLUMN)) == 0.0
    assert np.mean((COLUMN - TARGETS) ** 2) == 2.5  # the N x N grid the rule prevents


def test_04_losses_targets_broadcast_into_a_matrix_are_diagnosed():
    def grid(y_true, y_pred, sample_weight=None):
        losses = np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2, axis=-1)
        if sample_weight is not None:
            losses = losses * np.asarray(sample_weight, dtype=float).reshape(losses.shape)
        return np.sum(losses) / losses.size

    with pytest.raises(CheckFailed) as raised:
        check("mean_squared_error", grid)
    message = str(raised.value)
    assert "y_true of shape (4,) against y_pred of shape (4, 1)" in message
    assert "targets were broadcast against the predictions into a matrix" in message


def test_04_losses_raising_on_a_rank_keras_accepts_shows_the_input(solutions):
    def strict(y_true, y_pred, **options):
        if np.shape(y_true) != np.shape(y_pred):
            raise ValueError("y_true and y_pred must have the same shape")
        return solutions["binary_crossentropy"](y_true, y_pred, **options)

    with pytest.raises(CheckFailed) as raised:
        check("binary_crossentropy", strict)
    message = str(raised.value)
    assert "raised ValueError: y_true and y_pred must have the same shape" in message
    assert "Keras gives y_true the rank of y_pred first" in message
