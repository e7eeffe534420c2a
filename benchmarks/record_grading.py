"""Record what ``autograder grade`` gives a class, to prove a restructuring changed nothing.

Grades the test corpus of the chapters named (every fixture variant and sample-class
submission) with ``autograder grade`` on a local cluster, then writes to OUT every student's
per-cell scores, every autograded cell's outputs, the feedback HTML, the exports, the report
and the command's summary, with times and temporary paths normalised. Run it before and
after a change and compare the two folders with ``diff -r``. The course's grading secret is
fixed (hidden cases are drawn from it) and so is Python's string hashing (the report breaks
ties between mistakes in the order a set of them gives)::

    PYTHONPATH=$PWD python benchmarks/record_grading.py OUT 01_model_building 02_activations
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.cli import main
from autograder.grading.cluster import local_cluster
from autograder.grading.package import SECRET_FILE
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import write_submissions
from tests.conftest import chapter_variants
from tests.harness import make_course

_TIMES = [
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?"), "<TIME>"),
    (re.compile(r"in \d+ s \(\d+\.\d submissions/min"), "in <S> s (<RATE> submissions/min"),
    (re.compile(r"\d+(\.\d+)? ?(s|seconds)\b"), "<SECONDS>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<PORT>"),
    # nbformat gives the cells a variant adds random ids
    (re.compile(r'id="cell-id=[0-9a-f]+"'), 'id="cell-id=<ID>"'),
]


def _normalised(text: str, root: Path) -> str:
    text = text.replace(str(root), "<COURSE>").replace(tempfile.gettempdir(), "<TMP>")
    for pattern, replacement in _TIMES:
        text = pattern.sub(replacement, text)
    return text


def _outputs(path: Path) -> list[dict]:
    notebook = nbformat.read(path, as_version=4)
    return [
        {"index": i, "metadata": cell.metadata.get("nbgrader", {}), "outputs": cell.get("outputs")}
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
    ]


def record(assignment: str, scheduler: str, out: Path) -> None:
    """Grade ``assignment``'s corpus and write what came out under ``out/assignment``."""
    with tempfile.TemporaryDirectory() as workdir:
        root = make_course(Path(workdir) / "course", assignment)
        state = CourseLayout(root).grader_state
        state.mkdir(parents=True, exist_ok=True)
        (state / SECRET_FILE).write_bytes(b"recorded-course-secret-0123456789")
        variants = chapter_variants(assignment)
        write_submissions(variants, root, assignment)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = main(
                ["--course-dir", str(root), "grade", assignment, "--scheduler", scheduler]
            )
        folder = out / assignment
        folder.mkdir(parents=True)
        lines = sorted(_normalised(printed.getvalue(), root).splitlines())
        (folder / "summary.txt").write_text(f"exit {status}\n" + "\n".join(lines) + "\n")
        scores = {
            student: {cell: [s.score, s.max_score] for cell, s in sorted(cells.items())}
            for student, cells in sorted(read_scores(root, assignment).items())
        }
        (folder / "scores.json").write_text(json.dumps(scores, indent=1, sort_keys=True))
        for kind in ("autograded", "feedback", "reports"):
            for path in sorted((root / kind).rglob("*")):
                if not path.is_file():
                    continue
                target = folder / kind / path.relative_to(root / kind)
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.suffix == ".ipynb":
                    text = json.dumps(_outputs(path), indent=1, sort_keys=True)
                    target = target.with_suffix(".outputs.json")
                else:
                    text = path.read_text(errors="replace")
                target.write_text(_normalised(text, root))


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        fixed = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], fixed)
    out = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as logs, local_cluster(2, Path(logs)) as cluster:
        for assignment in sys.argv[2:]:
            record(assignment, cluster.scheduler_address, out)
