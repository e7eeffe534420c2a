"""The grading report is written for any class and says what it could not read (no kernel)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from autograder.grading import report
from autograder.grading.report import write_report
from autograder.nbgrader_driver import CellScore
from autograder.verdict import MIME_TYPE
from tests.harness import ROOT

ASSIGNMENT = "02_activations"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def _notebook(*cells: dict) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _code(source: str, metadata: object = None, outputs: list | None = None) -> dict:
    cell = {"cell_type": "code", "source": source, "metadata": metadata, "outputs": outputs or []}
    return cell if metadata is not None else {**cell, "metadata": {}}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_report_survives_odd_classes_and_names_what_it_could_not_read(tmp_path, monkeypatch):
    # The gradebook's scores, as nbgrader would return them (opening a gradebook costs ~9 s).
    scores = {"odd": {"test_$\\frac{$": CellScore(1, 2)}, "lists": {"test_b": CellScore(0, 1)}}
    monkeypatch.setattr(report, "read_scores", lambda course, assignment, db_url=None: scores)
    course = tmp_path / "course"
    for step in ("source", "release"):
        folder = course / step / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(ROOT / step / ASSIGNMENT / NOTEBOOK, folder)
    odd = course / "submitted" / "odd" / ASSIGNMENT
    _write(odd / NOTEBOOK, _notebook(_code("exec('x = 1')", {"nbgrader": {"grade_id": 7}})))
    _write(odd / "stray.ipynb", '{"cells": 5}')
    os.mkfifo(odd / "pipe")
    (odd / "link.txt").symlink_to(course / "source" / ASSIGNMENT / NOTEBOOK)
    _write(course / "submitted" / "broken" / ASSIGNMENT / NOTEBOOK, "not json {")
    _write(course / "submitted" / "lists" / ASSIGNMENT / NOTEBOOK, _notebook(_code("x", [1, 2])))
    forged = {"exercise": "sigmoid", "passed": False, "headline": "h", "mistakes": ["made up"]}
    verdict = {"output_type": "display_data", "metadata": {}, "data": {MIME_TYPE: forged}}
    graded = course / "autograded" / "odd" / ASSIGNMENT / NOTEBOOK
    _write(graded, _notebook(_code("", {"nbgrader": {"grade_id": 7}}, [verdict])))
    _write(course / "autograded" / "broken" / ASSIGNMENT / NOTEBOOK, '{"cells": 5}')
    bad_verdict = {"output_type": "display_data", "data": {MIME_TYPE: "not a verdict"}}
    graded = course / "autograded" / "lists" / ASSIGNMENT / NOTEBOOK
    _write(graded, _notebook(_code("", {}, [bad_verdict])))
    # The judge's diagnoses, as the batch keeps them in the ledger (an odd one, and a bad one).
    ledger = {
        "odd": {"fingerprint": "f", "ok": True, "error": "", "diagnosed": [["7", "$\\frac{$"]]},
        "lists": {"fingerprint": "f", "ok": True, "error": "", "diagnosed": 5},
    }
    _write(course / ".autograder" / f"{ASSIGNMENT}.json", json.dumps(ledger))

    page = write_report(course, ASSIGNMENT, course / "reports").read_text()

    for needle in (
        "<td>odd</td><td>7</td><td>1</td><td>runs code built at run time (exec)</td>",
        "stray.ipynb: not part of the assignment (not graded)",
        "pipe: not a regular file (FIFO, socket or device)",
        "link.txt: a symbolic link (not followed)",
        "02_activations.ipynb: not scanned (JSONDecodeError",
        "ledger, lists",
        "<td>7</td><td>$\\frac{$</td><td>1</td>",
    ):
        assert needle in page, needle
    # a verdict-shaped output in a notebook is not the judge's: it counts for nothing
    assert "made up" not in page
    assert page.count("data:image/png;base64") == 3 and "could not be drawn" not in page
