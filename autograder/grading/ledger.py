"""What has been graded already, so that re-running grades only new or changed work.

One JSON file per assignment under ``.autograder/`` in the course directory,
rewritten atomically after every submission: an interrupted run loses at most
the submissions that were in flight, and those are simply graded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from autograder.layout import CourseLayout


def fingerprint(submission: Path, *inputs: Path, gradebook: str = "") -> str:
    """A hash of every file of the submission plus the grading inputs (source notebook, config)
    and the gradebook chosen with ``--db``, if any: grades written to one gradebook are not
    current in another (one chosen in nbgrader_config.py is part of the config's hash)."""
    digest = hashlib.sha256()
    if gradebook:
        digest.update(b"gradebook\0" + gradebook.encode() + b"\0")
    for path in sorted(p for p in submission.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(submission)).encode() + b"\0" + path.read_bytes())
    for path in inputs:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Ledger:
    """Per-student record of the last grading: fingerprint, outcome and error."""

    def __init__(self, course_root: Path, assignment: str) -> None:
        self.path = CourseLayout(course_root).grader_state / f"{assignment}.json"
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def is_current(self, student: str, current: str) -> bool:
        """Was this student last graded with the same fingerprint?"""
        return self.entries.get(student, {}).get("fingerprint") == current

    def record(
        self,
        student: str,
        current: str,
        ok: bool,
        error: str,
        diagnosed: list[tuple[str, str]] = (),
    ) -> None:
        """Remember the grading of ``student`` at fingerprint ``current``, with the mistakes
        the judge ``diagnosed`` in its test cells ((exercise, diagnosis) pairs)."""
        self.entries[student] = {"fingerprint": current, "ok": ok, "error": error}
        if diagnosed:
            self.entries[student]["diagnosed"] = [list(pair) for pair in diagnosed]
        self.path.parent.mkdir(exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        os.replace(temporary, self.path)
