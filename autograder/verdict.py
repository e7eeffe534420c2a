"""The checker's verdict on one ``check(...)`` call, as a value.

The checker builds a :class:`Verdict`, renders it to text once for the learner (the
✔ line, or the message of :class:`~autograder.checker.CheckFailed`) and, inside a
notebook, also publishes it as a display output of MIME type :data:`MIME_TYPE`, which
the grading report and ``selfgrade`` read instead of parsing the text. That output says
nothing the text does not; its ``text/plain`` is empty, so notebooks show nothing for
it, and feedback drops it (:mod:`autograder.grading.preprocessors.hide_hidden_tests`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MIME_TYPE = "application/vnd.autograder.verdict+json"


@dataclass(frozen=True)
class Verdict:
    """Whether an exercise's check passed, and what the learner is told."""

    exercise: str
    passed: bool
    #: what happened, in one sentence (the first line of the message)
    headline: str
    #: why it failed: one of passed, not_callable, tensorflow_ops, tampered, not_implemented,
    #: should_raise, raised, changed_argument, not_repeatable, mismatch
    kind: str = "passed"
    #: the lines after the headline: input, expected, got, tolerance
    details: tuple[str, ...] = ()
    #: the diagnosed mistakes (hints), in the order they were recognised
    mistakes: tuple[str, ...] = ()
    #: remarks that do not change the verdict (warnings, stderr, reassigned helpers)
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """The message the learner reads."""
        mark = "✔" if self.passed else "✘"
        return "\n".join(
            [
                f"{mark} {self.headline}",
                *self.details,
                *(f"  likely mistake: {hint}" for hint in self.mistakes),
                *(f"  note: {note}" for note in self.notes),
            ]
        )

    def with_notes(self, notes: Iterable[str]) -> Verdict:
        """The same verdict with these notes."""
        return dataclasses.replace(self, notes=tuple(notes))

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """A verdict from :meth:`to_json`'s data."""
        fields = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in fields}
        for key in ("details", "mistakes", "notes"):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


def publish(verdict: Verdict) -> None:
    """Publish ``verdict`` as a display output when running in IPython (else do nothing)."""
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        from IPython.display import publish_display_data

        publish_display_data({"text/plain": "", MIME_TYPE: verdict.to_json()})


def verdicts_of(cell: Mapping[str, Any]) -> list[Verdict]:
    """The verdicts a notebook cell's outputs hold, in order."""
    return [
        Verdict.from_json(output["data"][MIME_TYPE])
        for output in cell.get("outputs", [])
        if is_verdict_output(output)
    ]


def is_verdict_output(output: Mapping[str, Any]) -> bool:
    """Is this notebook output a published verdict?"""
    return output.get("output_type") == "display_data" and MIME_TYPE in output.get("data", {})
