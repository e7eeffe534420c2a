"""nbgrader's Execute preprocessor, made robust for untrusted submissions.

Differences from stock nbgrader (everything else, including scoring, is unchanged):

- kernels are forked from a warm process (:mod:`autograder.grading.kernels`);
- a submission has a wall-clock budget: each cell's timeout is what is left of it;
- a kernel that dies or runs out of time costs the cells from that point on: each
  remaining code cell gets an error output saying why (an unexecuted test cell
  would otherwise count as passed), and the batch goes on;
- a cell's output is capped while it streams, so a flood cannot exhaust the worker;
- a test cell is not run in the learner's kernel: the trusted judge
  (:mod:`autograder.grading.judge`) decides its checks, calling the learner's functions
  in the kernel (NumPy exercises in a second kernel without TensorFlow, which replays the
  submission's other code cells first), and the cell's outputs are the judge's verdicts;
- a graded cell the judge cannot read (not only ``check`` calls) runs in the kernel, and
  first re-binds ``check`` to the genuine checker (on its first line, so line numbers stay);
- only the code cells the grades depend on run (:mod:`autograder.grading.dependencies`);
  the others (demonstrations, plots) say they were not run, unless ``every_cell`` is set.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from autograder import runner
from autograder.cells import is_test_cell, nbgrader_meta
from autograder.grading import analysis
from autograder.grading.judge import (
    PREPARE_NUMPY,
    Judge,
    NoAnswer,
    check_calls,
    outputs_of,
    replay_code,
)
from autograder.grading.judge_kernel import NumPyKernel, OutputCap
from autograder.grading.kernels import WarmKernelManager
from autograder.grading.settings import Options
from autograder.judges import process_state

GENUINE_CHECK = "from autograder.checker import check; "


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


#: What a code cell the grades do not depend on shows in place of its outputs.
NOT_RUN = "[not run by the grader: no graded check depends on this cell]\n"


def needed_cells(nb: NotebookNode, seconds: float = analysis.SECONDS) -> set[int] | None:
    """Indices of the code cells the grades depend on (None: all of them, also when the
    notebook is too large to analyse or the analysis takes more than ``seconds``)."""
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    required: set[int] = set()
    checked: set[str] = set()
    for position, i in enumerate(code):
        cell = nb.cells[i]
        calls = check_calls(cell.source) if is_test_cell(cell) else None
        checked |= {call.function for call in calls or ()}
        if nbgrader_meta(cell).get("solution") or nbgrader_meta(cell).get("grade"):
            required.add(position)  # the learner's answers and the test cells
    run = analysis.bounded_cells_to_run(
        [nb.cells[i].source for i in code], required, checked, seconds
    )
    return None if run is None else {code[position] for position in run}


#: How often a submission's NumPy kernel may be started (it is started again after a crash).
NUMPY_STARTS = 3


def _one_request(steps: list[str]) -> str:
    """Several steps as one kernel request, each going on whatever the one before did."""
    return "\n".join(f"try:\n    {step}\nexcept BaseException:\n    pass" for step in steps)


#: student → (test cell, diagnosis) of every mistake the judge diagnosed while grading them
#: (the worker takes them with the graded submission; the report counts only these)
DIAGNOSED: dict[str, list[tuple[str, str]]] = {}


def diagnoses(cell: NotebookNode, verdicts: list) -> list[tuple[str, str]]:
    """(exercise, diagnosis) of each mistake in the judge's ``verdicts`` of a test cell."""
    exercise = str(nbgrader_meta(cell).get("grade_id", "")).removeprefix("test_")
    found = []
    for verdict in verdicts:
        named = [str(m) for m in verdict.mistakes]
        if verdict.kind == "tensorflow_ops":
            named.append("called TensorFlow inside a NumPy reimplementation")
        found += [(exercise, diagnosis) for diagnosis in dict.fromkeys(named)]
    return found


@functools.cache
def judge() -> Judge:
    """This worker's judge (its reference answers serve every submission it grades)."""
    return Judge()


class ResilientExecute(OutputCap, Execute):
    """Execute with warm kernels, a per-submission deadline and kernel-death handling."""

    submission_seconds = Float(
        Options.timeout,
        help="Seconds the whole submission may run; each cell's timeout is what is left of it.",
    ).tag(config=True)
    output_bytes = Integer(
        Options.output_bytes, help="Output a submission may stream before it is truncated."
    ).tag(config=True)
    every_cell = Bool(
        Options.every_cell,
        help="Run every code cell, as nbgrader does (else only those the grades depend on).",
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = WarmKernelManager
        kwargs["shutdown_kernel"] = "immediate"  # learner code gets no say in how it ends
        super().__init__(**kwargs)
        self._cell_timeout = self.timeout or 3600
        self._deadline = 0.0
        self._stopped: str | None = None
        self._numpy: NumPyKernel | None = None
        self._replay: list[str] = []
        self._replayed = 0
        self._numpy_starts = 0
        self._needed: set[int] | None = None
        self._diagnosed: list[tuple[str, str]] = []
        self._flooded = False
        self._reset_cap()

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._deadline = time.monotonic() + self.submission_seconds
        self._stopped = None
        self._replay, self._replayed, self._numpy_starts = [PREPARE_NUMPY], 0, 0
        # the analysis counts against the submission's budget, as everything after it does
        self._needed = None if self.every_cell else needed_cells(nb, self._left())
        student = str(((resources or {}).get("nbgrader") or {}).get("student", ""))
        self._diagnosed = DIAGNOSED.setdefault(student, [])
        try:
            with process_state.kept():  # nothing the judge did for it outlives the submission
                return super().preprocess(nb, resources, km)
        finally:
            self._stop_numpy()

    def _stop_numpy(self) -> None:
        if self._numpy is not None:
            self._numpy.stop()
            self._numpy = None

    def _left(self) -> float:
        return self._deadline - time.monotonic()

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._needed is not None and index not in self._needed:
            cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=NOT_RUN)]
            cell.execution_count = None
            return cell, resources
        if self._stopped is None and time.monotonic() >= self._deadline:
            self._stop(f"the submission used up its {self.submission_seconds:g} s time limit")
        if self._stopped is not None:
            cell.outputs = [_error("NotRun", f"not run: {self._stopped}")]
            return cell, resources
        grading = nbgrader_meta(cell)
        test = is_test_cell(cell)
        calls = check_calls(cell.source) if test else None
        if calls is not None:
            full = functools.partial(self._run_in_kernel, index=index)
            self._flooded = False
            verdicts = judge().verdicts(calls, full, self._run_in_numpy, self._deadline)
            self._diagnosed += diagnoses(cell, verdicts)
            cell.outputs = outputs_of(verdicts)
            if self._flooded:
                note = f"[output truncated by the grader after {self.output_bytes:,} bytes]\n"
                cell.outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=note))
            cell.execution_count = None
            return cell, resources
        if not test:
            self._replay.append(replay_code(cell.source, f"cell {index}"))
        return self._execute(cell, resources, index, graded=bool(grading.get("grade")))

    def _execute(self, cell: NotebookNode, resources: Any, index: int, graded: bool):
        self.timeout = max(1, min(self._cell_timeout, int(self._left())))
        self._reset_cap()
        source = cell.source
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

    def _run_in_kernel(self, code: str, index: int) -> list[NotebookNode]:
        """Outputs of ``code`` in the notebook's kernel (for the judge's calls)."""
        if self._stopped is not None or self._left() <= 0:
            raise NoAnswer(self._stopped or "the submission used up its time limit")
        self.timeout = max(1, min(self._cell_timeout, int(self._left())))
        self._reset_cap()
        cell = nbformat.v4.new_code_cell(code)
        test_cell = self.nb.cells[index]  # nbclient stores the cell it ran at its index
        self._judging = True
        try:
            self.execute_cell(cell, index, store_history=False)
        except Exception as error:
            reason = f"the kernel stopped while running the checks ({type(error).__name__})"
            self._stop(reason)
            raise NoAnswer(reason) from None
        finally:
            self._judging = False
            self.nb.cells[index] = test_cell
            self._flooded |= self._truncated
        return cell.outputs

    def _run_in_numpy(self, code: str) -> list[NotebookNode]:
        """Outputs of ``code`` in the NumPy kernel, once the cells before it are replayed there.

        A NumPy kernel that died (the learner's function ended it) or sent no result is started
        again, up to :data:`NUMPY_STARTS` times, so that one function's crash costs only its
        own checks.
        """
        if self._left() <= 0:
            raise NoAnswer("the submission used up its time limit")
        if self._numpy is not None and self._numpy.dead:
            self._stop_numpy()
        if self._numpy is None:
            if self._numpy_starts >= NUMPY_STARTS:
                raise NoAnswer(f"the NumPy kernel stopped {NUMPY_STARTS} times")
            self._numpy_starts += 1
            try:
                self._numpy = NumPyKernel(  # in the submission's folder, as the first kernel
                    self.output_bytes, config=self.config, resources=self.resources
                )
            except Exception as error:
                raise NoAnswer(f"the NumPy kernel did not start ({error})") from None
            self._replayed = 0
        numpy = self._numpy
        try:
            if pending := self._replay[self._replayed :]:
                self._replayed = len(self._replay)
                numpy.run(_one_request(pending), self._call_timeout(len(pending)))
            outputs = numpy.run(code, self._call_timeout())
            if not any(runner.MIME_TYPE in o.get("data", {}) for o in outputs):
                numpy.dead = True  # no result (e.g. its channel dropped an oversized frame)
            return outputs
        finally:
            self._flooded |= numpy._truncated

    def _call_timeout(self, cells: int = 1) -> float:
        return max(1.0, min(self._cell_timeout * cells, self._left()))

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        try:
            if self.km is not None and self.km.has_kernel:
                self.km.provisioner.process.kill()
        except Exception:  # already gone
            pass
