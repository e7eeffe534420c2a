"""A grading worker's private course: one assignment's package, unpacked, graded from data.

:class:`PrivateCourse` unpacks the assignment's :class:`~autograder.grading.package.Package`
into a course directory of the worker's own, stages a submission's files there
(:mod:`autograder.grading.staging`), autogrades them with nbgrader's own API and
preprocessors (configured by :mod:`autograder.grading.configuration`), writes feedback,
and returns the autograded and feedback folders as bytes in a :class:`Graded`. The
instructor's machine records them (:mod:`autograder.grading.record`); the worker never sees
its course.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import staging
from autograder.grading.configuration import nbgrader_config
from autograder.grading.folders import Limits, read_folder
from autograder.grading.package import Package, unpack
from autograder.layout import CourseLayout

#: what a worker reads back from the folders nbgrader wrote (the notebook and the staged files)
RESULT_LIMITS = Limits(files=1000, file_bytes=200 * 2**20, total_bytes=400 * 2**20)


@dataclass
class Graded:
    """One graded submission, as data: what the instructor's machine records."""

    student: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    #: autograded/<student>/<assignment>/'s files: relative path → content
    autograded: dict[str, bytes] = field(default_factory=dict)
    #: feedback/<student>/<assignment>/'s files
    feedback: dict[str, bytes] = field(default_factory=dict)
    #: (exercise, diagnosis) of each mistake the judge diagnosed in a judged test cell
    diagnosed: list[tuple[str, str]] = field(default_factory=list)


class PrivateCourse:
    """A course directory of the worker's own, holding one package."""

    def __init__(self, package: Package, root: Path) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        unpack(package, root)
        self.root, self.assignment, self.options = root, package.assignment, package.options
        config = nbgrader_config(root, package.options)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def grade(self, student: str, files: dict[str, bytes]) -> Graded:
        """Autograde one submission's files; return what nbgrader wrote, as data."""
        started = time.perf_counter()
        layout = CourseLayout(self.root)
        from autograder.grading.preprocessors.resilient_execute import DIAGNOSED

        staging.stage(self.root, self.assignment, student, files)
        DIAGNOSED.pop(student, None)
        try:
            result = self.api.autograde(self.assignment, student, force=True, create=True)
            graded = Graded(student, bool(result["success"]), _last_error(result))
            graded.diagnosed = DIAGNOSED.pop(student, [])
            if graded.ok and self.options.feedback:
                made = self.api.generate_feedback(self.assignment, student, force=True)
                if made["success"]:
                    graded.feedback = self._read(layout.feedback, student)
            if graded.ok:
                graded.autograded = self._read(layout.autograded, student)
        finally:
            staging.finish(self.root, self.assignment, student)
        graded.seconds = round(time.perf_counter() - started, 2)
        return graded

    def _read(self, step: Path, student: str) -> dict[str, bytes]:
        relative = Path(student, self.assignment)
        return read_folder(step, relative, RESULT_LIMITS).files


def _last_error(result: dict) -> str:
    """The most telling line of an nbgrader failure, for the instructor's summary."""
    if result.get("success"):
        return ""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for marker in ("Error:", "Exception:", "ERROR"):
        hits = [ln for ln in lines if marker in ln and "Traceback" not in ln]
        if hits:
            return hits[-1][:300]
    return lines[-1][:300] if lines else "nbgrader failed without a message"
