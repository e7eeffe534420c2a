"""Sanitising nbgrader lacks: empty metadata after DeduplicateIds, unsafe HTML in feedback.

nbgrader's DeduplicateIds strips the nbgrader fields from the second copy of a
duplicated graded cell but leaves ``{"nbgrader": {}}``, which CheckCellMetadata
then rejects as schema version 0, failing the whole submission. Removing the
empty dict turns the copy into the ordinary cell it was meant to become.
"""

from __future__ import annotations

from typing import Any

import bleach
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


# What notebooks legitimately render: Markdown's HTML, highlighted code, tables, images.
_TAGS = frozenset(
    "a abbr b blockquote br caption code col colgroup dd del details div dl dt em figcaption "
    "figure h1 h2 h3 h4 h5 h6 hr i img kbd li mark ol p pre q s samp small span strong sub "
    "summary sup table tbody td tfoot th thead tr tt u ul var".split()
)
_ATTRIBUTES = {
    "*": ["class", "id", "title", "align"],
    "a": ["href", "title", "rel"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan"],
}


def clean_html(element: str | bytes) -> str:
    """HTML with scripts, event handlers, styles and foreign markup escaped (bleach).

    Replaces nbconvert's ``clean_html`` filter in feedback (``HTMLExporter.sanitize_html``),
    whose allow-list is too short for Markdown (headings, paragraphs and images would show
    as escaped tags).
    """
    text = element.decode() if isinstance(element, bytes) else str(element)
    return bleach.clean(
        text, tags=_TAGS, attributes=_ATTRIBUTES, protocols={"http", "https", "mailto", "data"}
    )
