"""A new kind of exercise is one module plus its catalogue entries, found by the registry and
judged end to end by the checker (in-process)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograder.exercises
import autograder.kinds
from autograder import CheckFailed, check, registry

#: An example kind, as its own module: an answer whose order does not matter (a set of values).
UNORDERED = '''
"""Answers whose order does not matter: compared with the reference's once both are sorted."""

import numpy as np

from autograder.kinds.kind import Kind


class Unordered(Kind):
    """A NumPy function whose values may come in any order."""

    def difference(self, got, expected, case, rtol, atol):
        if not isinstance(got, np.ndarray):
            return f"returned a {type(got).__name__}, expected a NumPy array"
        return super().difference(np.sort(got), np.sort(expected), case, rtol, atol)
'''

#: Its catalogue entry, in a chapter module of its own.
CATALOGUE = '''
"""An example chapter: one exercise of the Unordered kind."""

import numpy as np

from autograder.kinds.unordered import Unordered
from autograder.registry import Case, Exercise, Mistake

EXERCISES = (
    Exercise(
        name="distinct_values",
        reference=np.unique,
        reference_name="np.unique, in any order",
        visible=lambda: [Case((np.array([3, 1, 3, 2]),), why="four integers")],
        hidden=lambda rng: [Case((rng.integers(0, 5, size=20),), why="20 random integers")],
        rtol=0.0,
        atol=0.0,
        mistakes=(Mistake("keep each value once", produces=lambda x: np.asarray(x)),),
        kind=Unordered(),
    ),
)
'''


@pytest.fixture
def example_kind(tmp_path, monkeypatch):
    """The example kind's module and its catalogue, where the registry looks for them."""
    for package, name, text in (
        (autograder.kinds, "unordered", UNORDERED),
        (autograder.exercises, "example_chapter", CATALOGUE),
    ):
        folder = tmp_path / package.__name__
        folder.mkdir()
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
        monkeypatch.delitem(sys.modules, f"{package.__name__}.{name}", raising=False)
    registry._catalogue.cache_clear()
    yield
    monkeypatch.undo()
    registry._catalogue.cache_clear()


def test_a_new_kind_is_one_module_plus_its_catalogue_entries(example_kind, capsys):
    assert type(registry.get_exercise("distinct_values").kind).__name__ == "Unordered"
    check("distinct_values", lambda x: np.unique(x)[::-1].copy(), hidden=True)
    assert "✔ distinct_values matches np.unique, in any order on 2 visible and hidden" in (
        capsys.readouterr().out
    )
    with pytest.raises(CheckFailed) as wrong:
        check("distinct_values", lambda x: np.asarray(x))
    assert "distinct_values does not match np.unique, in any order" in str(wrong.value)
    assert "keep each value once" in str(wrong.value)
    with pytest.raises(CheckFailed, match="returned a list, expected a NumPy array"):
        check("distinct_values", lambda x: sorted(set(x)))
