"""Submissions that break the notebook itself rather than the code in it.

Each builder takes the instructor's filled-in notebook (a valid, full-marks
submission) and returns the files to hand in, by name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import nbformat
from nbformat import NotebookNode

from autograder.cells import nbgrader_meta

NOTEBOOK = "02_activations.ipynb"


def _dump(notebook: NotebookNode) -> bytes:
    return nbformat.writes(notebook).encode()


def _index(notebook: NotebookNode, grade_id: str) -> int:
    return next(
        i for i, c in enumerate(notebook.cells) if nbgrader_meta(c).get("grade_id") == grade_id
    )


def corrupt_json(solution: NotebookNode) -> dict[str, bytes]:
    return {NOTEBOOK: _dump(solution)[:500]}


def empty_file(solution: NotebookNode) -> dict[str, bytes]:
    return {NOTEBOOK: b""}


def wrong_file_name(solution: NotebookNode) -> dict[str, bytes]:
    return {"my_activations.ipynb": _dump(solution)}


def extra_files(solution: NotebookNode) -> dict[str, bytes]:
    return {NOTEBOOK: _dump(solution), "notes.txt": b"scratch", "scratch.ipynb": _dump(solution)}


def deleted_cells(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    del notebook.cells[_index(notebook, "test_sigmoid")]
    return {NOTEBOOK: _dump(notebook)}


def duplicated_cells(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    index = _index(notebook, "test_relu")
    notebook.cells.insert(index, copy.deepcopy(notebook.cells[index]))
    notebook.cells[index]["id"] = "duplicate"
    return {NOTEBOOK: _dump(notebook)}


def reordered_cells(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    test = notebook.cells.pop(_index(notebook, "test_tanh"))
    notebook.cells.insert(_index(notebook, "tanh"), test)
    return {NOTEBOOK: _dump(notebook)}


def retyped_cell(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    cell = notebook.cells[_index(notebook, "test_sigmoid")]
    notebook.cells[_index(notebook, "test_sigmoid")] = nbformat.v4.new_markdown_cell(
        cell.source, metadata=cell.metadata, id=cell.get("id")
    )
    return {NOTEBOOK: _dump(notebook)}


def tampered_test_cell(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    notebook.cells[_index(notebook, "sigmoid")].source = "def sigmoid(x):\n    return x\n"
    notebook.cells[_index(notebook, "test_sigmoid")].source = "print('all good')\n"
    return {NOTEBOOK: _dump(notebook)}


def metadata_removed(solution: NotebookNode) -> dict[str, bytes]:
    notebook = copy.deepcopy(solution)
    notebook.cells[_index(notebook, "sigmoid")].source = "def sigmoid(x):\n    return x\n"
    del notebook.cells[_index(notebook, "test_sigmoid")].metadata["nbgrader"]
    return {NOTEBOOK: _dump(notebook)}


def markdown_bomb(solution: NotebookNode) -> dict[str, bytes]:
    """Four 1 MB Markdown cells of nested disallowed tags: sanitizing them for feedback would
    take hours (the sanitizer's cost grows faster than its input); they are shown as text."""
    notebook = copy.deepcopy(solution)
    for _ in range(4):
        notebook.cells.append(nbformat.v4.new_markdown_cell("<p><a><x>" * 110_000))
    return {NOTEBOOK: _dump(notebook)}


STRUCTURAL: dict[str, Callable[[NotebookNode], dict[str, bytes]]] = {
    f.__name__: f
    for f in (
        corrupt_json,
        empty_file,
        wrong_file_name,
        extra_files,
        deleted_cells,
        duplicated_cells,
        reordered_cells,
        retyped_cell,
        tampered_test_cell,
        metadata_removed,
        markdown_bomb,
    )
}
