"""Every chapter's variant corpus, graded by `autograder grade` on real nbgrader and kernels:
each variant loses exactly the points it should and shows the messages it should. Variants
that change different answers are graded together, as one submission (tests/packing.py).

That the fast grader scores every cell as plain `nbgrader autograde` does is proved per
chapter in tests/test_grading.py (test_scores_identical_to_plain_nbgrader)."""

from __future__ import annotations

import nbformat
import pytest

from autograder.cells import nbgrader_meta
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import assignments
from tests.conftest import chapter_variants, corpus
from tests.harness import FIXTURES, ROOT

CHAPTERS = assignments(ROOT)
VARIANTS = [
    pytest.param(a, v, id=f"{a}/{v.name}", marks=corpus(a))
    for a in CHAPTERS
    for v in chapter_variants(a)
]


def graded_cells(assignment: str) -> list[str]:
    notebook = nbformat.read(CourseLayout(ROOT).source_notebook(assignment), as_version=4)
    return [nbgrader_meta(c)["grade_id"] for c in notebook.cells if nbgrader_meta(c).get("grade")]


@pytest.mark.nbgrader
@pytest.mark.parametrize(("assignment", "variant"), VARIANTS)
def test_variant_scores_and_messages(fast_graded, assignment, variant):
    """The variant's own cells score zero, with its messages; every cell that no variant of
    its submission loses scores full marks (the others' cells are their own tests')."""
    fast = fast_graded(assignment)
    student = fast.student[variant.name]
    result = fast.graded
    assert student not in result.failed, (
        f"the grader could not grade {student}:\n{result.failed.get(student)}"
    )
    scores = result.scores[student]
    cells = graded_cells(assignment)
    assert sorted(scores) == sorted(cells)
    lost = set(cells) if variant.lost == ("all",) else set(variant.lost)
    assert lost <= set(cells), f"unknown cells in 'lost': {lost - set(cells)}"
    others = (set(cells) if fast.lost[student] == {"all"} else fast.lost[student]) - lost
    got = {cell: score.score for cell, score in scores.items() if cell not in others}
    want = {cell: 0.0 if cell in lost else scores[cell].max_score for cell in got}
    assert got == want, f"graded as {student}" if student != variant.name else ""
    for cell, needle in variant.messages:
        assert needle in result.cell_output(student, cell)


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_every_exercise_has_a_wrong_variant(assignment):
    variants = chapter_variants(assignment)
    covered = {cell for v in variants if v.lost != ("all",) for cell in v.lost}
    assert set(graded_cells(assignment)) <= covered


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_solution_and_blank_fixtures_exist(assignment):
    variants = {v.name: v for v in chapter_variants(assignment)}
    assert variants["solution"].base == "solution" and not variants["solution"].lost
    assert variants["blank"].base == "blank" and variants["blank"].lost == ("all",)
    assert (FIXTURES / assignment).is_dir()


@pytest.mark.nbgrader
@corpus("02_activations")
def test_the_report_counts_the_mistakes_the_judge_diagnosed(fast_graded):
    """The judge's diagnoses reach the report (through the ledger), one per submission."""
    from autograder.grading.report import diagnosed_mistakes
    from autograder.registry import get_exercise

    graded = fast_graded("02_activations")
    counts = diagnosed_mistakes(graded.course, "02_activations")
    sign_slip = get_exercise("sigmoid").mistakes[0].hint
    slipped = [v for v in chapter_variants("02_activations") if "sigmoid_sign_slip" in v.name]
    assert counts[("sigmoid", sign_slip)] >= len(slipped) >= 1
