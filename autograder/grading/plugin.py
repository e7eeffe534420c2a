"""The Dask side of a grading worker: its plugin, which holds its state, and its task.

``autograder grade`` registers :class:`GradingPlugin` on every worker of the cluster, new
ones included (:mod:`autograder.grading.cluster`). The plugin warms the worker once
(:class:`~autograder.grading.warmup.Warmth`) and keeps its private courses, one per
package (:class:`~autograder.grading.private_course.PrivateCourse`), made on first use in
the worker's local folder; its ``teardown`` releases both. :func:`grade_submission` is the
task: it waits for the warm-up and grades one submission in the package's private course.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from distributed import Worker, WorkerPlugin, get_worker

from autograder.grading.package import Package
from autograder.grading.private_course import Graded, PrivateCourse
from autograder.grading.settings import Options
from autograder.grading.warmup import Warmth


def _redirect_output(log: Path) -> None:
    """Send this process's stdout and stderr (Python's and native) to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for target in (1, 2):
        os.dup2(fd, target)
    os.close(fd)


class GradingPlugin(WorkerPlugin):
    """Registered by ``autograder grade`` on every worker of the cluster, new ones included.

    Registered once per cluster (``idempotent``): a later run on the same cluster finds its
    workers warm and their private courses kept.
    """

    name = "autograder-grading"
    idempotent = True

    def __init__(self, isolate: bool = Options.isolate, log_folder: str = "") -> None:
        self.isolate = isolate
        #: a local cluster's workers log into the course's log folder; others keep their own
        self.log_folder = log_folder

    def setup(self, worker: Worker) -> None:
        """Start warming the worker, with no private course yet."""
        if self.log_folder:
            _redirect_output(Path(self.log_folder) / f"worker-{worker.name}.log")
        self.warmth = Warmth()
        self.courses: dict[str, PrivateCourse] = {}
        self._folders: list[Path] = []
        self._base = worker.local_directory
        self.warmth.start(self.isolate)

    def teardown(self, worker: Worker) -> None:
        """Release the warm-up (its fork servers end) and remove the private courses."""
        from autograder.grading import kernels

        self.warmth.stop()
        kernels.fork_server.cache_clear()
        self.courses.clear()
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)

    def course(self, package: Package) -> PrivateCourse:
        """This worker's private course for ``package``, made on first use."""
        if package.key not in self.courses:
            folder = Path(tempfile.mkdtemp(prefix="autograder-course-", dir=self._base))
            self._folders.append(folder)
            self.courses[package.key] = PrivateCourse(package, folder / "course")
        return self.courses[package.key]


def grade_submission(package: Package, student: str, files: dict[str, bytes]) -> Graded:
    """The task: grade one student's submitted files (this worker warms up on its first)."""
    from autograder.registry import course_secret

    plugin: GradingPlugin = get_worker().plugins[GradingPlugin.name]
    plugin.warmth.wait(package.options.isolate)
    with course_secret(package.secret):
        return plugin.course(package).grade(student, files)
