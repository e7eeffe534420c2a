"""Benchmark: a synthetic class of 02_activations graded on the local Dask cluster.

    .venv/bin/python benchmarks/class_size.py [--sizes 100 1000] [--workers 2]

For each class size, builds that many submissions cycling through the chapter's variant
files (right, blank, partly wrong, ...), grades them with `autograder grade` on a local
cluster, and prints side by side: submissions per minute, and the client's peak memory
(the `autograder grade` process, scheduler included; workers are other processes) above
what it held before the batch. That peak must stay flat in the size of the class: the
client keeps only the submissions in flight.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from rich.console import Console  # noqa: E402

from autograder.grading.settings import Options  # noqa: E402

# The local cluster's worker processes re-import this script: what only the client needs
# (the grader, nbgrader, the harness) is imported where it is used.

CHAPTER = "02_activations"


class PeakMemory:
    """This process's largest resident set while sampling (every 0.2 s)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(size: int, workers: int, scratch: Path) -> dict:
    """One class of ``size`` graded: seconds, submissions/min, the client's peak memory."""
    from autograder.grading.batch import grade
    from autograder.variants import load_variants, write_submissions
    from tests.harness import FIXTURES, SAMPLE_CLASS, make_course

    variants = load_variants(FIXTURES / CHAPTER) + load_variants(SAMPLE_CLASS / CHAPTER)
    students = [
        dataclasses.replace(variants[i % len(variants)], name=f"student{i:04d}")
        for i in range(size)
    ]
    course = make_course(scratch / f"class{size}", CHAPTER)
    write_submissions(students, course, CHAPTER)
    before = psutil.Process().memory_info().rss
    with open(os.devnull, "w") as quiet, PeakMemory() as memory:
        started = time.perf_counter()
        result = grade(course, CHAPTER, Options(workers=workers), Console(file=quiet))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rate": len(result.graded) / seconds * 60,
        "peak_mb": (memory.peak - before) / 2**20,
        "failed": len(result.failed),
        "engine": result.engine,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = {size: measure(size, args.workers, Path(scratch)) for size in args.sizes}
    print(f"{CHAPTER}, {os.cpu_count()} cores, {next(iter(figures.values()))['engine']}")
    print(f"{'class size':>10} {'seconds':>9} {'per min':>8} {'client peak':>12} {'failed':>7}")
    for size, f in figures.items():
        print(
            f"{size:>10} {f['seconds']:>9.0f} {f['rate']:>8.1f} "
            f"{f['peak_mb']:>9.0f} MB {f['failed']:>7}"
        )
    sys.exit(0 if not any(f["failed"] for f in figures.values()) else 1)


if __name__ == "__main__":
    main()
