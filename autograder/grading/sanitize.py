"""A sanitising step nbgrader lacks: after DeduplicateIds, drop the empty metadata it leaves.

nbgrader's DeduplicateIds strips the nbgrader fields from the second copy of a
duplicated graded cell but leaves ``{"nbgrader": {}}``, which CheckCellMetadata
then rejects as schema version 0, failing the whole submission. Removing the
empty dict turns the copy into the ordinary cell it was meant to become.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool


class DropEmptyNbgraderMetadata(Preprocessor):
    """Remove ``metadata.nbgrader`` when it is empty."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.get("metadata", {}).get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
