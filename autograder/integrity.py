"""Integrity around a learner's call: no TensorFlow op may run, inputs stay untouched.

TensorFlow dispatches every eager op and every ``tf.function`` call through a few
functions of ``tensorflow.python.pywrap_tfe``, looked up as module attributes at
call time. Wrapping those attributes sees ops from *every* thread of the kernel
(unlike ``sys.setprofile`` or TensorFlow's op callbacks, which are per-thread).
Learner code can undo the wrapping; that is detected and counted as tampering.

NumPy functions the checker relies on are captured here, at import, before any
learner code runs: reassigning ``np.allclose`` later changes nothing for us.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from autograder.quiet import import_tensorflow

import_tensorflow()
from tensorflow.python import pywrap_tfe  # noqa: E402

trusted_np = SimpleNamespace(
    asarray=np.asarray,
    array=np.array,
    ndarray=np.ndarray,
    generic=np.generic,
    abs=np.abs,
    subtract=np.subtract,
    multiply=np.multiply,
    add=np.add,
    greater=np.greater,
    isnan=np.isnan,
    isfinite=np.isfinite,
    equal=np.equal,
    logical_and=np.logical_and,
    logical_or=np.logical_or,
    logical_not=np.logical_not,
    argmax=np.argmax,
    unravel_index=np.unravel_index,
    errstate=np.errstate,
    float64=np.float64,
    array2string=np.array2string,
    iscomplexobj=np.iscomplexobj,
)

_DISPATCHERS = ("TFE_Py_FastPathExecute", "TFE_Py_Execute", "TFE_Py_ExecuteCancelable")
# Position of the op name in each dispatcher's arguments.
_OP_NAME_ARG = {"TFE_Py_FastPathExecute": 1, "TFE_Py_Execute": 2, "TFE_Py_ExecuteCancelable": 2}


@dataclass
class TensorFlowReport:
    """What the watch saw while it was armed."""

    ops: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)


class TensorFlowWatch:
    """Records every TensorFlow op dispatched, from any thread, while armed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._report: TensorFlowReport | None = None
        self._originals = {
            n: getattr(pywrap_tfe, n) for n in _DISPATCHERS if hasattr(pywrap_tfe, n)
        }
        self._wrappers = {n: self._wrap(n, f) for n, f in self._originals.items()}
        self._install()

    def _wrap(self, name: str, dispatch: Callable[..., Any]) -> Callable[..., Any]:
        position = _OP_NAME_ARG[name]

        def watched(*args: Any, **kwargs: Any) -> Any:
            report = self._report
            if report is not None:
                op = args[position] if len(args) > position else name
                op = op.decode() if isinstance(op, bytes) else str(op)
                with self._lock:
                    report.ops.append(op)
            return dispatch(*args, **kwargs)

        return watched

    def _install(self) -> None:
        for name, wrapper in self._wrappers.items():
            setattr(pywrap_tfe, name, wrapper)

    def _tampered(self) -> list[str]:
        return [n for n, w in self._wrappers.items() if getattr(pywrap_tfe, n, None) is not w]

    @contextlib.contextmanager
    def armed(self) -> Iterator[TensorFlowReport]:
        """Watch for TensorFlow ops (and for the watch being switched off) in this block."""
        report = TensorFlowReport(tampered=self._tampered())
        self._install()
        self._report = report
        try:
            yield report
        finally:
            self._report = None
            report.tampered += [n for n in self._tampered() if n not in report.tampered]
            self._install()


WATCH = TensorFlowWatch()


_DATA = (list, tuple, dict, str, bytes, int, float, complex, bool, type(None))


def snapshot(value: Any) -> Any:
    """A deep copy of plain data (arrays, containers, numbers, NumPy generators).

    Other objects, such as Keras models, are handed over as they are: copying them
    is expensive or impossible, and the exercises that take them say so.
    """
    if isinstance(value, trusted_np.ndarray | trusted_np.generic | np.random.Generator):
        return copy.deepcopy(value)
    if isinstance(value, list | tuple):
        return type(value)(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    return value if not isinstance(value, _DATA) else copy.copy(value)


def unchanged(before: Any, after: Any) -> bool:
    """True when ``after`` still equals ``before`` (arrays: same shape, dtype and bits)."""
    if isinstance(before, trusted_np.ndarray):
        return (
            isinstance(after, trusted_np.ndarray)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and before.tobytes() == after.tobytes()
        )
    if isinstance(before, list | tuple):
        return (
            type(before) is type(after)
            and len(before) == len(after)
            and all(unchanged(b, a) for b, a in zip(before, after, strict=True))
        )
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(unchanged(before[k], after[k]) for k in before)
    if isinstance(before, float) and before != before:  # NaN
        return isinstance(after, float) and after != after
    if isinstance(before, _DATA):
        return type(before) is type(after) and before == after
    return True  # not plain data: not copied, so not compared
