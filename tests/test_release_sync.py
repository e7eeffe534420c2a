"""release/ must be exactly what `nbgrader generate_assignment` makes from source/ today."""

from __future__ import annotations

import json

import pytest

from autograder.nbgrader_driver import assignments
from tests.harness import ROOT, make_course

CHAPTERS = assignments(ROOT)


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", CHAPTERS)
def test_release_matches_generated(tmp_path, assignment):
    course = make_course(tmp_path / "course", assignment)
    generated = sorted(
        p.relative_to(course / "release") for p in (course / "release").rglob("*") if p.is_file()
    )
    committed = sorted(
        p.relative_to(ROOT / "release")
        for p in (ROOT / f"release/{assignment}").rglob("*")
        if p.is_file()
    )
    assert committed == generated, "release/ has different files: run `make release`"
    for relative in generated:
        new, old = course / "release" / relative, ROOT / "release" / relative
        if relative.suffix == ".ipynb":
            assert json.loads(old.read_text()) == json.loads(new.read_text()), (
                f"release/{relative} is stale: run `make release`"
            )
        else:
            assert old.read_bytes() == new.read_bytes()


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_release_has_no_solutions_or_hidden_tests(assignment):
    text = (ROOT / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
        assert marker not in text
