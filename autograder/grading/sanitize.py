"""Sanitising nbgrader lacks: empty metadata after DeduplicateIds, unsafe HTML in feedback.

- nbgrader's DeduplicateIds strips the nbgrader fields from the second copy of a
  duplicated graded cell but leaves ``{"nbgrader": {}}``, which CheckCellMetadata then
  rejects as schema version 0, failing the whole submission: :class:`DropEmptyNbgraderMetadata`.
- Feedback HTML shows learners' outputs and Markdown: the worker turns on nbconvert's
  ``HTMLExporter.sanitize_html`` with :func:`clean_html` as its filter, and
  :class:`SanitizeFeedback` covers what nbgrader's feedback template leaves unsanitized.
"""

from __future__ import annotations

import html
from typing import Any

import bleach
from nbconvert.filters.markdown_mistune import markdown2html_mistune
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
_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span", "pre", "code"),
    *("a", "abbr", "b", "i", "u", "s", "em", "strong", "del", "mark", "small", "sub", "sup"),
    *("kbd", "samp", "tt", "var", "q", "blockquote", "ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
    *("img", "figure", "figcaption", "details", "summary"),
}
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


class SanitizeFeedback(Preprocessor):
    """What nbgrader's feedback template shows unsanitized, made safe (after GetGrades).

    The template renders Markdown cells without nbconvert's sanitizer and puts each
    cell's ``grade_id`` into the page as it is, so a learner's ``<script>`` in a Markdown
    cell, or in the ``grade_id`` of a cell they added, would run in the feedback page.
    Markdown cells whose HTML the sanitizer would change become raw HTML cells holding it
    sanitized (the course's own cells are untouched); grade ids are HTML-escaped.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and "grade_id" in meta:
            meta["grade_id"] = html.escape(str(meta["grade_id"]))
        if cell.cell_type == "markdown":
            rendered = markdown2html_mistune(cell.source)
            safe = clean_html(rendered)
            if safe != rendered:
                cell.cell_type = "raw"
                cell.metadata["raw_mimetype"] = "text/html"
                cell.source = f'<div class="text_cell_render rendered_html">{safe}</div>'
        return cell, resources
