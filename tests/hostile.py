"""Submissions that break the notebook itself rather than the code in it.

Each builder takes the instructor's filled-in notebook (a valid, full-marks
submission) and returns the files to hand in, by name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import nbformat
from nbformat import NotebookNode

from autograder.submissions import nbgrader_meta

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


def slow_analysis(solution: NotebookNode) -> dict[str, bytes]:
    """400 cells of a chain of functions, each naming 1,000 names: the dependency analysis
    would take minutes (it is not tried on a notebook this large; every cell runs)."""
    notebook = copy.deepcopy(solution)
    names = ", ".join(f"n{j}" for j in range(1_000))
    chain = ["def f0():\n    return 0\n"]
    chain += [f"def f{k}():\n    return f{k - 1}, ({names})\n" for k in range(1, 400)]
    at = _index(notebook, "sigmoid")
    notebook.cells[at:at] = [nbformat.v4.new_code_cell(code) for code in chain]
    notebook.cells[at + len(chain)].source += "\n\n_all = f399\n"
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
        slow_analysis,
        markdown_bomb,
    )
}
