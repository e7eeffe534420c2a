"""Samplers judged by distribution, not value by value.

A sampler cannot be compared value by value with Keras (Keras draws from TensorFlow's
stateless RNG), so the learner's array is compared with a pool of about 200 000 values
that Keras draws with fixed seeds. A verdict looks at the shape and dtype, the bounds,
the mean, the standard deviation and a two-sample Kolmogorov-Smirnov test, with
thresholds of six standard errors (and α = 1e-6 for the KS test) so that a correct
sampler passes with a wide margin and the usual mistakes fail. The learner's ``rng`` is
seeded, so every verdict is deterministic. Each call draws twice from one generator: a
sampler that ignores ``rng`` and seeds itself returns the same numbers both times.

Statistics are computed with ndarray methods, the operators and the NumPy functions
:mod:`autograder.integrity` captured at start-up, so learner code that reassigns
``np.std`` or ``scipy.stats`` cannot change a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.integrity import trusted_np as tnp
from autograder.references import to_numpy
from autograder.registry import Case

POOL_SIZE = 200_000
MAX_DRAWS = 64
#: Pools smaller than this are not trusted to show where the support ends.
BOUNDS_MIN_POOL = 50_000
#: Means and standard deviations may differ by this many standard errors.
STANDARD_ERRORS = 6.0
KS_ALPHA = 1e-6
KERAS_SEED = 20_250
#: Keras pools kept: one exercise's cases, visible then hidden.
CACHED_POOLS = 12

IGNORES_RNG = (
    "two calls with the same Generator returned identical arrays: your sampler ignores `rng` "
    "(it seeds its own generator?). Draw every number from the `rng` you are given, so that "
    "successive calls give new values and the same seed gives the same array."
)


class Seeded(np.random.Generator):
    """``np.random.default_rng(seed)`` that prints as such in failure messages."""

    def __init__(self, seed: int) -> None:
        super().__init__(np.random.PCG64(seed))
        self.seed = seed

    def __repr__(self) -> str:
        return f"np.random.default_rng({self.seed})"


@dataclass(frozen=True)
class Pool:
    """Many draws from one distribution, sorted, with the statistics a verdict needs."""

    values: np.ndarray
    cdf_at_values: np.ndarray
    mean: float
    std: float
    kurtosis: float
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> Pool:
        values = tnp.array(values, dtype=tnp.float64).ravel()
        values.sort()
        mean = float(values.mean()) if values.size else 0.0
        std = float(values.std()) if values.size else 0.0
        fourth = float(((values - mean) ** 4).mean()) if values.size else 0.0
        kurtosis = fourth / std**4 if std > 0 else 3.0
        cdf = (values.searchsorted(values, side="right") / max(values.size, 1)).astype("f4")
        low, high = (float(values[0]), float(values[-1])) if values.size else (0.0, 0.0)
        return cls(values, cdf, mean, std, kurtosis, low, high)


class Sample(np.ndarray):
    """One draw of the case's shape (shown in messages) with a large ``pool`` behind it."""

    pool: Pool | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.pool = getattr(obj, "pool", None)


class RepeatedDraw(np.ndarray):
    """A learner's array that a second draw from the same generator repeated exactly."""


def draw_count(shape: Any) -> int:
    """How many draws of ``shape`` make a pool of about POOL_SIZE values."""
    size = math.prod(int(d) for d in shape)
    return max(1, min(MAX_DRAWS, math.ceil(POOL_SIZE / max(size, 1))))


def pooled_sample(first: np.ndarray, more: Callable[[int], np.ndarray], count: int) -> Sample:
    """``first`` as a Sample whose pool is ``first`` plus ``count - 1`` further draws."""
    first = tnp.asarray(first)
    values = tnp.ndarray(shape=(count * first.size,), dtype=tnp.float64)
    for i in range(count):
        draw = first if i == 0 else more(i)
        values[i * first.size : (i + 1) * first.size] = tnp.asarray(draw).ravel()
    sample = first.view(Sample)
    sample.pool = Pool.of(values)
    return sample


_KERAS_POOLS: dict[tuple, Sample] = {}


def keras_sample(shape: Any, make: Callable[[int], Any], key: tuple) -> Sample:
    """Keras's draw for ``shape`` (from ``make(seed)``, an initializer) and its pool, cached."""
    cache_key = (key, tuple(int(d) for d in shape))
    if cache_key not in _KERAS_POOLS:
        shape = tuple(int(d) for d in shape)

        def draw(i: int) -> np.ndarray:
            return to_numpy(make(KERAS_SEED + i)(shape))

        if len(_KERAS_POOLS) >= CACHED_POOLS:
            _KERAS_POOLS.pop(next(iter(_KERAS_POOLS)))
        _KERAS_POOLS[cache_key] = pooled_sample(draw(0), draw, draw_count(shape))
    return _KERAS_POOLS[cache_key]


@dataclass(frozen=True)
class PooledSampler:
    """A NumPy sampler (a known mistake) that returns its first draw with a pool behind it."""

    sampler: Callable[..., np.ndarray]

    def __call__(
        self, shape: Any, *args: Any, rng: np.random.Generator | None = None, **kwargs: Any
    ) -> Sample:
        rng = np.random.default_rng(KERAS_SEED) if rng is None else rng

        def more(i: int) -> np.ndarray:
            return self.sampler(shape, *args, rng=rng, **kwargs)

        return pooled_sample(more(0), more, draw_count(shape))


def call_sampler(sampler: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a sampler; a learner's is called twice from one seeded generator (ignores rng?)."""
    first = sampler(*args, **kwargs)
    if isinstance(sampler, PooledSampler) or kwargs.get("rng") is None:
        return first
    second = sampler(*args, **kwargs)
    if (
        isinstance(first, tnp.ndarray)
        and isinstance(second, tnp.ndarray)
        and first.size > 1
        and first.shape == second.shape
        and first.tobytes() == second.tobytes()
    ):
        return first.view(RepeatedDraw)
    return first


def critical_ks(n: int, m: int) -> float:
    """Largest CDF gap a two-sample KS test at level KS_ALPHA accepts (asymptotic)."""
    return math.sqrt(-math.log(KS_ALPHA / 2) / 2) * math.sqrt(1 / n + 1 / m)


def ks_gap(values: np.ndarray, pool: Pool) -> tuple[float, float]:
    """Largest gap between the empirical CDFs of ``values`` and ``pool``, and where it is."""
    ours = values.copy()
    ours.sort()
    n, m = ours.size, pool.values.size
    at_ours = tnp.abs(
        ours.searchsorted(ours, side="right") / n - pool.values.searchsorted(ours, side="right") / m
    )
    at_pool = tnp.abs(ours.searchsorted(pool.values, side="right") / n - pool.cdf_at_values)
    i, j = int(at_ours.argmax()), int(at_pool.argmax())
    if at_ours[i] >= at_pool[j]:
        return float(at_ours[i]), float(ours[i])
    return float(at_pool[j]), float(pool.values[j])


def compare_distributions(values: Any, pool: Pool, bounded: bool) -> str | None:
    """What shows that ``values`` were not drawn from ``pool``'s distribution, or None."""
    values = tnp.array(values, dtype=tnp.float64).ravel()
    n, m = values.size, pool.values.size
    if n == 0:
        return None
    low, high = float(values.min()), float(values.max())
    if bounded and m >= BOUNDS_MIN_POOL:
        slack = 1e-3 * (pool.high - pool.low)
        if low < pool.low - slack or high > pool.high + slack:
            return (
                f"your values range from {low:.6g} to {high:.6g}, but all of Keras's {m} draws "
                f"lie within [{pool.low:.6g}, {pool.high:.6g}]"
            )
    mean = float(values.mean())
    allowed = STANDARD_ERRORS * pool.std * math.sqrt(1 / n + 1 / m)
    if abs(mean - pool.mean) > allowed:
        return (
            f"mean {mean:.6g}, but Keras's is {pool.mean:.6g} (a correct sampler of {n} values "
            f"stays within ±{allowed:.3g} of it)"
        )
    if n >= 2 and pool.std > 0:
        std = float(values.std())
        allowed = STANDARD_ERRORS * math.sqrt(max(pool.kurtosis - 1, 0.0) / 4 * (1 / n + 1 / m))
        ratio = std / pool.std
        if abs(ratio - 1) > allowed:
            return (
                f"standard deviation {std:.6g}, but Keras's is {pool.std:.6g} (ratio "
                f"{ratio:.4f}; a correct sampler of {n} values stays within 1 ± {allowed:.3f})"
            )
    gap, where = ks_gap(values, pool)
    allowed = critical_ks(n, m)
    if gap > allowed:
        return (
            f"the shape of the distribution differs from Keras's: the two empirical CDFs differ "
            f"by {gap:.4f} near x = {where:.4g}, more than the {allowed:.4f} a two-sample "
            f"Kolmogorov-Smirnov test allows at α = {KS_ALPHA:g}"
        )
    return None


def array_problem(got: Any, shape: tuple[int, ...]) -> str | None:
    """What is wrong with the returned array itself (type, shape, dtype, finiteness), or None."""
    if isinstance(got, tnp.generic):  # a NumPy scalar is fine for shape ()
        got = tnp.asarray(got)
    if not isinstance(got, tnp.ndarray):
        return (
            f"returned {type(got).__module__}.{type(got).__qualname__}; return a NumPy array "
            "(np.asarray(..., dtype=np.float32))"
        )
    if got.shape != shape:
        return f"returned an array of shape {got.shape}, expected shape {shape}"
    if got.dtype != np.float32:
        return (
            f"returned dtype {got.dtype}; Keras initializers return float32 "
            "(finish with .astype(np.float32))"
        )
    if not bool(tnp.isfinite(tnp.array(got)).all()):
        return "returned inf or NaN values"
    return None


def distribution_judge(bounded: Callable[[Case], bool]) -> Callable[[Any, Any, Case], str | None]:
    """A judge for samplers; ``bounded(case)``: does the distribution have a finite support?"""

    def judge(got: Any, expected: Any, case: Case) -> str | None:
        problem = array_problem(got, tuple(int(d) for d in case.args[0]))
        if problem is not None:
            return problem
        if isinstance(got, RepeatedDraw):
            return IGNORES_RNG
        return compare_distributions(got, expected.pool, bounded(case))

    return judge
