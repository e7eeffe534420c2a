"""Keras's optimizer updates and learning-rate schedules in NumPy, with switches for the slips.

Each function is one update of one parameter array, as chapter 06_optimizers asks for it;
its keyword switches reproduce the usual mistakes (epsilon on the other side of the square
root, bias corrections missing or applied to the moments, ``step`` counted from 0, the
velocity's sign, weight decay after the update or without the learning rate, the staircase's
floor forgotten). With every switch off they equal Keras. Never shown to learners.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def sgd(
    w: Any,
    g: Any,
    velocity: Any,
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    nesterov: bool = False,
    *,
    ascent_velocity: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``SGD``; ``ascent_velocity``: the velocity accumulates +lr·g and is subtracted, with
    Nesterov's look-ahead then taken the textbook way (w - momentum·v - lr·g)."""
    w, g, velocity = _f64(w), _f64(g), _f64(velocity)
    if momentum == 0:
        return w - learning_rate * g, velocity
    if ascent_velocity:
        velocity = momentum * velocity + learning_rate * g
        step = momentum * velocity + learning_rate * g if nesterov else velocity
        return w - step, velocity
    velocity = momentum * velocity - learning_rate * g
    step = momentum * velocity - learning_rate * g if nesterov else velocity
    return w + step, velocity


def rmsprop(
    w: Any,
    g: Any,
    average: Any,
    learning_rate: float = 0.001,
    rho: float = 0.9,
    epsilon: float = 1e-7,
    *,
    epsilon_outside: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``RMSprop`` (not centered, no momentum): epsilon inside the square root."""
    w, g, average = _f64(w), _f64(g), _f64(average)
    average = rho * average + (1 - rho) * g**2
    scale = np.sqrt(average) + epsilon if epsilon_outside else np.sqrt(average + epsilon)
    return w - learning_rate * g / scale, average


def adagrad(
    w: Any,
    g: Any,
    accumulator: Any,
    learning_rate: float = 0.001,
    initial_accumulator_value: float = 0.1,
    epsilon: float = 1e-7,
    *,
    epsilon_outside: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``Adagrad``: the accumulator starts at ``initial_accumulator_value`` (the caller's)."""
    w, g, accumulator = _f64(w), _f64(g), _f64(accumulator)
    accumulator = accumulator + g**2
    scale = np.sqrt(accumulator) + epsilon if epsilon_outside else np.sqrt(accumulator + epsilon)
    return w - learning_rate * g / scale, accumulator


def adam(
    w: Any,
    g: Any,
    m: Any,
    v: Any,
    step: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    *,
    correction: str = "step_size",
    epsilon_inside: bool = False,
    step_offset: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Adam``; ``correction``: "step_size" (Keras), "moments" (the paper's m̂, v̂) or "none"."""
    w, g, m, v = _f64(w), _f64(g), _f64(m), _f64(v)
    t = step + step_offset
    m = m + (g - m) * (1 - beta_1)
    v = v + (g**2 - v) * (1 - beta_2)
    if correction == "moments":
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v
    alpha = learning_rate
    if correction == "step_size":
        alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    scale = np.sqrt(v + epsilon) if epsilon_inside else np.sqrt(v) + epsilon
    return w - alpha * m / scale, m, v


def adamw(
    w: Any,
    g: Any,
    m: Any,
    v: Any,
    step: int,
    learning_rate: float = 0.001,
    weight_decay: float = 0.004,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    *,
    decay: str = "before",
    **adam_switches: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``AdamW``: w ← w - lr·wd·w, then Adam's step. ``decay``: "before" (Keras), "after" the
    Adam step, "no_lr" (w ← w - wd·w) or "l2" (wd·w added to the gradient, an L2 penalty)."""
    w, g = _f64(w), _f64(g)
    if decay == "l2":
        return adam(w, g + weight_decay * w, m, v, step, learning_rate, beta_1, beta_2, epsilon)
    if decay in ("before", "no_lr"):
        w = w - w * weight_decay * (learning_rate if decay == "before" else 1.0)
    w, m, v = adam(w, g, m, v, step, learning_rate, beta_1, beta_2, epsilon, **adam_switches)
    if decay == "after":
        w = w - w * weight_decay * learning_rate
    return w, m, v


def exponential_decay(
    step: Any,
    initial_learning_rate: float,
    decay_steps: float,
    decay_rate: float,
    staircase: bool = False,
    *,
    floor: bool = True,
) -> np.ndarray:
    """``ExponentialDecay``; ``floor=False`` forgets the staircase's floor."""
    p = _f64(step) / decay_steps
    if staircase and floor:
        p = np.floor(p)
    return initial_learning_rate * decay_rate**p


def cosine_decay(
    step: Any,
    initial_learning_rate: float,
    decay_steps: float,
    alpha: float = 0.0,
    *,
    clamp: bool = True,
    alpha_scales_lr: bool = False,
) -> np.ndarray:
    """``CosineDecay`` without warm-up; ``clamp=False`` lets the cosine rise again after
    ``decay_steps``; ``alpha_scales_lr`` adds alpha instead of alpha·initial_learning_rate."""
    step = _f64(step)
    if clamp:
        step = np.minimum(step, decay_steps)
    cosine = 0.5 * (1 + np.cos(np.pi * step / decay_steps))
    if alpha_scales_lr:
        return initial_learning_rate * (1 - alpha) * cosine + alpha
    return initial_learning_rate * ((1 - alpha) * cosine + alpha)
