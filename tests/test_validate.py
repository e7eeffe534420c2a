"""`nbgrader validate` (the learner's Validate button) on every chapter."""

from __future__ import annotations

import pytest

from autograder.nbgrader_driver import assignments, nbgrader
from tests.harness import ROOT, learner_notebook

CHAPTERS = assignments(ROOT)


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
