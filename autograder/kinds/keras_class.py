"""A Keras class the learner writes (e.g. a ``keras.losses.Loss`` subclass), judged on numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.kinds.kind import Kind


class KerasClass(Kind):
    """``use(cls, *args, **kwargs)`` instantiates the learner's class and calls (or trains, or
    saves and reloads) it; it runs in the learner's kernel, which has the live class, and its
    numbers cross back to be compared within the tolerance."""

    numpy_only = False
    caller = "kernel"

    def __init__(self, use: Callable[..., Any]) -> None:
        super().__init__()
        self.use = use

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """What using the learner's class ``fn`` gives."""
        return self.use(fn, *args, **kwargs)
