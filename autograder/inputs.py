"""Input generators shared by exercises: fixed visible inputs, random and extreme hidden ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.registry import Case

#: Values where naive formulas overflow or lose precision (the contract goes up to |x| = 1e4).
EXTREMES = np.array(
    [-1e4, -1e3, -710.0, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 710.0, 1e3, 1e4]
)

# float16 keeps ~3 significant digits: a learner's float16 result cannot meet 1e-5.
FLOAT16_RTOL = 2e-3
FLOAT16_ATOL = 2e-3


def elementwise_visible(kwargs_variants: Sequence[Mapping[str, Any]] = ({},)) -> list[Case]:
    """Small fixed inputs: a float64 grid through 0 and a float32 matrix."""
    grid = np.linspace(-4.0, 4.0, 9)
    matrix = np.array([[-2.5, -0.5, 0.0], [0.5, 1.5, 3.0]], dtype=np.float32)
    return [
        Case((value,), dict(kwargs), why=why)
        for kwargs in kwargs_variants
        for value, why in ((grid, "float64 grid"), (matrix, "float32 matrix"))
    ]


def elementwise_hidden(
    rng: np.random.Generator,
    kwargs_variants: Sequence[Mapping[str, Any]] = ({},),
    extremes: np.ndarray = EXTREMES,
    lists: bool = False,
) -> list[Case]:
    """Random arrays of assorted shapes and dtypes, a scalar, extreme values (and a list)."""
    cases = []
    for kwargs in kwargs_variants:
        kwargs = dict(kwargs)
        cases += [
            Case((rng.normal(0, 3, size=(4, 5)),), kwargs, why="random float64 (4, 5)"),
            Case(
                (rng.normal(0, 3, size=(2, 3, 4)).astype(np.float32),),
                kwargs,
                why="random float32 (2, 3, 4)",
            ),
            Case((float(rng.normal(0, 2)),), kwargs, why="Python float"),
            Case((extremes.copy(),), kwargs, why="extreme values"),
            Case(
                (rng.normal(0, 2, size=(3, 3)).astype(np.float16),),
                kwargs,
                rtol=FLOAT16_RTOL,
                atol=FLOAT16_ATOL,
                why="float16 (looser tolerance)",
            ),
        ]
        if lists:
            cases.append(Case((rng.normal(0, 2, size=6).round(3).tolist(),), kwargs, why="list"))
    return cases
