"""Source notebooks follow the exercise contract: names, test cells, checker calls."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.cells import nbgrader_meta
from autograder.nbgrader_driver import assignments
from autograder.registry import all_exercises
from tests.harness import ROOT

SPEC = ROOT / "tests" / "fixtures" / "spec"
CHAPTERS = assignments(ROOT)


def spec_names(assignment: str) -> list[str]:
    """Names COURSE_SPEC.md fixes for a chapter (instructors' own tests depend on them)."""
    lines = (SPEC / f"{assignment}.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def source_cells(assignment):
    notebook = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return notebook.cells


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_spec_names_are_solution_cells_with_tests(assignment):
    cells = source_cells(assignment)
    solutions = {
        nbgrader_meta(c)["grade_id"]: c.source for c in cells if nbgrader_meta(c).get("solution")
    }
    tests = {nbgrader_meta(c)["grade_id"]: c.source for c in cells if nbgrader_meta(c).get("grade")}
    for name in spec_names(assignment):
        assert re.search(rf"^(def|class) {name}\b", solutions.get(name, ""), re.M), name
        assert f"test_{name}" in tests, name


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_test_cells_check_registered_exercises_visibly_and_hidden(assignment):
    registered = all_exercises()
    for cell in source_cells(assignment):
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        assert meta["locked"] and meta["points"] > 0
        for name in re.findall(r'check\("(\w+)"', cell.source):
            assert name in registered
        hidden = cell.source.split("### BEGIN HIDDEN TESTS")
        assert len(hidden) == 2 and "hidden=True" in hidden[1] and "check(" in hidden[0]
        assert "rtol" in hidden[0] or "exact" in hidden[0], "state the tolerance next to the test"


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_setup_cell_is_locked_and_first_code_cell(assignment):
    code = [c for c in source_cells(assignment) if c.cell_type == "code"]
    meta = nbgrader_meta(code[0])
    assert meta.get("locked") and not meta.get("solution")
    assert "from autograder import check" in code[0].source


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_every_exercise_has_a_collapsed_hint_right_before_it(assignment):
    cells = source_cells(assignment)
    for index, cell in enumerate(cells):
        if nbgrader_meta(cell).get("solution"):
            before = cells[index - 1]
            assert before.cell_type == "markdown", nbgrader_meta(cell)["grade_id"]
            assert before.source.startswith("<details><summary>Hint</summary>")
            assert before.source.rstrip().endswith("</details>")
            assert "def " not in before.source  # a hint points the way; it is not the code


SECOND_HINT = "<details><summary>Second hint: the formula</summary>"


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_hints_are_a_ladder_a_nudge_then_the_formula(assignment):
    cells = source_cells(assignment)
    for index, cell in enumerate(cells):
        if nbgrader_meta(cell).get("solution"):
            hint = cells[index - 1].source
            first, _, second = hint.partition(SECOND_HINT)
            assert second, f"{nbgrader_meta(cell)['grade_id']}: one hint, not a ladder of two"
            assert first.count("<details>") == 1 and second.count("</details>") == 2
