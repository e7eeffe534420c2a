"""Chapter 06_optimizers in-process: the solutions against keras.optimizers over many random
steps, the checks' verdicts and diagnoses, and the course's fallback to Keras."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import CheckFailed, check
from autograder.checker import evaluate
from autograder.references import keras
from autograder.registry import get_exercise
from course.optimizers import keras_update, or_keras
from tests.harness import solution_namespace
from tests.test_notebook_contract import spec_names

ASSIGNMENT = "06_optimizers"
EXERCISES = spec_names(ASSIGNMENT)
#: each update function, its Keras class, its state arrays (with their optimizer slots), step
UPDATES = {
    "sgd_update": ("SGD", ["momentums"], False),
    "rmsprop_update": ("RMSprop", ["_velocities"], False),
    "adagrad_update": ("Adagrad", ["_accumulators"], False),
    "adam_update": ("Adam", ["_momentums", "_velocities"], True),
    "adamw_update": ("AdamW", ["_momentums", "_velocities"], True),
}


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The source notebook's solution cells, run as a learner would type them."""
    return solution_namespace(ASSIGNMENT, np=np)


@pytest.mark.parametrize("name", EXERCISES)
def test_06_optimizers_solutions_pass_visible_and_hidden_checks(solutions, name, capsys):
    check(name, solutions[name], hidden=True)
    assert "✔" in capsys.readouterr().out


def _random_hyper(rng: np.random.Generator, optimizer: str) -> dict:
    hyper = {"learning_rate": float(10 ** rng.uniform(-3, -1))}
    if optimizer == "SGD":
        hyper |= {"momentum": float(rng.choice([0.0, rng.uniform(0.1, 0.99)]))}
        hyper |= {"nesterov": bool(rng.integers(2))}
    if optimizer == "RMSprop":
        hyper |= {"rho": float(rng.uniform(0.5, 0.99)), "epsilon": float(10 ** rng.uniform(-9, -4))}
    if optimizer == "Adagrad":
        hyper |= {"initial_accumulator_value": float(rng.choice([0.0, rng.uniform(0.0, 1.0)]))}
    if optimizer in ("Adam", "AdamW"):
        hyper |= {
            "beta_1": float(rng.uniform(0.5, 0.95)),
            "beta_2": float(rng.uniform(0.9, 0.9999)),
        }
    if optimizer == "AdamW":
        hyper |= {"weight_decay": float(rng.uniform(0.0, 0.3))}
    return hyper


@pytest.mark.parametrize("name", list(UPDATES))
def test_06_optimizers_update_solutions_follow_keras_for_many_random_steps(solutions, name):
    """Keras is the oracle: random shapes, hyperparameters and gradients (magnitudes 1e-7 to 10,
    where epsilon's place matters), compared after each of 60 steps."""
    optimizer, slots, counts_steps = UPDATES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(3):
        shape = tuple(int(d) for d in rng.integers(1, 5, size=rng.integers(0, 3)))
        hyper = _random_hyper(rng, optimizer)
        w = rng.normal(0, 1, size=shape)
        variable = keras.Variable(w.astype(np.float32))
        reference = getattr(keras.optimizers, optimizer)(**hyper)
        reference.build([variable])
        fill = hyper.get("initial_accumulator_value", 0.1) if optimizer == "Adagrad" else 0.0
        state = [np.full(shape, fill) for _ in slots]
        for step in range(1, 61):
            g = rng.normal(0, 1, size=shape) * 10 ** rng.uniform(-7, 1, size=shape)
            if step == 1:  # from a zero state, where epsilon weighs most
                g *= 1e-6
            reference.apply([g.astype(np.float32)], [variable])
            w, *state = solutions[name](w, g, *state, *([step] if counts_steps else []), **hyper)
            np.testing.assert_allclose(w, np.asarray(variable), rtol=1e-4, atol=1e-5)
            for attribute, mine in zip(slots, state, strict=True):
                theirs = getattr(reference, attribute)
                if theirs:  # plain SGD keeps no velocity
                    np.testing.assert_allclose(mine, np.asarray(theirs[0]), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "schedule"),
    [("exponential_decay", "ExponentialDecay"), ("cosine_decay", "CosineDecay")],
)
def test_06_optimizers_schedule_solutions_follow_keras_at_random_steps(solutions, name, schedule):
    rng = np.random.default_rng(1)
    for _ in range(5):
        decay_steps = int(rng.integers(1, 2000))
        args = [float(10 ** rng.uniform(-4, 0)), decay_steps]
        if name == "exponential_decay":
            args.append(float(rng.uniform(0.05, 0.99)))
            options = {"staircase": bool(rng.integers(2))}
        else:
            options = {"alpha": float(rng.uniform(0, 0.5))}
        steps = rng.integers(0, 3 * decay_steps, size=50)
        keras_schedule = getattr(keras.optimizers.schedules, schedule)(*args, **options)
        expected = np.asarray(keras_schedule(steps.astype(np.float32)))
        mine = solutions[name](steps, *args, **options)
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", EXERCISES)
def test_06_optimizers_every_known_mistake_fails_the_visible_check_with_its_hint(name):
    exercise = get_exercise(name)
    assert exercise.mistakes
    for mistake in exercise.mistakes:
        verdict = evaluate(exercise, mistake.produces, hidden=False)
        assert not verdict.passed, mistake.hint
        assert mistake.hint in verdict.text(), verdict.text()


def test_06_optimizers_in_place_update_and_wrong_return_are_named(solutions):
    def in_place(w, g, velocity, learning_rate=0.01, momentum=0.0, nesterov=False):
        velocity *= momentum
        velocity -= learning_rate * np.asarray(g)
        return np.asarray(w) + velocity, velocity

    with pytest.raises(CheckFailed, match="changed its argument velocity in place"):
        check("sgd_update", in_place)
    with pytest.raises(CheckFailed, match=r"must return \(w, m, v\); it returned a tuple of 2"):
        check("adam_update", lambda w, g, m, v, step, **hyper: (w, m))


def test_06_optimizers_fallback_is_keras_and_says_so(capsys):
    def sgd_update(w, g, velocity, learning_rate=0.01, momentum=0.0, nesterov=False):
        raise NotImplementedError()

    fallback = or_keras(sgd_update, "SGD")
    assert "sgd_update is not written yet: using keras.optimizers.SGD" in capsys.readouterr().out
    for name, update in (("sgd_update", fallback), ("adam_update", keras_update("Adam"))):
        exercise = get_exercise(name)
        for case in exercise.cases(hidden=False):
            got = exercise.invoke(update, case.args, dict(case.kwargs))
            assert (
                exercise.kind.judge(got, exercise.reference(*case.args, **case.kwargs), case)
                is None
            )
