"""What every kind of exercise answers; the default answers are a plain NumPy function's.

A kind says how the learner's object is called on a case's arguments (:meth:`Kind.call`),
whether its code must be NumPy only (and so runs in the NumPy kernel during
``autograder grade``), where its call runs while graded (:attr:`Kind.caller`), whether a
model it hands back keeps its weights, and how its answer is judged (:meth:`Kind.difference`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from autograder.compare import array_difference

if TYPE_CHECKING:
    from autograder.registry import Case

#: ``judge(got, expected, case)``: what is wrong with the learner's answer, or None.
Judge = Callable[[Any, Any, "Case"], "str | None"]


class Kind:
    """One kind of exercise: the shared machinery every kind is a thin class over."""

    #: The learner's code must compute with NumPy only: TensorFlow ops while it runs score zero.
    numpy_only: ClassVar[bool] = True
    #: Where ``autograder grade`` makes :meth:`call`: "learner" (the learner's object is called
    #: plainly, one request per case), "kernel" (the call runs in the learner's kernel: it needs
    #: the learner's live objects, e.g. to subclass or train with them) or "judge" (the call runs
    #: in the judge and each call of the learner's object is a request).
    caller: ClassVar[Literal["learner", "kernel", "judge"]] = "learner"
    #: With ``caller`` "judge": how many calls of the learner's object a case makes, each on the
    #: arguments as the one before left them, asked for in advance (0: each as the call makes it).
    calls: ClassVar[int] = 0
    #: A model the learner hands back keeps its weights (else the judge's rebuilt model keeps
    #: what its initializers draw under the judge's seed).
    keeps_weights: ClassVar[bool] = True

    def __init__(
        self, judge: Judge | None = None, allowed_ops: frozenset[str] = frozenset()
    ) -> None:
        #: None: the answer is compared with the reference's within the tolerance
        self.judge = judge
        #: TensorFlow ops a NumPy solution may trigger (e.g. ReadVariableOp to read weights)
        self.allowed_ops = allowed_ops

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the learner's ``fn`` (or a Mistake's ``produces``) on a case's arguments:
        plainly, unless the kind says otherwise (then its ``caller`` is "kernel" or "judge")."""
        return fn(*args, **kwargs)

    @property
    def in_numpy_kernel(self) -> bool:
        """During ``autograder grade``, the learner's object runs where TensorFlow is absent."""
        return self.numpy_only and self.caller != "kernel"

    @property
    def calls_in_advance(self) -> int:
        """How many calls per case ``autograder grade`` asks the kernel for in one request."""
        return self.calls if self.caller == "judge" else 1

    def difference(
        self, got: Any, expected: Any, case: Case, rtol: float, atol: float
    ) -> str | None:
        """What is wrong with ``got``, or None: the judge's word, else numbers within the
        tolerance (strings exactly)."""
        if self.judge is not None:
            return self.judge(got, expected, case)
        if isinstance(expected, str):
            return None if isinstance(got, str) and got == expected else f"got {got!r}"
        return array_difference(got, expected, rtol, atol)

    def states_tolerance(self, expected: Any) -> bool:
        """A mismatch's details name the tolerance (numbers compared within it)."""
        return self.judge is None and not isinstance(expected, str)
