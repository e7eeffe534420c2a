"""Benchmark: plain `nbgrader autograde` against `autograder grade` on the same mixed batch.

    .venv/bin/python benchmarks/grading_speed.py [--chapter 02_activations] [--size 24]

Builds a batch of mixed submissions (right, blank, partly wrong, TensorFlow-calling,
...) from the chapter's variant files, grades one copy with stock nbgrader (serial,
a fresh kernel and TensorFlow import per submission) and another with
`autograder grade` (parallel workers, kernels forked from a warm process), checks
that every cell's score is identical, and prints submissions per minute. The fast
path runs twice: by default (figures are not drawn) and with ``--figures``.
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

from autograder.grading.batch import Options, grade  # noqa: E402
from autograder.nbgrader_run import autograde, read_scores  # noqa: E402
from autograder.submissions import load_variants, write_submissions  # noqa: E402
from tests.harness import FIXTURES, SAMPLE_CLASS, make_course  # noqa: E402


def batch(chapter: str, size: int) -> list:
    """``size`` submissions cycling through the chapter's variants, each under its own name."""
    variants = load_variants(FIXTURES / chapter)
    if (SAMPLE_CLASS / chapter).is_dir():
        variants += load_variants(SAMPLE_CLASS / chapter)
    return [
        dataclasses.replace(variants[i % len(variants)], name=f"student{i:03d}")
        for i in range(size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapter", default="02_activations")
    parser.add_argument("--size", type=int, default=24)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--feedback",
        action="store_true",
        help="also write feedback HTML (plain autograde writes none)",
    )
    args = parser.parse_args()
    submissions = batch(args.chapter, args.size)
    runs = {
        "autograder grade": Options(workers=args.workers, feedback=args.feedback),
        "autograder grade --figures": Options(
            workers=args.workers, feedback=args.feedback, figures=True
        ),
    }
    with tempfile.TemporaryDirectory() as scratch:
        plain_course = make_course(Path(scratch) / "plain", args.chapter)
        write_submissions(submissions, plain_course, args.chapter)
        started = time.perf_counter()
        autograde(plain_course, args.chapter)
        seconds = {"plain nbgrader autograde": time.perf_counter() - started}
        plain_scores = read_scores(plain_course, args.chapter)
        identical = len(plain_scores) == args.size
        for i, (name, options) in enumerate(runs.items()):
            course = make_course(Path(scratch) / f"fast{i}", args.chapter)
            write_submissions(submissions, course, args.chapter)
            started = time.perf_counter()
            result = grade(course, args.chapter, options, Console())
            seconds[name] = time.perf_counter() - started
            identical &= read_scores(course, args.chapter) == plain_scores
    print(
        f"chapter {args.chapter}: {args.size} submissions, {os.cpu_count()} cores, "
        f"{args.workers} workers ({result.isolation})"
    )
    plain_rate = args.size / seconds["plain nbgrader autograde"] * 60
    for name, taken in seconds.items():
        rate = args.size / taken * 60
        print(f"{name:28} {taken:7.1f} s {rate:6.1f} submissions/min {rate / plain_rate:5.1f}x")
    print(f"scores identical: {identical}")
    sys.exit(0 if identical else 1)


if __name__ == "__main__":
    main()
