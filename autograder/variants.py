"""Submissions made from the release notebook plus a short "variant" file of answers.

A variant file is a small Python file: a docstring header, then the code for
some solution cells, each introduced by ``# %% <grade_id>``::

    '''Naive softmax: overflows for large logits.

    base: solution
    lost: test_softmax
    message: test_softmax: subtract the maximum
    '''
    # %% softmax
    def softmax(x, axis=-1):
        ...

``base`` says what the other solution cells hold: ``solution`` (the instructor's
answers from source/) or ``blank`` (the release as handed out). ``lost`` lists
the test cells that must score zero (``all`` for every one); every other test
cell must score full marks. ``message`` lines give text that the named test
cell's output must contain. ``# %% new after <grade_id>`` adds a code cell of the
learner's own after that solution cell, and ``# %% file <name>`` a file beside the
notebook (a helper module, say). ``differs: <grade_id> <why>`` names a cell that
plain ``nbgrader autograde`` scores differently, deliberately (see the README's list).
The sample class and the test fixtures use this format, so submissions always match
the current release notebook.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.cells import nbgrader_meta
from autograder.layout import CourseLayout

_SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_CELL_MARKER = re.compile(r"^# %% (\S+(?: \S+)*)\s*$", re.MULTILINE)
_NEW_CELL, _FILE = "new after ", "file "


@dataclass(frozen=True)
class Variant:
    """One submission, described by its differences from the solution or the blank release."""

    name: str
    summary: str
    base: str = "solution"
    lost: tuple[str, ...] = ()
    messages: tuple[tuple[str, str], ...] = ()
    cells: dict[str, str] = field(default_factory=dict)
    #: code cells the learner added: (the solution cell they follow, their source)
    added: tuple[tuple[str, str], ...] = ()
    #: files beside the notebook: name → content
    files: dict[str, str] = field(default_factory=dict)
    #: cells plain nbgrader scores differently on purpose: grade_id → why
    differs: dict[str, str] = field(default_factory=dict)


def parse_variant(path: Path) -> Variant:
    """Read a variant file (see the module docstring for the format)."""
    text = path.read_text(encoding="utf-8")
    header = ast.get_docstring(ast.parse(text)) or ""
    summary, *lines = header.splitlines() or [""]
    options: dict[str, list[str]] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip() in {"base", "lost", "message", "differs"}:
            options.setdefault(key.strip(), []).append(value.strip())
    pieces = _CELL_MARKER.split(text)
    marked = [(pieces[i], pieces[i + 1].strip("\n") + "\n") for i in range(1, len(pieces), 2)]
    cells = {name: code for name, code in marked if " " not in name}
    added = tuple((m.removeprefix(_NEW_CELL), c) for m, c in marked if m.startswith(_NEW_CELL))
    files = {m.removeprefix(_FILE): c for m, c in marked if m.startswith(_FILE)}
    differs = dict(d.partition(" ")[::2] for d in options.get("differs", []))
    base = (options.get("base") or ["solution"])[0]
    if base not in {"solution", "blank"}:
        raise ValueError(f"{path}: base must be 'solution' or 'blank', not {base!r}")
    lost = tuple(c.strip() for v in options.get("lost", []) for c in v.split(",") if c.strip())
    messages = tuple(tuple(m.split(":", 1)) for m in options.get("message", []))
    return Variant(
        path.stem,
        summary.strip(),
        base,
        lost,
        tuple((cell.strip(), needle.strip()) for cell, needle in messages),
        cells,
        added,
        files,
        differs,
    )


def strip_solution_markers(source: str) -> str:
    """The instructor's answer as a learner would type it: solution markers removed."""
    return "\n".join(line for line in source.splitlines() if not _SOLUTION_MARKER.match(line))


def build_submission(
    variant: Variant, source: nbformat.NotebookNode, release: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The release notebook with its solution cells filled in as the variant says."""
    answers = {
        nbgrader_meta(c)["grade_id"]: strip_solution_markers(c.source)
        for c in source.cells
        if nbgrader_meta(c).get("solution")
    }
    unknown = (set(variant.cells) | {after for after, _ in variant.added}) - set(answers)
    if unknown:
        raise ValueError(f"variant {variant.name}: no solution cells named {sorted(unknown)}")
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not nbgrader_meta(cell).get("solution"):
            continue
        if grade_id in variant.cells:
            cell.source = variant.cells[grade_id]
        elif variant.base == "solution":
            cell.source = answers[grade_id]
    for after, code in reversed(variant.added):  # each right after its cell, in order
        position = next(
            i for i, c in enumerate(submission.cells) if nbgrader_meta(c).get("grade_id") == after
        )
        submission.cells.insert(position + 1, nbformat.v4.new_code_cell(code))
    return submission


def write_submissions(variants: list[Variant], course_root: Path, assignment: str) -> list[str]:
    """Write each variant to submitted/<variant>/<assignment>/<assignment>.ipynb; return names."""
    layout = CourseLayout(course_root)
    source = nbformat.read(layout.source_notebook(assignment), 4)
    release = nbformat.read(layout.release_notebook(assignment), 4)
    for variant in variants:
        folder = layout.submitted / variant.name / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(variant, source, release), folder / f"{assignment}.ipynb")
        for name, content in variant.files.items():
            (folder / name).write_text(content, encoding="utf-8")
    return [v.name for v in variants]


def load_variants(folder: Path) -> list[Variant]:
    """Every variant file in a folder, in name order."""
    return [parse_variant(p) for p in sorted(folder.glob("*.py"))]
