"""A trainer, judged on outcomes: what a model or a training loop reaches on fixed data.

:class:`Trainer`: the learner's function builds a Keras model; the judge trains it under a
fixed protocol (:mod:`autograder.judges.training`) and judges the scores it reaches.
:class:`NumPyTrainer`: the learner's NumPy training loop runs on fixed data and the judge
scores the parameters it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.kinds.kind import Judge, Kind


class Trainer(Kind):
    """``train(build, *args, **kwargs)`` runs in the judge: each call of the learner's builder
    is a request to the notebook's kernel, whose model comes back as its configuration only
    (the protocol's seed draws the initial weights); ``judge`` weighs the outcome."""

    numpy_only = False
    caller = "judge"
    keeps_weights = False

    def __init__(self, train: Callable[..., Any], judge: Judge) -> None:
        super().__init__(judge=judge)
        self.train = train

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The outcome of training the model ``fn`` builds."""
        return self.train(fn, *args, **kwargs)


class NumPyTrainer(Trainer):
    """``train(fn, *args, **kwargs)`` runs in the judge, the learner's NumPy loop in the NumPy
    kernel; ``judge`` weighs what ``train`` makes of the parameters it returns."""

    numpy_only = True
    keeps_weights = True
