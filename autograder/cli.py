"""The ``autograder`` command."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.grading.settings import Options
from autograder.layout import CourseLayout


def _parser() -> argparse.ArgumentParser:
    """The command line: the course directory, then one subcommand and its options."""
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument(
        "--course-dir",
        type=Path,
        default=Path.cwd(),
        help="the course directory (default: the current directory)",
    )
    gradebook = argparse.ArgumentParser(add_help=False)
    gradebook.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="the gradebook's SQLAlchemy URL, e.g. postgresql+psycopg://HOST/DATABASE "
        "(default: c.CourseDirectory.db_url in nbgrader_config.py, else SQLite in the course)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", parents=[gradebook], help="release every chapter and grade the bundled sample class"
    )
    commands.add_parser(
        "release", parents=[gradebook], help="regenerate release/ from source/ with nbgrader"
    )
    _add_grade(commands, gradebook)
    selfgrade = commands.add_parser(
        "selfgrade", help="grade your own notebook with the full hidden tests (no gradebook)"
    )
    selfgrade.add_argument("notebook", type=Path)
    progress = commands.add_parser("progress", help="which exercises pass, across all chapters")
    progress.add_argument(
        "--folder",
        type=Path,
        default=None,
        help="where your chapter notebooks are (default: release/)",
    )
    return parser


def _add_grade(commands: argparse._SubParsersAction, gradebook: argparse.ArgumentParser) -> None:
    """``autograder grade ASSIGNMENT`` and its options (the fields of Options)."""
    grade = commands.add_parser(
        "grade", parents=[gradebook], help="autograde a class in parallel (nbgrader underneath)"
    )
    grade.add_argument("assignment")
    grade.add_argument(
        "--workers",
        type=int,
        default=Options.workers,
        help="worker processes of the local cluster (default: one per core)",
    )
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default="",
        help="grade on the Dask cluster at this scheduler, e.g. tcp://HOST:8786 "
        "(default: $DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    grade.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    grade.add_argument(
        "--timeout", type=float, default=Options.timeout, help="seconds per submission"
    )
    grade.add_argument(
        "--cell-timeout",
        type=float,
        default=Options.cell_timeout,
        help="seconds per cell (default: c.Execute.timeout in nbgrader_config.py)",
    )
    grade.add_argument("--memory-mb", type=int, default=Options.memory_mb, help="memory per kernel")
    grade.add_argument(
        "--no-isolation",
        action="store_true",
        help="do not put kernels in their own network and mount namespaces",
    )
    grade.add_argument("--no-feedback", action="store_true", help="skip feedback HTML")
    grade.add_argument(
        "--figures",
        action="store_true",
        help="draw figures in autograded notebooks and feedback (slower; never graded)",
    )
    grade.add_argument(
        "--every-cell",
        action="store_true",
        help="run every code cell, as nbgrader autograde does (default: only the cells the "
        "grades depend on; demonstrations and plots are skipped)",
    )
    grade.add_argument(
        "--zip",
        type=Path,
        default=None,
        help="an LMS download to collect first (nbgrader zip_collect conventions)",
    )


def _self_study(args: argparse.Namespace) -> int:
    """``autograder selfgrade`` and ``autograder progress``: a learner's own notebooks."""
    from rich.console import Console

    from autograder import selfgrade as self_study

    console = Console()
    root = args.course_dir.resolve()
    if args.command == "selfgrade":
        results = self_study.selfgrade(args.notebook.resolve(), root)
        console.print(self_study.results_table(args.notebook.stem, results))
        return 0
    folder = (args.folder or CourseLayout(root).release).resolve()
    console.print(self_study.progress(root, folder, console))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``autograder`` command."""
    args = _parser().parse_args(argv)
    if args.command in ("selfgrade", "progress"):
        return _self_study(args)
    if args.command == "grade":
        from autograder.grading.cli import run_grade

        return run_grade(args)

    if args.command == "demo":
        from autograder.demo import run_demo

        return 0 if run_demo(args.course_dir.resolve(), db_url=args.db) else 1
    from autograder.nbgrader_driver import assignments, generate_release

    for assignment in assignments(args.course_dir):
        generate_release(args.course_dir.resolve(), assignment, args.db)
        print(f"release/{assignment} generated")
    return 0
