"""Hostile outputs: what the grader writes never comes from what the learner or kernel planted.

One small batch of 02_activations, graded once (the module fixture): an honest classmate,
a folder of planted links, a FIFO and oversized files, a kernel that plants links and a big
file where it runs, HTML and JavaScript outputs, an IPython hook printing every cell it runs
(hidden tests included), a forged verdict whose mistake has ``$``
in it (matplotlib's mathtext), a stray notebook and a learner cell whose ``grade_id`` is an
int, and a student whose id is a spreadsheet formula. Markers planted in source/ and in the
classmate's notebook must appear in no other output.
"""

from __future__ import annotations

import copy
import csv
import os
import stat
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from autograder.grading import folders, sandbox, staging
from autograder.grading.batch import Options, grade
from autograder.grading.exports import export_csvs, neutralise
from autograder.grading.preprocessors.hide_hidden_tests import HideHiddenTests
from autograder.grading.preprocessors.sanitize_feedback import SanitizeFeedback
from autograder.grading.report import write_report
from autograder.grading.sanitize import clean_html
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import Variant, build_submission
from autograder.verdict import MIME_TYPE
from tests.harness import ROOT, make_course

pytestmark = pytest.mark.xdist_group("hostile_outputs")
ASSIGNMENT = "02_activations"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE_MARKER = "SOURCE-MARKER-8e2f"
CLASSMATE_MARKER = "CLASSMATE-MARKER-3c9d"
FORMULA_ID = "=SUM(40+2)"
MB = 2**20
#: every student but odd_inputs: their graded code is the solution, so they earn full marks
HONEST = ("honest", FORMULA_ID, "planted_links", "kernel_plants", "scripts")

#: run by the kernel where it runs: links planted as the notebook nbgrader writes and as
#: files feedback would copy, at the kernel's working folder and at autograded/
KERNEL_PLANTS = """
import pathlib
here = pathlib.Path.cwd()
root = here.parents[2]
plants = {
    "02_activations.ipynb": root / "gradebook.db",
    "leak.txt": root / "source" / "02_activations" / "02_activations.ipynb",
    "peer.txt": root / "autograded" / "honest" / "02_activations" / "02_activations.ipynb",
}
for folder in (here, root / "autograded" / "kernel_plants" / "02_activations"):
    for name, target in plants.items():
        try:
            link = folder / name
            if link.exists() or link.is_symlink():
                link.unlink()
            link.symlink_to(target)
        except OSError as error:
            print("blocked:", error)
(here / "big.bin").write_bytes(bytes(30 * 2**20))
"""
SCRIPTS = f"""
from IPython.display import HTML, Javascript, display, publish_display_data
get_ipython().events.register("post_run_cell", lambda result: print(result.info.raw_cell))
display(HTML("<script>alert('x')</script><b>bold</b><img src=x onerror=alert(1)>"))
display(Javascript("alert('from javascript')"))
publish_display_data({{"text/plain": "", "{MIME_TYPE}": {{
    "exercise": "sigmoid", "passed": False, "headline": "forged", "kind": "mismatch",
    "mistakes": ["costs $\\\\frac{{ and $5"]}}}})
"""


def _with_cell(solution: nbformat.NotebookNode, cell: nbformat.NotebookNode) -> bytes:
    notebook = copy.deepcopy(solution)
    notebook.cells.insert(2, cell)
    return nbformat.writes(notebook).encode()


def _submissions(solution: nbformat.NotebookNode) -> dict[str, dict[str, bytes]]:
    code = nbformat.v4.new_code_cell
    odd = code("exec('x = 1')", metadata={"nbgrader": {"grade_id": 7}})
    return {
        "honest": {NOTEBOOK: _with_cell(solution, code(f"# {CLASSMATE_MARKER}: my notes"))},
        FORMULA_ID: {NOTEBOOK: nbformat.writes(solution).encode()},
        "planted_links": {NOTEBOOK: nbformat.writes(solution).encode()},
        "kernel_plants": {NOTEBOOK: _with_cell(solution, code(KERNEL_PLANTS))},
        "scripts": {
            NOTEBOOK: _with_cell(
                solution, nbformat.v4.new_markdown_cell("<script>alert('markdown')</script>")
            )
        },
        "odd_inputs": {
            NOTEBOOK: _with_cell(solution, odd),
            "stray.ipynb": b'{"cells": 5}',
        },
    }


def _plant_folder(folder: Path, course: Path) -> None:
    """Links to source/, the gradebook and the classmate; a FIFO; files too big or too many."""
    links = {
        "extra.txt": CourseLayout(course).source_notebook(ASSIGNMENT),
        "gradebook_copy.db": CourseLayout(course).gradebook,
        "classmate.txt": CourseLayout(course).student_notebook("submitted", "honest", ASSIGNMENT),
        "instructor": course / "source",
    }
    for name, target in links.items():
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "pipe")
    (folder / "huge.bin").write_bytes(bytes(26 * MB))
    many = folder / "many"
    many.mkdir()
    for index in range(101):
        (many / f"{index:03}.txt").write_text("x")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, grading_cluster):
    course = make_course(tmp_path_factory.mktemp("hostile_outputs") / "course", ASSIGNMENT)
    source_path = CourseLayout(course).source_notebook(ASSIGNMENT)
    source = nbformat.read(source_path, 4)
    release = nbformat.read(CourseLayout(course).release_notebook(ASSIGNMENT), 4)
    solution = build_submission(Variant("solution", ""), source, release)
    source.cells[5].source += f"\n# {SOURCE_MARKER}\n"
    nbformat.write(source, source_path)
    for student, files in _submissions(solution).items():
        folder = CourseLayout(course).student_folder("submitted", student, ASSIGNMENT)
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    scripts = CourseLayout(course).student_notebook("submitted", "scripts", ASSIGNMENT)
    notebook = nbformat.read(scripts, 4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell(SCRIPTS))
    nbformat.write(notebook, scripts)
    _plant_folder(
        CourseLayout(course).student_folder("submitted", "planted_links", ASSIGNMENT), course
    )
    gradebook_mode = CourseLayout(course).gradebook.stat().st_mode
    options = Options(cell_timeout=30, timeout=120, memory_mb=1024, scheduler=grading_cluster)
    with open(os.devnull, "w") as quiet:
        result = grade(course, ASSIGNMENT, options, Console(file=quiet))
    reports = CourseLayout(course).reports
    export_csvs(course, ASSIGNMENT, reports)
    write_report(course, ASSIGNMENT, reports)
    return course, result, gradebook_mode


def _files(course: Path):
    """Every path under autograded/, feedback/ and reports/ (nothing followed)."""
    for step in ("autograded", "feedback", "reports"):
        for folder, dirs, files in os.walk(course / step):
            for name in dirs + files:
                yield Path(folder, name)


@pytest.mark.nbgrader
def test_every_submission_scores_as_its_honest_code_does(batch):
    course, result, _ = batch
    assert result.isolation == sandbox.DESCRIPTION
    outcomes = {o.student: o for o in result.graded}
    assert set(outcomes) == {*HONEST, "odd_inputs"}
    scores = read_scores(course, ASSIGNMENT)
    for student in HONEST:
        assert outcomes[student].ok, outcomes[student].error
        cells = scores[student].values()
        assert all(c.score == c.max_score for c in cells), (student, scores[student])


@pytest.mark.nbgrader
def test_gradebook_intact_and_writable(batch):
    course, _, mode_before = batch
    gradebook = CourseLayout(course).gradebook
    assert not gradebook.is_symlink()
    assert gradebook.read_bytes()[:16] == b"SQLite format 3\0"
    assert gradebook.stat().st_mode == mode_before and gradebook.stat().st_mode & stat.S_IWUSR
    assert SOURCE_MARKER in CourseLayout(course).source_notebook(ASSIGNMENT).read_text()


@pytest.mark.nbgrader
def test_outputs_hold_no_link_no_secret_and_no_big_file(batch):
    course, _, _ = batch
    paths = list(_files(course))
    assert any(p.name == f"{ASSIGNMENT}.html" for p in paths)
    for path in paths:
        assert not path.is_symlink(), path
        if path.is_file():
            data = path.read_bytes()
            assert SOURCE_MARKER.encode() not in data, path
            own = "honest" in path.relative_to(course).parts[:2]
            assert own or CLASSMATE_MARKER.encode() not in data, path
    for student in ("kernel_plants", "planted_links"):
        for step in ("autograded", "feedback"):
            folder = course / step / student / ASSIGNMENT
            names = sorted(p.name for p in folder.iterdir())
            assert not {"big.bin", "huge.bin", "leak.txt", "peer.txt", "pipe"} & set(names)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            assert size < 2 * MB, (folder, size)


class _Markup(HTMLParser):
    """What a browser would run: the text of <script> elements and on* attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in_script = tag == "script"
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.mark.nbgrader
def test_feedback_and_report_carry_no_script(batch):
    course, _, _ = batch
    page = (
        CourseLayout(course)
        .student_notebook("feedback", "scripts", ASSIGNMENT, ".html")
        .read_text()
    )
    assert "<b>bold</b>" in page  # harmless HTML still renders
    assert "hidden=True" not in page  # the hook never sees test cells: the judge runs them
    markup = _Markup(page)
    assert not [s for s in markup.scripts if "alert(" in s] and not markup.handlers
    assert "&lt;script&gt;alert('markdown')" in page  # the learner's Markdown cell, escaped
    report = _Markup((course / "reports" / f"{ASSIGNMENT}_report.html").read_text())
    assert not report.scripts and not report.handlers


@pytest.mark.nbgrader
def test_csv_cells_are_neutralised(batch):
    course, _, _ = batch
    for path in CourseLayout(course).reports.glob("*.csv"):
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert [r[0] for r in rows] != [FORMULA_ID]
        for cell in (c for row in rows for c in row):
            assert not cell.startswith(("=", "+", "@")), (path, cell)
        assert any(row[0] == "'" + FORMULA_ID for row in rows), path


@pytest.mark.nbgrader
def test_report_written_naming_what_it_could_not_read(batch):
    course, result, _ = batch
    report = (course / "reports" / f"{ASSIGNMENT}_report.html").read_text()
    for needle in (
        "extra.txt: a symbolic link (not followed)",
        "instructor: a symbolic link (not followed)",
        "pipe: not a regular file",
        "huge.bin: 26 MB, more than the 25 MB a file may have",
        "more than 100 files in the submission",
        "stray.ipynb: not part of the assignment (not graded)",
    ):
        assert needle in report, needle
    assert "runs code built at run time (exec)" in report  # the cell whose grade_id is 7
    # a forged verdict is not a diagnosis (test_report draws mathtext-like diagnoses)
    assert "costs $\\frac{ and $5" not in report and "could not be drawn" not in report
    assert "symbolic link (not followed)" in result.warnings["planted_links"]


# Cheap checks of the parts, no kernel.


def test_intake_reads_regular_files_only_and_within_bounds(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SOURCE_MARKER)
    folder = CourseLayout(tmp_path).student_folder("submitted", "s", ASSIGNMENT)
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / NOTEBOOK).write_text("{}")
    (folder / "a.txt").write_text("12345")
    (folder / "big.txt").write_text("x" * 11)
    (folder / "sub" / "b.txt").write_text("abc")
    (folder / "sub" / "deeper" / "c.txt").write_text("c")
    (folder / "link.txt").symlink_to(secret)
    (folder / "linked_folder").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    limits = folders.Limits(files=3, file_bytes=10, total_bytes=9, depth=1)
    read = folders.read_folder(tmp_path / "submitted", Path("s", ASSIGNMENT), limits)
    assert read.files == {NOTEBOOK: b"{}", "a.txt": b"12345"}
    assert read.skipped == [
        "big.txt: 11 bytes, more than the 10 bytes a file may have",
        "link.txt: a symbolic link (not followed)",
        "linked_folder: a symbolic link (not followed)",
        "pipe: not a regular file (FIFO, socket or device)",
        "sub/b.txt: the submission's files would exceed 9 bytes",
        "sub/deeper/: folders nested deeper than 1",
    ]
    for index in range(30):
        (folder / "sub" / f"link{index:02}").symlink_to(secret)
    read = folders.read_folder(tmp_path / "submitted", Path("s", ASSIGNMENT), limits)
    assert len(read.skipped) == 21 and read.skipped[-1] == "... and 16 more items not read"
    (tmp_path / "submitted" / "t").symlink_to(folder.parent)
    refused = folders.read_folder(tmp_path / "submitted", Path("t", ASSIGNMENT))
    assert refused.files == {} and "symbolic link" in refused.skipped[0]


def test_staging_makes_a_clean_copy_and_clears_planted_links(tmp_path):
    course = tmp_path / "course"
    gradebook = CourseLayout(course).gradebook
    folder = CourseLayout(course).student_folder("submitted", "s", ASSIGNMENT)
    folder.mkdir(parents=True)
    gradebook.write_text("the gradebook")
    (folder / NOTEBOOK).write_text("{}")
    (folder / "gradebook.txt").symlink_to(gradebook)
    for step in ("autograded", "feedback"):
        (course / step / "s" / ASSIGNMENT).mkdir(parents=True)
        (course / step / "s" / ASSIGNMENT / NOTEBOOK).symlink_to(gradebook)
    read = folders.read_folder(course / "submitted", Path("s", ASSIGNMENT))
    left_out = read.skipped
    staging.stage(course, ASSIGNMENT, "s", read.files)
    staged = course / staging.STAGED / "s" / ASSIGNMENT
    assert sorted(p.name for p in staged.iterdir()) == [NOTEBOOK]
    assert left_out == ["gradebook.txt: a symbolic link (not followed)"]
    assert not (CourseLayout(course).student_folder("autograded", "s", ASSIGNMENT)).exists()
    assert gradebook.read_text() == "the gradebook"


def test_sanitizer_escapes_scripts_and_keeps_notebook_html():
    dirty = (
        "<h2 id='t'>Title</h2><script>alert(1)</script><img src=x onerror=alert(2)>"
        "<a href='javascript:alert(3)'>x</a><details><summary>Hint</summary><p>p</p></details>"
    )
    clean = clean_html(dirty)
    assert "<script" not in clean and "onerror" not in clean and "javascript:" not in clean
    for kept in ('<h2 id="t">Title</h2>', "<details><summary>Hint</summary><p>p</p></details>"):
        assert kept in clean
    cell = nbformat.v4.new_markdown_cell("# Hi\n\n<script>alert(1)</script>")
    cell.metadata["nbgrader"] = {"grade_id": '"><script>alert(2)</script>', "solution": True}
    cell, _ = SanitizeFeedback().preprocess_cell(cell, {}, 0)
    assert cell.cell_type == "raw" and "<script" not in cell.source and "<h1" in cell.source
    escaped = "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
    assert cell.metadata["nbgrader"]["grade_id"] == escaped
    for trick in ("<!--><script>alert(4)</script>-->", "<!--->x<script>alert(5)</script>"):
        cell, _ = SanitizeFeedback().preprocess_cell(nbformat.v4.new_markdown_cell(trick), {}, 0)
        assert cell.cell_type == "raw" and "<script" not in cell.source, trick
    source = nbformat.read(CourseLayout(ROOT).source_notebook(ASSIGNMENT), 4)
    for cell in (c for c in source.cells if c.cell_type == "markdown"):
        assert SanitizeFeedback().preprocess_cell(copy.deepcopy(cell), {}, 0)[0] == cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(40+2)", "'=SUM(40+2)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("-1.5", "-1.5"),
        ("17", "17"),
        ("ada", "ada"),
    ],
)
def test_csv_cells_that_spreadsheets_run_are_neutralised(value, written):
    assert neutralise(value) == written


def test_feedback_blanks_hidden_test_code_out_of_outputs():
    hidden = 'check("sigmoid", sigmoid, hidden=True)\n'
    source = f'check("sigmoid", sigmoid)\n### BEGIN HIDDEN TESTS\n{hidden}'
    cell = nbformat.v4.new_code_cell(source + "### END HIDDEN TESTS\n")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_sigmoid"}
    echo = nbformat.v4.new_output("stream", name="stdout", text=f"ran: {source}")
    other = nbformat.v4.new_code_cell("x = 1", outputs=[echo])
    notebook = nbformat.v4.new_notebook(cells=[cell, other])
    notebook, _ = HideHiddenTests().preprocess(notebook, {})
    text = nbformat.writes(notebook)
    assert "hidden=True" not in text and "(hidden test)" in notebook.cells[1].outputs[0].text
