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
from autograder.variants import load_variants
from tests.conftest import chapter_variants, corpus
from tests.harness import FIXTURES, ROOT
from tests.packing import pack

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
    together = fast.submissions[student].lost
    others = (set(cells) if together == ("all",) else set(together)) - lost
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


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_each_variant_is_graded_once_and_never_beside_one_that_could_hide_it(assignment):
    variants = load_variants(FIXTURES / assignment)
    submissions, student = pack(variants)
    assert sorted(student) == sorted(v.name for v in variants)
    assert len({s.name for s in submissions}) == len(submissions) == len(set(student.values()))
    for submission in submissions:
        members = [v for v in variants if student[v.name] == submission.name]
        changed = [cell for m in members for cell in m.cells]
        assert len(changed) == len(set(changed)) == len(submission.cells)
        for member in members:
            others = {cell for m in members if m is not member for cell in m.lost}
            assert not others & {f"test_{cell}" for cell in member.cells}, submission.name


def test_a_variant_drawing_through_another_ones_answer_is_kept_apart_from_it():
    variants = {v.name: v for v in load_variants(FIXTURES / "03_initialization")}
    pair = [variants["truncated_normal_clipped"], variants["variance_scaling_aliases_other_way"]]
    _, student = pack(pair)
    assert student["truncated_normal_clipped"] != student["variance_scaling_aliases_other_way"]
