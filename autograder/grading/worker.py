"""A grading worker: grades one submission at a time, from data, in a private course of its own.

Runs inside a Dask worker (:mod:`autograder.grading.cluster`). :class:`GradingPlugin`
warms the worker once: it starts the sandboxed fork servers kernels are forked from and
imports TensorFlow for the judge. :func:`grade_submission` is the task: it unpacks the
assignment's :class:`~autograder.grading.package.Package` into a private course (once per
package), stages the submission's files there, autogrades them with nbgrader's own API and
preprocessors (execution swapped for :class:`ResilientExecute`), writes feedback, and
returns the autograded and feedback folders as bytes in a :class:`Graded`. The instructor's
machine records them (:mod:`autograder.grading.record`); the worker never sees its course.
"""

from __future__ import annotations

import functools
import gc
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from distributed import WorkerPlugin
from traitlets.config import Config

from autograder.grading import intake
from autograder.grading.package import Package, unpack
from autograder.grading.settings import Options
from autograder.layout import CourseLayout

#: what a worker reads back from the folders nbgrader wrote (the notebook and the staged files)
RESULT_LIMITS = intake.Limits(files=1000, file_bytes=200 * 2**20, total_bytes=400 * 2**20)


@dataclass
class Graded:
    """One graded submission, as data: what the instructor's machine records."""

    student: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    #: autograded/<student>/<assignment>/'s files: relative path → content
    autograded: dict[str, bytes] = field(default_factory=dict)
    #: feedback/<student>/<assignment>/'s files
    feedback: dict[str, bytes] = field(default_factory=dict)
    #: (exercise, diagnosis) of each mistake the judge diagnosed in a judged test cell
    diagnosed: list[tuple[str, str]] = field(default_factory=list)


def nbgrader_config(course_root: Path, options: Options) -> Config:
    """A private course's nbgrader_config.py, with the run's settings on top."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from autograder.grading.execute import ResilientExecute
    from autograder.grading.feedback import HideHiddenTests
    from autograder.grading.intake import STAGED, PrivateWorkdir
    from autograder.grading.sanitize import (
        BoundFeedback,
        DropEmptyNbgraderMetadata,
        SanitizeFeedback,
        clean_html,
    )

    config = CourseLayout(course_root).config()
    config.CourseDirectory.root = str(course_root)
    config.merge(options.nbgrader_config())
    config.WarmProvisioner.course_root = str(course_root)
    # The private course's own gradebook, whatever the instructor's course uses.
    config.CourseDirectory.db_url = f"sqlite:///{CourseLayout(course_root).gradebook}"
    config.Autograde.sanitize_preprocessors = [
        ClearOutput,
        DeduplicateIds,
        DropEmptyNbgraderMetadata,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    # nbgrader reads the grader's staged copy of a submission and the kernel runs in a
    # scratch copy of its own (autograder.grading.intake); feedback HTML is sanitized.
    config.CourseDirectory.submitted_directory = STAGED
    config.PrivateWorkdir.course_root = str(course_root)
    config.HTMLExporter.sanitize_html = True
    config.HTMLExporter.filters = {"clean_html": clean_html}
    config.Autograde.autograde_preprocessors = [
        PrivateWorkdir,
        ResilientExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    config.GenerateFeedback.preprocessors = [
        BoundFeedback,
        HideHiddenTests,
        GetGrades,
        SanitizeFeedback,
        CSSHTMLHeaderPreprocessor,
    ]
    return config


def alembic_head() -> str:
    """The gradebook schema's revision, as `alembic heads` prints it for nbgrader's scripts."""
    import nbgrader
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


def _speed_up_nbgrader() -> None:
    """nbgrader runs `alembic heads` when it creates a gradebook, as each private course does:
    a Python process that imports nbgrader, 3 s of a worker's first submission. Read here."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = functools.cache(alembic_head)


class Warmth:
    """This worker process's warm state, made once by a thread that lives as long as it does.

    Fork servers die with the thread that started them (``PR_SET_PDEATHSIG``): Dask's task
    threads may come and go, so this thread starts them and then stays.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, isolate: bool) -> None:
        """Begin warming (once); returns at once."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._warm, args=(isolate,), name="autograder-warm", daemon=True
                )
                self._thread.start()

    def _warm(self, isolate: bool) -> None:
        try:
            from autograder.grading import kernels
            from autograder.nbgrader_run import put_interpreter_on_path
            from autograder.quiet import import_tensorflow

            put_interpreter_on_path()
            _speed_up_nbgrader()
            kernels.warm_up(isolate=isolate)
            kernels.warm_up("numpy", isolate=isolate)  # NumPy exercises are judged there
            import_tensorflow()  # the judge's references
            gc.freeze()  # TensorFlow's objects live as long as the worker: keep GC off them
        except BaseException as error:  # noqa: BLE001  (reported by every task instead)
            self._error = error
        finally:
            self._ready.set()
        threading.Event().wait()  # keep the fork servers' parent thread alive

    def wait(self, isolate: bool) -> None:
        """Block until warm; raise what stopped the warming, if anything did."""
        self.start(isolate)
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"the grading worker could not warm up: {self._error!r}")


WARMTH = Warmth()


def _redirect_output(log: Path) -> None:
    """Send this process's stdout and stderr (Python's and native) to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for target in (1, 2):
        os.dup2(fd, target)
    os.close(fd)


class GradingPlugin(WorkerPlugin):
    """Registered by ``autograder grade`` on every worker of the cluster, new ones included."""

    name = "autograder-grading"

    def __init__(self, isolate: bool = Options.isolate, log_folder: str = "") -> None:
        self.isolate = isolate
        #: a local cluster's workers log into the course's log folder; others keep their own
        self.log_folder = log_folder

    def setup(self, worker) -> None:
        if self.log_folder:
            _redirect_output(Path(self.log_folder) / f"worker-{worker.name}.log")
        WARMTH.start(self.isolate)


class PrivateCourse:
    """A course directory of the worker's own, holding one package."""

    def __init__(self, package: Package, root: Path) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        unpack(package, root)
        self.root, self.assignment, self.options = root, package.assignment, package.options
        config = nbgrader_config(root, package.options)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def grade(self, student: str, files: dict[str, bytes]) -> Graded:
        """Autograde one submission's files; return what nbgrader wrote, as data."""
        started = time.perf_counter()
        layout = CourseLayout(self.root)
        from autograder.grading.execute import DIAGNOSED

        intake.stage(self.root, self.assignment, student, files)
        DIAGNOSED.pop(student, None)
        try:
            result = self.api.autograde(self.assignment, student, force=True, create=True)
            graded = Graded(student, bool(result["success"]), _last_error(result))
            graded.diagnosed = DIAGNOSED.pop(student, [])
            if graded.ok and self.options.feedback:
                made = self.api.generate_feedback(self.assignment, student, force=True)
                if made["success"]:
                    graded.feedback = self._read(layout.feedback, student)
            if graded.ok:
                graded.autograded = self._read(layout.autograded, student)
        finally:
            intake.finish(self.root, self.assignment, student)
        graded.seconds = round(time.perf_counter() - started, 2)
        return graded

    def _read(self, step: Path, student: str) -> dict[str, bytes]:
        relative = Path(student, self.assignment)
        return intake.read_submission(step, relative, RESULT_LIMITS).files


_COURSES: dict[str, PrivateCourse] = {}


def _private_course(package: Package) -> PrivateCourse:
    """This worker's private course for ``package``, made on first use in its local folder."""
    from distributed import get_worker

    if package.key not in _COURSES:
        try:
            base = get_worker().local_directory
        except ValueError:  # not in a Dask worker
            base = tempfile.gettempdir()
        root = Path(tempfile.mkdtemp(prefix="autograder-course-", dir=base)) / "course"
        _COURSES[package.key] = PrivateCourse(package, root)
    return _COURSES[package.key]


def grade_submission(package: Package, student: str, files: dict[str, bytes]) -> Graded:
    """The task: grade one student's submitted files (this worker warms up on its first)."""
    from autograder.registry import course_secret

    WARMTH.wait(package.options.isolate)
    with course_secret(package.secret):
        return _private_course(package).grade(student, files)


def _last_error(result: dict) -> str:
    """The most telling line of an nbgrader failure, for the instructor's summary."""
    if result.get("success"):
        return ""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for marker in ("Error:", "Exception:", "ERROR"):
        hits = [ln for ln in lines if marker in ln and "Traceback" not in ln]
        if hits:
            return hits[-1][:300]
    return lines[-1][:300] if lines else "nbgrader failed without a message"
