"""Benchmark: plain `nbgrader autograde` against `autograder grade` on the same mixed batch.

    .venv/bin/python benchmarks/grading_speed.py [--chapter all] [--size 24] [--every-cell]

Builds a batch of mixed submissions (right, blank, partly wrong, TensorFlow-calling,
...) from the chapter's variant files, grades one copy with stock nbgrader (serial,
a fresh kernel and TensorFlow import per submission) and another with
`autograder grade` (parallel workers, kernels forked from a warm process), checks
that every cell's score is identical, and prints submissions per minute for every
chapter side by side (``--every-cell`` also times the fast path running every code cell,
as nbgrader does; ``--figures`` the fast path drawing figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from autograder.grading.settings import Options  # noqa: E402

# The worker processes of a local cluster re-import the script that started them, as
# `autograder grade`'s workers re-import its tiny entry point: nbgrader, the harness and the
# grader are imported where they are used, or every worker would pay seconds for them.


def batch(chapter: str, size: int) -> list:
    """``size`` submissions cycling through the chapter's variants, each under its own name."""
    from autograder.variants import load_variants
    from tests.harness import FIXTURES, SAMPLE_CLASS

    variants = load_variants(FIXTURES / chapter)
    if (SAMPLE_CLASS / chapter).is_dir():
        variants += load_variants(SAMPLE_CLASS / chapter)
    return [
        dataclasses.replace(variants[i % len(variants)], name=f"student{i:03d}")
        for i in range(size)
    ]


CHAPTERS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())


def measure(chapter: str, size: int, runs: dict[str, Options], scratch: Path) -> dict:
    """Seconds each grader took on one batch of the chapter, and whether all scores agree."""
    from autograder.grading.batch import grade
    from autograder.nbgrader_driver import autograde, read_scores
    from autograder.variants import write_submissions
    from tests.harness import make_course

    submissions = batch(chapter, size)
    plain_course = make_course(scratch / chapter / "plain", chapter)
    write_submissions(submissions, plain_course, chapter)
    started = time.perf_counter()
    autograde(plain_course, chapter)
    seconds = {"plain nbgrader autograde": time.perf_counter() - started}
    plain_scores = read_scores(plain_course, chapter)
    identical = len(plain_scores) == size
    isolation = ""
    for i, (name, options) in enumerate(runs.items()):
        course = make_course(scratch / chapter / f"fast{i}", chapter)
        write_submissions(submissions, course, chapter)
        started = time.perf_counter()
        result = grade(course, chapter, options, Console())
        seconds[name] = time.perf_counter() - started
        identical &= read_scores(course, chapter) == plain_scores
        isolation = result.isolation
    return {"seconds": seconds, "identical": identical, "isolation": isolation}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapter", choices=[*CHAPTERS, "all"], default="all")
    parser.add_argument("--size", type=int, default=24, help="submissions per chapter")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--every-cell", action="store_true", help="also time --every-cell")
    parser.add_argument("--figures", action="store_true", help="also time --figures")
    parser.add_argument(
        "--feedback",
        action="store_true",
        help="also write feedback HTML (plain autograde writes none)",
    )
    args = parser.parse_args()
    fast = Options(workers=args.workers, feedback=args.feedback)
    runs = {"autograder grade": fast}
    if args.every_cell:
        runs["autograder grade --every-cell"] = dataclasses.replace(fast, every_cell=True)
    if args.figures:
        runs["autograder grade --figures"] = dataclasses.replace(fast, figures=True)
    chapters = CHAPTERS if args.chapter == "all" else [args.chapter]
    with tempfile.TemporaryDirectory() as scratch:
        figures = {c: measure(c, args.size, runs, Path(scratch)) for c in chapters}
    print(
        f"{args.size} submissions per chapter, {os.cpu_count()} cores, {args.workers} workers "
        f"({next(iter(figures.values()))['isolation']})"
    )
    names = ["plain nbgrader autograde", *runs]
    print(f"{'chapter':26}" + "".join(f"{n:>30}" for n in names) + f"{'speed-up':>10}  scores")
    for chapter, measured in figures.items():
        seconds = measured["seconds"]
        cells = [f"{seconds[n]:7.1f} s {args.size / seconds[n] * 60:6.1f}/min" for n in names]
        ratio = seconds[names[0]] / seconds["autograder grade"]
        same = "identical" if measured["identical"] else "DIFFERENT"
        print(f"{chapter:26}" + "".join(f"{c:>30}" for c in cells) + f"{ratio:9.1f}x  {same}")
    sys.exit(0 if all(m["identical"] for m in figures.values()) else 1)


if __name__ == "__main__":
    main()
