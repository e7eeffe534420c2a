"""What nbgrader's feedback template shows unsanitized, made safe."""

from __future__ import annotations

import html
import re
from typing import Any

from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from autograder.cells import nbgrader_meta
from autograder.grading.sanitize import TagBudget, as_text, clean_html

#: an HTML comment that holds no markup (the course's ``<!-- quoted -->`` markers): the
#: sanitizer drops comments, and one without ``<`` or ``>`` inside hides nothing
_INERT_COMMENT = re.compile(r"<!--(?![->])[^<>]*-->")


class SanitizeFeedback(Preprocessor):
    """What nbgrader's feedback template shows unsanitized, made safe (after GetGrades).

    The template renders Markdown cells without nbconvert's sanitizer and puts each
    cell's ``grade_id`` into the page as it is, so a learner's ``<script>`` in a Markdown
    cell, or in the ``grade_id`` of a cell they added, would run in the feedback page.
    Markdown cells whose HTML the sanitizer would change become raw HTML cells holding it
    sanitized (the course's own cells are untouched); grade ids are HTML-escaped. Markdown
    whose HTML has more tags than the cell's or the page's share (:class:`TagBudget`) is
    shown as text instead, so that the sanitizer's cost stays bounded by the page's size.
    """

    enabled = Bool(True).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tags = TagBudget()

    def preprocess(self, nb: NotebookNode, resources: Any):
        self._tags = TagBudget()
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        meta = nbgrader_meta(cell)
        if isinstance(meta, dict) and "grade_id" in meta:
            meta["grade_id"] = html.escape(str(meta["grade_id"]))
        if cell.cell_type == "markdown":
            rendered = markdown2html_mistune(cell.source)
            if not self._tags.take(rendered):
                cell.cell_type = "raw"
                cell.metadata["raw_mimetype"] = "text/html"
                cell.source = as_text(cell.source)
                return cell, resources
            safe = clean_html(rendered)
            if safe != _INERT_COMMENT.sub("", rendered):
                cell.cell_type = "raw"
                cell.metadata["raw_mimetype"] = "text/html"
                cell.source = f'<div class="text_cell_render rendered_html">{safe}</div>'
        return cell, resources
