"""`autograder demo` end to end in a copy of the course: release, sample class, score table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import load_variants
from tests.harness import ROOT, SAMPLE_CLASS


@pytest.mark.nbgrader
def test_demo_grades_the_sample_class(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    for name in ("source", "sample_class"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    autograder = Path(sys.executable).with_name("autograder")
    result = subprocess.run([autograder, "demo"], cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for assignment_dir in SAMPLE_CLASS.iterdir():
        assignment = assignment_dir.name
        assert CourseLayout(course).release_notebook(assignment).is_file()
        scores = read_scores(course, assignment)
        assert f"{assignment}: points per exercise" in result.stdout
        for variant in load_variants(assignment_dir):
            assert variant.name in result.stdout
            cells = scores[variant.name]
            lost = set(cells) if variant.lost == ("all",) else set(variant.lost)
            total = sum(c.max_score for name, c in cells.items() if name not in lost)
            assert sum(c.score for c in cells.values()) == total, variant.name
