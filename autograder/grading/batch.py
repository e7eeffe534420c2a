"""``autograder grade``: grade a class in parallel, incrementally, without stopping on bad work.

The instructor's machine reads each submission (:mod:`~autograder.grading.folders`), sends
its files to a grading worker on a Dask cluster (:mod:`~autograder.grading.cluster`), and
records what comes back (:mod:`~autograder.grading.record`) and in the ledger, one
submission at a time as they finish.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from distributed import KilledWorker
from nbgrader.coursedir import CourseDirectory
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autograder.grading import cluster, sandbox
from autograder.grading.folders import FolderFiles, read_folder
from autograder.grading.ledger import Ledger, fingerprint
from autograder.grading.package import pack
from autograder.grading.plugin import grade_submission
from autograder.grading.private_course import Graded
from autograder.grading.record import Recorder
from autograder.grading.settings import Options
from autograder.layout import CourseLayout

__all__ = ["BatchResult", "Options", "Outcome", "grade", "print_summary", "submitted_folders"]


@dataclass
class Outcome:
    """How one submission went."""

    student: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    #: what the grader did not read from the learner's folder (see grading.folders)
    left_out: list[str] = field(default_factory=list)
    #: (exercise, diagnosis) of each mistake the judge diagnosed
    #: (see grading.preprocessors.resilient_execute)
    diagnosed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class BatchResult:
    """The whole run, for the summary."""

    assignment: str
    graded: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""
    #: where it ran: "local cluster of N workers" or the scheduler's address and worker count
    engine: str = ""
    interrupted: bool = False
    #: what bounds each kernel's processes, memory and CPU share (cgroups or rlimits)
    limits: str = ""
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.graded if not o.ok]


def submitted_folders(course_root: Path, assignment: str) -> dict[str, Path]:
    """Student id → submitted folder, for every submission of the assignment."""
    folder = CourseLayout(course_root).submitted
    if not folder.is_dir():
        return {}
    return {
        path.parent.name: path
        for path in sorted(folder.glob(f"*/{assignment}"))
        if path.is_dir() and not path.parent.name.startswith(".")
    }


#: characters a student id may not hold: nbgrader reads submissions with glob patterns built
#: from ids (``submitted/{student_id}/...``), and a control character breaks lines and paths
_UNSAFE_ID = re.compile(r"[][*?\\\x00-\x1f\x7f]")


def refused_id(student: str) -> str:
    """Why ``student`` (a folder name under submitted/) cannot be graded as an id; '' if it can."""
    bad = sorted(set(_UNSAFE_ID.findall(student)))
    if not bad:
        return ""
    shown = " ".join(repr(c) for c in bad)
    return (
        f"refused: the student id {student!r} holds {shown}, which nbgrader reads as glob "
        "patterns or line breaks; rename the folder to the student's id without them "
        "(and in the gradebook or LMS export), then grade again"
    )


def _check_assignment(course_root: Path, assignment: str, db_url: str | None) -> None:
    """The assignment must be in the gradebook; its students are added to it now, once.

    Adding them before the workers start keeps runs of other chapters, grading the same
    students at the same time into one database, from racing to add the same student.
    """
    from nbgrader.api import InvalidEntry, MissingEntry

    from autograder.nbgrader_driver import open_gradebook

    with open_gradebook(course_root, db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(
                f"{assignment} is not in the gradebook: run "
                f"`nbgrader generate_assignment {assignment}` first"
            ) from None
        known = {student.id for student in gradebook.students}
        for student in submitted_folders(course_root, assignment).keys() - known:
            if refused_id(student):
                continue
            with contextlib.suppress(InvalidEntry):  # just added by a concurrent run
                gradebook.add_student(student)


def _ungradable(error: BaseException) -> str:
    if isinstance(error, KilledWorker):
        return (
            f"ungradable: grading it killed {cluster.ALLOWED_FAILURES + 1} grading workers "
            "(see the workers' logs)"
        )
    return f"the grading worker failed: {type(error).__name__}: {error}"[:300]


@contextlib.contextmanager
def _ctrl_c() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (SIGINT), so that the batch stops where it can stop cleanly."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def grade(
    course_root: Path, assignment: str, options: Options, console: Console | None = None
) -> BatchResult:
    """Autograde every new or changed submission of ``assignment``; never stop on one."""
    with _ctrl_c() as stop:
        return _grade(course_root, assignment, options, console or Console(), stop)


def _grade(
    course_root: Path, assignment: str, options: Options, console: Console, stop: threading.Event
) -> BatchResult:
    result = BatchResult(assignment)
    started = time.perf_counter()
    _check_assignment(course_root, assignment, options.db_url)
    ledger = Ledger(course_root, assignment)
    todo = _to_grade(course_root, assignment, options, ledger, result)
    if todo:
        _grade_on_cluster(course_root, assignment, todo, options, ledger, result, console, stop)
    result.seconds = time.perf_counter() - started
    return result


def _to_grade(
    course_root: Path, assignment: str, options: Options, ledger: Ledger, result: BatchResult
) -> dict[str, str]:
    """Student → fingerprint of each new or changed submission; the others go into
    ``result`` (refused ids as failed, unchanged ones as skipped), with missing notebooks
    as warnings."""
    layout = CourseLayout(course_root)
    source = layout.source_notebook(assignment)
    todo: dict[str, str] = {}
    expected = {p.name for p in source.parent.glob("*.ipynb")}
    for student, folder in submitted_folders(course_root, assignment).items():
        if why := refused_id(student):
            result.graded.append(Outcome(student, False, why))
            ledger.record(student, "", False, why)
            continue
        present = {p.name for p in folder.glob("*.ipynb")}
        if expected - present:
            result.warnings[student] = (
                f"no {', '.join(sorted(expected - present))} in the submission "
                f"(found: {', '.join(sorted(present)) or 'no notebook'}): scored zero"
            )
        current = fingerprint(folder, source, layout.nbgrader_config, gradebook=options.db_url)
        if options.force or not ledger.is_current(student, current):
            todo[student] = current
        else:
            result.skipped.append(student)
    return todo


_COLUMNS = (
    TextColumn("[bold]{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TextColumn("elapsed"),
    TextColumn("{task.elapsed:.0f}s"),
    TextColumn("eta"),
    TimeRemainingColumn(),
)


def _grade_on_cluster(
    course_root: Path,
    assignment: str,
    todo: dict[str, str],
    options: Options,
    ledger: Ledger,
    result: BatchResult,
    console: Console,
    stop: threading.Event,
) -> None:
    """Grade the ``todo`` submissions on the cluster, recording each in the course and the
    ledger as it comes back, until done or ``stop`` is set (``result.interrupted``)."""
    layout = CourseLayout(course_root)
    config = layout.config()
    ignore = tuple(CourseDirectory(config=config).ignore)
    gradebook = layout.gradebook_url(options.db_url, lock_timeout=120)
    recorder = Recorder(course_root, assignment, gradebook, config)
    in_flight: dict[str, FolderFiles] = {}

    def jobs() -> Iterator[tuple[str, tuple]]:
        for student in todo:
            read = read_folder(layout.submitted, Path(student, assignment), ignore=ignore)
            in_flight[student] = read
            yield student, (package, student, read.files)

    try:
        with (
            cluster.connect(min(options.workers, len(todo)), options.scheduler) as engine,
            Progress(*_COLUMNS, console=console) as progress,
        ):
            options = _prepare(engine, options, result, console, layout.logs)
            package = pack(course_root, assignment, options)
            task = progress.add_task(f"grading {assignment}", total=len(todo))
            window = 2 * max(engine.workers, 1)
            for student, graded in cluster.feed(engine, grade_submission, jobs(), window, stop):
                outcome = _outcome(student, graded, in_flight.pop(student), recorder)
                ledger.record(student, todo[student], outcome.ok, outcome.error, outcome.diagnosed)
                _add(result, outcome)
                progress.advance(task)
            if stop.is_set():
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        result.interrupted = True


def _prepare(
    engine: cluster.Engine, options: Options, result: BatchResult, console: Console, logs: Path
) -> Options:
    """Describe the cluster in ``result``, warm its workers; the options to grade with
    (without isolation, with a warning, where the workers' machines cannot isolate)."""
    result.engine = engine.describe()
    if options.isolate and (problems := engine.isolation_problems()):
        where = "; ".join(f"{machine}: {why}" for machine, why in problems.items())
        console.print(f"[yellow]warning: kernels run without isolation ({where})[/yellow]")
        options = dataclasses.replace(options, isolate=False)
    result.isolation = sandbox.DESCRIPTION if options.isolate else "no isolation"
    result.limits = engine.kernel_limits(options.memory_mb)
    engine.warm(options.isolate, logs)
    return options


def _outcome(
    student: str, graded: Graded | BaseException, read: FolderFiles, recorder: Recorder
) -> Outcome:
    """How one submission went, once what the worker returned is recorded in the course."""
    if isinstance(graded, BaseException):
        outcome = Outcome(student, False, _ungradable(graded))
    else:
        outcome = Outcome(student, graded.ok, graded.error, graded.seconds)
        outcome.diagnosed = graded.diagnosed
        try:
            recorder.record(graded, read.files)
        except Exception as error:  # noqa: BLE001  (reported by name; batch goes on)
            outcome.ok, outcome.error = False, f"could not be recorded: {error!r}"
    outcome.left_out = read.skipped
    return outcome


def _add(result: BatchResult, outcome: Outcome) -> None:
    """Count ``outcome`` in ``result``, what was not read among the student's warnings."""
    result.graded.append(outcome)
    if outcome.left_out:
        earlier = result.warnings.get(outcome.student)
        note = "not read: " + "; ".join(outcome.left_out)
        result.warnings[outcome.student] = f"{earlier}; {note}" if earlier else note


def print_summary(result: BatchResult, console: Console) -> None:
    """Graded, failed and why, skipped, time taken."""
    ok = len(result.graded) - len(result.failed)
    rate = len(result.graded) / result.seconds * 60 if result.seconds else 0.0
    where = ", ".join(filter(None, [result.engine, result.isolation, result.limits]))
    console.print(
        f"[bold]{result.assignment}[/bold]: {ok} graded, {len(result.failed)} failed, "
        f"{len(result.skipped)} unchanged (skipped) in {result.seconds:.0f} s "
        f"({rate:.1f} submissions/min; {where})"
    )
    for outcome in result.failed:
        name = repr(outcome.student) if refused_id(outcome.student) else outcome.student
        console.print(f"  [red]failed[/red] {escape(name)}: {escape(outcome.error)}")
    for student, warning in sorted(result.warnings.items()):
        console.print(f"  [yellow]warning[/yellow] {escape(student)}: {escape(warning)}")
    if result.interrupted:
        console.print(
            "[yellow]interrupted: run the same command again to finish the batch[/yellow]"
        )
