"""The ``autograder grade`` command: its options, and what it prints after grading."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from autograder.grading.api import grade_class
from autograder.grading.collect import collect_zip
from autograder.grading.settings import Options


def options_of(args: argparse.Namespace) -> Options:
    """The grading run's settings, from the command line."""
    return Options(
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


def run_grade(args: argparse.Namespace) -> int:
    """Grade one assignment as the command-line arguments say; exit status 0 unless interrupted."""
    console = Console(width=None if sys.stdout.isatty() else 160)
    course_root = args.course_dir.resolve()
    if args.zip is not None:
        students = collect_zip(course_root, args.assignment, args.zip.resolve())
        console.print(f"collected {len(students)} submissions from {args.zip.name}")
    graded = grade_class(course_root, args.assignment, options_of(args), console)
    if graded.result.interrupted:
        return 130
    assert graded.totals and graded.exercises and graded.report
    console.print(
        f"exports: {graded.totals.relative_to(course_root)}, "
        f"{graded.exercises.relative_to(course_root)}"
    )
    console.print(
        f"report:  {graded.report.relative_to(course_root)}; feedback: feedback/<student>/"
    )
    return 0
