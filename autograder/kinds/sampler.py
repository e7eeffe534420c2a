"""A sampler ``fn(shape, ..., rng=None)``, judged by distribution.

The statistics are :mod:`autograder.judges.distribution`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.judges.distribution import call_sampler, distribution_judge
from autograder.kinds.kind import Kind
from autograder.registry import Case


class Sampler(Kind):
    """Called twice from one seeded generator in the judge (a sampler that ignores ``rng``
    repeats itself), both calls asked for in one request; the draws are compared with a pool
    Keras draws. ``bounded(case)``: does the distribution have a finite support?"""

    caller = "judge"
    calls = 2

    def __init__(self, bounded: Callable[[Case], bool] = lambda case: True) -> None:
        super().__init__(judge=distribution_judge(bounded))

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The sampler's draw (a learner's: twice from the one generator, see ``call_sampler``)."""
        return call_sampler(fn, *args, **kwargs)
