"""`make equivalence`: every chapter's whole variant corpus, graded by plain `nbgrader autograde`
and by `autograder grade`; every cell's score must agree except where the variant names a
deliberate difference (``differs:``, each one listed in the README's instructor guide).
Every variant is graded alone here, by both graders (`make test` packs them, tests/packing.py).

Not collected by `make test` (the file name does not start with ``test_``): plain nbgrader
runs every notebook top to bottom, about half an hour for the corpus on two cores. `make
test` compares a fixed subset (tests/conftest.py ``equivalence_variants``). Prints, per
chapter, how many variants were compared and which cells differ, and why.
"""

from __future__ import annotations

import pytest

from autograder.nbgrader_driver import assignments
from tests.conftest import chapter_variants, corpus
from tests.harness import ROOT, grade_class, grade_fast

CHAPTERS = assignments(ROOT)


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment", [pytest.param(a, marks=corpus(a)) for a in CHAPTERS])
def test_whole_corpus_scores_as_plain_nbgrader(tmp_path, grading_cluster, assignment):
    variants = chapter_variants(assignment)
    plain = grade_class(tmp_path / "plain", assignment, variants)
    fast = grade_fast(tmp_path / "fast" / "course", assignment, variants, grading_cluster)[1]
    assert not plain.failed and not fast.failed, {**plain.failed, **fast.failed}
    differing, unexplained = [], []
    for variant in variants:
        for cell, score in plain.scores[variant.name].items():
            ours = fast.scores[variant.name][cell]
            if ours.score == score.score:
                continue
            why = variant.differs.get(cell)
            differing.append(f"{variant.name}/{cell}: plain {score.score}, ours {ours.score}")
            differing[-1] += f" ({why})" if why else " (UNEXPLAINED)"
            if why is None:
                unexplained.append(differing[-1])
        for cell in variant.differs:
            same = plain.scores[variant.name][cell].score == fast.scores[variant.name][cell].score
            assert not same, f"{variant.name}/{cell} is declared to differ but does not"
    print(f"\n{assignment}: {len(variants)} variants compared, {len(differing)} cells differ")
    print("\n".join(f"  {line}" for line in differing))
    assert not unexplained
