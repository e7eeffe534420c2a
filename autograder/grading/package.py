"""What a grading worker needs to grade one assignment, carried as data (no shared filesystem).

The instructor's machine packs it once per run (:func:`pack`): the course's
``nbgrader_config.py``, the assignment's non-notebook source files (nbgrader copies them
next to every submission), the gradebook's record of the assignment (its notebooks and
cells: nbgrader restores locked and test cells from it) and the run's settings. A worker
unpacks it into a private course directory of its own (:func:`unpack`), with a SQLite
gradebook holding that record, and grades there; it never sees the instructor's course.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading.folders import read_folder, write_files
from autograder.grading.settings import Options
from autograder.layout import CourseLayout


@dataclass(frozen=True)
class Package:
    """One assignment's grading inputs, as bytes and JSON-able data."""

    assignment: str
    #: the course's nbgrader_config.py (b"" if it has none)
    config: bytes
    #: source/<assignment>/'s files other than notebooks: relative path → content
    files: dict[str, bytes]
    #: the gradebook's record of the assignment (see :func:`gradebook_record`)
    record: dict[str, Any]
    options: Options
    #: the course's grading secret (:func:`course_secret`), mixed into the hidden cases' seeds
    #: by the judge (not part of the private course: not in :attr:`key`)
    secret: bytes = b""

    @functools.cached_property
    def key(self) -> str:
        """Identifies the package: workers keep one private course per key."""
        digest = hashlib.sha256(self.assignment.encode() + b"\0" + self.config)
        for name, data in sorted(self.files.items()):
            digest.update(name.encode() + b"\0" + data)
        digest.update(json.dumps([self.record, self.options.to_json()], sort_keys=True).encode())
        return digest.hexdigest()


#: the course's grading secret, in the grader's own folder (gitignored, hidden from kernels)
SECRET_FILE = "course_secret"


def course_secret(course_root: Path) -> bytes:
    """The course's grading secret: 32 random bytes made on first use, kept in ``.autograder/``.

    Hidden cases are drawn from seeds that mix it in, so that learners who read the course
    package cannot compute them in advance. It never goes into release/ or the package.
    """
    path = CourseLayout(course_root).grader_state / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        secret = path.read_bytes()
        if len(secret) >= 16:
            return secret
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(os.urandom(32))
    with contextlib.suppress(FileExistsError):  # a concurrent run made it first: keep theirs
        os.link(temporary, path)
    temporary.unlink()
    return path.read_bytes()


def gradebook_record(gradebook: Any, assignment: str) -> dict[str, Any]:
    """The assignment's notebooks and cells as nbgrader's gradebook holds them."""
    found = gradebook.find_assignment(assignment)
    notebooks = []
    for notebook in found.notebooks:
        notebooks.append(
            {
                "name": notebook.name,
                "kernelspec": notebook.kernelspec,
                "grade_cells": [
                    {"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                    for c in notebook.grade_cells
                ],
                "task_cells": [
                    {"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                    for c in notebook.task_cells
                ],
                "solution_cells": [c.name for c in notebook.solution_cells],
                "source_cells": [
                    {
                        "name": c.name,
                        "cell_type": c.cell_type,
                        "locked": c.locked,
                        "source": c.source,
                        "checksum": c.checksum,
                    }
                    for c in notebook.source_cells
                ],
            }
        )
    duedate = found.duedate.isoformat() if found.duedate else None
    return {"course_id": found.course_id, "duedate": duedate, "notebooks": notebooks}


def pack(course_root: Path, assignment: str, options: Options) -> Package:
    """Everything a worker needs to grade ``assignment`` of the course at ``course_root``."""
    from autograder.nbgrader_driver import open_gradebook

    layout = CourseLayout(course_root)
    config = layout.nbgrader_config.read_bytes() if layout.nbgrader_config.is_file() else b""
    source = read_folder(layout.source, Path(assignment))
    files = {name: data for name, data in source.files.items() if not name.endswith(".ipynb")}
    with open_gradebook(course_root, options.db_url or None) as gradebook:
        record = gradebook_record(gradebook, assignment)
    return Package(assignment, config, files, record, options, course_secret(course_root))


def _fields(cell: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cell.items() if key != "name"}


def unpack(package: Package, root: Path) -> str:
    """Make ``root`` a private course holding the package; return its gradebook's URL."""
    from datetime import datetime

    from nbgrader.api import Gradebook

    root.mkdir(parents=True, exist_ok=True)
    layout = CourseLayout(root)
    layout.nbgrader_config.write_bytes(package.config)
    write_files(package.files, layout.source / package.assignment)
    url = f"sqlite:///{layout.gradebook}"
    record = package.record
    duedate = datetime.fromisoformat(record["duedate"]) if record["duedate"] else None
    with Gradebook(url, course_id=record["course_id"]) as gradebook:
        gradebook.update_or_create_assignment(package.assignment, duedate=duedate)
        for notebook in record["notebooks"]:
            name, where = notebook["name"], package.assignment
            gradebook.update_or_create_notebook(name, where, kernelspec=notebook["kernelspec"])
            for cell in notebook["grade_cells"]:
                gradebook.update_or_create_grade_cell(cell["name"], name, where, **_fields(cell))
            for cell in notebook["task_cells"]:
                gradebook.update_or_create_task_cell(cell["name"], name, where, **_fields(cell))
            for cell in notebook["solution_cells"]:
                gradebook.update_or_create_solution_cell(cell, name, where)
            for cell in notebook["source_cells"]:
                gradebook.update_or_create_source_cell(cell["name"], name, where, **_fields(cell))
    return url
