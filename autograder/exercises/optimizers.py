"""Chapter 06_optimizers: one update of one parameter array, step for step as keras.optimizers.

A catalogue. An update exercise is a :class:`~autograder.kinds.stateful_step.StatefulStep`,
judged over several consecutive steps; its reference applies the same gradients to a
``keras.Variable`` with the Keras optimizer and reads the variable and the optimizer's slots
after every step. The schedules are NumPy functions of ``step`` against
keras.optimizers.schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.kinds.stateful_step import StatefulStep, Update
from autograder.mistakes import optimizers as wrong
from autograder.references import as_float32, keras, to_numpy
from autograder.registry import DEFAULT_ATOL, DEFAULT_RTOL, Case, Exercise, Mistake


def keras_steps(update: Update) -> Callable[..., tuple[np.ndarray, ...]]:
    """The reference: the Keras optimizer applied to a keras.Variable, one gradient per step."""

    def reference(w: Any, gradients: Any, **hyper: Any) -> tuple[np.ndarray, ...]:
        variable = keras.Variable(as_float32(w))
        optimizer = getattr(keras.optimizers, update.optimizer)(**hyper)
        optimizer.build([variable])
        keep = update.compared(hyper)
        slots = {
            name: getattr(optimizer, attr)
            for name, attr in zip(update.state, update.slots, strict=True)
        }
        trajectory: dict[str, list[np.ndarray]] = {name: [] for name in keep}
        for g in gradients:
            optimizer.apply([as_float32(g)], [variable])
            for name in keep:
                value = variable if name == "w" else slots[name][0]
                trajectory[name].append(np.asarray(to_numpy(value), dtype=np.float64))
        return tuple(np.stack(trajectory[name]) for name in keep)

    return reference


def _gradients(
    rng: np.random.Generator, steps: int, shape: tuple[int, ...], spread: bool = False
) -> np.ndarray:
    """Gradients for ``steps`` steps; ``spread``: magnitudes from 1e-6 to 10, where epsilon's
    place and the bias corrections' make a difference."""
    g = rng.normal(0.0, 1.0, size=(steps, *shape))
    if spread:
        g *= 10.0 ** rng.uniform(-6.0, 1.0, size=(steps, *shape))
    return g


def update_cases(
    visible_hyper: Sequence[dict[str, Any]], hidden_hyper: Sequence[dict[str, Any]]
) -> tuple[Callable[[], list[Case]], Callable[[np.random.Generator], list[Case]]]:
    """Visible: w (2, 3) for 3 steps with normal gradients, then 4 steps with gradients spread
    over seven orders of magnitude. Hidden: other shapes, dtypes, step counts, hyperparameters
    and extreme gradients (tiny, huge)."""

    def visible() -> list[Case]:
        rng = np.random.default_rng(6)
        cases = []
        for index, hyper in enumerate(visible_hyper):
            w = rng.normal(0.0, 1.0, size=(2, 3)).round(3)
            spread = index % 2 == 1
            steps = 4 if spread else 3
            kind = "gradients from 1e-6 to 10" if spread else "normal gradients"
            why = f"{steps} steps, {kind}"
            cases.append(Case((w, _gradients(rng, steps, (2, 3), spread)), hyper, why=why))
        return cases

    def hidden(rng: np.random.Generator) -> list[Case]:
        shapes = [(7,), (3, 2, 2), (), (4, 5)]
        cases = []
        for index, hyper in enumerate(hidden_hyper):
            shape = shapes[index % len(shapes)]
            steps = (1, 6, 3, 5)[index % 4]
            w = rng.normal(0.0, 1.0, size=shape)
            if index % 2:
                w = w.astype(np.float32)
            why = f"{steps} steps, shape {shape}, {w.dtype}"
            cases.append(Case((w, _gradients(rng, steps, shape, spread=True)), hyper, why=why))
        w = rng.normal(0.0, 1.0, size=(6,))
        extreme = np.array([1e-8, -1e-8, 3e-7, 1e3, -1e4, 0.0])
        g = np.stack([extreme * (1 + 0.1 * k) for k in range(3)])
        cases.append(Case((w, g), hidden_hyper[0], why="3 steps, extreme gradients (1e-8 to 1e4)"))
        return cases

    return visible, hidden


def update_exercise(
    update: Update,
    visible_hyper: Sequence[dict[str, Any]],
    hidden_hyper: Sequence[dict[str, Any]],
    mistakes: tuple[Mistake, ...],
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Exercise:
    visible, hidden = update_cases(visible_hyper, hidden_hyper)
    return Exercise(
        name=update.name,
        reference=keras_steps(update),
        reference_name=f"keras.optimizers.{update.optimizer} step for step",
        params=("w", "gradients"),
        visible=visible,
        hidden=hidden,
        kind=StatefulStep(update, rtol, atol),
        mistakes=mistakes,
        rtol=rtol,
        atol=atol,
    )


SGD = update_exercise(
    Update("sgd_update", "SGD", ("velocity",), ("momentums",)),
    visible_hyper=[{}, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}],
    hidden_hyper=[
        {"momentum": 0.9},
        {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True},
        {"learning_rate": 0.3},
        {"learning_rate": 0.02, "momentum": 0.99},
    ],
    mistakes=(
        Mistake(
            "the velocity has the wrong sign: Keras keeps v ← momentum·v − lr·g and adds it, "
            "w ← w + v (Nesterov: w ← w + momentum·v − lr·g with the new v).",
            produces=lambda *a, **k: wrong.sgd(*a, **k, ascent_velocity=True),
        ),
        Mistake(
            "nesterov=True looks ahead: w ← w + momentum·v − lr·g with the new v, not w + v.",
            produces=lambda w, g, v, learning_rate=0.01, momentum=0.0, nesterov=False: wrong.sgd(
                w, g, v, learning_rate, momentum, False
            ),
        ),
    ),
)
RMSPROP = update_exercise(
    Update("rmsprop_update", "RMSprop", ("average",), ("_velocities",)),
    visible_hyper=[{}, {"learning_rate": 0.01, "rho": 0.8}],
    hidden_hyper=[
        {"rho": 0.95},
        {"learning_rate": 0.1, "epsilon": 1e-4},
        {},
        {"learning_rate": 0.003, "rho": 0.5, "epsilon": 1e-9},
    ],
    mistakes=(
        Mistake(
            "epsilon is outside the square root: Keras's RMSprop divides by √(average + ε) "
            "(Adam's is the one with √v + ε).",
            produces=lambda *a, **k: wrong.rmsprop(*a, **k, epsilon_outside=True),
        ),
    ),
)
ADAGRAD = update_exercise(
    Update("adagrad_update", "Adagrad", ("accumulator",), ("_accumulators",)),
    visible_hyper=[{}, {"learning_rate": 0.05, "initial_accumulator_value": 0.0}],
    hidden_hyper=[
        {"initial_accumulator_value": 1.0},
        {"learning_rate": 0.2, "epsilon": 1e-4},
        {},
        {"learning_rate": 0.01, "initial_accumulator_value": 0.01, "epsilon": 1e-9},
    ],
    mistakes=(
        Mistake(
            "epsilon is outside the square root: Keras's Adagrad divides by √(accumulator + ε).",
            produces=lambda *a, **k: wrong.adagrad(*a, **k, epsilon_outside=True),
        ),
    ),
)

#: Keras computes 1 − β₂ᵗ in float32, where 0.999 is 0.99900001: its step size is off by up
#: to 1e-5 relative in the first steps, and the error adds up over the steps.
ADAM_RTOL, ADAM_ATOL = 1e-4, 1e-5

_ADAM_MISTAKES = (
    Mistake(
        "no bias correction: Keras scales the step by √(1 − β₂ᵗ) / (1 − β₁ᵗ).",
        produces=lambda *a, **k: wrong.adam(*a, **k, correction="none"),
    ),
    Mistake(
        "you corrected the moments (m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)), as the paper's "
        "algorithm does; Keras folds the corrections into the step size, "
        "α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), and divides α·m by √v + ε, so ε weighs differently.",
        produces=lambda *a, **k: wrong.adam(*a, **k, correction="moments"),
    ),
    Mistake(
        "epsilon is inside the square root: Keras's Adam divides by √v + ε (RMSprop's is "
        "the one with √(v + ε)).",
        produces=lambda *a, **k: wrong.adam(*a, **k, epsilon_inside=True),
    ),
    Mistake(
        "step counted from 0: `step` is already the number of this update, 1 on the first "
        "(Keras's `iterations + 1`); use β₁ᵗ with t = step.",
        produces=lambda *a, **k: wrong.adam(*a, **k, step_offset=1),
    ),
)


def _adamw(**switches: Any) -> Callable[..., Any]:
    return lambda *a, **k: wrong.adamw(*a, **k, **switches)


ADAM = update_exercise(
    Update("adam_update", "Adam", ("m", "v"), ("_momentums", "_velocities"), counts_steps=True),
    visible_hyper=[{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}],
    hidden_hyper=[
        {"beta_2": 0.9},
        {"learning_rate": 0.1, "epsilon": 1e-4},
        {},
        {"learning_rate": 0.002, "beta_1": 0.5, "beta_2": 0.999, "epsilon": 1e-9},
    ],
    mistakes=_ADAM_MISTAKES,
    rtol=ADAM_RTOL,
    atol=ADAM_ATOL,
)
ADAMW = update_exercise(
    Update("adamw_update", "AdamW", ("m", "v"), ("_momentums", "_velocities"), counts_steps=True),
    visible_hyper=[{}, {"learning_rate": 0.05, "weight_decay": 0.2, "beta_2": 0.99}],
    hidden_hyper=[
        {"weight_decay": 0.1, "learning_rate": 0.01},
        {"learning_rate": 0.1, "weight_decay": 0.5, "epsilon": 1e-4},
        {},
        {"learning_rate": 0.002, "weight_decay": 0.0, "beta_1": 0.5},
    ],
    mistakes=(
        Mistake(
            "weight decay applied after the Adam step: Keras decays first, w ← w − lr·wd·w, "
            "then takes Adam's step from the decayed w.",
            produces=_adamw(decay="after"),
        ),
        Mistake(
            "weight decay without the learning rate: Keras decays by lr·wd·w, not wd·w.",
            produces=_adamw(decay="no_lr"),
        ),
        Mistake(
            "that is an L2 penalty (wd·w added to the gradient, then rescaled by Adam); "
            "AdamW decouples the decay: w ← w − lr·wd·w, outside Adam's step.",
            produces=_adamw(decay="l2"),
        ),
        *(
            Mistake(m.hint, produces=_adamw(**switches))
            for m, switches in zip(
                _ADAM_MISTAKES,
                (
                    {"correction": "none"},
                    {"correction": "moments"},
                    {"epsilon_inside": True},
                    {"step_offset": 1},
                ),
                strict=True,
            )
        ),
    ),
    rtol=ADAM_RTOL,
    atol=ADAM_ATOL,
)


def _exponential(
    step: Any, initial_learning_rate: float, decay_steps: float, decay_rate: float, **options: Any
) -> np.ndarray:
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps, decay_rate, **options
    )
    return to_numpy(schedule(as_float32(step)))


def _cosine(
    step: Any, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0
) -> np.ndarray:
    schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate, decay_steps, alpha)
    return to_numpy(schedule(as_float32(step)))


def _exponential_visible() -> list[Case]:
    steps = np.arange(0, 50, 7)
    return [
        Case((steps, 0.1, 10, 0.5), why="steps 0, 7, ..., 49"),
        Case((steps, 0.1, 10, 0.5), {"staircase": True}, why="staircase"),
    ]


def _exponential_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.integers(0, 10_000, size=20), 0.01, 1000, 0.96), why="random steps"),
        Case((rng.integers(0, 500, size=(3, 4)), 1.0, 37, 0.9), {"staircase": True}, why="(3, 4)"),
        Case((25, 0.5, 10, 0.1), {"staircase": True}, why="a Python int step"),
        Case((np.float32(3.5), 2.0, 4, 0.3), why="a float32 step"),
        Case((np.arange(0, 100_000, 9_999), 1e-3, 100, 0.5), why="far beyond decay_steps"),
    ]


def _cosine_visible() -> list[Case]:
    steps = np.arange(0, 121, 15)
    return [
        Case((steps, 0.1, 100), why="steps 0, 15, ..., 120 (past decay_steps)"),
        Case((steps, 0.1, 100), {"alpha": 0.2}, why="alpha=0.2"),
    ]


def _cosine_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case((rng.integers(0, 2_000, size=15), 0.01, 1000), why="random steps"),
        Case((rng.integers(0, 80, size=(2, 5)), 1.0, 50, 0.5), why="(2, 5), alpha=0.5"),
        Case((7, 0.5, 10), {"alpha": 0.1}, why="a Python int step"),
        Case((np.arange(0, 10_000, 999), 3e-4, 5000, 0.01), why="long schedule"),
    ]


EXPONENTIAL_DECAY = Exercise(
    name="exponential_decay",
    reference=_exponential,
    reference_name="keras.optimizers.schedules.ExponentialDecay",
    params=("step", "initial_learning_rate", "decay_steps", "decay_rate"),
    visible=_exponential_visible,
    hidden=_exponential_hidden,
    mistakes=(
        Mistake(
            "staircase=True decays in whole periods: the exponent is floor(step / decay_steps).",
            produces=lambda *a, **k: wrong.exponential_decay(*a, **k, floor=False),
        ),
    ),
)
COSINE_DECAY = Exercise(
    name="cosine_decay",
    reference=_cosine,
    reference_name="keras.optimizers.schedules.CosineDecay",
    params=("step", "initial_learning_rate", "decay_steps", "alpha"),
    visible=_cosine_visible,
    hidden=_cosine_hidden,
    mistakes=(
        Mistake(
            "past decay_steps the rate stays at its floor: Keras clips the step to decay_steps "
            "before taking the cosine.",
            produces=lambda *a, **k: wrong.cosine_decay(*a, **k, clamp=False),
        ),
        Mistake(
            "the floor is alpha · initial_learning_rate: Keras multiplies "
            "(1 − alpha)·cosine + alpha by the initial rate.",
            produces=lambda *a, **k: wrong.cosine_decay(*a, **k, alpha_scales_lr=True),
        ),
    ),
)

EXERCISES = (SGD, RMSPROP, ADAGRAD, ADAM, ADAMW, EXPONENTIAL_DECAY, COSINE_DECAY)
