"""One HTML page per assignment for the instructor: distributions, pass rates, mistakes, flags."""

from __future__ import annotations

import base64
import collections
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder.grading.ledger import Ledger  # noqa: E402
from autograder.grading.scan import Flag, scan_notebook  # noqa: E402
from autograder.layout import CourseLayout  # noqa: E402
from autograder.nbgrader_run import CellScore, read_scores  # noqa: E402
from autograder.verdict import verdicts_of  # noqa: E402


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return (
        f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'
    )


def diagnosed_mistakes(course_root: Path, assignment: str) -> collections.Counter[tuple[str, str]]:
    """(exercise, diagnosis) → how many autograded submissions show it (read from the verdicts)."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in CourseLayout(course_root).autograded.glob(f"*/{assignment}/*.ipynb"):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            for verdict in verdicts_of(cell):
                found = list(verdict.mistakes)
                if verdict.kind == "tensorflow_ops":
                    found.append("called TensorFlow inside a NumPy reimplementation")
                for diagnosis in dict.fromkeys(found):
                    counts[(grade_id.removeprefix("test_"), diagnosis)] += 1
    return counts


def _score_plots(scores: dict[str, dict[str, CellScore]]) -> tuple[str, str]:
    totals = [sum(c.score for c in s.values()) for s in scores.values()]
    possible = max((sum(c.max_score for c in s.values()) for s in scores.values()), default=1)
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.hist(totals, bins=min(20, int(possible) + 1), range=(0, possible), color="#4C72B0")
    axis.set(xlabel="points", ylabel="submissions", title="Score distribution")
    axis.yaxis.get_major_locator().set_params(integer=True)
    distribution = _png(figure)
    cells = list(next(iter(scores.values())).keys()) if scores else []
    rates = [
        sum(s[c].score == s[c].max_score for s in scores.values() if c in s) / len(scores)
        for c in cells
    ]
    figure, axis = plt.subplots(figsize=(6, 0.3 * len(cells) + 1))
    axis.barh([c.removeprefix("test_") for c in cells], rates, color="#55A868")
    axis.invert_yaxis()
    axis.set(xlim=(0, 1), xlabel="share with full marks", title="Pass rate per exercise")
    return distribution, _png(figure)


def _mistake_plot(counts: collections.Counter[tuple[str, str]]) -> str:
    top = counts.most_common(10)
    if not top:
        return "<p>No diagnosed mistakes.</p>"
    labels = [
        f"{exercise}: {diagnosis[:40]}…" if len(diagnosis) > 40 else f"{exercise}: {diagnosis}"
        for (exercise, diagnosis), _ in top
    ]
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(top) + 1))
    axis.barh(labels, [n for _, n in top], color="#C44E52")
    axis.invert_yaxis()
    axis.set(xlabel="submissions", title="Most frequent diagnosed mistakes")
    axis.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _rows(items: list[tuple[str, ...]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in items
    )


def write_report(
    course_root: Path, assignment: str, folder: Path, db_url: str | None = None
) -> Path:
    """Write ``<folder>/<assignment>_report.html`` (scores from the gradebook at ``db_url``, by
    default the course's) and return its path."""
    scores = read_scores(course_root, assignment, db_url)
    ledger = Ledger(course_root, assignment)
    failed = [(s, e["error"]) for s, e in sorted(ledger.entries.items()) if not e["ok"]]
    flags: list[tuple[str, Flag]] = [
        (path.parts[-3], flag)
        for path in sorted(CourseLayout(course_root).submitted.glob(f"*/{assignment}/*.ipynb"))
        for flag in scan_notebook(path)
    ]
    distribution, pass_rates = _score_plots(scores) if scores else ("", "")
    mistakes = diagnosed_mistakes(course_root, assignment)
    totals = sorted(sum(c.score for c in s.values()) for s in scores.values())
    summary = (
        f"{len(scores)} graded submissions; median {totals[len(totals) // 2]:g} points"
        if totals
        else "no graded submissions yet"
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{assignment}: grading report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}}
img{{max-width:100%;display:block;margin:1em 0}}</style></head><body>
<h1>{html.escape(assignment)}: grading report</h1><p>{summary}</p>
<h2>Scores</h2>{distribution}{pass_rates}
<h2>Diagnosed mistakes</h2>{_mistake_plot(mistakes)}
<table><tr><th>exercise</th><th>diagnosis</th><th>submissions</th></tr>
{_rows([(e, d, str(n)) for (e, d), n in mistakes.most_common(20)]) or "<tr><td>none</td></tr>"}
</table>
<h2>Submissions that could not be graded</h2>
<table><tr><th>student</th><th>why</th></tr>{_rows(failed) or "<tr><td>none</td></tr>"}</table>
<h2>Flagged for review (static scan of learner cells)</h2>
<table><tr><th>student</th><th>cell</th><th>line</th><th>reason</th></tr>
{_rows([(s, f.cell, str(f.line), f.reason) for s, f in flags]) or "<tr><td>none</td></tr>"}
</table></body></html>"""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}_report.html"
    path.write_text(page, encoding="utf-8")
    return path
