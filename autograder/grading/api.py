"""Grading a class from Python: what ``autograder grade`` does, as one function.

:func:`grade_class` grades every new or changed submission of an assignment
(:func:`autograder.grading.batch.grade`), then writes the CSV exports and the report from
the gradebook; the command (:mod:`autograder.grading.cli`) parses its arguments, calls it
and prints what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from autograder.grading.batch import BatchResult, grade, print_summary
from autograder.grading.exports import export_csvs
from autograder.grading.report import write_report
from autograder.grading.settings import Options
from autograder.layout import CourseLayout


@dataclass
class ClassGrades:
    """A graded class: how the batch went, and where its exports and report are."""

    result: BatchResult
    #: the LMS totals and the per-exercise CSV (None if the batch was interrupted)
    totals: Path | None = None
    exercises: Path | None = None
    #: the instructor's HTML report (None if the batch was interrupted)
    report: Path | None = None


def grade_class(
    course_root: Path, assignment: str, options: Options, console: Console | None = None
) -> ClassGrades:
    """Grade ``assignment``'s submissions in the course at ``course_root``, print the batch's
    summary on ``console``, then export the grades and write the report (unless interrupted)."""
    console = console or Console()
    result = grade(course_root, assignment, options, console)
    print_summary(result, console)
    graded = ClassGrades(result)
    if result.interrupted:
        return graded
    folder = CourseLayout(course_root).reports
    db_url = options.db_url or None
    graded.totals, graded.exercises = export_csvs(course_root, assignment, folder, db_url)
    graded.report = write_report(course_root, assignment, folder, db_url)
    return graded
