"""Helpers for chapter 06_optimizers: Keras's optimizers as the notebook's fallback, a small
MLP on the digits with its gradients from tf.GradientTape, and a training loop that runs a
learner's pure update functions or a Keras optimizer from the same start on the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.references import as_float32, keras, tf, to_numpy

#: The state arrays each update function takes after ``w``, and whether it takes ``step``.
STATES = {
    "SGD": (("velocity",), False),
    "RMSprop": (("average",), False),
    "Adagrad": (("accumulator",), False),
    "Adam": (("m", "v"), True),
    "AdamW": (("m", "v"), True),
}
_SLOTS = {
    "SGD": ("momentums",),
    "RMSprop": ("_velocities",),
    "Adagrad": ("_accumulators",),
    "Adam": ("_momentums", "_velocities"),
    "AdamW": ("_momentums", "_velocities"),
}


def keras_update(optimizer: str) -> Callable[..., tuple[np.ndarray, ...]]:
    """A pure update function with the chapter's signature, computed by
    ``keras.optimizers.<optimizer>``: one ``apply`` from the given state. Hyperparameters go
    by keyword. One Keras optimizer per set of hyperparameters and shape is reused."""
    names, counts_steps = STATES[optimizer]
    cache: dict[Any, tuple[Any, Any, list[Any]]] = {}

    def update(w: Any, g: Any, *state_and_step: Any, **hyper: Any) -> tuple[np.ndarray, ...]:
        if len(state_and_step) != len(names) + counts_steps:
            raise TypeError(
                f"pass {', '.join(names)}{', step' * counts_steps} after w and g, "
                "and the hyperparameters by keyword"
            )
        state = state_and_step[: len(names)]
        step = int(state_and_step[len(names)]) if counts_steps else 1
        w = as_float32(w)
        key = (tuple(sorted(hyper.items())), w.shape)
        if key not in cache:
            variable = keras.Variable(w)
            instance = getattr(keras.optimizers, optimizer)(**hyper)
            instance.build([variable])
            cache[key] = (variable, instance, [getattr(instance, a) for a in _SLOTS[optimizer]])
        variable, instance, slots = cache[key]
        variable.assign(w)
        for slot, value in zip(slots, state, strict=True):
            if slot:
                slot[0].assign(as_float32(value))
        instance.iterations.assign(step - 1)
        instance.apply([as_float32(g)], [variable])
        new_state = [
            to_numpy(slot[0]).astype(np.float64) if slot else np.asarray(value, np.float64)
            for slot, value in zip(slots, state, strict=True)
        ]
        return (to_numpy(variable).astype(np.float64), *new_state)

    return update


def written(function: Callable[..., Any], *probe: Any) -> bool:
    """Whether the learner's ``function`` runs on ``probe`` (False: it still raises
    NotImplementedError)."""
    try:
        function(*probe)
    except NotImplementedError:
        return False
    return True


def or_keras(function: Callable[..., Any], optimizer: str) -> Callable[..., Any]:
    """The learner's update function, or Keras's while it is not written yet (with a note)."""
    names, counts_steps = STATES[optimizer]
    probe = [np.zeros(2), np.ones(2)] + [np.zeros(2)] * len(names) + [1] * counts_steps
    if written(function, *probe):
        return function
    print(f"{function.__name__} is not written yet: using keras.optimizers.{optimizer} instead.")
    return keras_update(optimizer)


def optimizer_for(
    function: Callable[..., Any], optimizer: str, **hyper: Any
) -> PureOptimizer | KerasOptimizer:
    """The learner's update function applied to every parameter array, or Keras's optimizer
    while it is not written yet (with a note)."""
    names, counts_steps = STATES[optimizer]
    probe = [np.zeros(2), np.ones(2)] + [np.zeros(2)] * len(names) + [1] * counts_steps
    if written(function, *probe):
        return PureOptimizer(function, optimizer, hyper)
    print(f"{function.__name__} is not written yet: using keras.optimizers.{optimizer} instead.")
    return KerasOptimizer(optimizer, **hyper)


def descend(
    update: Callable[..., Any],
    gradient: Callable[[np.ndarray], np.ndarray],
    start: Sequence[float],
    steps: int,
    optimizer: str,
    **hyper: Any,
) -> np.ndarray:
    """The path of ``steps`` updates from ``start`` on a function with this ``gradient``."""
    names, counts_steps = STATES[optimizer]
    w = np.asarray(start, dtype=np.float64)
    fill = hyper.get("initial_accumulator_value", 0.1) if optimizer == "Adagrad" else 0.0
    state = [np.full_like(w, fill) for _ in names]
    path = [w]
    for step in range(1, steps + 1):
        w, *state = update(w, gradient(w), *state, *([step] if counts_steps else []), **hyper)
        path.append(np.asarray(w, dtype=np.float64))
    return np.array(path)


def digits_mlp(n_inputs: int = 64, hidden: int = 32, seed: int = 0) -> list[np.ndarray]:
    """Initial ``[W1, b1, W2, b2]`` of Dense(hidden, relu) → Dense(10), as Keras draws them."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(n_inputs,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    return [np.asarray(w, dtype=np.float32) for w in model.get_weights()]


@tf.function(reduce_retracing=True)
def _loss_and_gradients(params: list[tf.Tensor], x: tf.Tensor, y: tf.Tensor) -> Any:
    with tf.GradientTape() as tape:
        tape.watch(params)
        w1, b1, w2, b2 = params
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
    return loss, tape.gradient(loss, params)


def loss_and_gradients(
    params: Sequence[Any], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """The mean sparse categorical cross-entropy of the MLP's logits, and its gradients with
    respect to ``[W1, b1, W2, b2]`` (tf.GradientTape), as float32 NumPy arrays."""
    tensors = [tf.constant(as_float32(p)) for p in params]
    loss, grads = _loss_and_gradients(tensors, tf.constant(x), tf.constant(y.astype(np.int32)))
    return float(loss), [g.numpy() for g in grads]


def accuracy(params: Sequence[Any], x: np.ndarray, y: np.ndarray) -> float:
    w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    logits = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
    return float(np.mean(np.argmax(logits, axis=1) == y))


@dataclass
class PureOptimizer:
    """Applies a learner's pure update function to each parameter array, keeping its state."""

    update: Callable[..., Any]
    optimizer: str
    hyper: dict[str, Any]
    state: list[list[np.ndarray]] = field(default_factory=list)
    step: int = 0

    def apply(self, grads: Sequence[np.ndarray], params: list[np.ndarray]) -> list[np.ndarray]:
        names, counts_steps = STATES[self.optimizer]
        if not self.state:
            fill = self.hyper.get("initial_accumulator_value", 0.1)
            fill = fill if self.optimizer == "Adagrad" else 0.0
            self.state = [[np.full(p.shape, fill) for _ in names] for p in params]
        self.step += 1
        new = []
        for index, (w, g) in enumerate(zip(params, grads, strict=True)):
            extra = [self.step] if counts_steps else []
            w, *self.state[index] = self.update(w, g, *self.state[index], *extra, **self.hyper)
            new.append(np.asarray(w))
        return new


class KerasOptimizer:
    """``keras.optimizers.<optimizer>`` on keras.Variables holding the parameters."""

    def __init__(self, optimizer: str, **hyper: Any) -> None:
        self.optimizer = getattr(keras.optimizers, optimizer)(**hyper)
        self.variables: list[Any] = []
        self._apply = tf.function(lambda grads: self.optimizer.apply(grads, self.variables))

    def apply(self, grads: Sequence[np.ndarray], params: list[np.ndarray]) -> list[np.ndarray]:
        if not self.variables:
            self.variables = [keras.Variable(as_float32(p)) for p in params]
            self.optimizer.build(self.variables)
        self._apply([tf.constant(as_float32(g)) for g in grads])
        return [to_numpy(v) for v in self.variables]


@dataclass
class Run:
    """A training run: the training loss after every step, test accuracy after every epoch."""

    losses: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


def train(
    optimizer: PureOptimizer | KerasOptimizer,
    params: Sequence[np.ndarray],
    data: Any,
    epochs: int = 8,
    batch_size: int = 64,
    seed: int = 0,
) -> Run:
    """Mini-batch training of the MLP from ``params`` (the same shuffles for every seed)."""
    rng = np.random.default_rng(seed)
    params = [np.asarray(p) for p in params]
    run = Run()
    n = len(data.x_train)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss, grads = loss_and_gradients(params, data.x_train[batch], data.y_train[batch])
            run.losses.append(loss)
            params = optimizer.apply(grads, params)
        run.test_accuracy.append(accuracy(params, data.x_test, data.y_test))
    return run
