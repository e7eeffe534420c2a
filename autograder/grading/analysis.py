"""The dependency analysis of one submission, bounded from outside in size and time.

:func:`~autograder.grading.dependencies.cells_to_run` reads every code cell and follows
names to a fixpoint: its cost grows faster than the notebook (a chain of cells, each
naming thousands of names, took a worker 1,101 s). A submission's notebook is the
learner's, so the analysis runs only on notebooks within :data:`MAX_CELLS` and
:data:`MAX_BYTES`, in a thread given a deadline (at most :data:`SECONDS`, never more than
is left of the submission's budget): past either bound, the grader runs every code cell,
as ``--every-cell`` does, which is correct for any notebook and costs the submission's own
budget only.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Sequence

from autograder.grading.dependencies import cells_to_run

#: code cells and characters of code beyond which the analysis is not tried
MAX_CELLS = 1_000
MAX_BYTES = 1_000_000
#: seconds the analysis may take
SECONDS = 10.0


class _OutOfTime(Exception):
    """Raised inside the analysis's thread when its deadline passes."""


def _stop(thread: threading.Thread) -> None:
    """Make ``thread`` raise :class:`_OutOfTime` at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident or 0), ctypes.py_object(_OutOfTime)
    )


def bounded_cells_to_run(
    sources: Sequence[str], required: set[int], checked: set[str], seconds: float = SECONDS
) -> set[int] | None:
    """:func:`cells_to_run`, or None (run every cell) when the notebook is too large for the
    analysis or it takes more than ``seconds``."""
    if len(sources) > MAX_CELLS or sum(map(len, sources)) > MAX_BYTES:
        return None
    found: list[set[int] | None] = []

    def analyse() -> None:
        with contextlib.suppress(_OutOfTime):
            found.append(cells_to_run(sources, required, checked))

    thread = threading.Thread(target=analyse, name="autograder-analysis", daemon=True)
    thread.start()
    thread.join(max(0.1, min(seconds, SECONDS)))
    if thread.is_alive():
        _stop(thread)
        return None
    return found[0] if found else None
