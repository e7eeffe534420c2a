"""Hostile and broken submissions: each gets its grade and message, and the batch goes on."""

from __future__ import annotations

import csv
import html
import os
import socket

import nbformat
import pytest
from rich.console import Console

from autograder.cells import nbgrader_meta
from autograder.grading import sandbox
from autograder.grading.batch import Options, grade
from autograder.grading.exports import export_csvs
from autograder.grading.report import write_report
from autograder.grading.scan import scan_notebook
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import Variant, build_submission, load_variants, write_submissions
from tests.harness import ROOT, GradedClass, make_course, worker_environment, worker_processes
from tests.hostile import STRUCTURAL

# Every test reads one graded batch (the module fixture): keep them in one xdist worker.
pytestmark = pytest.mark.xdist_group("hostile")
ASSIGNMENT = "02_activations"
CODE_LEVEL = load_variants(ROOT / "tests" / "fixtures" / "hostile" / ASSIGNMENT)
ALL = "all"
# Structural cases: (how the batch reports it, the cells that lose their points).
STRUCTURAL_EXPECTED = {
    "corrupt_json": ("Notebook does not appear to be JSON", ALL),
    "empty_file": ("Notebook does not appear to be JSON", ALL),
    "wrong_file_name": ("No notebooks found", ALL),
    "extra_files": (None, set()),
    "deleted_cells": (None, {"test_sigmoid"}),
    "duplicated_cells": (None, set()),
    "reordered_cells": (None, {"test_tanh"}),
    "retyped_cell": (None, set()),
    "tampered_test_cell": (None, {"test_sigmoid"}),
    "metadata_removed": (None, {"test_sigmoid"}),
    "markdown_bomb": (None, set()),
}
#: ids a learner chose (an exchange or LMS passes them on): refused at intake, by name
UNSAFE_IDS = ("[ab]*?", "new\nline")
FLAGS = {
    "rebinds_checker": "rebinds the checker name 'check'",
    "patches_grader_internals": "patches the grader",
    "profiler_games": "installs a tracer",
    "reads_instructor_files": "mentions a grader path",
    "kernel_exit": "kills the kernel",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, grading_cluster):
    course = make_course(tmp_path_factory.mktemp("hostile") / "course", ASSIGNMENT)
    write_submissions(CODE_LEVEL, course, ASSIGNMENT)
    source = nbformat.read(CourseLayout(course).source_notebook(ASSIGNMENT), 4)
    release = nbformat.read(CourseLayout(course).release_notebook(ASSIGNMENT), 4)
    solution = build_submission(Variant("solution", ""), source, release)
    for name, build in STRUCTURAL.items():
        folder = CourseLayout(course).student_folder("submitted", name, ASSIGNMENT)
        folder.mkdir(parents=True)
        for filename, data in build(solution).items():
            (folder / filename).write_bytes(data)
    for student in UNSAFE_IDS:
        folder = CourseLayout(course).student_folder("submitted", student, ASSIGNMENT)
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(nbformat.writes(solution).encode())
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = str(server.getsockname()[1])
    options = Options(cell_timeout=10, timeout=120, memory_mb=1024, scheduler=grading_cluster)
    workers = worker_processes(grading_cluster)
    with (
        worker_environment(grading_cluster, AUTOGRADER_TEST_PORT=port),
        open(os.devnull, "w") as quiet,
    ):
        result = grade(course, ASSIGNMENT, options, Console(file=quiet))
    server.close()
    survived = worker_processes(grading_cluster) == workers
    scores = read_scores(course, ASSIGNMENT)
    notebooks = {
        s: CourseLayout(course).student_notebook("autograded", s, ASSIGNMENT) for s in scores
    }
    return (
        course,
        result,
        GradedClass(scores, notebooks, {o.student: o.error for o in result.failed}),
        survived,
    )


def _lost(graded: GradedClass, student: str) -> set[str]:
    return {c for c, s in graded.scores[student].items() if s.score < s.max_score}


@pytest.mark.nbgrader
def test_kernels_were_isolated_and_the_whole_batch_was_graded(hostile):
    course, result, _, survived = hostile
    assert result.isolation == sandbox.DESCRIPTION
    assert len(result.graded) == len(CODE_LEVEL) + len(STRUCTURAL) + len(UNSAFE_IDS)
    assert survived, "a grading worker died during the batch (and was replaced)"
    assert not (course / "pwned.txt").exists()


@pytest.mark.nbgrader
@pytest.mark.parametrize("variant", CODE_LEVEL, ids=[v.name for v in CODE_LEVEL])
def test_code_level_attack(hostile, variant):
    _, result, graded, _ = hostile
    assert variant.name not in graded.failed
    all_cells = set(graded.scores[variant.name])
    assert _lost(graded, variant.name) == (
        all_cells if variant.lost == (ALL,) else set(variant.lost)
    )
    for cell, needle in variant.messages:
        assert needle in graded.cell_output(variant.name, cell)


@pytest.mark.nbgrader
def test_the_batch_ends_with_exports_and_report(hostile, tmp_path):
    """Every attacker and classmate is exported with the score the gradebook holds."""
    course, _, graded, _ = hostile
    totals, _ = export_csvs(course, ASSIGNMENT, tmp_path)
    rows = {r["student_id"]: r for r in csv.DictReader(totals.open())}
    assert set(rows) == set(graded.scores)
    for student, cells in graded.scores.items():
        assert float(rows[student]["score"]) == sum(c.score for c in cells.values())
    report = write_report(course, ASSIGNMENT, tmp_path).read_text()
    assert f"{len(graded.scores)} graded submissions" in report
    assert len(report) < 2 * 2**20


@pytest.mark.nbgrader
def test_verdict_text_from_the_kernel_is_capped(hostile):
    """huge_error_line raises on a 3 MB source line: its test cell's outputs stay small."""
    _, _, graded, _ = hostile
    notebook = nbformat.read(graded.notebooks["huge_error_line"], 4)
    cell = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == "test_tanh")
    assert len(nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))) < 20_000


@pytest.mark.nbgrader
@pytest.mark.parametrize("name", sorted(STRUCTURAL_EXPECTED))
def test_structural_damage(hostile, name):
    _, result, graded, _ = hostile
    reported, lost = STRUCTURAL_EXPECTED[name]
    outcome = next(o for o in result.graded if o.student == name)
    if reported:
        assert not outcome.ok and reported in outcome.error
    else:
        assert outcome.ok, outcome.error
    cells = set(graded.scores[name])
    assert _lost(graded, name) == (cells if lost == ALL else lost)


@pytest.mark.nbgrader
def test_unsafe_student_ids_are_refused_by_name(hostile):
    """Ids with glob characters or a line break are refused at intake, never a silent zero."""
    course, result, graded, _ = hostile
    for student in UNSAFE_IDS:
        outcome = next(o for o in result.graded if o.student == student)
        assert not outcome.ok and outcome.error.startswith("refused: the student id")
        assert repr(student) in outcome.error
        assert student not in graded.scores  # not in the gradebook with a zero
    report = write_report(course, ASSIGNMENT, CourseLayout(course).reports).read_text()
    assert html.escape(repr(UNSAFE_IDS[0])) in report
    totals, _ = export_csvs(course, ASSIGNMENT, CourseLayout(course).reports)
    assert "forges_verdicts" in totals.read_text() and "[ab]" not in totals.read_text()
    assert len(graded.scores) == len(CODE_LEVEL) + len(STRUCTURAL)


@pytest.mark.nbgrader
def test_report_counts_only_the_judges_diagnoses(hostile):
    """A learner's cell that publishes verdict-shaped output adds nothing to the report."""
    course, _, graded, _ = hostile
    assert _lost(graded, "forges_verdicts") == set()
    report = write_report(course, ASSIGNMENT, CourseLayout(course).reports).read_text()
    assert "made up by a learner" not in report
    assert "Diagnosed mistakes" in report


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", ["markdown_bomb"])
def test_every_step_stays_within_the_budget(hostile, student):
    """Feedback costs what the submission's size allows: the attacker is graded in its budget
    (120 s), with a feedback page of bounded size. (The dependency analysis's bounds:
    tests/test_dependencies.py.)"""
    course, result, graded, _ = hostile
    outcome = next(o for o in result.graded if o.student == student)
    assert outcome.ok and outcome.seconds < 120, outcome
    feedback = CourseLayout(course).student_notebook("feedback", student, ASSIGNMENT, ".html")
    assert feedback.stat().st_size < 4 * 2**20
    if student == "markdown_bomb":
        assert "&lt;p&gt;&lt;a&gt;&lt;x&gt;" in feedback.read_text()  # shown as text
        assert "<x>" not in feedback.read_text()


@pytest.mark.nbgrader
def test_wrong_file_name_is_explained(hostile):
    _, result, _, _ = hostile
    assert "no 02_activations.ipynb" in result.warnings["wrong_file_name"]


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", sorted(FLAGS))
def test_instructor_sees_tampering_flags(hostile, student):
    course, _, _, _ = hostile
    notebook = CourseLayout(course).student_notebook("submitted", student, ASSIGNMENT)
    reasons = [flag.reason for flag in scan_notebook(notebook)]
    assert any(FLAGS[student] in reason for reason in reasons), reasons
    report = write_report(course, ASSIGNMENT, CourseLayout(course).reports).read_text()
    assert html.escape(FLAGS[student]) in report and "corrupt_json" in report


def test_honest_code_is_not_flagged():
    notebook = CourseLayout(ROOT).source_notebook(ASSIGNMENT)
    assert scan_notebook(notebook) == []


@pytest.mark.nbgrader
def test_hidden_tests_never_reach_the_kernel(hostile):
    """Test cells are judged outside the kernel: its history holds no hidden test."""
    course, _, graded, _ = hostile
    student = "prints_kernel_history"
    notebook = nbformat.read(graded.notebooks[student], 4)
    printed = "\n".join(
        str(output.get("text", "")) for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert "def linear" in printed  # the learner's own cells are in the history...
    assert "hidden=True" not in printed  # ...the test cells are not
    feedback = CourseLayout(course).student_notebook("feedback", student, ASSIGNMENT, ".html")
    assert "def linear" in feedback.read_text() and "hidden=True" not in feedback.read_text()
