"""The one generic checker every test cell calls: ``check("sigmoid", sigmoid)``.

For each case it runs the reference (tf.keras) and the learner's function (called as the
exercise's kind calls it, :mod:`autograder.kinds`) on private copies of the inputs, watches
that no TensorFlow op runs while the learner's code does, that the inputs are left
untouched, captures warnings and stderr (nbgrader zeroes a test cell that writes to
stderr), and judges the answer as the kind does (by default within the exercise's
tolerance). :func:`_verdict` sorts a case's outcome in single-purpose steps: TensorFlow
used, not implemented, an error expected or raised, an argument changed, a mismatch (with
the likely mistake named) or a result that is not repeatable. The outcome is a
:class:`~autograder.verdict.Verdict`, rendered to text once.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.compare import array_difference, describe, non_finite_where_finite
from autograder.integrity import WATCH, TensorFlowReport, snapshot, unchanged
from autograder.quiet import captured_stderr
from autograder.registry import Case, Exercise, get_exercise, secret_tag
from autograder.verdict import Verdict, publish

__all__ = ["CheckFailed", "LearnerError", "Remote", "check", "evaluate"]

# NumPy's comparison helpers as they were before any learner code ran.
_NUMPY_HELPERS = {
    "np.allclose": (np, "allclose", np.allclose),
    "np.isclose": (np, "isclose", np.isclose),
    "np.array_equal": (np, "array_equal", np.array_equal),
    "np.testing.assert_allclose": (np.testing, "assert_allclose", np.testing.assert_allclose),
    "np.testing.assert_array_equal": (
        np.testing,
        "assert_array_equal",
        np.testing.assert_array_equal,
    ),
}

OVERFLOW_HINT = (
    "your result is inf or NaN where Keras's is finite: an intermediate value overflowed "
    "(np.exp of a large number?). Rewrite the formula so that it never exponentiates a "
    "large positive number."
)


class CheckFailed(AssertionError):
    """The learner's function does not meet its exercise's contract."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: the verdict is the whole story."""
        return [
            f"{type(self).__name__}: {line}" if i == 0 else line
            for i, line in enumerate(str(self).splitlines())
        ]


@dataclass
class LearnerRun:
    """What happened when the learner's function was called on one case."""

    value: Any = None
    error: Exception | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""
    tensorflow: TensorFlowReport = field(default_factory=TensorFlowReport)
    #: NumPy helpers reassigned where the function ran (another process: see Remote)
    reassigned: list[str] = field(default_factory=list)


def _quietly(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(), captured_stderr():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _expected(exercise: Exercise, case: Case) -> tuple[Any, ValueError | None]:
    """The reference's value, or the ValueError it raises (part of some contracts)."""
    try:
        return _quietly(
            exercise.reference, *snapshot(case.args), **snapshot(dict(case.kwargs))
        ), None
    except ValueError as error:
        return None, error


class Remote:
    """A learner's function that lives in another process (see :mod:`autograder.grading.judge`).

    :meth:`fill` calls it on ``run.args``/``run.kwargs`` there and records in ``run`` what
    came back: the value, the error, the arguments after the call, warnings and stderr.
    :meth:`prefetch` is told a check's cases first, so that it can ask for them all at once.
    """

    def prefetch(self, exercise: Exercise, cases: list[Case]) -> None:
        """Called once before the cases are filled one by one (nothing to do by default)."""

    def fill(self, exercise: Exercise, run: LearnerRun) -> None:
        raise NotImplementedError


class LearnerError(Exception):
    """An exception raised by learner code in another process, as the judge received it."""

    def __init__(self, kind: str, mro: list[str], message: str, where: list | None) -> None:
        super().__init__(message)
        self.kind, self.mro, self.where = kind, mro, where

    def line(self) -> str:
        """The exception as :func:`_error_line` words a local one."""
        where = ""
        if self.where:
            lineno, function, text = self.where
            where = f" (line {lineno} in {function}: {text})"
        return f"{self.kind}: {self}{where}"


def _is_kind(error: BaseException | None, kind: str, exactly: bool = False) -> bool:
    if isinstance(error, LearnerError):
        return error.kind == kind if exactly else kind in error.mro
    if error is None:
        return False
    return type(error).__name__ == kind if exactly else kind in _mro_names(error)


def _missing_tensorflow(error: BaseException | None) -> bool:
    """A NumPy kernel's import of TensorFlow or Keras failed (they are not there at all)."""
    return _is_kind(error, "ImportError") and any(
        name in str(error) for name in ("tensorflow", "keras")
    )


def _mro_names(error: BaseException) -> list[str]:
    return [klass.__name__ for klass in type(error).__mro__]


def _run_learner(exercise: Exercise, fn: Callable[..., Any], case: Case) -> LearnerRun:
    run = LearnerRun(args=snapshot(case.args), kwargs=snapshot(dict(case.kwargs)))
    if isinstance(fn, Remote):
        fn.fill(exercise, run)
        return run
    with (
        warnings.catch_warnings(record=True) as caught,
        captured_stderr() as stderr,
        WATCH.armed() as tensorflow,
    ):
        warnings.simplefilter("always")
        try:
            run.value = exercise.invoke(fn, run.args, run.kwargs)
        except Exception as error:  # the learner's exception is a verdict, not a crash
            run.error = error
    run.warnings = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    run.stderr = stderr.text
    tensorflow.ops = [op for op in tensorflow.ops if op not in exercise.kind.allowed_ops]
    run.tensorflow = tensorflow if exercise.kind.numpy_only else TensorFlowReport()
    return run


def _hang(text: str, indent: int) -> str:
    """Indent the continuation lines of a multi-line description."""
    return text.replace("\n", "\n" + " " * indent)


def _argument_names(exercise: Exercise, case: Case) -> list[str]:
    """The case's positional arguments' names: the exercise's ``params``, then ``arg<i>``."""
    return list(exercise.params) + [f"arg{i}" for i in range(len(exercise.params), len(case.args))]


def _tolerance(exercise: Exercise, case: Case) -> tuple[float, float]:
    """``(rtol, atol)`` for this case: its own, else the exercise's."""
    rtol = case.rtol if case.rtol is not None else exercise.rtol
    atol = case.atol if case.atol is not None else exercise.atol
    return rtol, atol


def _call_text(exercise: Exercise, case: Case) -> str:
    names = _argument_names(exercise, case)
    parts = [f"{n} = {describe(v)}" for n, v in zip(names, case.args, strict=False)]
    parts += [f"{k} = {v!r}" for k, v in case.kwargs.items()]
    return "\n".join(f"    {_hang(p, 8)}" for p in parts)


def _error_line(error: Exception) -> str:
    if isinstance(error, LearnerError):
        return error.line()
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (line {frames[-1].lineno} in {frames[-1].name}: {frames[-1].line})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _diagnose(exercise: Exercise, case: Case, got: Any, expected: Any) -> list[str]:
    hints = []
    for mistake in exercise.mistakes:
        try:
            if mistake.when is not None:
                matched = mistake.when(case, got, expected)
            else:
                args, kwargs = snapshot(case.args), snapshot(dict(case.kwargs))
                wrong = _quietly(exercise.invoke, mistake.produces, args, kwargs)
                matched = _difference(exercise, case, got, wrong) is None
        except Exception:  # a diagnosis that cannot be evaluated simply does not match
            matched = False
        if matched:
            hints.append(mistake.hint)
    if not hints and non_finite_where_finite(got, expected):
        hints.append(OVERFLOW_HINT)
    return hints


def _tampered_helpers() -> list[str]:
    return [
        name
        for name, (owner, attr, original) in _NUMPY_HELPERS.items()
        if getattr(owner, attr, None) is not original
    ]


def _difference(exercise: Exercise, case: Case, got: Any, expected: Any) -> str | None:
    return exercise.kind.difference(got, expected, case, *_tolerance(exercise, case))


def _failure(exercise: Exercise, kind: str, headline: str, **parts: Any) -> Verdict:
    return Verdict(exercise.name, False, headline, kind, **parts)


def _verdict(
    exercise: Exercise,
    fn: Callable[..., Any],
    case: Case,
    expected: tuple[Any, ValueError | None] | None = None,
) -> tuple[Verdict | None, LearnerRun]:
    """None when the case passes, else the failed verdict (without notes)."""
    expected, expected_error = expected or _expected(exercise, case)
    run = _run_learner(exercise, fn, case)
    failure = _not_numpy(exercise, run) or _not_implemented(exercise, run)
    if failure is None and expected_error is not None:
        failure = _missed_error(exercise, run, expected_error)
    elif failure is None:
        failure = (
            _raised(exercise, case, run)
            or _changed_argument(exercise, case, run)
            or _compared(exercise, fn, case, run, expected)
        )
    return failure, run


def _not_numpy(exercise: Exercise, run: LearnerRun) -> Verdict | None:
    """TensorFlow ran, its dispatch was replaced, or the NumPy-only barrier refused a call."""
    name = exercise.name
    if run.tensorflow.ops:
        ops = ", ".join(dict.fromkeys(run.tensorflow.ops))
        return _failure(
            exercise,
            "tensorflow_ops",
            f"{name} ran TensorFlow ops ({ops}) while computing its result. This exercise must "
            "be written with NumPy only, so it scores zero. Compute it with NumPy (np.exp, "
            "np.maximum, ...) instead of calling tf / keras.",
        )
    if run.tensorflow.tampered:
        return _failure(
            exercise,
            "tampered",
            f"TensorFlow's op dispatch ({', '.join(run.tensorflow.tampered)}) was replaced while "
            f"{name} ran. That switches off the grader's integrity check, so it scores zero.",
        )
    if _is_kind(run.error, "NumPyOnlyError") or _missing_tensorflow(run.error):
        return _failure(
            exercise,
            "tensorflow_ops",
            f"{name} called TensorFlow or Keras ({run.error}) while computing its result. This "
            "exercise must be written with NumPy only, so it scores zero. Compute it with NumPy "
            "(np.exp, np.maximum, ...) instead of calling tf / keras.",
        )
    return None


def _not_implemented(exercise: Exercise, run: LearnerRun) -> Verdict | None:
    # not subclasses such as StdinNotImplementedError
    if _is_kind(run.error, "NotImplementedError", exactly=True):
        return _failure(
            exercise,
            "not_implemented",
            f"{exercise.name} is not implemented yet: replace `raise NotImplementedError()` "
            "with your code.",
        )
    return None


def _missed_error(
    exercise: Exercise, run: LearnerRun, expected_error: ValueError
) -> Verdict | None:
    """Where the reference raises ValueError, the learner's function must too."""
    if _is_kind(run.error, "ValueError"):
        return None
    got = _error_line(run.error) if run.error else f"returned {run.value!r}"
    return _failure(
        exercise,
        "should_raise",
        f"{exercise.name} should raise ValueError here ({expected_error}), but it {got}.",
    )


def _raised(exercise: Exercise, case: Case, run: LearnerRun) -> Verdict | None:
    if run.error is None:
        return None
    # a kernel that stopped during a batch of calls names no call: none is shown
    call = "" if _is_kind(run.error, "NoAnswer", exactly=True) else _call_text(exercise, case)
    return _failure(
        exercise,
        "raised",
        f"{exercise.name} raised {_error_line(run.error)}",
        details=(f"  input ({case.why or 'case'}):", call) if call else (),
    )


def _changed_argument(exercise: Exercise, case: Case, run: LearnerRun) -> Verdict | None:
    for before, after, label in _argument_pairs(exercise, case, run):
        if not unchanged(before, after):
            return _failure(
                exercise,
                "changed_argument",
                f"{exercise.name} changed its argument {label} in place: it was "
                f"{describe(before)} before the call and {describe(after)} after. Work on a "
                "copy or use operations that return new arrays.",
            )
    return None


def _compared(
    exercise: Exercise, fn: Callable[..., Any], case: Case, run: LearnerRun, expected: Any
) -> Verdict | None:
    """The answer against the reference's (then, for seeded cases, against a second call)."""
    difference = _difference(exercise, case, run.value, expected)
    if difference is None:
        return _repeated(exercise, fn, case, run) if case.same_twice else None
    return _failure(
        exercise,
        "mismatch",
        f"{exercise.name} does not match {exercise.reference_name}: {difference}",
        details=_mismatch_details(exercise, case, run.value, expected),
        mistakes=tuple(_diagnose(exercise, case, run.value, expected)),
    )


def _repeated(
    exercise: Exercise, fn: Callable[..., Any], case: Case, run: LearnerRun
) -> Verdict | None:
    """A second call on identical copies must give the identical result (seeded RNGs)."""
    again = _run_learner(exercise, fn, case)
    if again.error is None and not array_difference(again.value, run.value, 0.0, 0.0):
        return None
    return _failure(
        exercise,
        "not_repeatable",
        f"{exercise.name} gave a different result when called again with the same arguments "
        "(same seed). Draw every random number from the `rng` you are given.",
    )


def _mismatch_details(exercise: Exercise, case: Case, got: Any, expected: Any) -> tuple[str, ...]:
    call = _call_text(exercise, case)
    details = [
        f"  input ({case.why or 'case'}):" if call else f"  case: {case.why or 'no arguments'}",
        *([call] if call else []),
        f"  expected: {_hang(describe(expected), 12)}",
        f"  got:      {_hang(describe(got), 12)}",
    ]
    if exercise.kind.states_tolerance(expected):
        rtol, atol = _tolerance(exercise, case)
        details.append(f"  tolerance: rtol={rtol:g}, atol={atol:g}")
    return tuple(details)


def _argument_pairs(exercise: Exercise, case: Case, run: LearnerRun):
    names = _argument_names(exercise, case)
    yield from zip(case.args, run.args, names, strict=False)
    for key, value in case.kwargs.items():
        yield value, run.kwargs.get(key), key


def _notes(runs: list[LearnerRun]) -> list[str]:
    notes = []
    warned = list(dict.fromkeys(w for run in runs for w in run.warnings))
    if warned:
        advice = (
            " Consider a formula that cannot overflow."
            if any(w.startswith("RuntimeWarning") for w in warned)
            else ""
        )
        notes.append(
            "warnings while your function ran (caught by the checker): "
            + "; ".join(warned[:3])
            + "."
            + advice
        )
    written = "".join(run.stderr for run in runs).strip()
    if written:
        notes.append(f"your function wrote to stderr: {written[:200]!r}")
    tampered = list(dict.fromkeys(_tampered_helpers() + [n for r in runs for n in r.reassigned]))
    if tampered:
        notes.append(
            f"{', '.join(tampered)} was reassigned in this notebook; the checker uses its own "
            "copies, so this changes nothing."
        )
    return notes


Expectations = dict[tuple[str, bool, str], list[tuple[Case, tuple[Any, ValueError | None]]]]


def _cases_and_expected(
    exercise: Exercise, hidden: bool, cache: Expectations | None
) -> list[tuple[Case, tuple[Any, ValueError | None]]]:
    """The exercise's cases with the reference's answers (computed once per ``cache``)."""
    key = (exercise.name, hidden, secret_tag() if hidden else "")
    if cache is not None and key in cache:
        return cache[key]
    pairs = [(case, _expected(exercise, case)) for case in exercise.cases(hidden)]
    if cache is not None:
        cache[key] = pairs
    return pairs


def evaluate(
    exercise: Exercise, fn: Callable[..., Any], hidden: bool, cache: Expectations | None = None
) -> Verdict:
    """The verdict on ``fn`` for this exercise's visible (and ``hidden``) cases.

    ``fn`` may be a :class:`Remote`; ``cache`` keeps the reference's answers between calls.
    """
    name = exercise.name
    if not (isinstance(fn, Remote) or callable(fn)):
        return _failure(
            exercise, "not_callable", f"{name} must be a function, got {type(fn).__name__}"
        )
    pairs = _cases_and_expected(exercise, hidden, cache)
    if isinstance(fn, Remote):
        fn.prefetch(exercise, [case for case, _ in pairs])
    runs = []
    for case, expected in pairs:
        failure, run = _verdict(exercise, fn, case, expected)
        runs.append(run)
        if failure is not None:
            return failure.with_notes(_notes(runs))
    kind = "visible and hidden" if hidden else "visible"
    exact = exercise.rtol == 0 and exercise.atol == 0
    tolerance = "" if exact else f" (rtol={exercise.rtol:g}, atol={exercise.atol:g})"
    headline = f"{name} matches {exercise.reference_name} on {len(pairs)} {kind} cases{tolerance}."
    return Verdict(name, True, headline).with_notes(_notes(runs))


def check(name: str, fn: Callable[..., Any], *, hidden: bool = False) -> None:
    """Check the learner's ``fn`` against exercise ``name``; raise CheckFailed on a mismatch.

    Visible checks use fixed inputs shown in the message; ``hidden=True`` adds
    random, extreme and unusual-dtype inputs from a fixed seed. The verdict is printed
    (or raised) as text and, in a notebook, also published for the grader to read.
    """
    __tracebackhide__ = True
    verdict = evaluate(get_exercise(name), fn, hidden)
    if not verdict.passed:
        publish(verdict)
        raise CheckFailed(message(verdict))
    print(verdict.text())
    publish(verdict)


def message(verdict: Verdict) -> str:
    """What a failed check raises (a function that is not callable: its headline only)."""
    return verdict.headline if verdict.kind == "not_callable" else verdict.text()
