"""NumPy weight samplers with the usual slips, each wrapped so it can be judged by distribution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograder.judges.distribution import PooledSampler

#: Standard deviation of a standard normal truncated to ±2σ (Keras divides by it).
TRUNCATION_STD = 0.87962566103423978


def generator(rng: np.random.Generator | None) -> np.random.Generator:
    """The given generator, or a fresh one (what a sampler does without ``rng``)."""
    return np.random.default_rng() if rng is None else rng


def fans(shape: Any, receptive: bool = True) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras computes them; ``receptive=False`` forgets the receptive field."""
    shape = tuple(int(d) for d in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = math.prod(shape[:-2]) if receptive else 1
    return shape[-2] * field, shape[-1] * field


def truncated_normal(
    shape: Any, mean: float, stddev: float, rng: np.random.Generator
) -> np.ndarray:
    """A normal truncated at ±2 standard deviations, by redrawing, as float32."""
    size = math.prod(int(d) for d in shape)
    z = rng.standard_normal(size)
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return (mean + stddev * z).reshape(tuple(shape)).astype(np.float32)


def variance_scaling(
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
    normal_as: str = "truncated_normal",
) -> np.ndarray:
    """VarianceScaling with knobs for the usual slips (defaults: what Keras does)."""
    rng = generator(rng)
    distribution = distribution.lower()  # Keras lowercases it, and "normal" is its truncated normal
    if distribution == "normal":
        distribution = normal_as
    fan_in, fan_out = fans(shape, receptive)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / average}[mode]
    std = math.sqrt(scale / max(1.0, fan))
    if distribution == "truncated_normal":
        return truncated_normal(shape, 0.0, std / correction, rng)
    if distribution == "untruncated_normal":
        normal = rng.normal(0.0, std / untruncated_correction, tuple(shape))
        return normal.astype(np.float32)
    limit = math.sqrt(limit_factor) * std
    return rng.uniform(-limit, limit, tuple(shape)).astype(np.float32)


def preset(scale: float, mode: str, distribution: str, **slip: Any) -> PooledSampler:
    """A preset ``sampler(shape, rng=None)`` of VarianceScaling, with the given slips."""

    def sampler(shape: Any, rng: np.random.Generator | None = None) -> np.ndarray:
        return variance_scaling(shape, scale, mode, distribution, rng, **slip)

    return PooledSampler(sampler)


def variance_scaling_with(**slip: Any) -> PooledSampler:
    """VarianceScaling's full signature, with the given slips."""

    def sampler(shape, scale=1.0, mode="fan_in", distribution="truncated_normal", rng=None):
        return variance_scaling(shape, scale, mode, distribution, rng, **slip)

    return PooledSampler(sampler)
