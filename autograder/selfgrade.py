"""Self-study grading: the full hidden tests from source/ against a learner's own notebook.

No gradebook is involved. The learner's answers are put into the instructor's
notebook (so test cells are the genuine ones, hidden tests included), the result
runs in a warm kernel, and each graded cell is scored the way nbgrader scores it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode
from nbgrader.utils import determine_grade
from rich.console import Console
from rich.table import Table

from autograder.cells import nbgrader_meta
from autograder.grading.kernels import WarmKernelManager
from autograder.layout import CourseLayout
from autograder.verdict import verdicts_of

STUB = "raise NotImplementedError()\n"


@dataclass(frozen=True)
class CellResult:
    """One graded cell of a self-graded notebook."""

    exercise: str
    points: float
    max_points: float
    message: str


def with_learner_answers(learner: NotebookNode, source: NotebookNode) -> NotebookNode:
    """The instructor notebook with every solution cell replaced by the learner's answer."""
    answers = {
        nbgrader_meta(c)["grade_id"]: c.source
        for c in learner.cells
        if nbgrader_meta(c).get("solution") and "grade_id" in nbgrader_meta(c)
    }
    merged = copy.deepcopy(source)
    for cell in merged.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = answers.get(nbgrader_meta(cell)["grade_id"], STUB)
        cell.outputs = [] if cell.cell_type == "code" else cell.get("outputs")
        if cell.cell_type != "code":
            cell.pop("outputs", None)
    return merged


def _message(cell: NotebookNode) -> str:
    """The checker's verdict: the headline, plus the diagnosed mistakes when there are any."""
    verdicts = verdicts_of(cell)
    failed = next((verdict for verdict in verdicts if not verdict.passed), None)
    if failed is not None:
        hints = [f"likely mistake: {hint}".strip() for hint in failed.mistakes]
        return "\n".join([f"CheckFailed: {failed.text().splitlines()[0]}"[:200], *hints])
    for output in cell.get("outputs", []):  # an error outside the checker (NameError, ...)
        if output.get("output_type") == "error":
            lines = str(output["evalue"]).strip().splitlines() or [output["ename"]]
            return f"{output['ename']}: {lines[0]}"[:200]
    return verdicts[-1].text().splitlines()[-1] if verdicts else ""


def selfgrade(notebook: Path, course_root: Path, timeout: int = 300) -> list[CellResult]:
    """Grade ``notebook`` against source/<chapter>/<chapter>.ipynb (chapter = its name)."""
    chapter = notebook.stem
    layout = CourseLayout(course_root)
    source_path = layout.source_notebook(chapter)
    if not source_path.is_file():
        raise SystemExit(f"{notebook.name}: no chapter called {chapter!r} in {layout.source}")
    merged = with_learner_answers(
        nbformat.read(notebook, as_version=4), nbformat.read(source_path, as_version=4)
    )
    client = NotebookClient(
        merged,
        timeout=timeout,
        allow_errors=True,
        kernel_manager_class=WarmKernelManager,
        resources={"metadata": {"path": str(notebook.parent)}},
        kernel_name="python3",
    )
    client.execute()
    results = []
    for cell in merged.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            points, max_points = determine_grade(cell)
            results.append(
                CellResult(
                    meta["grade_id"].removeprefix("test_"),
                    points or 0.0,
                    max_points,
                    _message(cell),
                )
            )
    return results


def results_table(chapter: str, results: list[CellResult]) -> Table:
    """Exercise, points and the checker's message, with a total."""
    total = sum(r.points for r in results)
    possible = sum(r.max_points for r in results)
    table = Table(title=f"{chapter}: {total:g} / {possible:g} points", show_lines=False)
    for column in ("exercise", "points", "message"):
        table.add_column(column, overflow="fold")
    for result in results:
        style = "green" if result.points == result.max_points else "red"
        table.add_row(
            result.exercise,
            f"[{style}]{result.points:g}/{result.max_points:g}[/{style}]",
            result.message.splitlines()[0][:160] if result.message else "",
        )
    return table


def progress(course_root: Path, folder: Path, console: Console) -> Table:
    """Self-grade every chapter notebook found in ``folder`` (default release/)."""
    table = Table(title="Your progress (full hidden tests)")
    for column in ("chapter", "passing", "points", "still to do"):
        table.add_column(column, overflow="fold")
    for chapter_dir in sorted(p for p in CourseLayout(course_root).source.iterdir() if p.is_dir()):
        notebook = folder / chapter_dir.name / f"{chapter_dir.name}.ipynb"
        if not notebook.is_file():
            table.add_row(chapter_dir.name, "-", "-", "notebook not found")
            continue
        with console.status(f"grading {notebook}"):
            results = selfgrade(notebook, course_root)
        passing = [r for r in results if r.points == r.max_points]
        todo = ", ".join(r.exercise for r in results if r.points < r.max_points)
        table.add_row(
            chapter_dir.name,
            f"{len(passing)}/{len(results)}",
            f"{sum(r.points for r in results):g}/{sum(r.max_points for r in results):g}",
            todo or "all done",
        )
    return table
