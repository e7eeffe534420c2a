"""Chapter 03's distribution judge: correct samplers pass, near misses fail, every time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.checker import CheckFailed, check
from autograder.judges.distribution import Pool, Seeded, compare_distributions, keras_sample
from autograder.mistakes.initializers import TRUNCATION_STD
from autograder.references import keras
from autograder.registry import Case, get_exercise
from tests.harness import solution_namespace

SHAPE = (500, 240)  # the visible cases' Dense kernel: 120 000 values
HE_STD = math.sqrt(2 / SHAPE[0])
STD, BOUNDS = "standard deviation", "your values range from"


def truncated(shape, std, rng):
    """A truncated normal at ±2 (pre-truncation) standard deviations, by rejection."""
    z = rng.standard_normal(math.prod(shape))
    while (outside := np.abs(z) > 2).any():
        z[outside] = rng.standard_normal(int(outside.sum()))
    return (std * z).reshape(shape).astype(np.float32)


def he_normal(shape, rng=None, factor=1.0, receptive=True):
    """He normal in NumPy; ``factor`` scales its std, ``receptive=False`` forgets conv fans."""
    rng = np.random.default_rng() if rng is None else rng
    shape = tuple(shape)
    if len(shape) < 2:
        fan_in = shape[0] if shape else 1
    else:
        fan_in = shape[-2] * (math.prod(shape[:-2]) if receptive else 1)
    return truncated(shape, factor * math.sqrt(2 / fan_in) / TRUNCATION_STD, rng)


@pytest.fixture(scope="module")
def he_pool() -> Pool:
    sample = keras_sample(SHAPE, lambda seed: keras.initializers.HeNormal(seed=seed), ("HeNormal",))
    return sample.pool


def test_keras_pool_is_large_deterministic_and_cached(he_pool):
    again = keras_sample(SHAPE, lambda seed: keras.initializers.HeNormal(seed=seed), ("HeNormal",))
    assert again.pool is he_pool and he_pool.values.size >= 200_000
    assert abs(he_pool.std / HE_STD - 1) < 0.01


def test_correct_sampler_passes_for_many_seeds(he_pool):
    for seed in range(20):
        values = he_normal(SHAPE, np.random.default_rng(seed))
        assert compare_distributions(values, he_pool, bounded=True) is None, seed


@pytest.mark.parametrize(
    ("factor", "first_failure"),
    [(0.97, STD), (0.98, STD), (1.015, BOUNDS), (1.03, BOUNDS)],
)
def test_slightly_wrong_std_fails_every_time(he_pool, factor, first_failure):
    # A wider truncated normal also leaves Keras's bounds, which is checked first.
    for seed in range(5):
        verdict = compare_distributions(
            he_normal(SHAPE, np.random.default_rng(seed), factor), he_pool, bounded=True
        )
        assert verdict is not None and verdict.startswith(first_failure), verdict


def test_verdicts_are_deterministic(he_pool):
    wrong = [he_normal(SHAPE, np.random.default_rng(3), 0.98) for _ in range(2)]
    verdicts = {compare_distributions(w, he_pool, bounded=True) for w in wrong}
    assert len(verdicts) == 1


def test_plain_normal_with_the_right_std_breaks_the_bounds(he_pool):
    values = np.random.default_rng(0).normal(0, HE_STD, SHAPE)
    verdict = compare_distributions(values, he_pool, bounded=True)
    assert verdict.startswith("your values range from")


def test_shape_of_distribution_is_tested_beyond_moments(he_pool):
    # Uniform with He normal's std: right mean and std, inside the bounds, wrong shape.
    limit = math.sqrt(3) * he_pool.std
    values = np.random.default_rng(0).uniform(-limit, limit, SHAPE)
    assert "Kolmogorov-Smirnov" in compare_distributions(values, he_pool, bounded=True)


def test_mean_shift_is_caught(he_pool):
    values = he_normal(SHAPE, np.random.default_rng(0)) + 0.05 * he_pool.std
    assert compare_distributions(values, he_pool, bounded=False).startswith("mean")


def run_check(name, fn):
    try:
        check(name, fn, hidden=True)
    except CheckFailed as failure:
        return str(failure)
    return None


def test_full_check_accepts_a_correct_sampler():
    assert run_check("he_normal", he_normal) is None


@pytest.mark.parametrize(
    ("sampler", "needle"),
    [
        (lambda shape, rng=None: he_normal(shape, rng, TRUNCATION_STD), "truncation correction"),
        (lambda shape, rng=None: he_normal(shape, rng).astype(np.float64), "float32"),
        (lambda shape, rng=None: he_normal(shape, np.random.default_rng(0)), "ignores `rng`"),
        (lambda shape, rng=None: he_normal(shape, None), "called again with the same arguments"),
        (lambda shape, rng=None: he_normal(shape, rng)[..., :-1], "shape"),
        (lambda shape, rng=None: he_normal(shape, rng, receptive=False), "receptive field"),
    ],
    ids=["no-correction", "float64", "fixed-seed", "global-rng", "wrong-shape", "conv-fans"],
)
def test_full_check_names_the_mistake(sampler, needle):
    message = run_check("he_normal", sampler)
    assert message is not None and needle in message, message


def test_seeded_generator_prints_its_seed_and_copies_its_state():
    rng = Seeded(7)
    assert repr(rng) == "np.random.default_rng(7)"
    assert rng.normal() == np.random.default_rng(7).normal()


def test_compute_fans_wants_integers():
    exercise = get_exercise("compute_fans")
    case = Case(((3, 3, 16, 32),))
    assert exercise.kind.judge((144, 288), (144, 288), case) is None
    assert exercise.kind.judge((np.int64(144), 288), (144, 288), case) is None
    assert "whole numbers" in exercise.kind.judge((144.0, 288.0), (144, 288), case)
    assert "Keras computes (144, 288)" in exercise.kind.judge((16, 32), (144, 288), case)


@pytest.fixture(scope="module")
def solutions() -> dict:
    """The source notebook's solution cells (and the helpers it gives)."""
    return solution_namespace("03_initialization", np=np)


@pytest.mark.parametrize(
    ("name", "kind"), [("normal", "bounded"), ("Normal", "bounded"), ("UNIFORM", "uniform")]
)
def test_variance_scaling_reads_distribution_names_as_keras_does(solutions, name, kind):
    keras_values = keras.initializers.VarianceScaling(2.0, distribution=name, seed=1)((400, 300))
    values = solutions["variance_scaling"](
        (400, 300), 2.0, distribution=name, rng=np.random.default_rng(1)
    )
    std = math.sqrt(2.0 / 400)
    limit = 2 * std / TRUNCATION_STD if kind == "bounded" else math.sqrt(3) * std
    for sample in (np.asarray(keras_values), values):
        assert abs(sample.std() / std - 1) < 0.02 and np.abs(sample).max() <= limit * (1 + 1e-6)


def test_variance_scaling_compares_the_mode_exactly(solutions):
    with pytest.raises(ValueError):
        keras.initializers.VarianceScaling(mode="FAN_IN")
    with pytest.raises(ValueError):
        solutions["variance_scaling"]((3, 3), mode="FAN_IN")


def test_an_unseeded_initializer_instance_repeats_itself_as_the_chapter_says():
    shared = keras.initializers.HeNormal()
    left, right = (keras.layers.Dense(4, kernel_initializer=shared) for _ in range(2))
    for layer in (left, right):
        layer.build((None, 8))
    assert np.array_equal(left.kernel.numpy(), right.kernel.numpy())
    advancing = keras.initializers.HeNormal(seed=keras.random.SeedGenerator(0))
    assert not np.array_equal(advancing((8, 4)), advancing((8, 4)))


def test_demonstrations_use_keras_until_the_exercise_is_written(capsys):
    from course.initialization import or_reference

    def he_normal(shape, rng=None):
        raise NotImplementedError()

    stand_in = or_reference(he_normal)
    first = stand_in(SHAPE, rng=np.random.default_rng(0))
    again = stand_in(SHAPE, rng=np.random.default_rng(0))
    assert capsys.readouterr().out == "using the reference he_normal until yours is written\n"
    assert first.dtype == np.float32 and np.array_equal(first, again)
    assert (
        abs(first.std() / HE_STD - 1) < 0.01 and np.abs(first).max() <= 2 * HE_STD / TRUNCATION_STD
    )

    def he_uniform(shape, rng=None):
        return np.zeros(shape, np.float32)

    assert not or_reference(he_uniform)(SHAPE).any()  # a written exercise is called as it is
    assert capsys.readouterr().out == ""
