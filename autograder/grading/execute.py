"""nbgrader's Execute preprocessor, made robust for untrusted submissions.

Differences from stock nbgrader (everything else, including scoring, is unchanged):

- kernels are forked from a warm process (:mod:`autograder.grading.kernels`);
- a submission has a wall-clock budget: each cell's timeout is what is left of it;
- a kernel that dies or runs out of time costs the cells from that point on: each
  remaining code cell gets an error output saying why (an unexecuted test cell
  would otherwise count as passed), and the batch goes on;
- a cell's output is capped while it streams, so a flood cannot exhaust the worker;
- a graded cell that calls ``check`` first re-binds ``check`` to the genuine checker
  (on its first line, so line numbers stay), so ``check = lambda *a: None`` in a
  learner cell gains nothing. (The static scan flags such code for the instructor.)
"""

from __future__ import annotations

import time
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from autograder.grading.kernels import WarmKernelManager
from autograder.grading.settings import Options

GENUINE_CHECK = "from autograder.checker import check; "


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class ResilientExecute(Execute):
    """Execute with warm kernels, a per-submission deadline and kernel-death handling."""

    submission_seconds = Float(
        Options.timeout,
        help="Seconds the whole submission may run; each cell's timeout is what is left of it.",
    ).tag(config=True)
    output_bytes = Integer(
        Options.output_bytes, help="Output a submission may stream before it is truncated."
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = WarmKernelManager
        super().__init__(**kwargs)
        self._cell_timeout = self.timeout or 3600
        self._deadline = 0.0
        self._stopped: str | None = None
        self._streamed_bytes = 0
        self._truncated = False

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._deadline = time.monotonic() + self.submission_seconds
        self._stopped = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and time.monotonic() >= self._deadline:
            self._stop(f"the submission used up its {self.submission_seconds:g} s time limit")
        if self._stopped is not None:
            cell.outputs = [_error("NotRun", f"not run: {self._stopped}")]
            return cell, resources
        self.timeout = max(1, min(self._cell_timeout, int(self._deadline - time.monotonic())))
        self._streamed_bytes, self._truncated = 0, False
        source = cell.source
        graded = cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)
        if graded and "check(" in source:
            cell.source = GENUINE_CHECK + source
        try:
            return super().preprocess_cell(cell, resources, index)
        except Exception as error:  # DeadKernelError, timeouts the kernel ignored, ...
            reason = f"the kernel stopped while running this cell ({type(error).__name__})"
            cell.outputs.append(_error("KernelDied", reason))
            self._stop(reason)
            return cell, resources
        finally:
            cell.source = source

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        try:
            if self.km is not None and self.km.has_kernel:
                self.km.provisioner.process.kill()
        except Exception:  # already gone
            pass

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
        size = len(str(msg.get("content", "")))
        self._streamed_bytes += size
        if self._streamed_bytes > self.output_bytes:
            if not self._truncated:
                self._truncated = True
                note = f"[output truncated by the grader after {self.output_bytes:,} bytes]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            return None
        return super().output(outs, msg, display_id, cell_index)
