"""Grade a class of variant submissions through real nbgrader, in parallel shards.

Each shard is a throw-away copy of the course (source/, nbgrader_config.py) with its
own gradebook: nbgrader generates the release there, the variants become
submissions, and ``nbgrader autograde`` grades them. Shards run side by side, one
per core, because every submission pays for a kernel and a TensorFlow import.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.nbgrader_run import CellScore, autograde, generate_release, read_scores
from autograder.submissions import (
    Variant,
    build_submission,
    nbgrader_meta,
    parse_variant,
    strip_solution_markers,
    write_submissions,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
SAMPLE_CLASS = ROOT / "sample_class"


@dataclass
class GradedClass:
    """Scores and autograded notebooks of every variant of one assignment."""

    scores: dict[str, dict[str, CellScore]]
    notebooks: dict[str, Path]
    #: the students nbgrader could not grade, each with its log about them
    failed: dict[str, str]

    def cell_output(self, student: str, grade_id: str) -> str:
        """Everything the graded cell printed or raised in the student's autograded notebook."""
        notebook = nbformat.read(self.notebooks[student], as_version=4)
        for cell in notebook.cells:
            if nbgrader_meta(cell).get("grade_id") == grade_id:
                return "\n".join(_output_text(o) for o in cell.get("outputs", []))
        raise KeyError(f"{student} has no cell {grade_id}")


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return f"[{output['name']}] {output['text']}"
    if output.get("output_type") == "error":
        return f"[error] {output['ename']}: {output['evalue']}"
    return ""


def learner_notebook(folder: Path, assignment: str, variant_name: str) -> Path:
    """A fixture variant as a learner's own notebook: ``folder/<assignment>/<assignment>.ipynb``."""
    variant = parse_variant(FIXTURES / assignment / f"{variant_name}.py")
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    path = folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(build_submission(variant, source, release), path)
    return path


def solution_namespace(assignment: str, **names: object) -> dict:
    """The source notebook's solution cells, run as a learner would type them, over ``names``."""
    notebook = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace = dict(names)
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("solution"):
            exec(strip_solution_markers(cell.source), namespace)
    return namespace


def make_course(root: Path, assignment: str) -> Path:
    """A fresh course directory with this assignment's source and a generated release."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment)
    generate_release(root, assignment)
    return root


def _grade_shard(root: Path, assignment: str, variants: list[Variant]) -> tuple[dict, dict]:
    """Scores of the shard's variants, and nbgrader's log for each one it could not grade."""
    make_course(root, assignment)
    write_submissions(variants, root, assignment)
    run = autograde(root, assignment)
    scores = read_scores(root, assignment)
    failed = {
        v.name: run.log_of(v.name)
        for v in variants
        if v.name not in scores or v.name in run.failed or "*" in run.failed
    }
    return scores, failed


def grade_class(
    workdir: Path, assignment: str, variants: list[Variant], shards: int = 2
) -> GradedClass:
    """Autograde every variant with real nbgrader; ``shards`` course copies run in parallel."""
    groups = [variants[i::shards] for i in range(shards) if variants[i::shards]]
    roots = [workdir / f"shard{i}" for i in range(len(groups))]
    with ThreadPoolExecutor(len(groups)) as pool:
        results = list(pool.map(_grade_shard, roots, [assignment] * len(groups), groups))
    scores: dict[str, dict[str, CellScore]] = {}
    logs: dict[str, str] = {}
    notebooks: dict[str, Path] = {}
    for root, group, (shard_scores, shard_failed) in zip(roots, groups, results, strict=True):
        scores.update(shard_scores)
        logs.update(shard_failed)
        for variant in group:
            notebooks[variant.name] = (
                root / "autograded" / variant.name / assignment / f"{assignment}.ipynb"
            )
    return GradedClass(scores, notebooks, logs)
