"""CSV exports from the gradebook: LMS-friendly totals and one column per graded cell.

Every text cell that a spreadsheet would read as a formula (starting with ``= + - @``,
a tab or a carriage return, e.g. a student id ``=SUM(40+2)``) is written with a leading
``'``; numbers are left as they are.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from nbgrader.api import MissingEntry

from autograder.nbgrader_driver import open_gradebook

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralise(value: object) -> str:
    """The cell as a spreadsheet shows it literally: formula-like text gets a leading quote."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def export_csvs(
    course_root: Path, assignment: str, folder: Path, db_url: str | None = None
) -> tuple[Path, Path]:
    """Write ``<assignment>_totals.csv`` and ``<assignment>_exercises.csv``; return both paths.

    From the course's gradebook, or the one at ``db_url``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    totals_path = folder / f"{assignment}_totals.csv"
    cells_path = folder / f"{assignment}_exercises.csv"
    with open_gradebook(course_root, db_url) as gradebook:
        notebooks = gradebook.find_assignment(assignment).notebooks
        cell_names = [c.name for nb in notebooks for c in nb.grade_cells]
        max_score = sum(c.max_score for nb in notebooks for c in nb.grade_cells)
        rows, cell_rows = [], []
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            scores = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            total = sum(scores.values())
            rows.append(
                {
                    "student_id": student.id,
                    "last_name": student.last_name or "",
                    "first_name": student.first_name or "",
                    "email": student.email or "",
                    "assignment": assignment,
                    "score": f"{total:g}",
                    "max_score": f"{max_score:g}",
                    "percent": f"{100 * total / max_score:.1f}" if max_score else "0.0",
                }
            )
            cell_rows.append(
                {
                    "student_id": student.id,
                    **{c: f"{scores.get(c, 0):g}" for c in cell_names},
                    "total": f"{total:g}",
                }
            )
    _write(
        totals_path,
        [
            "student_id",
            "last_name",
            "first_name",
            "email",
            "assignment",
            "score",
            "max_score",
            "percent",
        ],
        rows,
    )
    _write(cells_path, ["student_id", *cell_names, "total"], cell_rows)
    return totals_path, cells_path


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(c) for c in columns])
        writer.writerows([neutralise(row.get(c, "")) for c in columns] for row in rows)
