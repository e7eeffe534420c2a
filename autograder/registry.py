"""The exercise registry: every exercise described once, as data.

An exercise names its reference (a callable that computes the expected value
with tf.keras / tf.nn at grading time), the inputs it is checked on, its
tolerance, the mistakes it can recognise and its kind (:mod:`autograder.kinds`: how
the learner's object is called, where it runs while graded, how it is judged). The
generic checker in :mod:`autograder.checker` does the rest. The registry collects the
catalogues (``EXERCISES`` of every module found in :mod:`autograder.exercises`) by name.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib
import pkgutil
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.kinds.kind import Kind
from autograder.kinds.numpy_function import NumPyFunction

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6

#: The course's grading secret, mixed into the hidden cases' seeds while ``autograder grade``
#: judges (see :func:`course_secret`); empty (the package's fixed seeds) everywhere else.
_SECRET: contextvars.ContextVar[bytes] = contextvars.ContextVar("course_secret", default=b"")


@contextlib.contextmanager
def course_secret(secret: bytes) -> Iterator[None]:
    """Draw hidden cases from seeds that mix in ``secret`` (a course's grading secret)."""
    token = _SECRET.set(secret)
    try:
        yield
    finally:
        _SECRET.reset(token)


def secret_tag() -> str:
    """Names the secret in use (not the secret): caches of hidden answers are kept per tag."""
    secret = _SECRET.get()
    return hashlib.sha256(b"tag\0" + secret).hexdigest()[:16] if secret else ""


def hidden_seed(name: str) -> list[int]:
    """The hidden cases' seed of exercise ``name``: fixed, or mixed with the course's secret."""
    seed = [zlib.crc32(name.encode())]
    if secret := _SECRET.get():
        digest = hashlib.sha256(secret + b"\0" + name.encode()).digest()
        seed += [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4)]
    return seed


@dataclass(frozen=True)
class Case:
    """One set of arguments to call both the learner's function and the reference with."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rtol: float | None = None
    atol: float | None = None
    why: str = ""
    #: Call the learner twice on identical copies and require identical results (seeded RNGs).
    same_twice: bool = False


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the hint to give when the learner's output matches it.

    ``produces`` is a wrong implementation: the mistake is diagnosed when the
    learner's output equals its output. ``when`` is a predicate on
    ``(case, got, expected)`` for mistakes that are easier to recognise by effect.
    """

    hint: str
    produces: Callable[..., Any] | None = None
    when: Callable[[Case, Any, Any], bool] | None = None


@dataclass(frozen=True)
class Exercise:
    """An exercise: what the learner's function must equal, on which inputs, how closely."""

    name: str
    reference: Callable[..., Any]
    reference_name: str
    visible: Callable[[], Sequence[Case]]
    hidden: Callable[[np.random.Generator], Sequence[Case]]
    params: tuple[str, ...] = ("x",)
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    mistakes: tuple[Mistake, ...] = ()
    #: How the learner's object is called, where it runs while graded, how it is judged.
    kind: Kind = field(default_factory=NumPyFunction)

    def invoke(self, fn: Callable[..., Any], case_args: tuple, case_kwargs: dict) -> Any:
        """Call a learner-side ``fn`` the way this exercise's kind calls it (the reference is
        always called plainly: ``reference(*args, **kwargs)``)."""
        return self.kind.call(fn, *case_args, **case_kwargs)

    def cases(self, hidden: bool) -> list[Case]:
        """The visible cases, plus the hidden ones (from a per-exercise seed, mixed with the
        course's secret when grading: :func:`hidden_seed`)."""
        cases = list(self.visible())
        if hidden:
            seed = hidden_seed(self.name)
            cases += list(self.hidden(np.random.default_rng(seed[0] if len(seed) == 1 else seed)))
        return cases


@functools.cache
def _catalogue() -> dict[str, Exercise]:
    """Every chapter's exercises, collected from the ``EXERCISES`` of each module of
    :mod:`autograder.exercises`; names are unique."""
    from autograder import exercises

    catalogue: dict[str, Exercise] = {}
    for module in pkgutil.iter_modules(exercises.__path__):
        chapter = importlib.import_module(f"{exercises.__name__}.{module.name}")
        for exercise in chapter.EXERCISES:
            if exercise.name in catalogue:
                raise ValueError(f"exercise {exercise.name!r} is defined twice")
            catalogue[exercise.name] = exercise
    return catalogue


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``."""
    catalogue = _catalogue()
    try:
        return catalogue[name]
    except KeyError:
        known = ", ".join(sorted(catalogue))
        raise KeyError(f"no exercise called {name!r}; known exercises: {known}") from None


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by name."""
    return dict(_catalogue())
