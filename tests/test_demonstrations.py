"""A learner who is stuck still sees every demonstration: while an exercise is blank, the
chapter's plots and experiments use the course's own implementation (``course.fallback``,
``course.stand_ins``).

The blank release is executed top to bottom anyway (plain ``nbgrader autograde`` of the blank
submission in tests/test_grading.py); its demonstration cells must all have run cleanly.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder.cells import nbgrader_meta
from course import stand_ins
from course.fallback import yours_or_reference
from tests.conftest import corpus
from tests.test_chapter_grading import CHAPTERS


def _blank(*args, **kwargs):
    raise NotImplementedError()


def test_a_blank_exercise_is_stood_in_for_with_one_note(capsys):
    count = yours_or_reference(_blank, stand_ins.mlp_param_count, "mlp_param_count")
    assert count([3, 3, 2, 2]) == 26 and count([784, 256, 128, 10]) == 235146
    assert capsys.readouterr().out == "using the reference mlp_param_count until yours is written\n"
    w, b = yours_or_reference(_blank, stand_ins.fit_line)(*_line())
    assert (round(w, 3), round(b, 3)) == (0.1, 0.3)
    assert stand_ins.fit_line(*_line(), learning_rate=0.85)[0] < -1e6  # it diverges too


def test_a_written_exercise_is_used_and_its_errors_are_its_own(capsys):
    assert yours_or_reference(lambda sizes: -1, stand_ins.mlp_param_count)([3, 2]) == -1

    def broken(sizes):
        raise ValueError("mine")

    with pytest.raises(ValueError, match="mine"):
        yours_or_reference(broken, stand_ins.mlp_param_count)([3, 2])
    assert capsys.readouterr().out == ""


def _line() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0, 1, 50, dtype=np.float32)
    return x, 0.1 * x + 0.3


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", [pytest.param(a, marks=corpus(a)) for a in CHAPTERS])
def test_every_demonstration_runs_on_the_blank_release(graded, assignment):
    notebook = nbformat.read(graded(assignment).notebooks["blank"], as_version=4)
    demonstrations = [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and not nbgrader_meta(cell).get("solution")
        and not nbgrader_meta(cell).get("grade")
    ]
    failed = [
        f"cell {index}: {output.ename}: {output.evalue}"
        for index, cell in demonstrations
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert demonstrations and all(cell.execution_count for _, cell in demonstrations)
    assert failed == []
