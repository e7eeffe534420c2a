"""Chapter 05_training_with_losses in-process: data, solutions, judges, diagnoses, plot helpers."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from autograder import CheckFailed, check, wire
from autograder.checker import _difference
from autograder.exercises import training
from autograder.handback import hand_back, take_back
from autograder.judges.models import is_variance_scaling
from autograder.judges.training import TRAINED, layers_of
from autograder.references import keras, tf
from autograder.registry import Case, get_exercise
from course.datasets import circles_data, digits_data, line_data, regression_data
from course.training_plots import (
    HeldOutCurves,
    plot_decision_regions,
    plot_learning_curves,
    plot_line_fit,
)
from tests.harness import solution_namespace
from tests.test_notebook_contract import spec_names

matplotlib.use("Agg")

ASSIGNMENT = "05_training_with_losses"
EXERCISES = spec_names(ASSIGNMENT)


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The source notebook's solution cells, run as a learner would type them."""
    return solution_namespace(ASSIGNMENT, np=np, keras=keras, tf=tf)


@pytest.mark.parametrize("name", EXERCISES)
def test_05_training_with_losses_solutions_pass_visible_and_hidden_checks(solutions, name, capfd):
    check(name, solutions[name], hidden=True)
    out, err = capfd.readouterr()
    assert "✔" in out and "note:" not in out
    assert err == "", "a check must not write to stderr (nbgrader would zero the cell)"


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("build_regression_mlp", training._regression_reference),
        ("build_digits_classifier", training._digits_reference),
    ],
)
def test_05_training_with_losses_a_pass_never_trains_the_contract_model(solutions, name, reference):
    reference.cache_clear()
    check(name, solutions[name], hidden=True)
    assert reference.cache_info().currsize > 0
    assert "trained" not in reference().__dict__, "only failure messages need the contract model"


@pytest.mark.parametrize(
    ("reference", "args", "score", "passes"),
    [
        (training._regression_reference, (), "test MSE", lambda v: v <= 0.1),
        (training._regression_reference, (8,), "test MSE", lambda v: v <= 0.1),
        (training._digits_reference, (0,), "test accuracy", lambda v: v >= 0.94),
        (training._digits_reference, (1,), "test accuracy", lambda v: v >= 0.94),
    ],
)
def test_05_training_with_losses_contract_models_clear_the_thresholds_with_margin(
    reference, args, score, passes
):
    outcome = reference(*args).trained
    assert outcome.problem is None and passes(outcome.scores[score]), outcome


def _rebuilt(model: object):
    """A builder that returns ``model`` as the judge receives it: as data, rebuilt each call."""
    sent = wire.dumps(hand_back(model))
    return lambda *args: take_back(wire.loads(sent), weights=False)


def test_05_training_with_losses_a_model_trained_before_is_not_trained_again():
    build = _rebuilt(training._contract_regression_mlp(8))
    TRAINED.clear()
    first = training._train_regression(build, 8)
    assert training._train_regression(build, 8) is first and len(TRAINED) == 1
    TRAINED.clear()
    fresh = training._train_regression(build, 8)
    assert fresh is not first and fresh == first, "training again must give the same outcome"


def test_05_training_with_losses_only_the_same_start_shares_an_outcome():
    TRAINED.clear()
    contract = training._train_regression(_rebuilt(training._contract_regression_mlp(8)), 8)
    other_data = training._train_regression(_rebuilt(training._contract_regression_mlp(8)), 20)
    relu_output = keras.Sequential(
        [keras.Input(shape=(8,)), keras.layers.Dense(25, activation="relu"), keras.layers.Dense(1)]
    )
    other_model = training._train_regression(_rebuilt(relu_output), 8)
    assert len(TRAINED) == 3
    assert contract.scores != other_model.scores
    assert other_data.problem and not contract.problem


class Subclassed(keras.Model):
    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale
        self.hidden = keras.layers.Dense(25, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x)) * self.scale


def _own_activation(x):
    return x


@pytest.mark.parametrize(
    "build",
    [
        lambda n: Subclassed(1.0),
        lambda n: keras.Sequential(
            [keras.Input(shape=(n,)), keras.layers.Dense(1, activation=_own_activation)]
        ),
    ],
    ids=["subclassed model", "own activation function"],
)
def test_05_training_with_losses_models_with_code_of_their_own_are_always_trained(build):
    TRAINED.clear()
    outcome = training._train_regression(build, 8)
    assert outcome.scores and not TRAINED


def test_05_training_with_losses_data_sets_are_seeded_split_and_scaled():
    x, y = line_data()
    np.testing.assert_allclose(y, 0.1 * x + 0.3, rtol=1e-6)
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 1

    data = regression_data()
    assert [a.shape for a in data] == [(500, 20), (500, 1), (500, 20), (500, 1)]
    assert all(a.dtype == np.float32 for a in data)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.y_train.std(), 1, rtol=1e-4)
    assert (data.y_train < 0).mean() > 0.3, "MSLE's section relies on negative targets"
    for again, first in zip(regression_data(), data, strict=True):
        np.testing.assert_array_equal(again, first)
    assert regression_data(8).x_train.shape == (500, 8)

    circles = circles_data()
    assert circles.x_train.shape == (500, 2) and circles.y_train.shape == (500, 1)
    assert set(np.unique(circles.y_test)) == {0.0, 1.0}

    digits = digits_data()
    assert digits.x_train.shape == (1347, 64) and digits.x_test.shape == (450, 64)
    assert digits.x_train.min() >= 0 and digits.x_train.max() <= 1
    assert np.bincount(digits.y_test).min() >= 43, "stratified: every digit in the test half"
    assert not np.array_equal(digits_data(1).y_test, digits.y_test)


@pytest.mark.parametrize(
    ("returned", "needle"),
    [
        ((tf.Variable(0.1), tf.Variable(0.3)), "ResourceVariable"),
        ((np.array([0.1]), np.array([0.3])), "ndarray"),
        ([0.1, 0.3, 0.0], "list"),
    ],
)
def test_05_training_with_losses_fit_line_must_return_two_floats(returned, needle):
    message = training._judge_line(returned, (0.1, 0.3), Case(()))
    assert message and needle in message and "Python floats" in message


def test_05_training_with_losses_fit_line_accepts_numpy_floats_within_the_tolerance():
    assert training._judge_line((np.float32(0.1005), 0.2995), (0.1, 0.3), Case(())) is None
    assert "0.002" in training._judge_line((0.102, 0.3), (0.1, 0.3), Case(()))


@pytest.mark.parametrize(
    ("layers", "needle"),
    [
        (("Dense", 25, "sigmoid", "he_uniform", True), "hidden layer's activation is 'sigmoid'"),
        (("Dense", 25, "relu", "zeros", False), "kernel_initializer is zeros"),
        (("Dense", 10, "relu", "he_uniform", True), "hidden layer has 10 units"),
    ],
)
def test_05_training_with_losses_regression_structure_names_the_layer(layers, needle):
    output = training.Layer("Dense", 1, "linear", "glorot_uniform")
    problems = training._regression_structure((training.Layer(*layers), output))
    assert any(needle in p for p in problems), problems


def test_05_training_with_losses_regression_structure_counts_layers():
    hidden = training.Layer("Dense", 25, "relu", "he_uniform", True)
    output = training.Layer("Dense", 1, "linear", "glorot_uniform")
    assert training._regression_structure((hidden, output)) == []
    assert "3 Dense layers" in training._regression_structure((hidden, hidden, output))[0]
    assert (
        "extra layers ['Dropout']"
        in training._regression_structure((hidden, training.Layer("Dropout"), output))[0]
    )


@pytest.mark.parametrize(
    ("initializer", "he"),
    [
        ("he_uniform", True),
        (keras.initializers.HeUniform(seed=3), True),
        (keras.initializers.VarianceScaling(2.0, "fan_in", "uniform"), True),
        ("he_normal", False),
        ("glorot_uniform", False),
    ],
)
def test_05_training_with_losses_he_uniform_in_any_spelling(initializer, he):
    layer = keras.layers.Dense(3, kernel_initializer=initializer)
    assert is_variance_scaling(layer.kernel_initializer, 2.0, "fan_in", "uniform") is he


def test_05_training_with_losses_functional_models_are_read_without_their_input_layer():
    inputs = keras.Input(shape=(20,))
    hidden = keras.layers.Dense(25, activation="relu", kernel_initializer="he_uniform")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    assert training._regression_structure(layers_of(model)) == []


def test_05_training_with_losses_digits_score_tells_logits_from_probabilities():
    data = digits_data()
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(len(data.y_test), 10))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert training._digits_score(logits, data)[1] == frozenset()
    assert "rows sum to 1" in training._digits_score(probabilities, data)[1]
    squashed = 1 / (1 + np.exp(-logits))
    assert training._digits_score(squashed, data)[1] == {"within [0, 1]"}
    assert "output shape" in next(iter(training._digits_score(logits[:, :9], data)[1]))


def test_05_training_with_losses_hinge_labels_are_what_keras_hinge_uses():
    labels = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    scores = np.array([[0.3], [-0.2], [0.9], [-0.8]], dtype=np.float32)
    converted = training._keras_hinge_labels(labels)
    np.testing.assert_array_equal(converted, 2 * labels - 1)
    hinge = keras.losses.Hinge()
    assert float(hinge(labels, scores)) == pytest.approx(float(hinge(converted, scores)))
    np.testing.assert_array_equal(training._keras_hinge_labels(converted), converted)


@pytest.mark.parametrize(
    "mistake", [m for m in get_exercise("HuberLoss").mistakes if m.produces is not None]
)
def test_05_training_with_losses_every_huber_mistake_differs_on_a_visible_case(mistake):
    exercise = get_exercise("HuberLoss")
    differs = False
    for case in exercise.visible():
        if "fit_epochs" in case.kwargs or "saved" in case.kwargs:
            continue
        expected = exercise.reference(*case.args, **case.kwargs)
        wrong = exercise.invoke(mistake.produces, case.args, dict(case.kwargs))
        differs |= _difference(exercise, case, wrong, expected) is not None
    assert differs, mistake.hint


def test_05_training_with_losses_reference_huber_keeps_delta_through_save_and_load(
    solutions, tmp_path
):
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=solutions["HuberLoss"](delta=2.0))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(
        tmp_path / "model.keras", custom_objects={"HuberLoss": solutions["HuberLoss"]}
    )
    assert type(loaded.loss).__name__ == "HuberLoss" and loaded.loss.delta == 2.0
    errors = np.array([[0.5], [1.5], [3.0]], dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.loss(np.zeros_like(errors), errors)),
        keras.ops.convert_to_numpy(keras.losses.Huber(delta=2.0)(np.zeros_like(errors), errors)),
        rtol=1e-6,
    )


def test_05_training_with_losses_huber_without_get_config_loses_only_the_saved_case(solutions):
    class Forgetful(solutions["HuberLoss"]):
        get_config = keras.losses.Loss.get_config

    exercise = get_exercise("HuberLoss")
    for case in exercise.visible():
        expected = exercise.reference(*case.args, **case.kwargs)
        got = exercise.invoke(Forgetful, case.args, dict(case.kwargs))
        fails = _difference(exercise, case, got, expected) is not None
        assert fails == ("saved" in case.kwargs), case.why
    with pytest.raises(CheckFailed, match="delta did not survive the save and load"):
        check("HuberLoss", Forgetful)


def test_05_training_with_losses_huber_must_be_a_loss_class():
    def huber(y_true, y_pred):
        return keras.losses.Huber()(y_true, y_pred)

    with pytest.raises(CheckFailed, match="subclass of keras.losses.Loss"):
        check("HuberLoss", huber)


def test_05_training_with_losses_numpy_inside_call_fails_only_in_fit():
    class NumpyHuber(keras.losses.Loss):
        def __init__(self, delta=1.0):
            super().__init__(name="huber_loss")
            self.delta = delta

        def call(self, y_true, y_pred):
            error = np.abs(np.asarray(y_pred) - np.asarray(y_true))
            values = np.where(
                error <= self.delta, 0.5 * error**2, self.delta * (error - self.delta / 2)
            )
            return values.mean(axis=-1)

    exercise = get_exercise("HuberLoss")
    direct = exercise.visible()[0]
    assert (
        _difference(
            exercise,
            direct,
            exercise.invoke(NumpyHuber, direct.args, dict(direct.kwargs)),
            exercise.reference(*direct.args, **direct.kwargs),
        )
        is None
    )
    with pytest.raises(CheckFailed, match="keras.ops only"):
        check("HuberLoss", NumpyHuber)


def test_05_training_with_losses_held_out_curves_agree_with_evaluate():
    data = regression_data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    curves = HeldOutCurves(data.x_test, data.y_test, {"mae": lambda y, p: np.mean(np.abs(y - p))})
    history = model.fit(
        data.x_train, data.y_train, epochs=2, batch_size=100, verbose=0, callbacks=[curves]
    )
    assert len(history.history["val_loss"]) == len(history.history["val_mae"]) == 2
    loss = model.evaluate(data.x_test, data.y_test, batch_size=500, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)


def test_05_training_with_losses_plot_helpers_draw_every_panel():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_accuracy": [0.6, 0.8]}
    figure = plot_learning_curves({"a": history, "b": history}, key=["loss", "accuracy"])
    assert len(figure.axes) == 4
    assert [len(ax.lines) for ax in figure.axes] == [2, 1, 2, 1]

    x, y = line_data(n=20)
    figure = plot_line_fit(x, y, [0, 1, 10], [(0.0, 0.0), (0.05, 0.2), (0.1, 0.3)], (0.1, 0.3))
    assert len(figure.axes) == 2

    circles = circles_data(n_samples=40)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, "sigmoid")])
    figure = plot_decision_regions({"sigmoid": (model, 0.5)}, circles.x_test, circles.y_test)
    assert figure.axes[0].get_title() == "sigmoid"
    matplotlib.pyplot.close("all")


def _closed_form_line(x, y, learning_rate=0.5, steps=200):
    w, b = np.polyfit(np.ravel(x), np.ravel(y), 1)
    return float(w), float(b)


def test_05_training_with_losses_fit_line_in_closed_form_fails_on_the_path(solutions, capfd):
    """Only gradient descent passes the hidden cases: 0 and 3 steps, a learning rate of 0."""
    with pytest.raises(CheckFailed, match="gradient descent on the mean squared error from w = b"):
        check("fit_line", _closed_form_line, hidden=True)
    x, y = line_data()
    for kwargs in ({"steps": 0}, {"steps": 3}, {"learning_rate": 0.0}):
        expected = training._line_reference(x, y, **kwargs)
        assert (
            training._judge_line(solutions["fit_line"](x, y, **kwargs), expected, Case((), kwargs))
            is None
        )
    assert training._line_reference(x, y, steps=0) == (0.0, 0.0)


class _DigitsNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(64, activation="relu")
        self.logits = keras.layers.Dense(10)

    def call(self, x):
        return self.logits(self.hidden(x))


def test_05_training_with_losses_a_subclassed_digits_model_is_refused_by_name():
    """The judge rebuilds models from their configuration: the check refuses a subclass the same
    way in the learner's notebook, without training it."""
    TRAINED.clear()
    outcome = training._train_digits(_DigitsNet)
    assert (
        "returned a subclassed keras.Model" in outcome.problem
        and "keras.Sequential" in outcome.problem
    )
    assert not outcome.scores
