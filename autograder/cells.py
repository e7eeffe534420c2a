"""Reading nbgrader's marks on a notebook cell (``metadata.nbgrader``)."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode


def nbgrader_meta(cell: NotebookNode | dict) -> dict[str, Any]:
    """The cell's nbgrader metadata ({} if it has none, or none that is a mapping: a
    learner's notebook is read as it is, whatever its JSON holds)."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: NotebookNode) -> bool:
    """Whether the cell is an autograded test: graded, and not a learner's answer."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade", False) and not meta.get("solution", False))
