"""Feedback without the hidden tests (nbgrader issue 917).

nbgrader's feedback HTML shows test cells as they ran, hidden tests included, and
their tracebacks quote the hidden code. Before the HTML is made, this preprocessor
replaces each hidden block by a one-line note, reduces tracebacks of test cells to
the checker's message and drops the machine-readable verdict outputs (the report's
data), so learners keep the verdicts and the messages as text. Learner code can also
print what the kernel ran (an IPython hook echoing each cell, say): every line of hidden
test code is blanked out of every output too.
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode, from_dict
from traitlets import Bool

from autograder.cells import nbgrader_meta
from autograder.verdict import is_verdict_output

_HIDDEN = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
    re.DOTALL | re.MULTILINE,
)
NOTE = "# (hidden tests ran here; their code is not shown)\n"


ECHO = "(hidden test)"


def hide_hidden_tests(source: str) -> str:
    """The cell's source with every hidden-test block replaced by a note."""
    return _HIDDEN.sub(NOTE, source)


def hidden_lines(notebook: NotebookNode) -> tuple[str, ...]:
    """Every line of hidden test code in the notebook (8 characters or more), longest first."""
    lines = {
        line.strip()
        for cell in notebook.cells
        for block in _HIDDEN.findall(cell.get("source", ""))
        for line in block.splitlines()[1:-1]
        if len(line.strip()) >= 8
    }
    return tuple(sorted(lines, key=len, reverse=True))


def _scrub(value: Any, lines: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for line in lines:
            value = value.replace(line, ECHO)
        return value
    if isinstance(value, list):
        return [_scrub(item, lines) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, lines) for key, item in value.items()}
    return value


class HideHiddenTests(Preprocessor):
    """Strip hidden test code and test-cell tracebacks from notebooks before feedback."""

    enabled = Bool(True).tag(config=True)  # nbconvert registers preprocessor classes disabled
    _hidden: tuple[str, ...] = ()

    def preprocess(self, nb: NotebookNode, resources: Any):
        self._hidden = hidden_lines(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        is_test = nbgrader_meta(cell).get("grade", False)
        if "BEGIN HIDDEN TESTS" in cell.source:
            cell.source = hide_hidden_tests(cell.source)
            is_test = True
        cell.outputs = [
            output for output in cell.get("outputs", []) if not is_verdict_output(output)
        ]
        if is_test:
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        cell.outputs = [from_dict(_scrub(output, self._hidden)) for output in cell.outputs]
        return cell, resources
