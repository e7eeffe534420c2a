"""Chapter 05_training_with_losses: gradient descent by hand, choosing a loss in real training.

These exercises are graded on outcomes rather than by equality with one Keras call:
the line fitted by gradient descent must land on the least-squares line; the models a
learner builds are compiled and trained here, with a fixed seed and a small epoch budget,
and must clear a threshold on a held-out split; the custom loss must equal
``keras.losses.Huber``, also when ``model.fit`` trains with it. Training exercises are
not NumPy reimplementations, so TensorFlow is allowed (``numpy_only=False``).

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

from autograder.judges.models import Functional
from autograder.judges.training import (
    ContractOutcome,
    Layer,
    Trained,
    call_loss_class,
    first_line,
    train,
)
from autograder.mistakes import huber
from autograder.references import as_float32, keras, to_numpy
from autograder.registry import Case, Exercise, Mistake
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
    numpy_only=False,
    judge=_judge_line,
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
    numpy_only=False,
    call=_train_regression,
    judge=_judge_regression,
    hand_back_weights=False,
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
    numpy_only=False,
    call=_train_digits,
    judge=_judge_digits,
    hand_back_weights=False,
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
    numpy_only=False,
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
    numpy_only=False,
    call=_call_huber,
    hook_in_kernel=True,
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


EXERCISES = (FIT_LINE, BUILD_REGRESSION_MLP, BUILD_DIGITS_CLASSIFIER, TO_HINGE_LABELS, HUBER_LOSS)
