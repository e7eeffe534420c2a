"""One HTML page per assignment for the instructor: distributions, pass rates, mistakes, flags.

The page is written for any class, whatever its folders hold: learners' files are read
through :mod:`autograder.grading.folders` (no link followed, sizes bounded), anything that
cannot be read or parsed (a stray notebook, odd metadata, a plot matplotlib cannot draw)
is listed under "Not read" with the reason instead of stopping the report, and every
text on the page is escaped (nothing from a notebook is rendered as HTML).
"""

from __future__ import annotations

import base64
import collections
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder.grading.folders import read_folder  # noqa: E402
from autograder.grading.ledger import Ledger  # noqa: E402
from autograder.grading.scan import Flag, scan_text  # noqa: E402
from autograder.layout import CourseLayout  # noqa: E402
from autograder.nbgrader_driver import CellScore, read_scores  # noqa: E402

#: (where, why): what the report could not read
Unread = list[tuple[str, str]]
#: labels are learners' text: never parse them as mathtext
_PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    finally:
        plt.close(figure)
    return (
        f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'
    )


def diagnosed_mistakes(
    course_root: Path, assignment: str, unread: Unread | None = None
) -> collections.Counter[tuple[str, str]]:
    """(exercise, diagnosis) → how many graded submissions show it.

    Only the judge's verdicts of judged test cells count, as the grading worker returned
    them (kept in the ledger): nothing a learner's cell printed, whatever it looks like.
    An entry that cannot be read is skipped and noted in ``unread``.
    """
    unread = [] if unread is None else unread
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for student, entry in sorted(Ledger(course_root, assignment).entries.items()):
        try:
            if not entry.get("ok"):
                continue
            found = {
                (str(exercise), str(diagnosis))
                for exercise, diagnosis in entry.get("diagnosed", [])
            }
        except (AttributeError, TypeError, ValueError) as error:
            unread.append((f"ledger, {student}", f"diagnoses not readable ({_why(error)})"))
            continue
        counts.update(found)
    return counts


def _plot(draw, unread: Unread, what: str) -> str:
    """The figure ``draw()`` makes, as an <img>; a note instead if matplotlib cannot draw it."""
    try:
        with plt.rc_context(_PLAIN_TEXT):
            return _png(draw())
    except Exception as error:  # any learner text matplotlib chokes on must not stop the page
        unread.append((f"plot: {what}", _why(error)))
        return f"<p>({html.escape(what)} could not be drawn: {html.escape(_why(error))})</p>"


def _distribution(scores: dict[str, dict[str, CellScore]]) -> plt.Figure:
    totals = [sum(c.score for c in s.values()) for s in scores.values()]
    possible = max((sum(c.max_score for c in s.values()) for s in scores.values()), default=1)
    possible = max(possible, 1)
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.hist(totals, bins=min(20, int(possible) + 1), range=(0, possible), color="#4C72B0")
    axis.set(xlabel="points", ylabel="submissions", title="Score distribution")
    axis.yaxis.get_major_locator().set_params(integer=True)
    return figure


def _pass_rates(scores: dict[str, dict[str, CellScore]]) -> plt.Figure:
    cells = list(dict.fromkeys(c for s in scores.values() for c in s))
    rates = [
        sum(s[c].score == s[c].max_score for s in scores.values() if c in s) / len(scores)
        for c in cells
    ]
    figure, axis = plt.subplots(figsize=(6, 0.3 * len(cells) + 1))
    axis.barh([c.removeprefix("test_") for c in cells], rates, color="#55A868")
    axis.invert_yaxis()
    axis.set(xlim=(0, 1), xlabel="share with full marks", title="Pass rate per exercise")
    return figure


def _mistakes(top: list[tuple[tuple[str, str], int]]) -> plt.Figure:
    labels = [
        f"{exercise[:30]}: {diagnosis[:40]}…" if len(diagnosis) > 40 else f"{exercise}: {diagnosis}"
        for (exercise, diagnosis), _ in top
    ]
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(top) + 1))
    axis.barh(labels, [n for _, n in top], color="#C44E52")
    axis.invert_yaxis()
    axis.set(xlabel="submissions", title="Most frequent diagnosed mistakes")
    axis.xaxis.get_major_locator().set_params(integer=True)
    return figure


def _rows(items: list[tuple[object, ...]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in items
    )


def _table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    return f"<table><tr>{head}</tr>{_rows(rows) or '<tr><td>none</td></tr>'}</table>"


def scan_submissions(course_root: Path, assignment: str, unread: Unread) -> list[tuple[str, Flag]]:
    """(student, flag) for what each learner wrote in the assignment's notebooks.

    Reads each submitted folder with :func:`~autograder.grading.folders.read_folder` (no link
    followed, sizes bounded); what it leaves out, stray notebooks and notebooks that are not
    notebooks go to ``unread``.
    """
    layout = CourseLayout(course_root)
    graded = sorted(p.name for p in layout.source_notebook(assignment).parent.glob("*.ipynb"))
    release = layout.release_notebook(assignment)
    try:
        released = release.read_text(encoding="utf-8")
    except OSError as error:
        unread.append((f"release/{assignment}", _why(error)))
        released = None
    flags = []
    students = sorted(p.parent.name for p in layout.submitted.glob(f"*/{assignment}"))
    for student in students:
        read = read_folder(layout.submitted, Path(student, assignment))
        unread += [(student, note) for note in read.skipped]
        for name in read.files:
            if name.endswith(".ipynb") and "/" not in name and name not in graded:
                unread.append((student, f"{name}: not part of the assignment (not graded)"))
        for name in graded:
            if name not in read.files:
                continue
            try:
                found = scan_text(read.files[name].decode("utf-8"), released)
            except Exception as error:  # whatever a learner's file holds, the report goes on
                unread.append((student, f"{name}: not scanned ({_why(error)})"))
                continue
            flags += [(student, flag) for flag in found]
    return flags


def _scores(
    course_root: Path, assignment: str, db_url: str | None, unread: Unread
) -> dict[str, dict[str, CellScore]]:
    """Every graded submission's scores; none if the gradebook cannot be read (noted)."""
    try:
        return read_scores(course_root, assignment, db_url)
    except Exception as error:  # a gradebook that cannot be read still gets a page saying so
        unread.append(("gradebook", _why(error)))
        return {}


def _score_plots(scores: dict[str, dict[str, CellScore]], unread: Unread) -> str:
    """The score distribution and the pass rates, as <img> elements ('' without scores)."""
    if not scores:
        return ""
    plots = _plot(lambda: _distribution(scores), unread, "score distribution")
    return plots + _plot(lambda: _pass_rates(scores), unread, "pass rates")


def _mistakes_section(mistakes: collections.Counter[tuple[str, str]], unread: Unread) -> str:
    """The most frequent diagnosed mistakes, as a plot and a table."""
    top = mistakes.most_common(10)
    plot = (
        _plot(lambda: _mistakes(top), unread, "diagnosed mistakes")
        if top
        else "<p>No diagnosed mistakes.</p>"
    )
    rows = [(*k, n) for k, n in mistakes.most_common(20)]
    return f"{plot}\n{_table(('exercise', 'diagnosis', 'submissions'), rows)}"


def _summary(scores: dict[str, dict[str, CellScore]]) -> str:
    totals = sorted(sum(c.score for c in s.values()) for s in scores.values())
    if not totals:
        return "no graded submissions yet"
    return f"{len(scores)} graded submissions; median {totals[len(totals) // 2]:g} points"


def _page(
    assignment: str,
    summary: str,
    plots: str,
    mistakes: str,
    failed: list[tuple[object, ...]],
    flags: list[tuple[str, Flag]],
    unread: Unread,
) -> str:
    """The report's HTML: every text escaped, every table from data."""
    title = html.escape(assignment)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{title}: grading report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}}
img{{max-width:100%;display:block;margin:1em 0}}</style></head><body>
<h1>{title}: grading report</h1><p>{html.escape(summary)}</p>
<h2>Scores</h2>{plots}
<h2>Diagnosed mistakes</h2>{mistakes}
<h2>Submissions that could not be graded</h2>
{_table(("student", "why"), failed)}
<h2>Flagged for review (static scan of what learners wrote)</h2>
{_table(("student", "cell", "line", "reason"), [(s, f.cell, f.line, f.reason) for s, f in flags])}
<h2>Not read</h2>
<p>Files and data the grader did not read, or the report could not use, and why.</p>
{_table(("where", "why"), unread)}
</body></html>"""


def write_report(
    course_root: Path, assignment: str, folder: Path, db_url: str | None = None
) -> Path:
    """Write ``<folder>/<assignment>_report.html`` (scores from the gradebook at ``db_url``, by
    default the course's) and return its path."""
    unread: Unread = []
    scores = _scores(course_root, assignment, db_url, unread)
    ledger = Ledger(course_root, assignment)
    failed = [(s, e.get("error", "")) for s, e in sorted(ledger.entries.items()) if not e.get("ok")]
    flags = scan_submissions(course_root, assignment, unread)
    plots = _score_plots(scores, unread)
    mistakes = _mistakes_section(diagnosed_mistakes(course_root, assignment, unread), unread)
    page = _page(assignment, _summary(scores), plots, mistakes, failed, flags, unread)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}_report.html"
    path.write_text(page, encoding="utf-8")
    return path
