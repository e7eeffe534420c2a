"""Record a graded submission in the instructor's course: folders and gradebook.

Workers return data (:class:`~autograder.grading.private_course.Graded`); only the instructor's
machine writes the course. It does to the gradebook what ``nbgrader autograde`` does there,
with nbgrader's own code: the student's submission with its timestamp (a notebook left out
of a submission scores zero), then nbgrader's :class:`SaveAutoGrades` and
:class:`AssignLatePenalties` on each autograded notebook (so a manual grade given earlier
is kept and flagged for review, as nbgrader does).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from autograder.grading.folders import remove, write_files
from autograder.grading.private_course import Graded
from autograder.layout import CourseLayout


class Recorder:
    """Writes graded submissions of one assignment into a course and its gradebook."""

    def __init__(self, course_root: Path, assignment: str, db_url: str, config: Config) -> None:
        self.layout = CourseLayout(course_root)
        self.assignment, self.db_url, self.config = assignment, db_url, config

    def record(self, graded: Graded, submitted: dict[str, bytes]) -> None:
        """Write ``graded`` (from the files ``submitted``) as ``nbgrader autograde`` would."""
        student = graded.student
        for step, files in (("autograded", graded.autograded), ("feedback", graded.feedback)):
            folder = self.layout.student_folder(step, student, self.assignment)
            if files:
                write_files(files, folder)
            else:
                remove(folder)
        known = self._submission(student, submitted)
        for name, data in graded.autograded.items():
            notebook_id = name.removesuffix(".ipynb")
            if "/" in name or name == notebook_id or notebook_id not in known:
                continue
            notebook = nbformat.reads(data.decode(), as_version=nbformat.NO_CONVERT)
            resources = {
                "nbgrader": {
                    "db_url": self.db_url,
                    "assignment": self.assignment,
                    "notebook": notebook_id,
                    "student": student,
                }
            }
            for step in (SaveAutoGrades, AssignLatePenalties):
                step(config=self.config).preprocess(notebook, resources)

    def _submission(self, student: str, submitted: dict[str, bytes]) -> list[str]:
        """Create or update the submission; return the assignment's notebooks (none if
        nbgrader would refuse the submission: a timestamp it cannot read)."""
        stamp = submitted.get("timestamp.txt", b"").decode(errors="replace").strip()
        try:
            timestamp = parse_utc(stamp) if stamp else None
        except ValueError:
            return []
        with Gradebook(self.db_url) as gradebook, warnings.catch_warnings():
            # nbgrader's own submission code makes SQLAlchemy warn about its session
            warnings.simplefilter("ignore", SAWarning)
            gradebook.update_or_create_student(student)
            if timestamp:
                gradebook.update_or_create_submission(self.assignment, student, timestamp=timestamp)
            else:
                gradebook.update_or_create_submission(self.assignment, student)
            known = [n.name for n in gradebook.find_assignment(self.assignment).notebooks]
            handed_in = [n for n in known if f"{n}.ipynb" in submitted]
            if not handed_in:  # nbgrader stops at "No notebooks found" before zeroing any
                return known
            for name in set(known) - set(handed_in):
                notebook = gradebook.find_submission_notebook(name, self.assignment, student)
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gradebook.db.commit()
        return known
