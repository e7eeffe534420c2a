"""Submissions from an LMS download: a zip handed to nbgrader's zip_collect.

The archive goes to ``downloaded/<assignment>/archive/``; ``nbgrader zip_collect``
extracts it and files each notebook under ``submitted/<student>/<assignment>/``
using ``c.FileNameCollectorPlugin.named_regexp`` from nbgrader_config.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.layout import CourseLayout
from autograder.nbgrader_driver import nbgrader


def collect_zip(course_root: Path, assignment: str, archive: Path) -> list[str]:
    """Collect the archive's notebooks into submitted/; return the students it brought in."""
    if not archive.is_file():
        raise SystemExit(f"no such archive: {archive}")
    before = {p.parent.name for p in CourseLayout(course_root).submitted.glob(f"*/{assignment}")}
    inbox = course_root / "downloaded" / assignment / "archive"
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, inbox / archive.name)
    result = nbgrader(course_root, "zip_collect", assignment, "--force")
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if "ERROR" in line] or ["(no log)"]
        raise SystemExit(f"nbgrader zip_collect failed: {lines[-1]}")
    after = {p.parent.name for p in CourseLayout(course_root).submitted.glob(f"*/{assignment}")}
    collected = sorted(after - before) or sorted(after)
    return collected
