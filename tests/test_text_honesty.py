"""The text quotes what the cells compute, so that the two cannot drift apart.

Convention: where a notebook's markdown states a number that a code cell computes, that cell
prints it, and the markdown writes the number immediately followed by ``<!-- quoted -->``
(invisible once rendered), e.g. ``beyond 2/λ_max (**0.76**<!-- quoted -->)``. The marked text,
without its markup, must appear verbatim in the output of an earlier code cell of the same
notebook when it runs top to bottom. The run is the one tests/test_grading.py already pays for:
plain ``nbgrader autograde`` of each chapter's solution executes every cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.nbgrader_driver import assignments
from tests.conftest import corpus
from tests.harness import ROOT

CHAPTERS = assignments(ROOT)
MARKER = "<!-- quoted -->"
#: the word right before a marker; markup around the number (**, `, _, brackets) is stripped
QUOTED = re.compile(r"(\S*) ?" + re.escape(MARKER))
MARKUP = "*_`()[]$"
#: terminal colours in text outputs (Keras's model.summary() prints with rich)
COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def quotes(markdown: str) -> list[str]:
    """The numbers a markdown cell marks as quoted, as written without markup."""
    return [word.strip(MARKUP) for word in QUOTED.findall(markdown)]


def output_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed or displayed as text, without terminal colours."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        else:
            parts.append(output.get("data", {}).get("text/plain", ""))
    return COLOURS.sub("", "\n".join(parts))


def unquoted(notebook: nbformat.NotebookNode) -> list[str]:
    """Every marked number that no earlier code cell printed, and every marker on nothing."""
    printed = ""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            printed += output_text(cell) + "\n"
        elif cell.cell_type == "markdown":
            for quote in quotes(cell.source):
                if not any(character.isdigit() for character in quote):
                    problems.append(f"cell {index}: {MARKER} follows no number")
                elif quote not in printed:
                    problems.append(f"cell {index}: {quote!r} is printed by no earlier code cell")
    return problems


def _notebook(*cells: tuple[str, str, str]) -> nbformat.NotebookNode:
    """A notebook of (kind, source, printed output) cells."""
    made = []
    for kind, source, printed in cells:
        if kind == "markdown":
            made.append(nbformat.v4.new_markdown_cell(source))
        else:
            output = nbformat.v4.new_output("stream", name="stdout", text=printed)
            made.append(nbformat.v4.new_code_cell(source, outputs=[output]))
    return nbformat.v4.new_notebook(cells=made)


def test_a_quoted_number_must_be_printed_by_an_earlier_cell():
    computed = ("code", "print(f'limit {2 / 2.623:.2f}')", "limit 0.76\n")
    honest = ("markdown", f"beyond 2/λ (**0.76**{MARKER}) it blows up", "")
    drifted = ("markdown", f"beyond 2/λ (**0.85**{MARKER}) it blows up", "")
    assert unquoted(_notebook(computed, honest)) == []
    assert unquoted(_notebook(computed, drifted)) == [
        "cell 1: '0.85' is printed by no earlier code cell"
    ]
    assert unquoted(_notebook(honest, computed)) == [
        "cell 0: '0.76' is printed by no earlier code cell"
    ]
    orphan = ("markdown", f"a marker on nothing: {MARKER}", "")
    assert unquoted(_notebook(computed, orphan)) == [f"cell 1: {MARKER} follows no number"]


def test_quotes_are_read_without_their_markup():
    text = f"**235,146**{MARKER} weights, `85%`{MARKER}, (0.0099{MARKER}) and _0.045_{MARKER}"
    assert quotes(text) == ["235,146", "85%", "0.0099", "0.045"]


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", [pytest.param(a, marks=corpus(a)) for a in CHAPTERS])
def test_every_quoted_number_is_what_the_notebook_computes(graded, assignment):
    executed: Path = graded(assignment).notebooks["solution"]
    notebook = nbformat.read(executed, as_version=4)
    assert unquoted(notebook) == []
