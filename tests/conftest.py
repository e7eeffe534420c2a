"""Shared fixtures: one real nbgrader autograde run per chapter, reused by many tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograder.submissions import Variant, load_variants
from tests.harness import FIXTURES, SAMPLE_CLASS, GradedClass, grade_class


def chapter_variants(assignment: str) -> list[Variant]:
    """The test fixtures and the demo's sample class for one chapter."""
    return load_variants(FIXTURES / assignment) + load_variants(SAMPLE_CLASS / assignment)


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], GradedClass]:
    """``graded(assignment)``: every variant of that chapter, autograded once per session."""
    cache: dict[str, GradedClass] = {}

    def grade(assignment: str) -> GradedClass:
        if assignment not in cache:
            workdir = tmp_path_factory.mktemp(f"graded-{assignment}")
            cache[assignment] = grade_class(workdir, assignment, chapter_variants(assignment))
        return cache[assignment]

    return grade
