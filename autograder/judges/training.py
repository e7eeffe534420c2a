"""A fixed training protocol, and what the grader reads off a learner's model after it.

Training exercises are graded on outcomes: the learner's model is built with a fixed seed,
compiled, trained for a small epoch budget and scored on a held-out split
(:func:`train`); :class:`Trained` is what the judge then sees: the layers as
:class:`Layer` summaries, the scores, and facts about the outputs. The contract's own
model is trained under the same protocol only when a failure message needs its result
(:class:`ContractOutcome`). Loss classes are called, or trained with, the same way
(:func:`call_loss_class`).

Training is deterministic (fixed seed, fixed data), so a run's outcome is a function of
the model's Keras configuration, its initial weights and the protocol: :func:`train`
keeps outcomes by those (:data:`TRAINED`), and a class whose learners build the same
model is trained once per grading worker. Only models made entirely of Keras's own
classes are kept (a subclassed model or a custom layer has code the configuration does
not describe).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.judges.models import Functional, is_variance_scaling
from autograder.quiet import captured_stderr
from autograder.references import as_float32, keras, to_numpy
from course.datasets import Split


def initializer_name(initializer: Any) -> str:
    """Keras's string name of an initializer object (VarianceScaling spelled out)."""
    name = type(initializer).__name__
    if name == "VarianceScaling":
        return (
            f"variance_scaling(scale={initializer.scale:g}, {initializer.mode}, "
            f"{initializer.distribution})"
        )
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Layer:
    """What the grader reads off one layer of a learner's model."""

    kind: str
    units: int | None = None
    activation: str | None = None
    initializer: str | None = None
    he_uniform: bool = False

    def __str__(self) -> str:
        if self.kind != "Dense":
            return self.kind
        return f"Dense({self.units}, {self.activation}, {self.initializer})"


def layers_of(model: Any) -> tuple[Layer, ...]:
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):  # listed by functional models only
            continue
        if isinstance(layer, keras.layers.Dense):
            layers.append(
                Layer(
                    "Dense",
                    layer.units,
                    getattr(layer.activation, "__name__", str(layer.activation)),
                    initializer_name(layer.kernel_initializer),
                    is_variance_scaling(layer.kernel_initializer, 2.0, "fan_in", "uniform"),
                )
            )
        else:
            layers.append(Layer(type(layer).__name__))
    return tuple(layers)


@dataclass(frozen=True)
class Trained:
    """A model after the grader's training run: its layers and its held-out scores."""

    layers: tuple[Layer, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    epochs: int = 0
    problem: str | None = None
    #: Facts about the outputs the judge needs but the message does not list.
    flags: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        architecture = " → ".join(map(str, self.layers)) or "no layers"
        if self.problem:
            return f"{architecture}: {self.problem}"
        scores = ", ".join(f"{name} {value:.4g}" for name, value in self.scores.items())
        return f"{architecture}; after {self.epochs} epochs: {scores}"


class ContractOutcome:
    """What the contract's model reaches under the grader's protocol, trained on first use."""

    def __init__(self, train: Callable[[], Trained]) -> None:
        self._train = train

    @functools.cached_property
    def trained(self) -> Trained:
        with warnings.catch_warnings(), captured_stderr():
            warnings.simplefilter("ignore")
            return self._train()

    def __repr__(self) -> str:
        return repr(self.trained)


class OutOfTime(BaseException):
    """The submission's time ran out while the judge trained its model (a BaseException: no
    handler that turns a model's failure into a verdict, or keeps it, may catch it)."""


#: When (``time.monotonic()``) the judge's training for the current submission must stop.
_deadline = math.inf


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Training in the block stops, raising :class:`OutOfTime`, once ``at`` has passed."""
    global _deadline
    before, _deadline = _deadline, at
    try:
        yield
    finally:
        _deadline = before


def _in_time() -> None:
    if time.monotonic() > _deadline:
        raise OutOfTime("the submission's time limit ran out while the judge trained its model")


class _Deadline(keras.callbacks.Callback):
    """Checks the submission's deadline after every batch of the judge's training."""

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        _in_time()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        _in_time()


def first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


#: Outcomes of :func:`train` by what determines them (see :func:`_fingerprint`).
TRAINED: dict[tuple, Trained] = {}
#: Outcomes kept at most (the oldest goes first).
TRAINED_KEPT = 256
#: Serialized values that are data, not classes: a tensor's place in a functional graph, a tuple.
_DATA_CLASSES = ("__keras_tensor__", "__tuple__")


def _keras_made(config: Any) -> bool:
    """Does this serialized object name Keras's own classes only (no function, no lambda)?"""
    if isinstance(config, dict):
        name, module = config.get("class_name"), str(config.get("module"))
        keras_own = module == "keras" or module.startswith("keras.")
        if name is not None and name not in _DATA_CLASSES and not keras_own:
            return False
        return all(_keras_made(value) for value in config.values())
    if isinstance(config, list):
        return all(_keras_made(item) for item in config)
    return True


def _unnamed(config: Any) -> Any:
    """A serialized optimizer or loss without its name (Keras numbers each new instance)."""
    if isinstance(config, dict) and isinstance(config.get("config"), dict):
        return {**config, "config": {k: v for k, v in config["config"].items() if k != "name"}}
    return config


def _fingerprint(model: Any, data: Split, compile_args: dict[str, Any]) -> str | None:
    """A digest of everything a training run starts from, or None when the model has code of
    its own (a subclass, a custom layer or function: its configuration does not describe it)."""
    if type(model) not in (keras.Sequential, Functional):
        return None
    try:
        described = [
            keras.saving.serialize_keras_object(model),
            {k: _unnamed(keras.saving.serialize_keras_object(v)) for k, v in compile_args.items()},
        ]
        text = json.dumps(described, sort_keys=True)
    except Exception:  # a function or lambda Keras cannot serialize
        return None
    if not _keras_made(described):
        return None
    digest = hashlib.sha256(text.encode())
    for array in [*model.get_weights(), *data]:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def train(
    build: Callable[..., Any],
    build_args: tuple,
    data: Split,
    compile_args: dict[str, Any],
    epochs: int,
    batch_size: int,
    seed: int,
    n_inputs: int,
    score: Callable[[np.ndarray, Split], tuple[dict[str, float], frozenset[str]]],
) -> Trained:
    """Build with a fixed seed, compile, fit, and score the model on the held-out half.

    A model trained before from the same start under the same protocol is not trained
    again: its outcome is taken from :data:`TRAINED`.
    """
    keras.utils.set_random_seed(seed)
    model = build(*build_args)
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    fingerprint = _fingerprint(model, data, compile_args)
    if fingerprint is None:
        return _fit(model, data, compile_args, epochs, batch_size, n_inputs, score)
    key = (fingerprint, epochs, batch_size, seed, n_inputs, score)
    if key not in TRAINED:
        if len(TRAINED) >= TRAINED_KEPT:
            TRAINED.pop(next(iter(TRAINED)))
        TRAINED[key] = _fit(model, data, compile_args, epochs, batch_size, n_inputs, score)
    return TRAINED[key]


def _fit(
    model: Any,
    data: Split,
    compile_args: dict[str, Any],
    epochs: int,
    batch_size: int,
    n_inputs: int,
    score: Callable[[np.ndarray, Split], tuple[dict[str, float], frozenset[str]]],
) -> Trained:
    """Compile, fit and score ``model`` (see :func:`train`)."""
    layers = layers_of(model)
    try:
        declared = model.input_shape
    except Exception:  # no Input yet: the model builds on its first batch
        declared = None
    if isinstance(declared, tuple) and declared[-1] not in (None, n_inputs):
        return Trained(
            layers,
            problem=f"the model expects inputs of shape {declared}, but the data has "
            f"{n_inputs} features (take the input size from the arguments, not a constant)",
        )
    try:
        model.compile(**compile_args)
        _in_time()
        model.fit(
            data.x_train,
            data.y_train,
            epochs=epochs,
            batch_size=batch_size,
            verbose=0,
            callbacks=[_Deadline()],
        )
        predictions = to_numpy(model(data.x_test, training=False))
    except Exception as error:  # a model that cannot train is a verdict, not a crash
        return Trained(layers_of(model), problem=f"model.fit failed: {first_line(error)}")
    scores, flags = score(predictions, data)
    return Trained(layers_of(model), scores, epochs, flags=flags)


def fit_with_loss(loss: Any, epochs: int) -> np.ndarray:
    """Train Dense(1) from fixed weights with ``loss``; return the final (kernel, bias)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(64, 1)).astype(np.float32)
    y = (2 * x + 0.5 + 0.1 * rng.normal(size=(64, 1))).astype(np.float32)
    y[::8] += 6.0  # outliers: where the linear branch matters
    model = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(
                1,
                kernel_initializer=keras.initializers.Constant(0.3),
                bias_initializer=keras.initializers.Constant(-0.2),
            ),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0)
    kernel, bias = model.get_weights()
    return np.concatenate([kernel.ravel(), bias.ravel()]).astype(np.float64)


def call_loss_class(
    loss_class: Any,
    y_true: Any = None,
    y_pred: Any = None,
    sample_weight: Any = None,
    delta: float | None = None,
    fit_epochs: int | None = None,
) -> np.ndarray:
    """Instantiate the class (default delta unless given), then call it or train with it."""
    if not (isinstance(loss_class, type) and issubclass(loss_class, keras.losses.Loss)):
        raise TypeError(f"HuberLoss must be a subclass of keras.losses.Loss, got {loss_class!r}")
    loss = loss_class() if delta is None else loss_class(delta=delta)
    if fit_epochs is not None:
        try:
            return fit_with_loss(loss, fit_epochs)
        except Exception as error:
            raise RuntimeError(
                f"model.fit with this loss failed ({first_line(error)}). Write call() with "
                "keras.ops only: inside fit the tensors are symbolic and NumPy cannot read them"
            ) from None
    weights = None if sample_weight is None else as_float32(sample_weight)
    return to_numpy(loss(as_float32(y_true), as_float32(y_pred), sample_weight=weights))
