"""Judging a tuple of gradients: each array within the tolerance, ``None`` where Keras has none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograder.compare import array_difference
from autograder.registry import Case


def judge_gradients(
    names: Sequence[str], rtol: float, atol: float
) -> Callable[[Any, Any, Case], str | None]:
    """A judge for a tuple (or list) of gradients named ``names``, in that order."""

    def judge(got: Any, expected: Any, case: Case) -> str | None:
        if not isinstance(got, tuple | list) or len(got) != len(names):
            return f"return the {len(names)} gradients ({', '.join(names)}) as a tuple"
        for name, mine, theirs in zip(names, got, expected, strict=True):
            if theirs is None:
                if mine is not None:
                    return f"{name}: there is no bias, so {name} must be None"
                continue
            if mine is None:
                return f"{name}: got None"
            difference = array_difference(
                mine,
                theirs,
                case.rtol if case.rtol is not None else rtol,
                case.atol if case.atol is not None else atol,
            )
            if difference is not None:
                return f"{name}: {difference}"
        return None

    return judge
