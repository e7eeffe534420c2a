"""Sanitising nbgrader lacks: empty metadata after DeduplicateIds, unsafe HTML in feedback.

- nbgrader's DeduplicateIds strips the nbgrader fields from the second copy of a
  duplicated graded cell but leaves ``{"nbgrader": {}}``, which CheckCellMetadata then
  rejects as schema version 0, failing the whole submission: :class:`DropEmptyNbgraderMetadata`.
- Feedback HTML shows learners' outputs and Markdown: the worker turns on nbconvert's
  ``HTMLExporter.sanitize_html`` with :func:`clean_html` as its filter, and
  :class:`SanitizeFeedback` covers what nbgrader's feedback template leaves unsanitized.
- What a feedback page shows is bounded first (:class:`BoundFeedback`), so that making it
  costs time bounded by the page's size, whatever the submission holds.
"""

from __future__ import annotations

import html
import re
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


#: What one feedback page shows of a submission, at most: the sanitizer's cost grows faster
#: than its input (nested formatting tags: 100 KB of ``<p><a>`` took bleach 70 s), so HTML
#: with more tags than this is shown as text, per cell and per page.
TAGS_PER_CELL = 2_000
TAGS_PER_PAGE = 20_000
#: characters of one cell's source, of all sources and of all outputs, a feedback page shows
SOURCE_CHARS = 64_000
SOURCE_CHARS_PER_PAGE = 1_000_000
OUTPUT_CHARS_PER_PAGE = 4_000_000
#: output MIME types nbconvert puts into the page as HTML (sanitized)
_HTML_TYPES = ("text/html", "image/svg+xml", "text/markdown")


def _tags(text: str) -> int:
    return text.count("<")


def _shortened(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {what} shortened by the grader: {len(text):,} characters]\n"


def _as_text(text: str) -> str:
    """``text`` shown as it is, inside a raw HTML cell (escaping is linear in its length)."""
    return f'<div class="text_cell_render rendered_html"><pre>{html.escape(text)}</pre></div>'


class BoundFeedback(Preprocessor):
    """What a feedback page shows of a submission, bounded (first of the feedback steps, so
    that every later step's cost is bounded too): a cell's source past :data:`SOURCE_CHARS`
    is shortened, sources past :data:`SOURCE_CHARS_PER_PAGE` and outputs past
    :data:`OUTPUT_CHARS_PER_PAGE` are left out with a note; outputs whose HTML has more tags
    than the cell's or the page's share are shown as a note too."""

    enabled = Bool(True).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._new_page()

    def _new_page(self) -> None:
        self._source_left = SOURCE_CHARS_PER_PAGE
        self._output_left = OUTPUT_CHARS_PER_PAGE
        self._tags = TagBudget()

    def preprocess(self, nb: NotebookNode, resources: Any):
        self._new_page()
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        source = _shortened(cell.source, SOURCE_CHARS, "cell")
        if len(source) > self._source_left:
            source = f"[{len(source):,} characters not shown: more than a feedback page shows]\n"
        self._source_left -= len(source)
        cell.source = source
        if cell.cell_type == "code":
            cell.outputs = [self._bounded(output) for output in cell.get("outputs", [])]
        return cell, resources

    def _bounded(self, output: NotebookNode) -> NotebookNode:
        """The output, or a note in its place when it is more than the page's share."""
        data = output.get("data", {})
        size = len(str(output.get("text", ""))) + sum(len(str(v)) for v in data.values())
        html_ok = all(self._tags.take(str(data[kind])) for kind in _HTML_TYPES if kind in data)
        if size <= self._output_left and html_ok:
            self._output_left -= size
            return output
        why = "more HTML tags" if not html_ok else "more output"
        note = f"[output of {size:,} characters not shown: {why} than a feedback page shows]\n"
        return NotebookNode(output_type="stream", name="stdout", text=note)


class TagBudget:
    """The sanitizer's share of one page: :data:`TAGS_PER_CELL` and :data:`TAGS_PER_PAGE`."""

    def __init__(self) -> None:
        self.left = TAGS_PER_PAGE

    def take(self, text: str) -> bool:
        """Whether the sanitizer may read ``text`` (it then counts against the page's share)."""
        tags = _tags(text)
        if tags > min(TAGS_PER_CELL, self.left):
            return False
        self.left -= tags
        return True


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
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and "grade_id" in meta:
            meta["grade_id"] = html.escape(str(meta["grade_id"]))
        if cell.cell_type == "markdown":
            rendered = markdown2html_mistune(cell.source)
            if not self._tags.take(rendered):
                cell.cell_type = "raw"
                cell.metadata["raw_mimetype"] = "text/html"
                cell.source = _as_text(cell.source)
                return cell, resources
            safe = clean_html(rendered)
            if safe != _INERT_COMMENT.sub("", rendered):
                cell.cell_type = "raw"
                cell.metadata["raw_mimetype"] = "text/html"
                cell.source = f'<div class="text_cell_render rendered_html">{safe}</div>'
        return cell, resources
