"""Self-study grading: full hidden tests on a learner's own notebook, no gradebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from autograder.cells import nbgrader_meta
from autograder.layout import CourseLayout
from autograder.selfgrade import progress, selfgrade
from tests.harness import ROOT, learner_notebook

CHAPTER = "02_activations"


def _graded_cells() -> list:
    """The chapter's graded test cells, read from its source notebook."""
    notebook = nbformat.read(ROOT / "source" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    return [c for c in notebook.cells if nbgrader_meta(c).get("grade")]


def _points() -> int:
    return int(sum(nbgrader_meta(c)["points"] for c in _graded_cells()))


@pytest.mark.nbgrader
def test_selfgrade_runs_the_hidden_tests_without_a_gradebook(tmp_path):
    notebook = learner_notebook(tmp_path, CHAPTER, "softmax_naive")  # passes the visible test only
    gradebook = CourseLayout(ROOT).gradebook
    before = gradebook.stat().st_mtime_ns if gradebook.exists() else None
    results = {r.exercise: r for r in selfgrade(notebook, ROOT)}
    assert {name for name, r in results.items() if r.points < r.max_points} == {"softmax"}
    assert "Subtract the maximum" in results["softmax"].message
    assert "✔ sigmoid matches" in results["sigmoid"].message
    assert (gradebook.stat().st_mtime_ns if gradebook.exists() else None) == before
    assert not (tmp_path / "autograded").exists()


@pytest.mark.nbgrader
def test_selfgrade_command_prints_a_table(tmp_path):
    notebook = learner_notebook(tmp_path, CHAPTER, "solution")
    command = [
        Path(sys.executable).with_name("autograder"),
        "--course-dir",
        ROOT,
        "selfgrade",
        notebook,
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode == 0, result.stderr
    assert f"02_activations: {_points()} / {_points()} points" in result.stdout


@pytest.mark.nbgrader
def test_progress_covers_every_chapter(tmp_path):
    learner_notebook(tmp_path, CHAPTER, "relu_in_place")
    console = Console(width=200, record=True)
    console.print(progress(ROOT, tmp_path, console))
    text = console.export_text()
    for chapter in (p.name for p in (ROOT / "source").iterdir() if p.is_dir()):
        assert chapter in text
    cells = len(_graded_cells())
    assert f"{cells - 1}/{cells}" in text and "relu" in text and "notebook not found" in text
