"""Chapter 03_initialization: fans, weight samplers judged by distribution, signal through depth.

Samplers cannot be compared value by value with Keras (it draws from TensorFlow's
stateless RNG), so they are judged by distribution: the learner's array against a
pool of about 200 000 values that Keras draws with fixed seeds. A verdict looks
at the shape and dtype, the bounds, the mean, the standard deviation and a
two-sample Kolmogorov-Smirnov test, with thresholds of six standard errors (and
α = 1e-6 for the KS test) so that a correct sampler passes with a wide margin and
the usual mistakes fail. The learner's ``rng`` is seeded, so every verdict is
deterministic. Each seeded case is also called twice from identical generators
(same seed ⇒ same array), and each call draws twice from one generator (a sampler
that ignores ``rng`` and seeds itself returns the same numbers both times).

Statistics are computed with ndarray methods, the operators and the NumPy
functions :mod:`autograder.integrity` captured at start-up, so learner code that
reassigns ``np.std`` or ``scipy.stats`` cannot change a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.integrity import trusted_np as tnp
from autograder.references import as_float32, keras, tf, to_numpy
from autograder.registry import Case, Exercise, Mistake, register

# The rule VarianceScaling applies (imported through autograder.references: TensorFlow quietly).
keras_compute_fans = keras.src.initializers.random_initializers.compute_fans

#: Standard deviation of a standard normal truncated to ±2σ (Keras divides by it).
TRUNCATION_STD = 0.87962566103423978
POOL_SIZE = 200_000
MAX_DRAWS = 64
#: Pools smaller than this are not trusted to show where the support ends.
BOUNDS_MIN_POOL = 50_000
#: Means and standard deviations may differ by this many standard errors.
Z = 6.0
KS_ALPHA = 1e-6
KERAS_SEED = 20_250

IGNORES_RNG = (
    "two calls with the same Generator returned identical arrays: your sampler ignores `rng` "
    "(it seeds its own generator?). Draw every number from the `rng` you are given, so that "
    "successive calls give new values and the same seed gives the same array."
)


# ---------------------------------------------------------------------------------------------
# Seeds, samples and pools


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


class IgnoresRng(np.ndarray):
    """Marks a learner's array that a second draw from the same generator repeated exactly."""


def _draws(shape: Any) -> int:
    size = math.prod(int(d) for d in shape)
    return max(1, min(MAX_DRAWS, math.ceil(POOL_SIZE / max(size, 1))))


def _sample(first: np.ndarray, more: Callable[[int], np.ndarray], count: int) -> Sample:
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
        draw = lambda i: to_numpy(make(KERAS_SEED + i)(shape))  # noqa: E731
        if len(_KERAS_POOLS) >= 12:  # one exercise's cases: visible, then hidden
            _KERAS_POOLS.pop(next(iter(_KERAS_POOLS)))
        _KERAS_POOLS[cache_key] = _sample(draw(0), draw, _draws(shape))
    return _KERAS_POOLS[cache_key]


def pooled(sampler: Callable[..., np.ndarray]) -> Callable[..., Sample]:
    """A NumPy sampler (a known mistake) that returns its first draw with a pool behind it."""

    def draw(shape: Any, *args: Any, rng: np.random.Generator | None = None, **kwargs: Any):
        rng = np.random.default_rng(KERAS_SEED) if rng is None else rng
        more = lambda i: sampler(shape, *args, rng=rng, **kwargs)  # noqa: E731
        return _sample(more(0), more, _draws(shape))

    draw.pooled = True
    return draw


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a sampler; a learner's is called twice from one seeded generator (ignores rng?)."""
    first = fn(*args, **kwargs)
    if getattr(fn, "pooled", False) or kwargs.get("rng") is None:
        return first
    second = fn(*args, **kwargs)
    if (
        isinstance(first, tnp.ndarray)
        and isinstance(second, tnp.ndarray)
        and first.size > 1
        and first.shape == second.shape
        and first.tobytes() == second.tobytes()
    ):
        return first.view(IgnoresRng)
    return first


# ---------------------------------------------------------------------------------------------
# The distribution judge


def _critical_ks(n: int, m: int) -> float:
    """Largest CDF gap a two-sample KS test at level KS_ALPHA accepts (asymptotic)."""
    return math.sqrt(-math.log(KS_ALPHA / 2) / 2) * math.sqrt(1 / n + 1 / m)


def _ks_gap(values: np.ndarray, pool: Pool) -> tuple[float, float]:
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
    allowed = Z * pool.std * math.sqrt(1 / n + 1 / m)
    if abs(mean - pool.mean) > allowed:
        return (
            f"mean {mean:.6g}, but Keras's is {pool.mean:.6g} (a correct sampler of {n} values "
            f"stays within ±{allowed:.3g} of it)"
        )
    if n >= 2 and pool.std > 0:
        std = float(values.std())
        allowed = Z * math.sqrt(max(pool.kurtosis - 1, 0.0) / 4 * (1 / n + 1 / m))
        ratio = std / pool.std
        if abs(ratio - 1) > allowed:
            return (
                f"standard deviation {std:.6g}, but Keras's is {pool.std:.6g} (ratio "
                f"{ratio:.4f}; a correct sampler of {n} values stays within 1 ± {allowed:.3f})"
            )
    gap, where = _ks_gap(values, pool)
    allowed = _critical_ks(n, m)
    if gap > allowed:
        return (
            f"the shape of the distribution differs from Keras's: the two empirical CDFs differ "
            f"by {gap:.4f} near x = {where:.4g}, more than the {allowed:.4f} a two-sample "
            f"Kolmogorov-Smirnov test allows at α = {KS_ALPHA:g}"
        )
    return None


def _output_problem(got: Any, shape: tuple[int, ...]) -> str | None:
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
        problem = _output_problem(got, tuple(int(d) for d in case.args[0]))
        if problem is not None:
            return problem
        if isinstance(got, IgnoresRng):
            return IGNORES_RNG
        return compare_distributions(got, expected.pool, bounded(case))

    return judge


# ---------------------------------------------------------------------------------------------
# NumPy versions of the usual mistakes (diagnoses only; never shown to learners)


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng() if rng is None else rng


def _fans(shape: Any, receptive: bool = True) -> tuple[int, int]:
    shape = tuple(int(d) for d in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2]) if receptive else 1
    return shape[-2] * field, shape[-1] * field


def _truncated(shape: Any, mean: float, stddev: float, rng: np.random.Generator) -> np.ndarray:
    size = math.prod(int(d) for d in shape)
    z = rng.standard_normal(size)
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return (mean + stddev * z).reshape(tuple(shape)).astype(np.float32)


def _scaled(
    shape: Any,
    scale: float,
    mode: str,
    distribution: str,
    rng: np.random.Generator | None,
    *,
    receptive: bool = True,
    correction: float = TRUNCATION_STD,
    untruncated_correction: float = 1.0,
    limit_factor: float = 3.0,
    average: float = 2.0,
) -> np.ndarray:
    """VarianceScaling with knobs for the usual slips (defaults: what Keras does)."""
    rng = _rng(rng)
    fan_in, fan_out = _fans(shape, receptive)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / average}[mode]
    std = math.sqrt(scale / max(1.0, fan))
    if distribution == "truncated_normal":
        return _truncated(shape, 0.0, std / correction, rng)
    if distribution == "untruncated_normal":
        normal = rng.normal(0.0, std / untruncated_correction, tuple(shape))
        return normal.astype(np.float32)
    limit = math.sqrt(limit_factor) * std
    return rng.uniform(-limit, limit, tuple(shape)).astype(np.float32)


def _preset(scale: float, mode: str, distribution: str, **slip: Any) -> Callable[..., Sample]:
    def sampler(shape: Any, rng: np.random.Generator | None = None) -> np.ndarray:
        return _scaled(shape, scale, mode, distribution, rng, **slip)

    return pooled(sampler)


def _mistake(hint: str, sampler: Callable[..., Sample]) -> Mistake:
    return Mistake(hint, produces=sampler)


# ---------------------------------------------------------------------------------------------
# compute_fans


def _judge_fans(got: Any, expected: Any, case: Case) -> str | None:
    if not isinstance(got, tuple | list) or len(got) != 2:
        return f"returned {got!r}; return a tuple (fan_in, fan_out)"
    if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in got):
        return f"returned {got!r}; fans are whole numbers: return ints, as Keras does"
    fans = tuple(int(v) for v in got)
    if fans != tuple(expected):
        return f"(fan_in, fan_out) = {fans}, but Keras computes {tuple(expected)}"
    return None


def _fans_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for rank in (2, 3, 4, 5):
        shape = tuple(int(d) for d in rng.integers(1, 9, size=rank))
        cases.append(Case((shape,), why=f"random rank-{rank} shape"))
    return cases + [
        Case(([7, 9],), why="shape as a list"),
        Case(((np.int64(3), np.int64(3), np.int64(8), np.int64(4)),), why="NumPy integers"),
        Case(((1, 1, 10, 20),), why="1x1 convolution"),
        Case(((2, 3, 4, 5, 6, 7),), why="rank 6"),
    ]


register(
    Exercise(
        name="compute_fans",
        reference=keras_compute_fans,
        reference_name="the fans Keras's VarianceScaling computes",
        params=("shape",),
        visible=lambda: [
            Case(((),), why="a scalar"),
            Case(((5,),), why="a vector (a bias)"),
            Case(((3, 4),), why="a Dense kernel (in, out)"),
            Case(((3, 3, 16, 32),), why="a Conv2D kernel (kh, kw, in, out)"),
            Case(((5, 2, 7),), why="a Conv1D kernel (k, in, out)"),
        ],
        hidden=_fans_hidden,
        rtol=0.0,
        atol=0.0,
        judge=_judge_fans,
        mistakes=(
            Mistake(
                "a convolution kernel (..., in, out) has a receptive field: every output sums "
                "over kh·kw·in inputs, so multiply both fans by the product of shape[:-2].",
                produces=lambda shape: _fans(shape, receptive=False),
            ),
            Mistake(
                "fan_in and fan_out are swapped: a Dense kernel has shape (in, out), and a "
                "convolution kernel (..., in, out).",
                produces=lambda shape: _fans(shape)[::-1],
            ),
            Mistake(
                "for a vector Keras uses its length for both fans.",
                when=lambda case, got, expected: (
                    len(tuple(case.args[0])) == 1 and tuple(got) != tuple(expected)
                ),
            ),
        ),
    )
)


# ---------------------------------------------------------------------------------------------
# The samplers


def _sampler_cases(
    shapes: list[tuple[Any, str]], kwargs: list[dict] | None = None
) -> Callable[[], list[Case]]:
    """Seeded visible cases (shape, why) with their options, plus one call without rng."""
    kwargs = kwargs or [{} for _ in shapes]

    def visible() -> list[Case]:
        cases = [
            Case((shape,), {**options, "rng": Seeded(i + 1)}, why=why, same_twice=True)
            for i, ((shape, why), options) in enumerate(zip(shapes, kwargs, strict=True))
        ]
        return cases + [Case(((6, 4),), why="no rng: a fresh default generator")]

    return visible


def _sampler_hidden(extra: list[tuple[Any, dict, str]]) -> Callable[..., list[Case]]:
    """Hidden cases (shape, options, why), each with its own seed."""

    def hidden(rng: np.random.Generator) -> list[Case]:
        return [
            Case(
                (shape,),
                {**options, "rng": Seeded(int(rng.integers(1000, 10**6)))},
                why=why,
                same_twice=True,
            )
            for shape, options, why in extra
        ]

    return hidden


_BIG = ((500, 240), "a Dense kernel (500, 240)")
_CONV = ((3, 3, 64, 128), "a Conv2D kernel (3, 3, 64, 128)")
_SHAPES_HIDDEN = [
    ((240, 500), {}, "a Dense kernel (240, 500), fan_out > fan_in"),
    ((5, 32, 96), {}, "a Conv1D kernel (5, 32, 96)"),
    ((3, 3, 3, 16, 32), {}, "a Conv3D kernel (3, 3, 3, 16, 32)"),
    ((4000,), {}, "a vector (4000,)"),
    ([60, 30], {}, "a shape given as a list"),
    ((), {}, "a scalar"),
]


def _register_sampler(
    name: str,
    reference: Callable[..., Sample],
    reference_name: str,
    visible: Callable[[], list[Case]],
    hidden: Callable[[np.random.Generator], list[Case]],
    mistakes: tuple[Mistake, ...],
    bounded: Callable[[Case], bool] = lambda case: True,
) -> None:
    reference.pooled = True
    register(
        Exercise(
            name=name,
            reference=reference,
            reference_name=f"the distribution of {reference_name}",
            params=("shape",),
            visible=visible,
            hidden=hidden,
            rtol=0.0,
            atol=0.0,
            call=_call,
            judge=distribution_judge(bounded),
            mistakes=mistakes,
        )
    )


# random_normal ------------------------------------------------------------------------------


def _ref_random_normal(shape, mean=0.0, stddev=0.05, rng=None) -> Sample:
    make = lambda seed: keras.initializers.RandomNormal(mean, stddev, seed=seed)  # noqa: E731
    return keras_sample(shape, make, ("RandomNormal", mean, stddev))


_register_sampler(
    "random_normal",
    _ref_random_normal,
    "keras.initializers.RandomNormal",
    _sampler_cases([_BIG, ((300, 400), "mean 1, stddev 0.5")], [{}, {"mean": 1.0, "stddev": 0.5}]),
    _sampler_hidden(
        [
            ((100_000,), {"mean": -3.0, "stddev": 2.0}, "mean -3, stddev 2"),
            ((3, 3, 8, 16), {"stddev": 0.01}, "stddev 0.01"),
            ([50, 40, 30], {"mean": 0.5}, "a shape given as a list"),
            ((), {}, "a scalar"),
        ]
    ),
    (
        _mistake(
            "`stddev` is the standard deviation, not the variance: pass it to rng.normal as "
            "scale, without a square root.",
            pooled(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    _rng(rng).normal(mean, math.sqrt(stddev), tuple(shape)).astype(np.float32)
                )
            ),
        ),
        _mistake(
            "the `mean` argument is ignored.",
            pooled(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    _rng(rng).normal(0.0, stddev, tuple(shape)).astype(np.float32)
                )
            ),
        ),
    ),
    bounded=lambda case: False,
)


# random_uniform -----------------------------------------------------------------------------


def _ref_random_uniform(shape, minval=-0.05, maxval=0.05, rng=None) -> Sample:
    make = lambda seed: keras.initializers.RandomUniform(minval, maxval, seed=seed)  # noqa: E731
    return keras_sample(shape, make, ("RandomUniform", minval, maxval))


_register_sampler(
    "random_uniform",
    _ref_random_uniform,
    "keras.initializers.RandomUniform",
    _sampler_cases(
        [_BIG, ((300, 400), "minval 0, maxval 2")], [{}, {"minval": 0.0, "maxval": 2.0}]
    ),
    _sampler_hidden(
        [
            ((100_000,), {"minval": -3.0, "maxval": -1.0}, "an interval below zero"),
            ((3, 3, 8, 16), {"minval": 0.0, "maxval": 1e-3}, "a narrow interval"),
            ([50, 40, 30], {}, "a shape given as a list"),
            ((), {}, "a scalar"),
        ]
    ),
    (
        _mistake(
            "rng.random draws from [0, 1): scale and shift it to [minval, maxval) with "
            "minval + (maxval - minval) * u (or use rng.uniform(minval, maxval, shape)).",
            pooled(
                lambda shape, minval=-0.05, maxval=0.05, rng=None: (
                    _rng(rng).random(tuple(shape)).astype(np.float32)
                )
            ),
        ),
        _mistake(
            "the interval is [minval, maxval), not [-maxval, maxval).",
            pooled(
                lambda shape, minval=-0.05, maxval=0.05, rng=None: (
                    _rng(rng).uniform(-maxval, maxval, tuple(shape)).astype(np.float32)
                )
            ),
        ),
    ),
)


# truncated_normal ---------------------------------------------------------------------------


def _ref_truncated_normal(shape, mean=0.0, stddev=0.05, rng=None) -> Sample:
    make = lambda seed: keras.initializers.TruncatedNormal(mean, stddev, seed=seed)  # noqa: E731
    return keras_sample(shape, make, ("TruncatedNormal", mean, stddev))


def _clipped(shape, mean=0.0, stddev=0.05, rng=None) -> np.ndarray:
    z = _rng(rng).normal(mean, stddev, tuple(shape))
    return np.clip(z, mean - 2 * stddev, mean + 2 * stddev).astype(np.float32)


def _cut_at_two(shape, mean=0.0, stddev=0.05, rng=None) -> np.ndarray:
    rng = _rng(rng)
    z = rng.normal(mean, stddev, math.prod(int(d) for d in shape))
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.normal(mean, stddev, int(outside.sum()))
        outside = np.abs(z) > 2
    return z.reshape(tuple(shape)).astype(np.float32)


_register_sampler(
    "truncated_normal",
    _ref_truncated_normal,
    "keras.initializers.TruncatedNormal",
    _sampler_cases([_BIG, ((300, 400), "mean 1, stddev 0.5")], [{}, {"mean": 1.0, "stddev": 0.5}]),
    _sampler_hidden(
        [
            ((100_000,), {"mean": -3.0, "stddev": 2.0}, "mean -3, stddev 2"),
            ((200, 300), {"stddev": 1.5}, "stddev 1.5"),
            ((3, 3, 8, 16), {"stddev": 0.01}, "stddev 0.01"),
            ([50, 40, 30], {}, "a shape given as a list"),
            ((), {}, "a scalar"),
        ]
    ),
    (
        _mistake(
            "values outside mean ± 2·stddev are clipped to the boundary; Keras redraws them "
            "instead (clipping piles about 4.6% of the values up exactly on the two bounds).",
            pooled(_clipped),
        ),
        _mistake(
            "the cut is at ±2 standard deviations around the mean (|x - mean| > 2·stddev), "
            "not at |x| > 2.",
            pooled(_cut_at_two),
        ),
        _mistake(
            "values beyond 2 standard deviations must be redrawn: this is a plain normal.",
            pooled(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    _rng(rng).normal(mean, stddev, tuple(shape)).astype(np.float32)
                )
            ),
        ),
        _mistake(
            "TruncatedNormal uses `stddev` as given (its samples have std 0.88·stddev); the "
            "division by 0.87962566103423978 belongs to VarianceScaling and its presets.",
            pooled(
                lambda shape, mean=0.0, stddev=0.05, rng=None: _truncated(
                    shape, mean, stddev / TRUNCATION_STD, _rng(rng)
                )
            ),
        ),
    ),
)


# variance_scaling ---------------------------------------------------------------------------


def _ref_variance_scaling(
    shape, scale=1.0, mode="fan_in", distribution="truncated_normal", rng=None
) -> Sample:
    def make(seed: int) -> Any:
        return keras.initializers.VarianceScaling(scale, mode, distribution, seed=seed)

    make(0)  # invalid arguments raise ValueError here, before the cache is consulted
    return keras_sample(shape, make, ("VarianceScaling", scale, mode, distribution))


def _vs_slip(**slip: Any) -> Callable[..., Sample]:
    def sampler(shape, scale=1.0, mode="fan_in", distribution="truncated_normal", rng=None):
        return _scaled(shape, scale, mode, distribution, rng, **slip)

    return pooled(sampler)


def _vs_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    combos = [
        ((240, 500), 1.0, "fan_out", "truncated_normal"),
        ((5, 32, 96), 2.0, "fan_avg", "truncated_normal"),
        ((700, 150), 3.0, "fan_in", "untruncated_normal"),
        ((3, 3, 32, 48), 0.5, "fan_avg", "untruncated_normal"),
        ((3, 3, 3, 16, 32), 2.0, "fan_in", "uniform"),
        ((400, 300), 1.0, "fan_out", "uniform"),
        ((4000,), 1.0, "fan_avg", "uniform"),
        ((), 1.0, "fan_in", "truncated_normal"),
    ]
    for shape, scale, mode, distribution in combos:
        options = {"scale": scale, "mode": mode, "distribution": distribution}
        seed = int(rng.integers(1000, 10**6))
        cases.append(
            Case(
                (shape,),
                {**options, "rng": Seeded(seed)},
                why=f"{mode}, {distribution}",
                same_twice=True,
            )
        )
    for bad in ({"mode": "fan_sum"}, {"distribution": "gaussian"}, {"scale": -1.0}):
        cases.append(Case(((10, 10),), {**bad, "rng": Seeded(1)}, why="invalid argument"))
    return cases


_register_sampler(
    "variance_scaling",
    _ref_variance_scaling,
    "keras.initializers.VarianceScaling",
    _sampler_cases(
        [_BIG, _CONV, ((250, 600), "a Dense kernel (250, 600)")],
        [
            {},
            {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"},
            {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"},
        ],
    ),
    _vs_hidden,
    (
        _mistake(
            "only the truncated normal needs the division by 0.87962566103423978 (truncation "
            "shrinks the std by that factor); 'untruncated_normal' uses stddev = sqrt(scale / n).",
            _vs_slip(untruncated_correction=TRUNCATION_STD),
        ),
        _mistake(
            "`mode` is ignored: 'fan_out' divides the scale by fan_out, 'fan_avg' by "
            "(fan_in + fan_out) / 2.",
            pooled(
                lambda shape, scale=1.0, mode="fan_in", distribution="truncated_normal", rng=None: (
                    _scaled(shape, scale, "fan_in", distribution, rng)
                )
            ),
        ),
        _mistake(
            "a truncated normal needs stddev = sqrt(scale / n) / 0.87962566103423978: cutting "
            "at ±2σ shrinks the standard deviation to 0.8796·σ, and Keras compensates.",
            _vs_slip(correction=1.0),
        ),
        _mistake(
            "convolution kernels: multiply the fans by the receptive field (kh·kw·...).",
            _vs_slip(receptive=False),
        ),
        _mistake(
            "a uniform distribution on ±limit has variance limit²/3, so limit = sqrt(3·scale / n).",
            _vs_slip(limit_factor=1.0),
        ),
        _mistake("fan_avg is the mean (fan_in + fan_out) / 2, not the sum.", _vs_slip(average=1.0)),
    ),
    bounded=lambda case: case.kwargs.get("distribution") != "untruncated_normal",
)


# standard_uniform ---------------------------------------------------------------------------


def _ref_standard_uniform(shape, rng=None) -> Sample:
    def make(seed: int) -> Any:
        return keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed)

    return keras_sample(shape, make, ("standard_uniform",))


_register_sampler(
    "standard_uniform",
    _ref_standard_uniform,
    "VarianceScaling(1/3, 'fan_in', 'uniform'), uniform on ±1/sqrt(fan_in)",
    _sampler_cases([_BIG, _CONV]),
    _sampler_hidden(_SHAPES_HIDDEN),
    (
        _mistake(
            "the limit is 1/sqrt(fan_in), not 1/fan_in.",
            pooled(
                lambda shape, rng=None: (
                    _rng(rng)
                    .uniform(-1 / _fans(shape)[0], 1 / _fans(shape)[0], tuple(shape))
                    .astype(np.float32)
                )
            ),
        ),
        _mistake(
            "the limit uses fan_in (the inputs each unit sums over), not fan_out.",
            _preset(1 / 3, "fan_out", "uniform"),
        ),
        _mistake(
            "that is lecun_uniform (limit sqrt(3/fan_in)); the standard initialization's limit "
            "is 1/sqrt(fan_in).",
            _preset(1.0, "fan_in", "uniform"),
        ),
        _mistake(
            "convolution kernels: fan_in includes the receptive field (kh·kw·in).",
            _preset(1 / 3, "fan_in", "uniform", receptive=False),
        ),
    ),
)


# The six presets ----------------------------------------------------------------------------

PRESETS = {
    "glorot_normal": ("GlorotNormal", 1.0, "fan_avg", "truncated_normal"),
    "glorot_uniform": ("GlorotUniform", 1.0, "fan_avg", "uniform"),
    "he_normal": ("HeNormal", 2.0, "fan_in", "truncated_normal"),
    "he_uniform": ("HeUniform", 2.0, "fan_in", "uniform"),
    "lecun_normal": ("LecunNormal", 1.0, "fan_in", "truncated_normal"),
    "lecun_uniform": ("LecunUniform", 1.0, "fan_in", "uniform"),
}
_TITLES = {
    "glorot_normal": "Glorot normal",
    "glorot_uniform": "Glorot uniform",
    "he_normal": "He normal",
    "he_uniform": "He uniform",
    "lecun_normal": "LeCun normal",
    "lecun_uniform": "LeCun uniform",
}


def _preset_mistakes(name: str) -> tuple[Mistake, ...]:
    _, scale, mode, distribution = PRESETS[name]
    title = _TITLES[name]
    fan = {"fan_in": "fan_in", "fan_avg": "(fan_in + fan_out) / 2"}[mode]
    mistakes = []
    if distribution == "truncated_normal":
        std = f"sqrt({scale:g} / {fan})"
        mistakes += [
            _mistake(
                f"looks like {title} without the truncation correction: Keras draws from a "
                f"normal truncated at ±2σ with σ = {std} / 0.87962566103423978, because cutting "
                "the tails shrinks the standard deviation by that factor.",
                _preset(scale, mode, distribution, correction=1.0),
            ),
            _mistake(
                f"looks like an untruncated normal with std {std}: Keras truncates at ±2σ "
                f"(and divides σ by 0.87962566103423978 to keep the variance {scale:g} / n).",
                _preset(scale, mode, "untruncated_normal", correction=1.0),
            ),
            _mistake(
                f"{title} is a normal distribution (truncated), not a uniform one.",
                _preset(scale, mode, "uniform"),
            ),
        ]
    else:
        mistakes += [
            _mistake(
                f"looks like {title} with the wrong limit: a uniform on ±limit has variance "
                f"limit²/3, so limit = sqrt(3·{scale:g} / {fan}).",
                _preset(scale, mode, distribution, limit_factor=1.0),
            ),
            _mistake(
                f"{title} is a uniform distribution, not a normal one.",
                _preset(scale, mode, "truncated_normal"),
            ),
        ]
    if mode == "fan_avg":
        mistakes += [
            _mistake(
                f"looks like {title} with fan_in only: Glorot averages the two fans, "
                "n = (fan_in + fan_out) / 2.",
                _preset(scale, "fan_in", distribution),
            ),
            _mistake(
                f"looks like {title} with n = fan_in + fan_out: average the fans (divide by 2).",
                _preset(scale, mode, distribution, average=1.0),
            ),
        ]
    else:
        mistakes.append(
            _mistake(
                f"{title} scales by fan_in alone, not by the average of the fans.",
                _preset(scale, "fan_avg", distribution),
            )
        )
    other = 1.0 if scale == 2.0 else 2.0
    mistakes += [
        _mistake(
            f"the scale is off: {title} uses variance {scale:g} / n (He: 2, LeCun and Glorot: 1).",
            _preset(other, mode, distribution),
        ),
        _mistake(
            "convolution kernels: the fans include the receptive field (kh·kw·in, kh·kw·out).",
            _preset(scale, mode, distribution, receptive=False),
        ),
    ]
    return tuple(mistakes)


def _register_preset(name: str) -> None:
    keras_name, scale, mode, distribution = PRESETS[name]

    def reference(shape, rng=None) -> Sample:
        make = lambda seed: getattr(keras.initializers, keras_name)(seed=seed)  # noqa: E731
        return keras_sample(shape, make, (keras_name,))

    _register_sampler(
        name,
        reference,
        f"keras.initializers.{keras_name}",
        _sampler_cases([_BIG, _CONV]),
        _sampler_hidden(_SHAPES_HIDDEN),
        _preset_mistakes(name),
    )


for _name in PRESETS:
    _register_preset(_name)


# ---------------------------------------------------------------------------------------------
# Signal propagation through depth (the experiment's graded parts)


class Kernels(list):
    """A list of kernels that failure messages summarise by their shapes."""

    def __repr__(self) -> str:
        shapes = ", ".join(str(np.shape(k)) for k in self)
        return f"{len(self)} kernels of shapes {shapes}"


def keras_dense_stack(kernels: Any, activation: str | None = None) -> list[Any]:
    """Keras Dense layers without bias holding ``kernels`` (each (n_in, n_out)), ready to call."""
    layers = []
    for kernel in kernels:
        kernel = as_float32(kernel)
        layer = keras.layers.Dense(kernel.shape[1], activation=activation, use_bias=False)
        layer.build((None, kernel.shape[0]))
        layer.kernel.assign(kernel)
        layers.append(layer)
    return layers


def keras_layer_output_stds(x: Any, kernels: Any, activation: str = "relu") -> np.ndarray:
    """Std of every layer's output f(x W) (all entries), run with Keras Dense layers."""
    h = as_float32(x)
    stds = []
    for layer in keras_dense_stack(kernels, activation):
        h = layer(h)
        stds.append(float(to_numpy(keras.ops.std(h))))
    return np.array(stds)


def keras_gradient_stds(
    x: Any, kernels: Any, upstream: Any, activation: str = "relu"
) -> np.ndarray:
    """Std of dL/dz for each layer's pre-activation z, L = sum(output * upstream), by tape."""
    dense = keras_dense_stack(kernels)
    act = keras.layers.Activation(activation)
    with tf.GradientTape() as tape:
        h = tf.constant(as_float32(x))
        pre_activations = []
        for layer in dense:
            z = layer(h)
            tape.watch(z)
            pre_activations.append(z)
            h = act(z)
        loss = tf.reduce_sum(h * as_float32(upstream))
    gradients = tape.gradient(loss, pre_activations)
    return np.array([float(to_numpy(g).astype(np.float64).std()) for g in gradients])


_NP_ACTIVATIONS = {
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (
        lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
        lambda z: 0.25 * (1.0 - np.tanh(0.5 * z) ** 2),
    ),
}


def _forward(x: Any, kernels: Any, activation: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations and outputs of every layer, in float64."""
    f = _NP_ACTIVATIONS[activation][0]
    h, zs, hs = np.asarray(x, dtype=np.float64), [], []
    for kernel in kernels:
        zs.append(h @ np.asarray(kernel, dtype=np.float64))
        h = f(zs[-1])
        hs.append(h)
    return zs, hs


def _pre_activation_stds(x, kernels, activation="relu") -> np.ndarray:
    return np.array([z.std() for z in _forward(x, kernels, activation)[0]])


def _last_layer_linear_stds(x, kernels, activation="relu") -> np.ndarray:
    zs, hs = _forward(x, kernels, activation)
    return np.array([h.std() for h in hs[:-1]] + [zs[-1].std()])


def _backward(x, kernels, upstream, activation, derivative=True, after=False) -> np.ndarray:
    """Std of dL/dz per layer (dL/dh with ``after``; without f'(z) unless ``derivative``)."""
    zs, _ = _forward(x, kernels, activation)
    df = _NP_ACTIVATIONS[activation][1]
    g, stds = np.asarray(upstream, dtype=np.float64), []
    for z, kernel in zip(zs[::-1], list(kernels)[::-1], strict=True):
        delta = g * df(z) if derivative else g
        stds.append((g if after else delta).std())
        g = delta @ np.asarray(kernel, dtype=np.float64).T
    return np.array(stds[::-1])


def _network(
    rng: np.random.Generator, widths: list[int], gain: float, batch: int, dtype=np.float64
) -> tuple[np.ndarray, Kernels]:
    x = rng.normal(size=(batch, widths[0])).astype(dtype)
    kernels = Kernels(
        rng.normal(0.0, math.sqrt(gain / n_in), size=(n_in, n_out)).astype(dtype)
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)
    )
    return x, kernels


def _stack_visible(with_upstream: bool) -> list[Case]:
    cases = []
    for seed, (activation, gain, widths) in enumerate(
        [("relu", 2.0, [32, 48, 48, 32, 16]), ("tanh", 1.0, [24, 40, 40, 40, 8])]
    ):
        rng = np.random.default_rng(seed)
        x, kernels = _network(rng, widths, gain, batch=64)
        args = (x, kernels, rng.normal(size=(64, widths[-1]))) if with_upstream else (x, kernels)
        cases.append(
            Case(args, {"activation": activation}, why=f"{len(kernels)} {activation} layers")
        )
    return cases


def _stack_hidden(with_upstream: bool) -> Callable[[np.random.Generator], list[Case]]:
    def hidden(rng: np.random.Generator) -> list[Case]:
        plans = [
            ("relu", 2.0, [64] * 13, np.float64, "12 He-scaled ReLU layers"),
            ("relu", 1.0, [64] * 13, np.float64, "12 ReLU layers that fade"),
            ("tanh", 0.05, [32] * 11, np.float64, "10 tanh layers, tiny weights"),
            ("sigmoid", 1.0, [20, 30, 10, 30, 5], np.float32, "sigmoid, float32 inputs"),
            ("linear", 1.0, [16, 24, 8], np.float64, "linear layers"),
            ("tanh", 4.0, [30, 30, 30, 30], np.float64, "saturating tanh"),
        ]
        cases = []
        for activation, gain, widths, dtype, why in plans:
            x, kernels = _network(rng, widths, gain, batch=int(rng.integers(16, 65)), dtype=dtype)
            args = (x, kernels)
            if with_upstream:
                args += (rng.normal(size=(x.shape[0], widths[-1])).astype(dtype),)
            cases.append(Case(args, {"activation": activation}, why=why))
        cases.append(Case(cases[-1].args, why="default activation (relu)"))
        return cases

    return hidden


_STACK_RTOL = 1e-4  # Keras runs up to 12 float32 layers: rounding compounds to ~1e-6

register(
    Exercise(
        name="layer_output_stds",
        reference=keras_layer_output_stds,
        reference_name="the std of each keras.layers.Dense output",
        params=("x", "kernels"),
        visible=lambda: _stack_visible(False),
        hidden=_stack_hidden(False),
        rtol=_STACK_RTOL,
        atol=0.0,
        mistakes=(
            Mistake(
                "these are the stds of the pre-activations z = h·W; report each layer's output "
                "after its activation, f(z).",
                produces=_pre_activation_stds,
            ),
            Mistake(
                "the last layer skipped its activation: every Dense layer here applies it.",
                produces=_last_layer_linear_stds,
            ),
        ),
    )
)
register(
    Exercise(
        name="gradient_stds",
        reference=keras_gradient_stds,
        reference_name="the std of dL/dz per layer from tf.GradientTape on Keras layers",
        params=("x", "kernels", "upstream"),
        visible=lambda: _stack_visible(True),
        hidden=_stack_hidden(True),
        rtol=_STACK_RTOL,
        atol=0.0,
        mistakes=(
            Mistake(
                "the activation's derivative is missing: the gradient arriving at a layer's "
                "output must be multiplied by f'(z) to reach z (δ = g ⊙ f'(z)).",
                produces=lambda x, kernels, upstream, activation="relu": _backward(
                    x, kernels, upstream, activation, derivative=False
                ),
            ),
            Mistake(
                "these are the stds of dL/dh, the gradients at each layer's output; the "
                "exercise asks for dL/dz, one step further back through f'(z).",
                produces=lambda x, kernels, upstream, activation="relu": _backward(
                    x, kernels, upstream, activation, after=True
                ),
            ),
        ),
    )
)
