"""`nbgrader validate` (the learner's Validate button) on every chapter."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.nbgrader_run import assignments, nbgrader
from autograder.submissions import build_submission, parse_variant
from tests.harness import FIXTURES, ROOT

CHAPTERS = assignments(ROOT)


def learner_notebook(folder: Path, assignment: str, variant_name: str) -> Path:
    variant = parse_variant(FIXTURES / assignment / f"{variant_name}.py")
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    path = folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(build_submission(variant, source, release), path)
    return path


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", CHAPTERS)
def test_correct_answers_validate_clean_without_timing_out(tmp_path, assignment):
    notebook = learner_notebook(tmp_path, assignment, "solution")
    result = nbgrader(ROOT, "validate", str(notebook))
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout[-2000:]


@pytest.mark.nbgrader
def test_a_wrong_answer_shows_the_checker_message_not_a_traceback(tmp_path):
    notebook = learner_notebook(tmp_path, "02_activations", "softmax_wrong_axis")
    output = nbgrader(ROOT, "validate", str(notebook)).stdout
    assert "✘ softmax does not match keras.activations.softmax" in output
    assert "likely mistake: normalised along the wrong axis" in output
    assert "Traceback" not in output and "checker.py" not in output
