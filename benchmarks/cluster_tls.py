"""Benchmark: what TLS costs the local grading cluster (its start, and a batch graded on it).

    .venv/bin/python benchmarks/cluster_tls.py [--size 12] [--workers 2]

`autograder grade` starts its local Dask cluster with TLS and credentials of its own
(`LocalCluster(security=True)`), so that no other user of the machine can use it. This
starts the same cluster with and without TLS, times its start (until its workers are
connected) and a batch of `--size` submissions of 02_activations graded on it (workers
warming up included, as in a real run), and prints both side by side.
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

# The local cluster's worker processes re-import this script: what only the client needs
# is imported where it is used.

CHAPTER = "02_activations"


def measure(tls: bool, size: int, workers: int, scratch: Path) -> dict:
    """Seconds to start a local cluster (TLS or not) and to grade ``size`` submissions on it."""
    from distributed import Client

    from autograder.grading.batch import grade
    from autograder.grading.cluster import local_cluster
    from autograder.variants import load_variants, write_submissions
    from tests.harness import FIXTURES, SAMPLE_CLASS, make_course

    variants = load_variants(FIXTURES / CHAPTER) + load_variants(SAMPLE_CLASS / CHAPTER)
    students = [
        dataclasses.replace(variants[i % len(variants)], name=f"student{i:03d}")
        for i in range(size)
    ]
    course = make_course(scratch / f"tls-{tls}", CHAPTER)
    write_submissions(students, course, CHAPTER)
    (scratch / f"dask-{tls}").mkdir()
    started = time.perf_counter()
    with local_cluster(workers, scratch / f"dask-{tls}", tls=tls) as cluster:
        with Client(cluster.scheduler_address) as client:
            client.wait_for_workers(workers)
        start = time.perf_counter() - started
        options = Options(workers=workers, scheduler=cluster.scheduler_address)
        with open(os.devnull, "w") as quiet:
            begun = time.perf_counter()
            result = grade(course, CHAPTER, options, Console(file=quiet))
            batch = time.perf_counter() - begun
    return {"start": start, "batch": batch, "failed": len(result.failed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = {
            tls: measure(tls, args.size, args.workers, Path(scratch)) for tls in (False, True)
        }
    print(f"{CHAPTER}, {args.size} submissions, {args.workers} workers, {os.cpu_count()} cores")
    print(f"{'cluster':>10} {'start s':>8} {'batch s':>8} {'failed':>7}")
    for tls, f in figures.items():
        name = "TLS" if tls else "plain TCP"
        print(f"{name:>10} {f['start']:>8.1f} {f['batch']:>8.1f} {f['failed']:>7}")
    sys.exit(0 if not any(f["failed"] for f in figures.values()) else 1)


if __name__ == "__main__":
    main()
