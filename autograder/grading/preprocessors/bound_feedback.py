"""What a feedback page shows of a submission, bounded first, so that making it costs time
bounded by the page's size, whatever the submission holds."""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from autograder.grading.sanitize import TagBudget

#: characters of one cell's source, of all sources and of all outputs, a feedback page shows
SOURCE_CHARS = 64_000
SOURCE_CHARS_PER_PAGE = 1_000_000
OUTPUT_CHARS_PER_PAGE = 4_000_000
#: output MIME types nbconvert puts into the page as HTML (sanitized)
_HTML_TYPES = ("text/html", "image/svg+xml", "text/markdown")


def _shortened(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {what} shortened by the grader: {len(text):,} characters]\n"


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
