"""A model builder: the learner's function (or subclass) builds a Keras model, handed back and
rebuilt in the judge, then judged by structure and behaviour (:mod:`autograder.judges.models`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.judges.models import never_crash
from autograder.kinds.kind import Judge, Kind


class ModelBuilder(Kind):
    """``build(fn, probe)`` runs in the learner's kernel (it only builds, or instantiates and
    calls, what the learner wrote), so a check's calls take one request; the model crosses
    back as its configuration and weights. ``judge`` reports the unexpected, never raises."""

    numpy_only = False
    caller = "kernel"

    def __init__(self, build: Callable[..., Any], judge: Judge) -> None:
        super().__init__(judge=never_crash(judge))
        self.build = build

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The model the learner's ``fn`` builds (or instantiates and calls)."""
        return self.build(fn, *args, **kwargs)
