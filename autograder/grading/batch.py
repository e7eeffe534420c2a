"""``autograder grade``: grade a class in parallel, incrementally, without stopping on bad work."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autograder.grading import sandbox
from autograder.grading.kernels import die_with_parent
from autograder.grading.ledger import Ledger, fingerprint
from autograder.grading.settings import Options
from autograder.layout import CourseLayout

__all__ = ["BatchResult", "Options", "Outcome", "grade", "print_summary", "submissions"]


@dataclass
class Outcome:
    """How one submission went."""

    student: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    #: what the grader did not read from the learner's folder (see grading.intake)
    left_out: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    """The whole run, for the summary."""

    assignment: str
    graded: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""
    interrupted: bool = False
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.graded if not o.ok]


class WorkerProcess:
    """One `python -m autograder.grading.worker`, asked for one student at a time."""

    def __init__(self, course_root: Path, assignment: str, options: Options, log: Path) -> None:
        self._command = [
            sys.executable,
            "-m",
            "autograder.grading.worker",
            "--course-dir",
            str(course_root),
            "--assignment",
            assignment,
            "--options",
            options.to_json(),
        ]
        self._log = log
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._log.parent.mkdir(parents=True, exist_ok=True)
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log.open("a"),
                text=True,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        return self._process

    def grade(self, student: str) -> Outcome:
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps({"student": student}) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.stop()
            return Outcome(student, False, f"grading worker crashed (see {self._log})")
        reply = json.loads(line)
        return Outcome(
            student,
            reply["ok"],
            reply.get("error", ""),
            reply.get("seconds", 0.0),
            reply.get("left_out", []),
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, 9)
            self._process.wait()


def submissions(course_root: Path, assignment: str) -> dict[str, Path]:
    """Student id → submitted folder, for every submission of the assignment."""
    folder = CourseLayout(course_root).submitted
    if not folder.is_dir():
        return {}
    return {
        path.parent.name: path
        for path in sorted(folder.glob(f"*/{assignment}"))
        if path.is_dir() and not path.parent.name.startswith(".")
    }


def _check_assignment(course_root: Path, assignment: str, db_url: str | None) -> None:
    """The assignment must be in the gradebook; its students are added to it now, once.

    Adding them before the workers start keeps runs of other chapters, grading the same
    students at the same time into one database, from racing to add the same student.
    """
    from nbgrader.api import InvalidEntry, MissingEntry

    from autograder.nbgrader_run import open_gradebook

    with open_gradebook(course_root, db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(
                f"{assignment} is not in the gradebook: run "
                f"`nbgrader generate_assignment {assignment}` first"
            ) from None
        known = {student.id for student in gradebook.students}
        for student in submissions(course_root, assignment).keys() - known:
            with contextlib.suppress(InvalidEntry):  # just added by a concurrent run
                gradebook.add_student(student)


def grade(
    course_root: Path, assignment: str, options: Options, console: Console | None = None
) -> BatchResult:
    """Autograde every new or changed submission of ``assignment``; never stop on one."""
    console = console or Console()
    result = BatchResult(assignment)
    started = time.perf_counter()
    _check_assignment(course_root, assignment, options.db_url)
    if options.isolate:
        reason = sandbox.isolation_available()
        if reason:
            console.print(f"[yellow]warning: kernels run without isolation ({reason})[/yellow]")
            options = dataclasses.replace(options, isolate=False)
    result.isolation = sandbox.DESCRIPTION if options.isolate else "no isolation"

    layout = CourseLayout(course_root)
    ledger = Ledger(course_root, assignment)
    source = layout.source_notebook(assignment)
    todo: dict[str, str] = {}
    expected = {p.name for p in source.parent.glob("*.ipynb")}
    for student, folder in submissions(course_root, assignment).items():
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

    pending: queue.Queue[str] = queue.Queue()
    for student in todo:
        pending.put(student)
    done: queue.Queue[Outcome] = queue.Queue()
    count = min(options.workers, len(todo)) or 1
    workers = [
        WorkerProcess(course_root, assignment, options, layout.logs / f"worker{i}.log")
        for i in range(count)
    ]

    def serve(worker: WorkerProcess) -> None:
        while True:
            try:
                student = pending.get_nowait()
            except queue.Empty:
                return
            done.put(worker.grade(student))

    threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in workers]
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TextColumn("{task.elapsed:.0f}s"),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"grading {assignment}", total=len(todo))
            for thread in threads:
                thread.start()
            while len(result.graded) < len(todo):
                try:
                    outcome = done.get(timeout=0.5)
                except queue.Empty:
                    if not any(t.is_alive() for t in threads) and done.empty():
                        break
                    continue
                ledger.record(outcome.student, todo[outcome.student], outcome.ok, outcome.error)
                result.graded.append(outcome)
                if outcome.left_out:
                    earlier = result.warnings.get(outcome.student)
                    note = "not read: " + "; ".join(outcome.left_out)
                    result.warnings[outcome.student] = f"{earlier}; {note}" if earlier else note
                progress.advance(task)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        for worker in workers:
            worker.stop()
    result.seconds = time.perf_counter() - started
    return result


def print_summary(result: BatchResult, console: Console) -> None:
    """Graded, failed and why, skipped, time taken."""
    ok = len(result.graded) - len(result.failed)
    rate = len(result.graded) / result.seconds * 60 if result.seconds else 0.0
    console.print(
        f"[bold]{result.assignment}[/bold]: {ok} graded, {len(result.failed)} failed, "
        f"{len(result.skipped)} unchanged (skipped) in {result.seconds:.0f} s "
        f"({rate:.1f} submissions/min; {result.isolation})"
    )
    for outcome in result.failed:
        console.print(f"  [red]failed[/red] {outcome.student}: {outcome.error}")
    for student, warning in sorted(result.warnings.items()):
        console.print(f"  [yellow]warning[/yellow] {student}: {warning}")
    if result.interrupted:
        console.print(
            "[yellow]interrupted: run the same command again to finish the batch[/yellow]"
        )
