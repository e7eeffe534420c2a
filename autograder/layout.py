"""Where everything lives in the course directory (nbgrader's layout, plus the grader's own).

nbgrader's steps are folders under the course root: ``source/<assignment>/`` (instructor
notebooks), ``release/<assignment>/`` (student versions), and per student
``submitted/``, ``autograded/`` and ``feedback/<student>/<assignment>/`` (built with
nbgrader's :meth:`CourseDirectory.format_path`); next to them the default SQLite gradebook,
``nbgrader_config.py``, ``reports/`` and the grader's ``.autograder/`` (ledger, logs).
The gradebook may live elsewhere, e.g. on a PostgreSQL server: see :meth:`gradebook_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traitlets.config import Config


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
        """The default gradebook: a SQLite file in the course directory (nbgrader's default)."""
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

    def gradebook_url(self, db_url: str | None = None, lock_timeout: int | None = None) -> str:
        """The SQLAlchemy URL of the gradebook.

        ``db_url`` if given (``--db``), else ``c.CourseDirectory.db_url`` of the course's
        nbgrader_config.py, else SQLite in the course directory. A relative SQLite path is
        taken from the course directory, as nbgrader commands run there read it; a SQLite
        gradebook waits up to ``lock_timeout`` seconds for a lock held by another writer
        (a database server needs no such setting).
        """
        from sqlalchemy.engine import make_url

        chosen = db_url or self.configured_db_url() or f"sqlite:///{self.gradebook}"
        url = make_url(chosen)
        if url.get_backend_name() != "sqlite":
            return chosen
        if url.database and url.database != ":memory:" and not Path(url.database).is_absolute():
            url = url.set(database=str(self.root / url.database))
        if lock_timeout is not None:
            url = url.update_query_dict({"timeout": str(lock_timeout)})
        return url.render_as_string(hide_password=False)

    def config(self) -> Config:
        """The course's nbgrader_config.py as traitlets configuration (empty if it has none)."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        if not self.nbgrader_config.is_file():
            return Config()
        return PyFileConfigLoader(self.nbgrader_config.name, path=str(self.root)).load_config()

    def configured_db_url(self) -> str:
        """``c.CourseDirectory.db_url`` in the course's nbgrader_config.py ('' if not set)."""
        return str(self.config().CourseDirectory.get("db_url", ""))

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

    def student_notebook(
        self, step: str, student: str, assignment: str, suffix: str = ".ipynb"
    ) -> Path:
        """The chapter's notebook in one student's folder at ``step`` (submitted, autograded...),
        or its feedback page with ``suffix=".html"``."""
        return self.student_folder(step, student, assignment) / f"{assignment}{suffix}"

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
