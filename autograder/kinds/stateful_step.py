"""A stateful step (an optimizer's update), judged over several consecutive calls.

The learner's function is pure: it takes the parameters, one gradient and the state, and
returns the new parameters and state. The kind's call starts from Keras's initial state
(zeros; Adagrad's accumulator filled with ``initial_accumulator_value``) and feeds the
function its own outputs back, one gradient per step (:func:`iterate`); the reference gives,
for each returned array, its values after each step, and :func:`trajectory_judge` names the
first step and array that differ. In ``autograder grade`` the call runs in the judge and asks
the NumPy kernel for one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.compare import array_difference
from autograder.kinds.kind import Kind
from autograder.registry import Case


@dataclass(frozen=True)
class Update:
    """What an update function takes and returns, and where Keras keeps the same arrays."""

    name: str
    optimizer: str
    #: the state arrays after ``w`` in the learner's signature and return value
    state: tuple[str, ...]
    #: the optimizer's attribute holding each state array's slot variables
    slots: tuple[str, ...]
    #: whether the learner's function takes ``step`` (counted from 1) after the state
    counts_steps: bool = False

    def initial(self, w: np.ndarray, hyper: dict[str, Any]) -> list[np.ndarray]:
        """Keras's initial state: zeros, Adagrad's accumulator filled with its initial value."""
        fill = hyper.get("initial_accumulator_value", 0.1) if self.optimizer == "Adagrad" else 0.0
        return [np.full(w.shape, fill, dtype=np.float64) for _ in self.state]

    def compared(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        """The returned arrays Keras has too (plain SGD keeps no velocity)."""
        if self.optimizer == "SGD" and not hyper.get("momentum", 0.0):
            return ("w",)
        return ("w", *self.state)


def _same(before: np.ndarray, after: Any) -> bool:
    after = np.asarray(after)
    return after.shape == before.shape and bool(np.array_equal(before, after, equal_nan=True))


def iterate(update: Update) -> Callable[..., Any]:
    """The ``call`` hook: N pure updates from Keras's initial state, one per gradient.

    Returns, for each compared array, its values after each step (shape ``(N, *w.shape)``),
    or a sentence saying why the function's answer could not be read (its judge reports it).
    """

    def call(fn: Callable[..., Any], w: Any, gradients: Any, **hyper: Any) -> Any:
        w = np.asarray(w)
        state = update.initial(w, hyper)
        names = ("w", *update.state)
        keep = update.compared(hyper)
        trajectory: dict[str, list[np.ndarray]] = {name: [] for name in keep}
        for step, g in enumerate(gradients, start=1):
            args = [w, np.array(g), *state] + ([step] if update.counts_steps else [])
            copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
            result = fn(*args, **hyper)
            arg_names = ("w", "g", *update.state)
            for name, before, after in zip(arg_names, copies, args, strict=False):
                if isinstance(before, np.ndarray) and not _same(before, after):
                    return (
                        f"at step {step}, {update.name} changed its argument {name} in place; "
                        "return new arrays and leave the arguments as they were"
                    )
            if not (isinstance(result, tuple | list) and len(result) == len(names)):
                described = (
                    f"a {type(result).__name__} of {len(result)}"
                    if isinstance(result, tuple | list)
                    else f"a {type(result).__name__}"
                )
                return f"{update.name} must return ({', '.join(names)}); it returned {described}"
            try:
                arrays = [np.asarray(r, dtype=np.float64) for r in result]
            except (TypeError, ValueError):
                return f"{update.name} returned something that is not numeric arrays"
            for name, array in zip(names, arrays, strict=True):
                if array.shape != w.shape:
                    return (
                        f"at step {step}, the returned {name} has shape {array.shape}; "
                        f"it must have w's shape {w.shape}"
                    )
            w, *state = arrays
            for name, array in zip(names, arrays, strict=True):
                if name in trajectory:
                    trajectory[name].append(array)
        return tuple(np.stack(trajectory[name]) for name in keep)

    return call


def trajectory_judge(
    update: Update, rtol: float, atol: float
) -> Callable[[Any, Any, Case], str | None]:
    """The first step and array at which the learner's trajectory leaves Keras's."""

    def judge(got: Any, expected: Any, case: Case) -> str | None:
        if isinstance(got, str):
            return got
        keep = update.compared(dict(case.kwargs))
        steps = len(expected[0])
        for step in range(steps):
            for name, mine, theirs in zip(keep, got, expected, strict=True):
                difference = array_difference(mine[step], theirs[step], rtol, atol)
                if difference is not None:
                    return f"after step {step + 1} of {steps}, {name}: {difference}"
        return None

    return judge


class StatefulStep(Kind):
    """An update function called step after step from Keras's initial state (one call per step,
    each asked for in advance), its trajectory compared with Keras's step for step."""

    caller = "judge"
    calls = 1

    def __init__(self, update: Update, rtol: float, atol: float) -> None:
        super().__init__(judge=trajectory_judge(update, rtol, atol))
        self._steps = iterate(update)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The trajectory of ``fn`` from Keras's initial state (see :func:`iterate`)."""
        return self._steps(fn, *args, **kwargs)
