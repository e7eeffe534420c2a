"""Shared fixtures: one grading cluster per session, and each chapter's variant corpus graded
once per session on it, reused by many tests.

Under pytest-xdist, a session fixture is computed once per worker process: every test that
reads a chapter's graded corpus carries that chapter's ``xdist_group`` mark (``corpus``) so
that all of them run in one worker and the chapter is graded once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grading.batch import BatchResult
from autograder.grading.cluster import local_cluster
from autograder.variants import Variant, load_variants
from tests.harness import FIXTURES, SAMPLE_CLASS, GradedClass, grade_class, grade_fast
from tests.packing import pack


def chapter_variants(assignment: str) -> list[Variant]:
    """The test fixtures and the demo's sample class for one chapter."""
    return load_variants(FIXTURES / assignment) + load_variants(SAMPLE_CLASS / assignment)


#: Variants named so are compared with plain nbgrader in every run: code written the way
#: learners write it, where the two graders once disagreed (one or more per chapter).
JUPYTER = "jupyter_"


def equivalence_variants(assignment: str) -> list[Variant]:
    """The solution (every cell scores), the blank release (none does) and the chapter's
    ``jupyter_`` variants. What every other variant scores is checked on the fast grader by
    tests/test_chapter_grading.py, and against plain nbgrader by `make equivalence`
    (tests/equivalence.py)."""
    return [
        v
        for v in chapter_variants(assignment)
        if v.name in ("solution", "blank") or v.name.startswith(JUPYTER)
    ]


def corpus(assignment: str) -> pytest.MarkDecorator:
    """The xdist group of every test that reads ``assignment``'s graded corpus."""
    return pytest.mark.xdist_group(f"corpus-{assignment}")


@pytest.fixture(scope="session")
def grading_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The scheduler address of this process's grading cluster, the one ``autograder grade``
    would start (two one-thread workers), for in-process runs: ``Options(scheduler=...)``.

    Its workers warm up once (TensorFlow, fork servers) instead of once per run; tests that
    need a cluster of their own (tests/test_cluster.py) or run the command start their own.
    """
    with local_cluster(2, tmp_path_factory.mktemp("grading-cluster")) as cluster:
        yield cluster.scheduler_address


@dataclass
class FastGraded:
    """A chapter's corpus graded by ``autograder grade``: the course, the run, the scores."""

    course: Path
    result: BatchResult
    graded: GradedClass
    #: variant → the student id it was graded under (its own, or a shared submission's)
    student: dict[str, str]
    #: student id → what was graded under it (a variant, or the merge of those it holds)
    submissions: dict[str, Variant]


@pytest.fixture(scope="session")
def fast_graded(
    tmp_path_factory: pytest.TempPathFactory, grading_cluster: str
) -> Callable[[str], FastGraded]:
    """``fast_graded(assignment)``: every variant of the chapter, graded once by the fast grader,
    the test fixtures packed into shared submissions where they can be (tests/packing.py),
    the sample class's students each alone.

    Tests must not change the returned course; copy it first (``shutil.copytree``).
    """
    cache: dict[str, FastGraded] = {}

    def grade(assignment: str) -> FastGraded:
        if assignment not in cache:
            course = tmp_path_factory.mktemp(f"fast-{assignment}") / "course"
            submissions, student = pack(load_variants(FIXTURES / assignment))
            sample = load_variants(SAMPLE_CLASS / assignment)
            student.update({v.name: v.name for v in sample})
            result, graded = grade_fast(course, assignment, submissions + sample, grading_cluster)
            graded_as = {v.name: v for v in submissions + sample}
            cache[assignment] = FastGraded(course, result, graded, student, graded_as)
        return cache[assignment]

    return grade


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], GradedClass]:
    """``graded(assignment)``: the chapter's equivalence batch, graded by plain nbgrader."""
    cache: dict[str, GradedClass] = {}

    def grade(assignment: str) -> GradedClass:
        if assignment not in cache:
            workdir = tmp_path_factory.mktemp(f"plain-{assignment}")
            cache[assignment] = grade_class(workdir, assignment, equivalence_variants(assignment))
        return cache[assignment]

    return grade
