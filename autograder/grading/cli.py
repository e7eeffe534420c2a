"""The ``autograder grade`` command: grade, then summarise."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from autograder.grading.batch import grade, print_summary
from autograder.grading.collect import collect_zip
from autograder.grading.exports import export_csvs
from autograder.grading.report import write_report
from autograder.grading.settings import Options
from autograder.layout import CourseLayout


def run_grade(args: argparse.Namespace) -> int:
    """Grade one assignment as the command-line arguments say; exit status 0 unless interrupted."""
    console = Console(width=None if sys.stdout.isatty() else 160)
    options = Options(
        workers=args.workers,
        force=args.force,
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        memory_mb=args.memory_mb,
        isolate=not args.no_isolation,
        feedback=not args.no_feedback,
        figures=args.figures,
        every_cell=args.every_cell,
        db_url=args.db or "",
        scheduler=args.scheduler,
    )
    course_root = args.course_dir.resolve()
    if args.zip is not None:
        students = collect_zip(course_root, args.assignment, args.zip.resolve())
        console.print(f"collected {len(students)} submissions from {args.zip.name}")
    result = grade(course_root, args.assignment, options, console)
    print_summary(result, console)
    if result.interrupted:
        return 130
    folder = CourseLayout(course_root).reports
    totals, exercises = export_csvs(course_root, args.assignment, folder, args.db)
    report = write_report(course_root, args.assignment, folder, args.db)
    console.print(
        f"exports: {totals.relative_to(course_root)}, {exercises.relative_to(course_root)}"
    )
    console.print(f"report:  {report.relative_to(course_root)}; feedback: feedback/<student>/")
    return 0
