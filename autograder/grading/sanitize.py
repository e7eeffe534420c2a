"""What feedback pages may show of learners' HTML: nbconvert's sanitizer, bounded.

Feedback HTML shows learners' outputs and Markdown: the worker turns on nbconvert's
``HTMLExporter.sanitize_html`` with :func:`clean_html` as its filter (see
:mod:`autograder.grading.configuration`), and the feedback preprocessors
:class:`~autograder.grading.preprocessors.bound_feedback.BoundFeedback` and
:class:`~autograder.grading.preprocessors.sanitize_feedback.SanitizeFeedback` keep the
sanitizer's work within each page's share (:class:`TagBudget`).
"""

from __future__ import annotations

import html

import bleach

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


def _tags(text: str) -> int:
    return text.count("<")


def as_text(text: str) -> str:
    """``text`` shown as it is, inside a raw HTML cell (escaping is linear in its length)."""
    return f'<div class="text_cell_render rendered_html"><pre>{html.escape(text)}</pre></div>'


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
