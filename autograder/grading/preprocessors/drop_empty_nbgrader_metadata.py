"""nbgrader's DeduplicateIds leaves ``{"nbgrader": {}}`` on the second copy of a duplicated
graded cell, which CheckCellMetadata then rejects as schema version 0, failing the whole
submission: this preprocessor, run between the two, drops the empty metadata."""

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
