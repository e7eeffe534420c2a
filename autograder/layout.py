"""Where everything lives in the course directory (nbgrader's layout, plus the grader's own).

nbgrader's steps are folders under the course root: ``source/<assignment>/`` (instructor
notebooks), ``release/<assignment>/`` (student versions), and per student
``submitted/``, ``autograded/`` and ``feedback/<student>/<assignment>/`` (built with
nbgrader's :meth:`CourseDirectory.format_path`); next to them ``gradebook.db``,
``nbgrader_config.py``, ``reports/`` and the grader's ``.autograder/`` (ledger, logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CourseLayout:
    """The paths of one course directory."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def nbgrader_config(self) -> Path:
        return self.root / "nbgrader_config.py"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def grader_state(self) -> Path:
        """The grader's own folder: the ledger of what was graded, the workers' logs."""
        return self.root / ".autograder"

    @property
    def logs(self) -> Path:
        return self.grader_state / "logs"

    def gradebook_url(self, lock_timeout: int | None = None) -> str:
        """The SQLAlchemy URL of the gradebook (optionally waiting for a lock that long)."""
        url = f"sqlite:///{self.gradebook}"
        return url if lock_timeout is None else f"{url}?timeout={lock_timeout}"

    def source_notebook(self, assignment: str) -> Path:
        """source/<assignment>/<assignment>.ipynb: the instructor notebook of a chapter."""
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        """release/<assignment>/<assignment>.ipynb: the student version of a chapter."""
        return self.release / assignment / f"{assignment}.ipynb"

    def student_folder(self, step: str, student: str, assignment: str) -> Path:
        """nbgrader's folder of one student's assignment at ``step`` (submitted, autograded...)."""
        from nbgrader.coursedir import CourseDirectory

        return Path(CourseDirectory(root=str(self.root)).format_path(step, student, assignment))

    def secrets(self) -> tuple[Path, ...]:
        """What learner code must not see while it is graded."""
        return (
            self.source,
            self.submitted,
            self.autograded,
            self.feedback,
            self.gradebook,
            self.root / ".git",
            self.grader_state,
        )
