"""The kernels the judge calls learner functions in: each submission's NumPy kernel, and the
output cap it shares with the notebook's own kernel
(:class:`~autograder.grading.preprocessors.resilient_execute.ResilientExecute`).

The NumPy kernel is a fork of the worker's "numpy" fork server
(:mod:`autograder.grading.preload_numpy`): NumPy exercises are called there, without
TensorFlow, after the submission's other code cells are replayed in it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from autograder import runner
from autograder.grading.judge import BUFFERS, NoAnswer
from autograder.grading.kernels import WarmKernelManager


class OutputCap:
    """Caps what a cell may stream; results for the judge are kept apart and not counted.

    While the judge's own code runs (``_judging``), a result keeps the binary buffers of its
    message (its arrays) under :data:`BUFFERS`; a learner's cell never leaves them in the notebook.
    """

    output_bytes: int
    _judging = False

    def _reset_cap(self) -> None:
        self._streamed_bytes, self._truncated = 0, False

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
        content = msg.get("content", {})
        if runner.MIME_TYPE in (content.get("data") or {}):
            outs[:] = [o for o in outs if runner.MIME_TYPE not in o.get("data", {})]
            result = super().output(outs, msg, display_id, cell_index)
            if result is not None and self._judging:
                result[BUFFERS] = [bytes(b) for b in msg.get("buffers") or []]
            return result
        self._streamed_bytes += len(str(content))
        if self._streamed_bytes > self.output_bytes:
            if not self._truncated:
                self._truncated = True
                note = f"[output truncated by the grader after {self.output_bytes:,} bytes]\n"
                outs.append(NotebookNode(output_type="stream", name="stdout", text=note))
            return None
        return super().output(outs, msg, display_id, cell_index)


class NumPyKernel(OutputCap, NotebookClient):
    """The submission's second kernel, without TensorFlow, where NumPy exercises are called."""

    def __init__(self, output_bytes: int, **kwargs: Any) -> None:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell()])
        super().__init__(
            notebook,
            allow_errors=True,
            interrupt_on_timeout=True,
            shutdown_kernel="immediate",
            **kwargs,
        )
        self.output_bytes = output_bytes
        self._judging = True
        self.km = WarmKernelManager(config=self.config, flavour="numpy", kernel_name="python3")
        self.start_new_kernel()
        self.start_new_kernel_client()
        self.dead = False

    def run(self, code: str, timeout: float) -> list[NotebookNode]:
        """Outputs of ``code``, or NoAnswer when the kernel dies or runs out of time."""
        self.timeout = max(1, int(timeout))
        self._reset_cap()
        cell = nbformat.v4.new_code_cell(code)
        try:
            self.execute_cell(cell, 0, store_history=False)
        except Exception as error:  # DeadKernelError, CellTimeoutError, ...
            self.dead = True
            raise NoAnswer(f"the NumPy kernel stopped ({type(error).__name__})") from None
        return cell.outputs

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self._cleanup_kernel()
