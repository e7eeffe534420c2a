"""Where a grading worker puts a submission for nbgrader, and where learner code runs.

A worker receives a submission's files as data (read by
:func:`autograder.grading.folders.read_folder` on the instructor's machine) and writes them
into a staging folder of its private course (:func:`stage`): that is what nbgrader
autogrades (``CourseDirectory.submitted_directory`` is :data:`STAGED`). Learner code runs in
a scratch folder of its own (:func:`scratch_folder`, filled by
:class:`~autograder.grading.preprocessors.private_workdir.PrivateWorkdir`); :func:`finish`
drops everything grading the submission left.
"""

from __future__ import annotations

from pathlib import Path

from autograder.grading.folders import remove, write_files
from autograder.layout import CourseLayout

#: nbgrader's ``submitted_directory`` while the worker grades: the staged copies
STAGED = ".autograder/intake"


def scratch_folder(course_root: Path, assignment: str, student: str) -> Path:
    """Where the kernel grading this submission runs (as deep in the course as autograded/)."""
    return CourseLayout(course_root).grader_state / f"scratch-{assignment}" / student


def _own_folders(course_root: Path, assignment: str, student: str) -> list[Path]:
    layout = CourseLayout(course_root)
    return [
        course_root / STAGED / student / assignment,
        layout.student_folder("autograded", student, assignment),
        layout.student_folder("feedback", student, assignment),
        scratch_folder(course_root, assignment, student),
    ]


def stage(course_root: Path, assignment: str, student: str, files: dict[str, bytes]) -> None:
    """Stage a submission's files (read by :func:`~autograder.grading.folders.read_folder`)
    for nbgrader to autograde.

    Also clears the submission's autograded/ and feedback/ folders and scratch folder
    without following links, so that nbgrader's own clean-up walks nothing planted.
    """
    for folder in _own_folders(course_root, assignment, student)[1:]:
        remove(folder)
    write_files(files, course_root / STAGED / student / assignment)


def finish(course_root: Path, assignment: str, student: str) -> None:
    """Drop everything grading this submission left: staged copy, outputs, scratch folder."""
    for folder in _own_folders(course_root, assignment, student):
        remove(folder)
