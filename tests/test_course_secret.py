"""Hidden cases drawn with the course's grading secret: unknown in advance, and every known
mistake is still caught whatever the secret (the checker in-process, no kernel)."""

from __future__ import annotations

import functools
import os
import stat

import nbformat
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from autograder.cells import nbgrader_meta
from autograder.checker import Expectations, evaluate
from autograder.grading.judge import CheckCall, check_calls
from autograder.grading.package import course_secret
from autograder.layout import CourseLayout
from autograder.registry import course_secret as secret_in_use
from autograder.registry import get_exercise
from autograder.variants import Variant, build_submission, load_variants
from tests.harness import FIXTURES, ROOT

#: Keras's answers, per exercise and secret, computed once for every variant
_EXPECTED: Expectations = {}
CHAPTERS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
#: secrets the mistakes are tried under: the package's fixed seeds (no secret) and two others
SECRETS = [b""] + [bytes([i]) * 32 for i in (1, 2)]


def _arrays(cases) -> list[bytes]:
    return [np.asarray(a).tobytes() for case in cases for a in case.args if hasattr(a, "shape")]


def test_the_secret_is_made_once_private_and_changes_only_hidden_cases(tmp_path):
    secret = course_secret(tmp_path)
    assert len(secret) == 32 and course_secret(tmp_path) == secret
    path = tmp_path / ".autograder" / "course_secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    (tmp_path / "other").mkdir()
    assert course_secret(tmp_path / "other") != secret
    softplus = get_exercise("softplus")
    public = softplus.cases(hidden=True)
    with secret_in_use(secret):
        graded = softplus.cases(hidden=True)
    visible = len(softplus.cases(hidden=False))
    assert _arrays(graded[:visible]) == _arrays(public[:visible])  # visible cases are the same
    changed = set(_arrays(public[visible:])) - set(_arrays(graded[visible:]))
    assert changed, "the secret changed none of the hidden cases"
    assert _arrays(softplus.cases(hidden=True)) == _arrays(public)  # selfgrade: as before


def _notebook_losses() -> list:
    """(chapter, variant, test cell) of every cell a wrong variant of the corpus must lose, for
    the exercises judged on numbers (those whose answers a learner could tabulate; models and
    training are judged on what they hand back)."""
    found = []
    for chapter in CHAPTERS:
        checks = _checks(chapter)
        for variant in load_variants(FIXTURES / chapter):
            if variant.base != "solution" or variant.lost == ("all",):
                continue
            found += [
                pytest.param(chapter, variant, cell, id=f"{variant.name}-{cell}")
                for cell in variant.lost
                if cell not in variant.differs  # lost only where the README says it differs
                and all(get_exercise(call.exercise).kind.numpy_only for call in checks[cell])
            ]
    return found


@functools.cache
def _notebooks(chapter: str) -> tuple:
    source = nbformat.read(CourseLayout(ROOT).source_notebook(chapter), 4)
    release = nbformat.read(CourseLayout(ROOT).release_notebook(chapter), 4)
    return source, release


@functools.cache
def _checks(chapter: str) -> dict[str, list[CheckCall]]:
    """The checks of each test cell of the chapter."""
    return {
        nbgrader_meta(c)["grade_id"]: check_calls(c.source) or []
        for c in _notebooks(chapter)[0].cells
        if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    }


@functools.cache
def _setup(chapter: str) -> dict:
    """The namespace the chapter's setup cell makes."""
    shell = InteractiveShell.instance()
    shell.reset()
    source = _notebooks(chapter)[0]
    shell.run_cell(next(c for c in source.cells if c.cell_type == "code").source, silent=True)
    return dict(shell.user_ns)


def _answers(chapter: str, variant: Variant) -> dict:
    """The variant's functions and the notebook's given helpers, defined in-process after the
    chapter's setup cell."""
    notebook = build_submission(variant, *_notebooks(chapter))
    shell = InteractiveShell.instance()
    shell.user_ns.clear()
    shell.user_ns.update(_setup(chapter))
    for cell in notebook.cells[1:]:  # the answers, and the helpers the notebook gives
        meta = nbgrader_meta(cell)
        given = meta.get("solution") or meta.get("locked")
        if cell.cell_type == "code" and given and not meta.get("grade"):
            shell.run_cell(cell.source, silent=True)
    return dict(shell.user_ns)


def _passes(namespace: dict, calls: list[CheckCall], hidden: bool) -> bool:
    for call in calls:
        if call.hidden and not hidden:
            continue
        if call.function not in namespace:  # never defined (its cell stopped at an error)
            return False
        exercise, function = get_exercise(call.exercise), namespace[call.function]
        if not evaluate(exercise, function, call.hidden, _EXPECTED).passed:
            return False
    return True


@pytest.mark.parametrize(("chapter", "variant", "cell"), _notebook_losses())
def test_every_known_mistake_is_caught_under_any_secret(chapter, variant, cell):
    """Each wrong variant of the corpus loses its cells whatever the course's secret: the
    visible cases catch most mistakes; those only hidden cases catch, under every secret."""
    namespace, checks = _answers(chapter, variant), _checks(chapter)
    if not _passes(namespace, checks[cell], hidden=False):
        return  # caught by the visible cases, which no secret changes
    for secret in SECRETS:
        with secret_in_use(secret):
            assert not _passes(namespace, checks[cell], hidden=True), (variant.name, secret[:1])


def _numpy_cells() -> list:
    """(chapter, test cell) of every test cell judged on numbers alone."""
    return [
        pytest.param(chapter, cell, id=f"{chapter}-{cell}")
        for chapter in CHAPTERS
        for cell, calls in _checks(chapter).items()
        if calls and all(get_exercise(call.exercise).kind.numpy_only for call in calls)
    ]


@pytest.mark.parametrize(("chapter", "cell"), _numpy_cells())
def test_the_solution_passes_under_any_secret(chapter, cell):
    """A secret must never fail an honest answer: the reference solution passes every hidden
    case that any of the secrets draws (a tolerance too tight for Keras's float32 shows here)."""
    solution = next(v for v in load_variants(FIXTURES / chapter) if v.name == "solution")
    namespace = _answers(chapter, solution)
    for secret in SECRETS:
        with secret_in_use(secret):
            assert _passes(namespace, _checks(chapter)[cell], hidden=True), secret[:1]
