"""`autograder grade` with real nbgrader, warm kernels and parallel workers."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from autograder.cells import nbgrader_meta
from autograder.grading.batch import Options, grade
from autograder.grading.exports import export_csvs
from autograder.grading.preprocessors.resilient_execute import NOT_RUN
from autograder.grading.report import write_report
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import assignments, autograde, read_scores
from autograder.variants import load_variants, parse_variant, write_submissions
from tests.conftest import corpus, equivalence_variants
from tests.harness import ROOT, SAMPLE_CLASS, make_course

CHAPTERS = assignments(ROOT)
QUIET = Console(file=io.StringIO())


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", [pytest.param(a, marks=corpus(a)) for a in CHAPTERS])
def test_scores_identical_to_plain_nbgrader(graded, fast_graded, assignment):
    plain = graded(assignment)
    fast = fast_graded(assignment)
    assert not plain.failed and not fast.result.failed
    assert len(fast.result.graded) == len(fast.submissions)
    assert set(plain.scores) == {v.name for v in equivalence_variants(assignment)}
    every_cell = read_scores(fast.course, assignment)
    assert {student: every_cell[student] for student in plain.scores} == plain.scores


@pytest.mark.nbgrader
@corpus("02_activations")
def test_feedback_keeps_verdicts_and_hides_hidden_tests(fast_graded):
    fast = fast_graded("02_activations")
    pages = list((fast.course / "feedback").glob("*/02_activations/02_activations.html"))
    assert len(pages) == len(fast.submissions)
    for page in pages:
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text
        assert "hidden tests ran here" in text
    casey = fast.course / "feedback/casey_partly_wrong/02_activations/02_activations.html"
    casey = casey.read_text()
    assert "Subtract the maximum" in casey and "✔ sigmoid matches" in casey


@pytest.mark.nbgrader
@corpus("02_activations")
def test_exports_and_report(fast_graded, tmp_path):
    course = fast_graded("02_activations").course
    scores = read_scores(course, "02_activations")
    totals, exercises = export_csvs(course, "02_activations", tmp_path)
    rows = {r["student_id"]: r for r in csv.DictReader(totals.open())}
    assert set(rows) == set(scores)
    for student, cells in scores.items():
        assert float(rows[student]["score"]) == sum(c.score for c in cells.values())
        assert float(rows[student]["max_score"]) == sum(c.max_score for c in cells.values())
    per_cell = list(csv.DictReader(exercises.open()))
    assert set(per_cell[0]) == {"student_id", "total", *next(iter(scores.values()))}
    report = write_report(course, "02_activations", tmp_path).read_text()
    assert report.count("data:image/png;base64") == 3
    assert "Subtract the maximum" in report  # the naive softmax is among the top mistakes


@pytest.mark.nbgrader
@corpus("02_activations")
def test_rerun_grades_only_new_or_changed_work(fast_graded, grading_cluster, tmp_path):
    graded_once = fast_graded("02_activations")
    course, first = shutil.copytree(graded_once.course, tmp_path / "course"), graded_once.result
    again = grade(course, "02_activations", Options(scheduler=grading_cluster), QUIET)
    assert again.graded == [] and len(again.skipped) == len(first.graded)
    blank = CourseLayout(course).student_notebook("submitted", "blank", "02_activations")
    solution = CourseLayout(course).student_notebook("submitted", "solution", "02_activations")
    blank.write_bytes(solution.read_bytes())
    changed = grade(course, "02_activations", Options(scheduler=grading_cluster), QUIET)
    assert [o.student for o in changed.graded] == ["blank"]
    scores = read_scores(course, "02_activations")["blank"]
    assert all(c.score == c.max_score for c in scores.values())


def _ledger(course: Path) -> dict:
    try:
        return json.loads((course / ".autograder" / "02_activations.json").read_text())
    except (OSError, ValueError):
        return {}


def _processes_of(run: str, grace: float = 10) -> list[int]:
    """Processes (workers, fork servers, bubblewrap, kernels) of the run marked ``run``."""
    deadline = time.monotonic() + grace
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and run.encode() in (entry / "environ").read_bytes():
                    alive.append(int(entry.name))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _stop_after(course: Path, entries: int, sig: int, run: str) -> tuple[int, int]:
    command = [
        Path(sys.executable).with_name("autograder"),
        "--course-dir",
        course,
        "grade",
        "02_activations",
        "--workers",
        "1",
        "--no-feedback",
    ]
    env = dict(os.environ, AUTOGRADER_TEST_RUN=run)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 300
    while len(_ledger(course)) < entries and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(sig)
    return process.wait(timeout=60), len(_ledger(course))


@pytest.mark.nbgrader
def test_interrupted_runs_leave_a_consistent_gradebook_and_resume(grading_cluster, tmp_path):
    course = make_course(tmp_path / "course", "02_activations")
    variants = load_variants(SAMPLE_CLASS / "02_activations")
    write_submissions(variants, course, "02_activations")
    run = f"autograder-run-{os.getpid()}-{time.monotonic_ns()}"
    code, done = _stop_after(course, 1, signal.SIGINT, run)  # Ctrl-C
    assert code == 130 and 1 <= done < len(variants)
    code, done_after_kill = _stop_after(course, done + 1, signal.SIGKILL, run)
    assert code == -signal.SIGKILL and done_after_kill < len(variants)
    assert _processes_of(run) == []  # no worker, fork server, sandbox or kernel outlives it
    resume = Options(feedback=False, scheduler=grading_cluster)
    final = grade(course, "02_activations", resume, QUIET)
    assert len(final.graded) == len(variants) - done_after_kill and not final.failed
    scores = read_scores(course, "02_activations")
    for variant in variants:
        cells = scores[variant.name]
        lost = set(cells) if variant.lost == ("all",) else set(variant.lost)
        assert {c for c, s in cells.items() if s.score < s.max_score} == lost, variant.name
    forced = grade(course, "02_activations", dataclasses.replace(resume, force=True), QUIET)
    assert sorted(o.student for o in forced.graded) == sorted(v.name for v in variants)
    assert read_scores(course, "02_activations") == scores


def test_variant_files_parse():
    variant = parse_variant(SAMPLE_CLASS / "02_activations" / "casey_partly_wrong.py")
    assert variant.lost == ("test_softmax", "test_gelu", "test_relu_derivative")
    assert set(variant.cells) == {"softmax", "gelu", "relu_derivative"}


@pytest.mark.nbgrader
def test_lms_zip_is_collected_and_graded(tmp_path):
    course = make_course(tmp_path / "course", "02_activations")
    staging = make_course(tmp_path / "staging", "02_activations")
    variants = [
        v
        for v in load_variants(SAMPLE_CLASS / "02_activations")
        if v.name in ("ada_full_marks", "blake_blank")
    ]
    write_submissions(variants, staging, "02_activations")
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for variant in variants:
            student = variant.name.replace("_", "")
            notebook = CourseLayout(staging).student_notebook(
                "submitted", variant.name, "02_activations"
            )
            bundle.write(notebook, f"downloads/{student}_02_activations.ipynb")
    command = [
        Path(sys.executable).with_name("autograder"),
        "--course-dir",
        course,
        "grade",
        "02_activations",
        "--zip",
        archive,
        "--no-feedback",
        "--figures",
        "--every-cell",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "collected 2 submissions" in result.stdout
    totals = {
        s: sum(c.score for c in cells.values())
        for s, cells in read_scores(course, "02_activations").items()
    }
    release = nbformat.read(CourseLayout(course).release_notebook("02_activations"), 4)
    graded = [nbgrader_meta(c) for c in release.cells if nbgrader_meta(c).get("grade")]
    points = sum(meta["points"] for meta in graded)
    assert totals == {"adafullmarks": points, "blakeblank": 0.0}
    autograded = CourseLayout(course).student_notebook(
        "autograded", "adafullmarks", "02_activations"
    )
    assert _figure_outputs(autograded) == {"image/png"}  # every cell ran, figures drawn
    assert NOT_RUN not in autograded.read_text()


def _figure_outputs(notebook: Path) -> set[str]:
    """How the notebook's figures were kept: as images, or as their text summary only."""
    kinds = set()
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                kinds.add("image/png")
            elif "".join(data.get("text/plain", "")).startswith("<Figure size"):
                kinds.add("text/plain")
    return kinds


@pytest.mark.nbgrader
@corpus("02_activations")
def test_demonstrations_are_not_run_by_default(fast_graded):
    course = fast_graded("02_activations").course
    autograded = CourseLayout(course).student_notebook("autograded", "solution", "02_activations")
    assert _figure_outputs(autograded) == set()
    notebook = nbformat.read(autograded, as_version=4)
    plots = [c for c in notebook.cells if c.source.startswith("plot_activation(")]
    assert plots and all(
        [o.get("text") for o in c.outputs] == [NOT_RUN] and c.execution_count is None for c in plots
    )


@pytest.mark.nbgrader
def test_plain_autograde_names_the_submission_it_could_not_grade(tmp_path):
    course = make_course(tmp_path / "course", "02_activations")
    broken = CourseLayout(course).student_notebook("submitted", "broken", "02_activations")
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    run = autograde(course, "02_activations")
    assert run.failed == ["broken"]
    assert "broken" in run.log_of("broken") and "Traceback" in run.log_of("broken")


def test_workers_stamp_gradebooks_with_the_revision_alembic_prints(tmp_path):
    """A private course's new gradebook is stamped with the revision `alembic heads` prints
    for nbgrader's migrations, read without starting the command."""
    from nbgrader.api import Gradebook
    from nbgrader.dbutil import _temp_alembic_ini
    from sqlalchemy import text

    from autograder.grading.alembic_patch import cache_alembic_head

    with _temp_alembic_ini(f"sqlite:///{tmp_path / 'probe.db'}") as ini:
        alembic = Path(sys.executable).with_name("alembic")
        printed = subprocess.run([alembic, "-c", ini, "heads"], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    cache_alembic_head()
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        stamped = gradebook.db.execute(text("SELECT version_num FROM alembic_version")).all()
    assert stamped == [(printed.stdout.split()[0],)]
