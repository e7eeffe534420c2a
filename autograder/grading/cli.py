"""The ``autograder grade`` command: grade, then summarise."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from autograder.grading.batch import Options, grade, print_summary


def run_grade(args: argparse.Namespace) -> int:
    """Grade one assignment as the command-line arguments say; exit status 0 unless interrupted."""
    console = Console(width=None if sys.stdout.isatty() else 160)
    options = Options(
        workers=args.workers,
        force=args.force,
        timeout=args.timeout,
        memory_mb=args.memory_mb,
        isolate=not args.no_isolation,
        feedback=not args.no_feedback,
    )
    result = grade(args.course_dir.resolve(), args.assignment, options, console)
    print_summary(result, console)
    return 130 if result.interrupted else 0
