"""Chapter 03_initialization: fans, weight samplers judged by distribution, signal through depth.

A catalogue: the references (Keras), cases, hints and wrong implementations of each
exercise. Samplers are of the :class:`~autograder.kinds.sampler.Sampler` kind, judged by
:mod:`autograder.judges.distribution`; the NumPy
samplers with the usual slips live in :mod:`autograder.mistakes.initializers`, the
signal-propagation slips in :mod:`autograder.mistakes.propagation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.judges.distribution import (
    PooledSampler,
    Sample,
    Seeded,
    keras_sample,
)
from autograder.kinds.numpy_function import NumPyFunction
from autograder.kinds.sampler import Sampler
from autograder.mistakes import propagation
from autograder.mistakes.initializers import (
    TRUNCATION_STD,
    fans,
    generator,
    preset,
    truncated_normal,
    variance_scaling,
    variance_scaling_with,
)
from autograder.references import as_float32, keras, tf, to_numpy
from autograder.registry import Case, Exercise, Mistake

# The rule VarianceScaling applies (imported through autograder.references: TensorFlow quietly).
keras_compute_fans = keras.src.initializers.random_initializers.compute_fans


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


COMPUTE_FANS = Exercise(
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
    kind=NumPyFunction(judge=_judge_fans),
    mistakes=(
        Mistake(
            "a convolution kernel (..., in, out) has a receptive field: every output sums "
            "over kh·kw·in inputs, so multiply both fans by the product of shape[:-2].",
            produces=lambda shape: fans(shape, receptive=False),
        ),
        Mistake(
            "fan_in and fan_out are swapped: a Dense kernel has shape (in, out), and a "
            "convolution kernel (..., in, out).",
            produces=lambda shape: fans(shape)[::-1],
        ),
        Mistake(
            "for a vector Keras uses its length for both fans.",
            when=lambda case, got, expected: (
                len(tuple(case.args[0])) == 1 and tuple(got) != tuple(expected)
            ),
        ),
    ),
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


# random_normal ------------------------------------------------------------------------------


def _ref_random_normal(shape, mean=0.0, stddev=0.05, rng=None) -> Sample:
    make = lambda seed: keras.initializers.RandomNormal(mean, stddev, seed=seed)  # noqa: E731
    return keras_sample(shape, make, ("RandomNormal", mean, stddev))


def sampler_exercise(
    name: str,
    reference: Callable[..., Sample],
    reference_name: str,
    visible: Callable[[], list[Case]],
    hidden: Callable[[np.random.Generator], list[Case]],
    mistakes: tuple[Mistake, ...],
    bounded: Callable[[Case], bool] = lambda case: True,
) -> Exercise:
    """An exercise on a sampler ``fn(shape, ..., rng=None)``, judged by distribution."""
    return Exercise(
        name=name,
        reference=reference,
        reference_name=f"the distribution of {reference_name}",
        params=("shape",),
        visible=visible,
        hidden=hidden,
        rtol=0.0,
        atol=0.0,
        kind=Sampler(bounded),
        mistakes=mistakes,
    )


RANDOM_NORMAL = sampler_exercise(
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
        Mistake(
            "`stddev` is the standard deviation, not the variance: pass it to rng.normal as "
            "scale, without a square root.",
            PooledSampler(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    generator(rng).normal(mean, math.sqrt(stddev), tuple(shape)).astype(np.float32)
                )
            ),
        ),
        Mistake(
            "the `mean` argument is ignored.",
            PooledSampler(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    generator(rng).normal(0.0, stddev, tuple(shape)).astype(np.float32)
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


RANDOM_UNIFORM = sampler_exercise(
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
        Mistake(
            "rng.random draws from [0, 1): scale and shift it to [minval, maxval) with "
            "minval + (maxval - minval) * u (or use rng.uniform(minval, maxval, shape)).",
            PooledSampler(
                lambda shape, minval=-0.05, maxval=0.05, rng=None: (
                    generator(rng).random(tuple(shape)).astype(np.float32)
                )
            ),
        ),
        Mistake(
            "the interval is [minval, maxval), not [-maxval, maxval).",
            PooledSampler(
                lambda shape, minval=-0.05, maxval=0.05, rng=None: (
                    generator(rng).uniform(-maxval, maxval, tuple(shape)).astype(np.float32)
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
    z = generator(rng).normal(mean, stddev, tuple(shape))
    return np.clip(z, mean - 2 * stddev, mean + 2 * stddev).astype(np.float32)


def _cut_at_two(shape, mean=0.0, stddev=0.05, rng=None) -> np.ndarray:
    rng = generator(rng)
    z = rng.normal(mean, stddev, math.prod(int(d) for d in shape))
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.normal(mean, stddev, int(outside.sum()))
        outside = np.abs(z) > 2
    return z.reshape(tuple(shape)).astype(np.float32)


TRUNCATED_NORMAL = sampler_exercise(
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
        Mistake(
            "values outside mean ± 2·stddev are clipped to the boundary; Keras redraws them "
            "instead (clipping piles about 4.6% of the values up exactly on the two bounds).",
            PooledSampler(_clipped),
        ),
        Mistake(
            "the cut is at ±2 standard deviations around the mean (|x - mean| > 2·stddev), "
            "not at |x| > 2.",
            PooledSampler(_cut_at_two),
        ),
        Mistake(
            "values beyond 2 standard deviations must be redrawn: this is a plain normal.",
            PooledSampler(
                lambda shape, mean=0.0, stddev=0.05, rng=None: (
                    generator(rng).normal(mean, stddev, tuple(shape)).astype(np.float32)
                )
            ),
        ),
        Mistake(
            "TruncatedNormal uses `stddev` as given (its samples have std 0.88·stddev); the "
            "division by 0.87962566103423978 belongs to VarianceScaling and its presets.",
            PooledSampler(
                lambda shape, mean=0.0, stddev=0.05, rng=None: truncated_normal(
                    shape, mean, stddev / TRUNCATION_STD, generator(rng)
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
    cases.append(
        Case(
            ((300, 200),),
            {"distribution": "Uniform", "mode": "fan_avg", "rng": Seeded(int(rng.integers(10**6)))},
            why="distribution 'Uniform': Keras lowercases the name first",
            same_twice=True,
        )
    )
    for bad in ({"mode": "fan_sum"}, {"distribution": "gaussian"}, {"scale": -1.0}):
        cases.append(Case(((10, 10),), {**bad, "rng": Seeded(1)}, why="invalid argument"))
    cases.append(
        Case(
            ((10, 10),),
            {"mode": "FAN_IN", "rng": Seeded(1)},
            why="mode 'FAN_IN': Keras compares the mode exactly (only the distribution is "
            "lowercased), so this is invalid",
        )
    )
    return cases


VARIANCE_SCALING = sampler_exercise(
    "variance_scaling",
    _ref_variance_scaling,
    "keras.initializers.VarianceScaling",
    _sampler_cases(
        [
            _BIG,
            _CONV,
            ((250, 600), "a Dense kernel (250, 600)"),
            ((400, 300), "distribution 'normal': Keras's name for the truncated normal"),
        ],
        [
            {},
            {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"},
            {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"},
            {"scale": 2.0, "distribution": "normal"},
        ],
    ),
    _vs_hidden,
    (
        Mistake(
            "only the truncated normal needs the division by 0.87962566103423978 (truncation "
            "shrinks the std by that factor); 'untruncated_normal' uses stddev = sqrt(scale / n).",
            variance_scaling_with(untruncated_correction=TRUNCATION_STD),
        ),
        Mistake(
            "`mode` is ignored: 'fan_out' divides the scale by fan_out, 'fan_avg' by "
            "(fan_in + fan_out) / 2.",
            PooledSampler(
                lambda shape, scale=1.0, mode="fan_in", distribution="truncated_normal", rng=None: (
                    variance_scaling(shape, scale, "fan_in", distribution, rng)
                )
            ),
        ),
        Mistake(
            "a truncated normal needs stddev = sqrt(scale / n) / 0.87962566103423978: cutting "
            "at ±2σ shrinks the standard deviation to 0.8796·σ, and Keras compensates.",
            variance_scaling_with(correction=1.0),
        ),
        Mistake(
            "convolution kernels: multiply the fans by the receptive field (kh·kw·...).",
            variance_scaling_with(receptive=False),
        ),
        Mistake(
            "a uniform distribution on ±limit has variance limit²/3, so limit = sqrt(3·scale / n).",
            variance_scaling_with(limit_factor=1.0),
        ),
        Mistake(
            "fan_avg is the mean (fan_in + fan_out) / 2, not the sum.",
            variance_scaling_with(average=1.0),
        ),
        Mistake(
            "Keras reads distribution='normal' as the truncated normal (with the 0.8796 "
            "correction), not as 'untruncated_normal'.",
            variance_scaling_with(normal_as="untruncated_normal"),
        ),
    ),
    bounded=lambda case: case.kwargs.get("distribution") != "untruncated_normal",
)


# standard_uniform ---------------------------------------------------------------------------


def _ref_standard_uniform(shape, rng=None) -> Sample:
    def make(seed: int) -> Any:
        return keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed)

    return keras_sample(shape, make, ("standard_uniform",))


STANDARD_UNIFORM = sampler_exercise(
    "standard_uniform",
    _ref_standard_uniform,
    "VarianceScaling(1/3, 'fan_in', 'uniform'), uniform on ±1/sqrt(fan_in)",
    _sampler_cases([_BIG, _CONV]),
    _sampler_hidden(_SHAPES_HIDDEN),
    (
        Mistake(
            "the limit is 1/sqrt(fan_in), not 1/fan_in.",
            PooledSampler(
                lambda shape, rng=None: (
                    generator(rng)
                    .uniform(-1 / fans(shape)[0], 1 / fans(shape)[0], tuple(shape))
                    .astype(np.float32)
                )
            ),
        ),
        Mistake(
            "the limit uses fan_in (the inputs each unit sums over), not fan_out.",
            preset(1 / 3, "fan_out", "uniform"),
        ),
        Mistake(
            "that is lecun_uniform (limit sqrt(3/fan_in)); the standard initialization's limit "
            "is 1/sqrt(fan_in).",
            preset(1.0, "fan_in", "uniform"),
        ),
        Mistake(
            "convolution kernels: fan_in includes the receptive field (kh·kw·in).",
            preset(1 / 3, "fan_in", "uniform", receptive=False),
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
            Mistake(
                f"looks like {title} without the truncation correction: Keras draws from a "
                f"normal truncated at ±2σ with σ = {std} / 0.87962566103423978, because cutting "
                "the tails shrinks the standard deviation by that factor.",
                preset(scale, mode, distribution, correction=1.0),
            ),
            Mistake(
                f"looks like an untruncated normal with std {std}: Keras truncates at ±2σ "
                f"(and divides σ by 0.87962566103423978 to keep the variance {scale:g} / n).",
                preset(scale, mode, "untruncated_normal", correction=1.0),
            ),
            Mistake(
                f"{title} is a normal distribution (truncated), not a uniform one.",
                preset(scale, mode, "uniform"),
            ),
        ]
    else:
        mistakes += [
            Mistake(
                f"looks like {title} with the wrong limit: a uniform on ±limit has variance "
                f"limit²/3, so limit = sqrt(3·{scale:g} / {fan}).",
                preset(scale, mode, distribution, limit_factor=1.0),
            ),
            Mistake(
                f"{title} is a uniform distribution, not a normal one.",
                preset(scale, mode, "truncated_normal"),
            ),
        ]
    if mode == "fan_avg":
        mistakes += [
            Mistake(
                f"looks like {title} with fan_in only: Glorot averages the two fans, "
                "n = (fan_in + fan_out) / 2.",
                preset(scale, "fan_in", distribution),
            ),
            Mistake(
                f"looks like {title} with n = fan_in + fan_out: average the fans (divide by 2).",
                preset(scale, mode, distribution, average=1.0),
            ),
        ]
    else:
        mistakes.append(
            Mistake(
                f"{title} scales by fan_in alone, not by the average of the fans.",
                preset(scale, "fan_avg", distribution),
            )
        )
    other = 1.0 if scale == 2.0 else 2.0
    mistakes += [
        Mistake(
            f"the scale is off: {title} uses variance {scale:g} / n (He: 2, LeCun and Glorot: 1).",
            preset(other, mode, distribution),
        ),
        Mistake(
            "convolution kernels: the fans include the receptive field (kh·kw·in, kh·kw·out).",
            preset(scale, mode, distribution, receptive=False),
        ),
    ]
    return tuple(mistakes)


def _preset_exercise(name: str) -> Exercise:
    keras_name, scale, mode, distribution = PRESETS[name]

    def reference(shape, rng=None) -> Sample:
        make = lambda seed: getattr(keras.initializers, keras_name)(seed=seed)  # noqa: E731
        return keras_sample(shape, make, (keras_name,))

    return sampler_exercise(
        name,
        reference,
        f"keras.initializers.{keras_name}",
        _sampler_cases([_BIG, _CONV]),
        _sampler_hidden(_SHAPES_HIDDEN),
        _preset_mistakes(name),
    )


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

LAYER_OUTPUT_STDS = Exercise(
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
            produces=propagation.pre_activation_stds,
        ),
        Mistake(
            "the last layer skipped its activation: every Dense layer here applies it.",
            produces=propagation.last_layer_linear_stds,
        ),
    ),
)
GRADIENT_STDS = Exercise(
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
            produces=lambda x, kernels, upstream, activation="relu": propagation.gradient_stds(
                x, kernels, upstream, activation, derivative=False
            ),
        ),
        Mistake(
            "these are the stds of dL/dh, the gradients at each layer's output; the "
            "exercise asks for dL/dz, one step further back through f'(z).",
            produces=lambda x, kernels, upstream, activation="relu": propagation.gradient_stds(
                x, kernels, upstream, activation, after=True
            ),
        ),
    ),
)


EXERCISES = (
    COMPUTE_FANS,
    RANDOM_NORMAL,
    RANDOM_UNIFORM,
    TRUNCATED_NORMAL,
    VARIANCE_SCALING,
    STANDARD_UNIFORM,
    *(_preset_exercise(name) for name in PRESETS),
    LAYER_OUTPUT_STDS,
    GRADIENT_STDS,
)
