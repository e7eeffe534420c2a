"""Drive nbgrader in a course directory: generate releases, autograde, read the gradebook."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.layout import CourseLayout


def put_interpreter_on_path() -> None:
    """Put this interpreter's bin folder on PATH, for this process and its children.

    nbgrader runs the `alembic` command found on PATH whenever it opens a gradebook: the
    one installed next to this interpreter must be found even outside an activated venv.
    """
    folder = str(Path(sys.executable).parent)
    if folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def open_gradebook(course_root: Path, db_url: str | None = None) -> Gradebook:
    """The course's gradebook, or the one at ``db_url`` (use it as a context manager)."""
    put_interpreter_on_path()
    return Gradebook(CourseLayout(course_root).gradebook_url(db_url))


@dataclass(frozen=True)
class CellScore:
    """The score of one graded cell of one submission."""

    score: float
    max_score: float


def nbgrader(course_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader <args>`` in the course directory, capturing its log."""
    put_interpreter_on_path()
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course_root,
        capture_output=True,
        text=True,
        check=False,
    )


def assignments(course_root: Path) -> list[str]:
    """The assignment ids in source/, in order."""
    return sorted(p.name for p in CourseLayout(course_root).source.iterdir() if p.is_dir())


def generate_release(course_root: Path, assignment: str, db_url: str | None = None) -> None:
    """``nbgrader generate_assignment``: write release/<assignment> from source/<assignment>.

    The assignment goes into the course's gradebook, or the one at ``db_url``.
    """
    db = [f"--db={db_url}"] if db_url else []
    result = nbgrader(course_root, "generate_assignment", assignment, "--force", *db)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.stderr}")


@dataclass(frozen=True)
class AutogradeRun:
    """What one ``nbgrader autograde`` run reported: the students it failed on, and its log."""

    failed: list[str]
    log: str

    def log_of(self, student: str) -> str:
        """Up to 60 log lines, from the first error that names this student (else the start)."""
        lines = self.log.splitlines()
        start = next((i for i, line in enumerate(lines) if student in line and "ERROR" in line), 0)
        return "\n".join(lines[start : start + 60])


_FAILED = re.compile(r"error processing assignment '[^']*' for student '([^']+)'")


def autograde(course_root: Path, assignment: str, student: str | None = None) -> AutogradeRun:
    """``nbgrader autograde`` one student (or all) and report whom it could not grade."""
    args = ["autograde", assignment, "--force"] + ([f"--student={student}"] if student else [])
    result = nbgrader(course_root, *args)
    failed = _FAILED.findall(result.stderr + result.stdout)
    if result.returncode != 0 and not failed:
        failed = [student or "*"]
    return AutogradeRun(failed, result.stderr + result.stdout)


def read_scores(
    course_root: Path, assignment: str, db_url: str | None = None
) -> dict[str, dict[str, CellScore]]:
    """Per student, per graded cell: the autograded scores in the gradebook (or ``db_url``'s)."""
    scores: dict[str, dict[str, CellScore]] = {}
    with open_gradebook(course_root, db_url) as gradebook:
        for student in gradebook.students:
            try:
                notebook = gradebook.find_submission_notebook(assignment, assignment, student.id)
            except MissingEntry:
                continue
            scores[student.id] = {
                grade.name: CellScore(float(grade.score), float(grade.max_score))
                for grade in notebook.grades
            }
    return scores
