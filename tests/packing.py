"""Several variants graded as one submission, so that `make test` grades a chapter's corpus
in fewer notebooks.

Most variants change one answer of the solution and lose its test cells. Graded alone, each
pays for a whole submission (a kernel, the cells the judge needs, every other exercise
judged again, feedback), most of it spent on answers that are the solution's. Variants
that change different answers and lose different cells are graded together instead: the
submission holds each one's answers and must lose exactly the union of their cells.

Two variants share a submission only when neither can hide the other's verdict: they
change different cells, lose different cells, and neither loses the test of an answer
the other changes (``dense_forward`` broken by one would hide whether the other's
``numpy_forward`` passes ``test_numpy_forward``), and neither's answers call an answer the
other changes (a ``variance_scaling`` drawing through its own ``truncated_normal``).
Variants that are about the whole notebook stay alone: the solution, the blank release, the
``jupyter_`` variants, those built on the blank release, with added cells, files, or
declared differences from plain nbgrader. `make equivalence` grades every variant alone
(tests/equivalence.py).
"""

from __future__ import annotations

import re

from autograder.variants import Variant

#: at most this many variants share a submission
PACK = 5
#: the prefix of a shared submission's student id
PACKED = "pack"


def _alone(variant: Variant) -> bool:
    return (
        variant.name in ("solution", "blank")
        or variant.name.startswith("jupyter_")
        or variant.base != "solution"
        or variant.lost == ("all",)
        or bool(variant.added or variant.files or variant.differs)
    )


def _tests_of(variant: Variant) -> set[str]:
    """The test cells of the answers the variant changes (``softmax`` → ``test_softmax``)."""
    return {f"test_{cell}" for cell in variant.cells}


def _calls(a: Variant, b: Variant) -> bool:
    """Whether ``a``'s answers name an answer ``b`` changes (a helper of its own)."""
    return any(
        re.search(rf"\b{re.escape(cell)}\b", code) for cell in b.cells for code in a.cells.values()
    )


def _compatible(a: Variant, b: Variant) -> bool:
    return not (
        set(a.cells) & set(b.cells)
        or set(a.lost) & set(b.lost)
        or set(a.lost) & _tests_of(b)
        or set(b.lost) & _tests_of(a)
        or _calls(a, b)
        or _calls(b, a)
    )


def _merged(name: str, members: list[Variant]) -> Variant:
    return Variant(
        name,
        "; ".join(m.summary for m in members),
        lost=tuple(c for m in members for c in m.lost),
        messages=tuple(message for m in members for message in m.messages),
        cells={cell: code for m in members for cell, code in m.cells.items()},
    )


def pack(variants: list[Variant]) -> tuple[list[Variant], dict[str, str]]:
    """The submissions to grade (shared ones first fit, in name order) and, for each variant,
    the student id it is graded under."""
    groups: list[list[Variant]] = []
    alone: list[Variant] = []
    for variant in variants:
        if _alone(variant):
            alone.append(variant)
            continue
        group = next(
            (g for g in groups if len(g) < PACK and all(_compatible(m, variant) for m in g)),
            None,
        )
        if group is None:
            groups.append(group := [])
        group.append(variant)
    submissions = list(alone)
    student = {v.name: v.name for v in alone}
    for number, group in enumerate(groups, 1):
        submission = _merged(f"{PACKED}{number:02d}", group) if len(group) > 1 else group[0]
        submissions.append(submission)
        student.update({m.name: submission.name for m in group})
    return submissions, student
