"""Chapter 05_training_with_losses: gradient descent by hand, choosing a loss in real training.

These exercises are graded on outcomes rather than by equality with one Keras call:
the line fitted by gradient descent must land on the least-squares line; the models a
learner builds are compiled and trained here, with a fixed seed and a small epoch budget,
and must clear a threshold on a held-out split; the custom loss must equal
``keras.losses.Huber``, also when ``model.fit`` trains with it. Training exercises are
not NumPy reimplementations, so TensorFlow is allowed (kinds
:class:`~autograder.kinds.tensorflow_function.TensorFlowFunction`,
:class:`~autograder.kinds.trainer.Trainer`, :class:`~autograder.kinds.keras_class.KerasClass`).

A catalogue: the training protocol and what it reads off a model are in
:mod:`autograder.judges.training`; the keras.ops Huber losses with one slip each in
:mod:`autograder.mistakes.huber`. The reference of a training exercise is the contract's
own model trained under the same protocol. The pass mark is a fixed threshold that this
model clears with margin, so it is trained only when a failure message needs its result
for comparison (then cached).
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.compare import non_finite_where_finite
from autograder.judges.gradients import judge_gradients
from autograder.judges.models import Functional
from autograder.judges.training import (
    ContractOutcome,
    Layer,
    Trained,
    call_loss_class,
    first_line,
    train,
)
from autograder.kinds.keras_class import KerasClass
from autograder.kinds.numpy_function import NumPyFunction
from autograder.kinds.tensorflow_function import TensorFlowFunction
from autograder.kinds.trainer import NumPyTrainer, Trainer
from autograder.mistakes import huber
from autograder.mistakes.gradients import mlp_gradients, numerical_gradient
from autograder.references import as_float32, keras, tf, to_numpy
from autograder.registry import DEFAULT_ATOL, DEFAULT_RTOL, Case, Exercise, Mistake
from course import functions
from course.datasets import Split, digits_data, line_data, regression_data

# ----------------------------------------------------------------------------- fit_line

LINE_ATOL = 1e-3
#: Runs this short (or with a learning rate of 0) are judged on the path of gradient descent
#: from w = b = 0, as the notebook asks, step by step: a closed-form fit lands elsewhere.
PATH_STEPS = 10


def _on_path(case: Case) -> bool:
    """Is this case judged on gradient descent's path rather than on where it arrives?"""
    steps, rate = case.kwargs.get("steps", 200), case.kwargs.get("learning_rate", 0.5)
    return steps <= PATH_STEPS or rate == 0


def _line_reference(
    x: Any, y: Any, learning_rate: float = 0.5, steps: int = 200
) -> tuple[float, float]:
    """Where gradient descent must be: after a few steps from w = b = 0, on its path (computed
    here in float64); after many, at the minimum of the mean squared error."""
    x, y = (np.ravel(np.asarray(v, np.float64)) for v in (x, y))
    if steps > PATH_STEPS and learning_rate != 0:
        w, b = np.polyfit(x, y, 1)
        return float(w), float(b)
    w = b = 0.0
    for _ in range(steps):
        residual = w * x + b - y
        grad_w, grad_b = 2 * np.mean(residual * x), 2 * np.mean(residual)
        w, b = w - learning_rate * grad_w, b - learning_rate * grad_b
    return float(w), float(b)


def _pair(value: Any) -> tuple[float, float] | None:
    """``value`` as two floats when it is a pair of real scalars, else None."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        return None
    if not all(isinstance(v, float | np.floating) for v in value):
        return None
    return float(value[0]), float(value[1])


def _judge_line(got: Any, expected: Any, case: Case) -> str | None:
    pair = _pair(got)
    if pair is None:
        kinds = ", ".join(type(v).__name__ for v in got) if isinstance(got, tuple | list) else ""
        return (
            f"returned {type(got).__name__}({kinds}); return the pair (w, b) as two Python "
            "floats, e.g. float(w.numpy())"
        )
    atol = LINE_ATOL if case.atol is None else case.atol
    errors = [abs(g - e) for g, e in zip(pair, expected, strict=True)]
    if all(math.isfinite(g) for g in pair) and max(errors) <= atol:
        return None
    if _on_path(case):
        steps, rate = case.kwargs.get("steps", 200), case.kwargs.get("learning_rate", 0.5)
        return (
            f"with steps={steps} and learning_rate={rate:g}, w = {pair[0]:.6g}, b = {pair[1]:.6g}; "
            f"gradient descent on the mean squared error from w = b = 0 is at w = "
            f"{expected[0]:.6g}, b = {expected[1]:.6g} (|error| {max(errors):.3g} > allowed "
            f"{atol:g})"
        )
    return (
        f"w = {pair[0]:.6g}, b = {pair[1]:.6g}; the least-squares line is "
        f"w = {expected[0]:.6g}, b = {expected[1]:.6g} (|error| {max(errors):.3g} > allowed "
        f"{atol:g})"
    )


def _ran_away(case: Case, got: Any, expected: Any) -> bool:
    pair = _pair(got)
    return pair is not None and not all(math.isfinite(v) and abs(v) < 1e3 for v in pair)


def _stopped_short(case: Case, got: Any, expected: Any) -> bool:
    pair = _pair(got)
    return pair is not None and not _on_path(case) and not _ran_away(case, got, expected)


def _off_path(case: Case, got: Any, expected: Any) -> bool:
    return _pair(got) is not None and _on_path(case)


def _line_case(
    rng: np.random.Generator, w: float, b: float, n: int, noise: float, low: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(low, 1.0, size=n)
    return x, w * x + b + noise * rng.normal(size=n)


def _line_hidden(rng: np.random.Generator) -> list[Case]:
    noisy = _line_case(rng, -0.7, 0.5, 200, 0.05)
    listed = _line_case(rng, 0.4, -0.2, 30, 0.0)
    slow = _line_case(rng, 0.25, 0.6, 80, 0.02)
    centred = _line_case(rng, 0.8, -0.4, 64, 0.0, low=-1.0)
    return [
        Case(tuple(a.astype(np.float32) for a in noisy), why="noisy float32 data"),
        Case(tuple(a.round(4).tolist() for a in listed), why="Python lists"),
        Case(slow, {"learning_rate": 0.2, "steps": 400}, why="smaller rate, more steps"),
        Case(centred, why="x uniform on [-1, 1)"),
        Case(line_data(), {"steps": 0}, why="no steps: w = b = 0, where descent starts"),
        Case(line_data(), {"steps": 3}, why="three steps: the path of gradient descent"),
        Case(line_data(), {"learning_rate": 0.0}, why="learning rate 0: nothing moves"),
    ]


FIT_LINE = Exercise(
    name="fit_line",
    reference=_line_reference,
    reference_name=(
        "the least-squares line (the minimum of the mean squared error); after a few steps, "
        "the path of gradient descent from w = b = 0"
    ),
    params=("x", "y"),
    visible=lambda: [Case(line_data(), why="100 points on y = 0.1 x + 0.3")],
    hidden=_line_hidden,
    rtol=0.0,
    atol=LINE_ATOL,
    kind=TensorFlowFunction(judge=_judge_line),
    mistakes=(
        Mistake(
            "the parameters ran away instead of settling: step against the gradient, "
            "w ← w − learning_rate · ∂L/∂w (w.assign_sub(...), not assign_add), with L the "
            "mean (not the sum) of the squared residuals.",
            when=_ran_away,
        ),
        Mistake(
            "w and b stopped short of the minimum (or settled elsewhere): run all `steps` "
            "updates with the given `learning_rate` (no hard-coded step count, no early "
            "stop), update both w and b, and take L as the mean of the squared residuals.",
            when=_stopped_short,
        ),
        Mistake(
            "fit_line must take exactly `steps` steps of gradient descent from w = b = 0, each "
            "w ← w − learning_rate · ∂L/∂w with the tape's gradients (a closed-form fit such as "
            "np.polyfit or np.linalg.lstsq jumps to the minimum at once: not what is asked).",
            when=_off_path,
        ),
    ),
)

# ----------------------------------------------------------------------------- trained models


# ----------------------------------------------------------------------------- regression

REGRESSION_EPOCHS = 10
REGRESSION_MAX_MSE = 0.2
REGRESSION_SEED = 0


def _regression_score(
    predictions: np.ndarray, data: Split
) -> tuple[dict[str, float], frozenset[str]]:
    if predictions.shape != data.y_test.shape:
        return {}, frozenset({f"output shape {predictions.shape}"})
    return {"test MSE": float(np.mean((predictions - data.y_test) ** 2))}, frozenset()


def _train_regression(build: Callable[..., Any], *args: Any) -> Trained:
    n_features = args[0] if args else 20
    return train(
        build,
        args,
        regression_data(n_features),
        {"optimizer": keras.optimizers.SGD(0.01, momentum=0.9), "loss": "mse"},
        REGRESSION_EPOCHS,
        32,
        REGRESSION_SEED,
        n_features,
        _regression_score,
    )


def _contract_regression_mlp(n_features: int = 20) -> Any:
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(25, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(1, activation="linear"),
        ]
    )


@functools.lru_cache(maxsize=8)
def _regression_reference(*args: Any) -> ContractOutcome:
    return ContractOutcome(lambda: _train_regression(_contract_regression_mlp, *args))


def _regression_structure(layers: tuple[Layer, ...]) -> list[str]:
    """How the layers differ from Dense(25, relu, he_uniform) → Dense(1, linear)."""
    dense = [layer for layer in layers if layer.kind == "Dense"]
    others = [layer.kind for layer in layers if layer.kind != "Dense"]
    problems = []
    if others:
        problems.append(f"extra layers {others}: the contract has Dense layers only")
    if len(dense) != 2:
        return problems + [f"{len(dense)} Dense layers; the contract has two: Dense(25) → Dense(1)"]
    hidden, output = dense
    if hidden.units != 25:
        problems.append(f"the hidden layer has {hidden.units} units; the contract says 25")
    if hidden.activation != "relu":
        problems.append(
            f"the hidden layer's activation is {hidden.activation!r}; the contract says 'relu'"
        )
    if not hidden.he_uniform:
        default = " (Keras's default)" if hidden.initializer == "glorot_uniform" else ""
        problems.append(
            f"the hidden layer's kernel_initializer is {hidden.initializer}{default}; "
            "the contract says 'he_uniform' (the initializer made for ReLU)"
        )
    if output.units != 1:
        problems.append(f"the output layer has {output.units} units; one target needs 1")
    if output.activation != "linear":
        problems.append(
            f"the output layer's activation is {output.activation!r}; a regression output must "
            "be 'linear' (the standardised targets are unbounded, about half of them negative)"
        )
    return problems


def _judge_regression(got: Trained, expected: ContractOutcome, case: Case) -> str | None:
    if got.problem:
        return got.problem
    problems = _regression_structure(got.layers)
    problems += [
        f"{flag}: one prediction per sample needs shape (n, 1)"
        for flag in got.flags
        if flag.startswith("output shape")
    ]
    mse = got.scores.get("test MSE", float("nan"))
    if not mse <= REGRESSION_MAX_MSE:
        problems.append(
            f"test MSE {mse:.4g} after {got.epochs} epochs, more than the {REGRESSION_MAX_MSE} "
            f"allowed (the contract's model reaches {expected.trained.scores['test MSE']:.4g})"
        )
    return "; ".join(problems) or None


BUILD_REGRESSION_MLP = Exercise(
    name="build_regression_mlp",
    reference=_regression_reference,
    reference_name=(
        "the contract: Dense(25, relu, he_uniform) → Dense(1, linear), trained here with "
        f"SGD(0.01, momentum=0.9) and MSE for {REGRESSION_EPOCHS} epochs to a test MSE "
        f"≤ {REGRESSION_MAX_MSE}"
    ),
    params=("n_features",),
    visible=lambda: [
        Case((), why="default n_features: make_regression with 20 features, 500/500 split")
    ],
    hidden=lambda rng: [
        Case((8,), why="make_regression with 8 features (4 informative), 500/500 split")
    ],
    rtol=0.0,
    atol=0.0,
    kind=Trainer(_train_regression, _judge_regression),
)

# ----------------------------------------------------------------------------- digits

DIGITS_EPOCHS = 8
DIGITS_MIN_ACCURACY = 0.90
DIGITS_BATCH = 64


def _cross_entropy_from_logits(labels: np.ndarray, logits: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(labels)), labels]))


def _digits_score(outputs: np.ndarray, data: Split) -> tuple[dict[str, float], frozenset[str]]:
    if outputs.ndim != 2 or outputs.shape[1] != 10:
        return {}, frozenset({f"output shape {outputs.shape}"})
    outputs = outputs.astype(np.float64)
    flags = set()
    if np.all((outputs >= 0) & (outputs <= 1)):
        flags.add("within [0, 1]")
        if np.allclose(outputs.sum(axis=1), 1, atol=1e-3):
            flags.add("rows sum to 1")
    scores = {
        "test accuracy": float(np.mean(outputs.argmax(axis=1) == data.y_test)),
        "cross-entropy of the outputs read as logits": _cross_entropy_from_logits(
            data.y_test, outputs
        ),
    }
    return scores, frozenset(flags)


#: Why a subclassed model is refused (the judge rebuilds models from their configuration).
DIGITS_MODELS = (
    "build_digits_classifier returned a subclassed keras.Model ({name}). This exercise accepts "
    "a keras.Sequential or a functional keras.Model(inputs, outputs) made of Keras's own "
    "layers: the grader rebuilds it from its configuration and trains it itself, without "
    "running your code. Write the same network with keras.Sequential([...])"
)


class _Subclassed(TypeError):
    """A model that only the learner's own code could rebuild."""


def _rebuildable(build: Callable[..., Any]) -> Callable[..., Any]:
    """``build``, refusing a model whose class is not Sequential or Functional."""

    def built(*args: Any) -> Any:
        model = build(*args)
        if isinstance(model, keras.Model) and type(model) not in (keras.Sequential, Functional):
            raise _Subclassed(DIGITS_MODELS.format(name=str(model.name)[:60]))
        return model

    return built


def _train_digits(build: Callable[..., Any], split_seed: int = 0) -> Trained:
    try:
        return _train_digits_model(_rebuildable(build), split_seed)
    except _Subclassed as refused:
        return Trained(problem=str(refused))


def _train_digits_model(build: Callable[..., Any], split_seed: int) -> Trained:
    return train(
        build,
        (),
        digits_data(split_seed),
        {
            "optimizer": keras.optimizers.Adam(0.01),
            "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        },
        DIGITS_EPOCHS,
        DIGITS_BATCH,
        split_seed,
        64,
        _digits_score,
    )


def _contract_digits_classifier() -> Any:
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(64, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(10),
        ]
    )


@functools.lru_cache(maxsize=8)
def _digits_reference(split_seed: int = 0) -> ContractOutcome:
    return ContractOutcome(lambda: _train_digits_model(_contract_digits_classifier, split_seed))


def _judge_digits(got: Trained, expected: ContractOutcome, case: Case) -> str | None:
    if got.problem:
        return got.problem
    shape = [flag for flag in got.flags if flag.startswith("output shape")]
    if shape:
        return f"{shape[0]}: the model must output 10 logits (one per class) for each image"
    scores = got.scores
    if "rows sum to 1" in got.flags:
        return (
            "the outputs are probabilities (every row lies in [0, 1] and sums to 1), not logits: "
            "the last layer applies softmax. from_logits=True then applies softmax a second "
            "time; Keras quietly undoes that inside fit (with a warning), but the model still "
            "does not output logits: read as logits its outputs give a cross-entropy of "
            f"{scores['cross-entropy of the outputs read as logits']:.3g}. Give the last Dense "
            "layer no activation"
        )
    if "within [0, 1]" in got.flags:
        return (
            "the outputs are squashed into [0, 1] (a sigmoid on the last layer?), so they are "
            "not logits: give the last Dense layer no activation"
        )
    accuracy = scores["test accuracy"]
    if accuracy >= DIGITS_MIN_ACCURACY:
        return None
    return (
        f"test accuracy {accuracy:.3f} after {got.epochs} epochs, below the "
        f"{DIGITS_MIN_ACCURACY} required (the contract's model reaches "
        f"{expected.trained.scores['test accuracy']:.3f}): the model is too small or cannot "
        "train; a hidden layer of a few dozen ReLU units is plenty"
    )


BUILD_DIGITS_CLASSIFIER = Exercise(
    name="build_digits_classifier",
    reference=_digits_reference,
    reference_name=(
        f"the contract: 10 logits per image and test accuracy ≥ {DIGITS_MIN_ACCURACY} "
        f"after {DIGITS_EPOCHS} epochs of Adam(0.01) with "
        "SparseCategoricalCrossentropy(from_logits=True)"
    ),
    params=(),
    visible=lambda: [Case((), why="digits, stratified 75/25 split with seed 0")],
    hidden=lambda rng: [
        Case((), {"split_seed": 1}, why="digits, stratified 75/25 split with seed 1")
    ],
    rtol=0.0,
    atol=0.0,
    kind=Trainer(_train_digits, _judge_digits),
)

# ----------------------------------------------------------------------------- hinge labels


def _keras_hinge_labels(y: Any) -> np.ndarray:
    """The conversion keras.losses.Hinge applies to its labels, with keras.ops."""
    y = keras.ops.convert_to_tensor(as_float32(y))
    binary = keras.ops.all(keras.ops.logical_or(keras.ops.equal(y, 0), keras.ops.equal(y, 1)))
    return to_numpy(keras.ops.where(binary, 2.0 * y - 1.0, y))


def _zero_kept(case: Case, got: Any, expected: Any) -> bool:
    return bool(np.any((np.asarray(got, np.float64) == 0) & (np.asarray(expected) == -1)))


def _hinge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.integers(0, 2, size=(6, 1)).astype(np.float32),), why="0/1 float32 column"),
        Case(([1, 0, 0, 1],), why="Python list of 0/1"),
        Case((rng.choice([-1, 1], size=5),), why="±1 int64, already converted"),
        Case((rng.integers(0, 2, size=(2, 3)).astype(np.float64),), why="0/1 float64 matrix"),
        Case((np.array([[1.0], [1.0]]),), why="all ones"),
    ]


TO_HINGE_LABELS = Exercise(
    name="to_hinge_labels",
    reference=_keras_hinge_labels,
    reference_name="the label conversion keras.losses.Hinge applies",
    params=("y",),
    visible=lambda: [
        Case((np.array([0, 1, 1, 0]),), why="labels 0/1"),
        Case((np.array([[1.0], [-1.0], [-1.0]], dtype=np.float32),), why="labels already ±1"),
    ],
    hidden=_hinge_hidden,
    rtol=0.0,
    atol=0.0,
    kind=TensorFlowFunction(),
    mistakes=(
        Mistake(
            "labels that are already -1/1 must stay as they are: 2y - 1 turns -1 into -3. "
            "Convert only when every label is 0 or 1.",
            produces=lambda y: 2 * np.asarray(y, np.float64) - 1,
        ),
        Mistake(
            "0 must become -1: the hinge loss max(0, 1 - y·ŷ) needs y·ŷ < 0 for a wrong "
            "prediction, and with y = 0 the product is always 0.",
            when=_zero_kept,
        ),
    ),
)

# ----------------------------------------------------------------------------- HuberLoss

HUBER_FIT_RTOL = 1e-4
HUBER_FIT_ATOL = 1e-5


@functools.lru_cache(maxsize=4)
def _keras_huber_fit(delta: float | None, epochs: int) -> np.ndarray:
    return call_loss_class(keras.losses.Huber, delta=delta, fit_epochs=epochs)


#: Errors on both sides of delta = 2 (and of the default 1): a loss rebuilt with another delta
#: gives other per-sample values.
SAVED_ERRORS = np.array([[-3.0, 0.5], [-1.5, 2.5], [0.2, -0.8], [1.2, 4.0]])


def _saved_and_loaded(loss_class: Any, delta: float) -> np.ndarray:
    """Compile a model with ``loss_class(delta=delta)``, save it, load it back with
    ``keras.saving.load_model``; the loaded loss's per-sample values on :data:`SAVED_ERRORS`."""
    if not (isinstance(loss_class, type) and issubclass(loss_class, keras.losses.Loss)):
        raise TypeError(f"HuberLoss must be a subclass of keras.losses.Loss, got {loss_class!r}")
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss=loss_class(delta=delta))
    try:
        # saving the weights warns a NumPy 2 DeprecationWarning (Keras's __array__): not the
        # learner's doing
        with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            path = os.path.join(folder, "model.keras")
            model.save(path)
            loaded = keras.saving.load_model(path, custom_objects={loss_class.__name__: loss_class})
    except Exception as error:
        raise RuntimeError(
            f"saving and loading a model compiled with HuberLoss(delta={delta}) failed "
            f"({first_line(error)}): get_config() must return what __init__ accepts"
        ) from None
    y_true = as_float32(np.zeros_like(SAVED_ERRORS))
    return to_numpy(loaded.loss.call(y_true, as_float32(SAVED_ERRORS)))


def _call_huber(loss_class: Any, *args: Any, saved: bool = False, **kwargs: Any) -> np.ndarray:
    """The learner's class called, trained with, or saved and loaded (``saved``)."""
    if saved:
        return _saved_and_loaded(loss_class, kwargs["delta"])
    return call_loss_class(loss_class, *args, **kwargs)


def _huber_reference(*args: Any, **kwargs: Any) -> np.ndarray:
    if kwargs.get("fit_epochs") is not None:
        return _keras_huber_fit(kwargs.get("delta"), kwargs["fit_epochs"])
    if kwargs.get("saved"):
        # what the loaded loss must compute: Keras's Huber with that delta, never saved (Keras
        # 3.15's own Huber.get_config() drops delta, keras/src/losses/losses.py)
        return _keras_huber_values(kwargs["delta"])
    return call_loss_class(keras.losses.Huber, *args, **kwargs)


def _keras_huber_values(delta: float) -> np.ndarray:
    """``keras.losses.Huber(delta)``'s per-sample values on :data:`SAVED_ERRORS`."""
    loss = keras.losses.Huber(delta=delta, reduction=None)
    return to_numpy(loss(np.zeros_like(SAVED_ERRORS), as_float32(SAVED_ERRORS)))


def _delta_lost(case: Case, got: Any, expected: Any) -> bool:
    """The loaded loss computes with the default delta: get_config did not store it."""
    if not case.kwargs.get("saved"):
        return False
    default = _keras_huber_values(1.0)
    got = np.asarray(got, dtype=np.float64)
    return got.shape == default.shape and bool(np.allclose(got, default, rtol=1e-5, atol=1e-6))


def _huber_visible() -> list[Case]:
    y_true = np.array([[0.0], [1.0], [2.0], [-1.0], [0.5], [3.0]])
    y_pred = np.array([[0.3], [-0.5], [2.2], [2.0], [0.5], [-1.0]])
    matrix_true = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0], [-2.0, 0.5, 1.0], [0.0, 0.0, 4.0]])
    matrix_pred = np.array([[0.2, 0.1, 2.5], [3.0, 1.2, 0.1], [-1.9, 0.4, 1.0], [1.0, -2.0, 0.0]])
    return [
        Case((y_true, y_pred), why="errors on both sides of delta, HuberLoss()"),
        Case(
            (matrix_true, matrix_pred),
            {"delta": 0.5, "sample_weight": np.array([1.0, 0.0, 2.0, 0.5])},
            why="3 outputs per sample, per-sample weights, delta=0.5",
        ),
        Case(
            (),
            {"fit_epochs": 3},
            rtol=HUBER_FIT_RTOL,
            atol=HUBER_FIT_ATOL,
            why="model.compile(loss=HuberLoss()), then 3 epochs of model.fit on a Dense(1) "
            "model from fixed weights; the final (kernel, bias) is compared",
        ),
        Case(
            (),
            {"delta": 2.0, "saved": True},
            why="a model compiled with HuberLoss(delta=2.0), saved with model.save and loaded "
            "with keras.saving.load_model: the loaded loss's per-sample values (delta=2.0 "
            "must survive)",
        ),
    ]


def _huber_hidden(rng: np.random.Generator) -> list[Case]:
    def errors(shape: tuple[int, ...], scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
        y_true = rng.normal(size=shape)
        return y_true, y_true + rng.normal(0, scale, size=shape)

    return [
        Case(errors((8, 2), 3.0), {"delta": 2.0}, why="random (8, 2), delta=2.0"),
        Case(errors((5, 1)), {"sample_weight": 0.3}, why="scalar sample_weight"),
        Case(
            errors((2, 3, 4)),
            {"sample_weight": rng.uniform(0, 2, size=(2, 3))},
            why="per-timestep weights (2, 3) for (2, 3, 4) values",
        ),
        Case(
            tuple(a.round(3).tolist() for a in errors((3, 2))),
            {"delta": 0.7},
            why="nested Python lists, delta=0.7",
        ),
        Case(
            tuple(a.astype(np.float32) for a in errors((6, 1), 0.3)),
            {"sample_weight": rng.uniform(0, 1, size=(6, 1)).astype(np.float32)},
            why="float32, small errors only, weights (6, 1)",
        ),
        Case(errors((4, 3), 30.0), {"delta": 0.1}, why="large errors only, delta=0.1"),
    ]


HUBER_LOSS = Exercise(
    name="HuberLoss",
    reference=_huber_reference,
    reference_name="keras.losses.Huber",
    params=("y_true", "y_pred"),
    visible=_huber_visible,
    hidden=_huber_hidden,
    kind=KerasClass(_call_huber),
    mistakes=(
        Mistake(
            "delta did not survive the save and load: keras.saving rebuilds a loss as "
            "cls(**loss.get_config()), and Loss.get_config() stores only name and reduction, "
            "so the loaded HuberLoss has the default delta=1.0. Override get_config() to add "
            "delta to the base class's config.",
            when=_delta_lost,
        ),
        Mistake(
            "the branches are swapped: ½e² is for small errors (|e| ≤ delta), "
            "delta·(|e| - ½·delta) for large ones.",
            produces=huber.SwappedBranches,
        ),
        Mistake(
            "call() must return one loss per sample (the mean over the last axis only: "
            "keras.ops.mean(..., axis=-1)); Loss.__call__ then applies sample_weight and "
            "the reduction. Averaging over the whole batch inside call() makes per-sample "
            "weights act on the batch mean.",
            produces=huber.BatchMeanInCall,
        ),
        Mistake(
            "Keras losses reduce with 'sum_over_batch_size' by default (the sum divided by "
            "the number of samples), not 'sum'.",
            produces=huber.SumReduction,
        ),
        Mistake(
            "the linear branch is delta·|e| - ½·delta²: without the -½·delta² the two "
            "branches do not meet at |e| = delta.",
            produces=huber.NoHalfDeltaSquared,
        ),
    ),
)


# ----------------------------------------------------------------------------- backward passes


def _tf_twin(name: str) -> Callable[[Any], Any]:
    """The TensorFlow twin of a function of :mod:`course.functions`."""
    twins = {
        "sum_of_squares": lambda t: tf.reduce_sum(t**2),
        "log_sum_exp": lambda t: tf.reduce_logsumexp(t),
        "weighted_sines": lambda t: tf.reduce_sum(
            tf.reshape(tf.range(1, tf.size(t) + 1, dtype=t.dtype), tf.shape(t)) * tf.sin(t)
        ),
        "tanh_of_sum": lambda t: tf.tanh(tf.reduce_sum(t)) ** 2,
    }
    return twins[name]


def _numerical_gradient_reference(f: Any, x: Any, eps: float = 1e-5) -> np.ndarray:
    """The exact gradient of ``f``'s TensorFlow twin, in float64, from tf.GradientTape."""
    tensor = tf.constant(np.asarray(x, dtype=np.float64))
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        value = _tf_twin(f.__name__)(tensor)
    return to_numpy(tape.gradient(value, tensor))


def _numerical_gradient_visible() -> list[Case]:
    return [
        Case((functions.sum_of_squares, np.array([1.0, -2.0, 0.5])), why="Σ x², gradient 2x"),
        Case(
            (functions.weighted_sines, np.array([[0.3, -1.2], [2.0, 0.7]])),
            why="Σ k·sin(x_k) on a matrix",
        ),
    ]


def _numerical_gradient_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((functions.log_sum_exp, rng.normal(0, 1, size=6)), why="ln Σ e^x"),
        Case((functions.tanh_of_sum, rng.normal(0, 0.3, size=(2, 3))), why="tanh(Σ x)²"),
        Case(
            (functions.weighted_sines, rng.normal(0, 1, size=(2, 2, 3))),
            {"eps": 1e-4},
            why="3-D, eps = 1e-4",
        ),
        Case(
            (functions.sum_of_squares, rng.normal(0, 1, size=5)),
            {"eps": 1e-3},
            why="eps = 1e-3 (central differences are exact on a quadratic)",
        ),
        Case((functions.log_sum_exp, rng.normal(0, 1, size=1)), why="a single entry"),
    ]


NUMERICAL_GRADIENT = Exercise(
    name="numerical_gradient",
    reference=_numerical_gradient_reference,
    reference_name="tf.GradientTape's exact gradient of the same function (float64)",
    params=("f", "x"),
    visible=_numerical_gradient_visible,
    hidden=_numerical_gradient_hidden,
    mistakes=(
        Mistake(
            "one-sided differences (f(x + eps) - f(x)) / eps are off by about eps · f''/2: "
            "use central differences (f(x + eps) - f(x - eps)) / (2 eps).",
            produces=lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, central=False),
        ),
        Mistake(
            "central differences divide by the distance between the two points, 2 · eps.",
            produces=lambda f, x, eps=1e-5: 2.0 * numerical_gradient(f, x, eps),
        ),
        Mistake(
            "every entry was moved at once: that is a directional derivative. Move one entry "
            "at a time, leaving the others where they are.",
            produces=lambda f, x, eps=1e-5: numerical_gradient(f, x, eps, together=True),
        ),
    ),
)


def _gradient_check_reference(analytic: Any, numeric: Any) -> float:
    a = tf.constant(np.asarray(analytic, dtype=np.float64))
    n = tf.constant(np.asarray(numeric, dtype=np.float64))
    scale = tf.maximum(tf.norm(a) + tf.norm(n), tf.constant(1e-12, tf.float64))
    return float(to_numpy(tf.norm(a - n) / scale))


def _gradient_check_visible() -> list[Case]:
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    return [
        Case((a, a + 1e-7), why="agreeing to about 7 digits"),
        Case((a, 2 * a), why="off by a factor of 2"),
        Case((np.zeros(3), np.zeros(3)), why="both zero (the 1e-12 floor)"),
    ]


def _gradient_check_hidden(rng: np.random.Generator) -> list[Case]:
    a = rng.normal(0, 1, size=(4, 3))
    return [
        Case((a, a + rng.normal(0, 1e-6, size=a.shape)), why="random, nearly equal"),
        Case((a, -a), why="opposite signs: relative error 1"),
        Case((rng.normal(0, 1, size=7), rng.normal(0, 1, size=7)), why="unrelated vectors"),
        Case((a.tolist(), (a * (1 + 1e-4)).tolist()), why="Python lists"),
        Case((np.zeros(5), rng.normal(0, 1e-3, size=5)), why="one of them zero"),
        Case((np.float64(2.0), np.float64(2.0 + 1e-9)), why="scalars"),
    ]


GRADIENT_CHECK = Exercise(
    name="gradient_check",
    reference=_gradient_check_reference,
    reference_name="‖a - n‖ / max(‖a‖ + ‖n‖, 1e-12) with tf.norm (float64)",
    params=("analytic", "numeric"),
    visible=_gradient_check_visible,
    hidden=_gradient_check_hidden,
    rtol=1e-6,
    atol=1e-15,
    mistakes=(
        Mistake(
            "that is the absolute error ‖a - n‖: divide by ‖a‖ + ‖n‖ (at least 1e-12) to "
            "make it relative.",
            produces=lambda a, n: float(np.linalg.norm(np.subtract(a, n))),
        ),
        Mistake(
            "the denominator is ‖a‖ + ‖n‖, symmetric in the two, not ‖a‖ alone.",
            produces=lambda a, n: float(np.linalg.norm(np.subtract(a, n)) / np.linalg.norm(a)),
        ),
        Mistake(
            "use norms of the whole arrays, not the largest entrywise error.",
            produces=lambda a, n: float(
                np.max(np.abs(np.subtract(a, n)))
                / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12)
            ),
        ),
        Mistake(
            "two zero gradients give 0 / 0 = NaN: the denominator is max(‖a‖ + ‖n‖, 1e-12).",
            when=lambda case, got, expected: non_finite_where_finite(got, expected),
        ),
    ),
)


def _mlp_gradients_reference(params: Any, x: Any, y: Any) -> list[np.ndarray]:
    """tf.GradientTape's gradients for a float64 Keras Dense(relu) → Dense network."""
    w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    model = keras.Sequential(
        [
            keras.Input(shape=(w1.shape[0],), dtype="float64"),
            keras.layers.Dense(w1.shape[1], activation="relu", dtype="float64"),
            keras.layers.Dense(w2.shape[1], dtype="float64"),
        ]
    )
    model.set_weights([w1, b1, w2, b2])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        value = loss(np.asarray(y), model(np.asarray(x, dtype=np.float64)))
    return [to_numpy(g) for g in tape.gradient(value, model.trainable_weights)]


def _mlp_case(
    rng: np.random.Generator, batch: int, n_in: int, hidden: int, classes: int, why: str
) -> Case:
    params = [
        rng.normal(0, 0.7, size=(n_in, hidden)),
        rng.normal(0, 0.3, size=hidden),
        rng.normal(0, 0.7, size=(hidden, classes)),
        rng.normal(0, 0.3, size=classes),
    ]
    return Case(
        (params, rng.normal(0, 1, size=(batch, n_in)), rng.integers(0, classes, size=batch)),
        why=why,
    )


MLP_GRADIENTS = Exercise(
    name="mlp_gradients",
    reference=_mlp_gradients_reference,
    reference_name="tf.GradientTape on a float64 Keras Dense(relu) → Dense network under "
    "SparseCategoricalCrossentropy(from_logits=True)",
    params=("params", "x", "y"),
    visible=lambda: [
        _mlp_case(np.random.default_rng(5), 4, 3, 5, 3, "4 examples, 3 → 5 → 3"),
    ],
    hidden=lambda rng: [
        _mlp_case(rng, 16, 8, 12, 10, "16 examples, 8 → 12 → 10"),
        _mlp_case(rng, 1, 4, 3, 2, "one example"),
        _mlp_case(rng, 32, 64, 32, 10, "digits-sized, 64 → 32 → 10"),
    ],
    kind=NumPyFunction(
        judge=judge_gradients(("dW1", "db1", "dW2", "db2"), DEFAULT_RTOL, DEFAULT_ATOL)
    ),
    mistakes=(
        Mistake(
            "1/N is missing: the loss is the mean over the batch, so every gradient carries 1/N.",
            produces=lambda params, x, y: mlp_gradients(params, x, y, mean=False),
        ),
        Mistake(
            "the ReLU's derivative is missing: δ1 = (δ2 W2ᵀ) ⊙ [z1 > 0].",
            produces=lambda params, x, y: mlp_gradients(params, x, y, relu_slope=False),
        ),
        Mistake(
            "the biases are shared by every example: db sums δ over the batch.",
            produces=lambda params, x, y: mlp_gradients(params, x, y, bias_summed=False),
        ),
        Mistake(
            "transpose on the wrong side: dW = inputᵀ δ, shaped like W.",
            produces=lambda params, x, y: mlp_gradients(params, x, y, transposed=True),
        ),
        Mistake(
            "the gradient of cross-entropy wrt the logits is softmax(z) - onehot(y): the "
            "one-hot labels were not subtracted.",
            produces=lambda params, x, y: mlp_gradients(params, x, y, labels=False),
        ),
    ),
)


NUMPY_MLP_MIN_ACCURACY = 0.90


def _train_numpy_mlp(fn: Callable[..., Any], split_seed: int = 0) -> float | str:
    """Train the learner's ``fn`` on the digits training split; its test accuracy (or why not)."""
    data = digits_data(split_seed)
    params = fn(data.x_train, data.y_train, seed=0)
    try:
        w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
        outputs = np.maximum(data.x_test.astype(np.float64) @ w1 + b1, 0.0) @ w2 + b2
    except (TypeError, ValueError) as error:
        return (
            "train_numpy_mlp must return params = [W1, b1, W2, b2] of a 64 → hidden → 10 "
            f"network ({type(error).__name__}: {error})"
        )
    if outputs.shape != (len(data.x_test), 10):
        return f"the network's outputs have shape {outputs.shape}, expected (N, 10)"
    if not np.all(np.isfinite(outputs)):
        return "the trained network outputs inf or NaN: the learning rate is too large"
    return float(np.mean(outputs.argmax(axis=1) == data.y_test))


def _judge_numpy_mlp(got: Any, expected: Any, case: Case) -> str | None:
    if isinstance(got, str):
        return got
    if got >= NUMPY_MLP_MIN_ACCURACY:
        return None
    return (
        f"test accuracy {got:.3f}, below the {NUMPY_MLP_MIN_ACCURACY} required: check "
        "mlp_gradients first, then the learning rate and the number of epochs"
    )


TRAIN_NUMPY_MLP = Exercise(
    name="train_numpy_mlp",
    reference=lambda split_seed=0: NUMPY_MLP_MIN_ACCURACY,
    reference_name=f"test accuracy ≥ {NUMPY_MLP_MIN_ACCURACY} on the digits' held-out quarter",
    params=(),
    visible=lambda: [Case((), why="digits, stratified 75/25 split with seed 0")],
    hidden=lambda rng: [
        Case((), {"split_seed": 1}, why="digits, stratified 75/25 split with seed 1")
    ],
    kind=NumPyTrainer(_train_numpy_mlp, _judge_numpy_mlp),
)

BACKWARD = (NUMERICAL_GRADIENT, GRADIENT_CHECK, MLP_GRADIENTS, TRAIN_NUMPY_MLP)

EXERCISES = (
    FIT_LINE,
    BUILD_REGRESSION_MLP,
    BUILD_DIGITS_CLASSIFIER,
    TO_HINGE_LABELS,
    HUBER_LOSS,
    *BACKWARD,
)
