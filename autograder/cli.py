"""The ``autograder`` command."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``autograder`` command."""
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument(
        "--course-dir",
        type=Path,
        default=Path.cwd(),
        help="the course directory (default: the current directory)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="release every chapter and grade the bundled sample class")
    commands.add_parser("release", help="regenerate release/ from source/ with nbgrader")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from autograder.demo import run_demo

        return 0 if run_demo(args.course_dir.resolve()) else 1
    from autograder.nbgrader_run import assignments, generate_release

    for assignment in assignments(args.course_dir):
        generate_release(args.course_dir.resolve(), assignment)
        print(f"release/{assignment} generated")
    return 0
