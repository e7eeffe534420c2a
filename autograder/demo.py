"""``autograder demo``: release every chapter and grade the bundled sample class."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder.grading.api import grade_class
from autograder.grading.settings import Options
from autograder.nbgrader_driver import CellScore, assignments, generate_release, read_scores
from autograder.variants import load_variants, write_submissions


def score_table(assignment: str, scores: dict[str, dict[str, CellScore]]) -> Table:
    """Exercises down, students across, totals at the bottom."""
    students = sorted(scores)
    cells = sorted({cell for s in scores.values() for cell in s}, key=_cell_order(scores))
    table = Table(title=f"{assignment}: points per exercise", show_footer=True)
    table.add_column("exercise", footer="total")
    for student in students:
        total = sum(c.score for c in scores[student].values())
        possible = sum(c.max_score for c in scores[student].values())
        table.add_column(student, justify="right", footer=f"{total:g} / {possible:g}")
    for cell in cells:
        row = []
        for student in students:
            score = scores[student].get(cell)
            if score is None:
                row.append("-")
            else:
                style = "green" if score.score == score.max_score else "red"
                row.append(f"[{style}]{score.score:g}/{score.max_score:g}[/{style}]")
        table.add_row(cell.removeprefix("test_"), *row)
    return table


def _cell_order(scores: dict[str, dict[str, CellScore]]):
    order: dict[str, int] = {}
    for student_scores in scores.values():
        for cell in student_scores:
            order.setdefault(cell, len(order))
    return lambda cell: order[cell]


def run_demo(course_root: Path, console: Console | None = None, db_url: str | None = None) -> bool:
    """Release all chapters, grade the sample class, print the tables; True if all graded.

    Into the course's gradebook, or the one at ``db_url``.
    """
    # Piped output (CI, logs) gets a wide table instead of rich's 80-column default.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    all_graded = True
    for assignment in assignments(course_root):
        with console.status(f"nbgrader generate_assignment {assignment}"):
            generate_release(course_root, assignment, db_url)
        console.print(f"release/{assignment} generated from source/{assignment}")
        class_folder = course_root / "sample_class" / assignment
        if not class_folder.is_dir():
            continue
        variants = load_variants(class_folder)
        write_submissions(variants, course_root, assignment)
        graded = grade_class(course_root, assignment, Options(db_url=db_url or ""), console)
        all_graded &= not graded.result.failed and not graded.result.interrupted
        console.print(score_table(assignment, read_scores(course_root, assignment, db_url)))
        for variant in variants:
            console.print(f"  [bold]{variant.name}[/bold]: {variant.summary}")
        if graded.report is not None:
            report = graded.report.relative_to(course_root)
            console.print(f"feedback in feedback/, CSV exports and {report}\n")
    return all_graded
