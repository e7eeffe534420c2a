"""The trusted judge: every graded check of ``autograder grade`` is decided here.

A test cell is never run in the learner's kernel. The judge reads its ``check(...)``
calls from the cell's source (the gradebook's copy: nbgrader restores test cells), and
for each one runs the checker's own logic (:func:`autograder.checker.evaluate`) in
this process, where the registry, the references and the expected values live. The
learner's function is a :class:`RemoteFunction`: a check's cases go to a kernel as wire
data (:mod:`autograder.wire`), all in one request, the kernel calls the function on each
(:mod:`autograder.runner`) and sends back only data. The exercise's kind
(:mod:`autograder.kinds`) says how: NumPy kinds run in a kernel without TensorFlow and
Keras (the "numpy" flavour), which first replays the submission's other code cells; kinds
that need Keras run in the notebook's own kernel; a kind's call runs there or in the judge,
which then asks the kernel for each call of the learner's object. Verdicts are worded
exactly as an interactive ``check`` words them, and the reference's answers are computed
once per worker and reused for every submission.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from nbformat import NotebookNode

from autograder import runner, wire
from autograder.checker import Expectations, LearnerError, LearnerRun, Remote, evaluate, message
from autograder.handback import as_data, hand_back, is_model, take_back
from autograder.integrity import TensorFlowReport
from autograder.judges import training
from autograder.registry import Case, Exercise, get_exercise
from autograder.verdict import MIME_TYPE as VERDICT_MIME
from autograder.verdict import Verdict

#: Runs ``code`` in a kernel and returns its outputs, or raises :class:`NoAnswer`.
Execute = Callable[[str], list[NotebookNode]]
#: Where a result output keeps its message's binary buffers (never written to a notebook).
BUFFERS = "autograder_buffers"
#: A verdict's lines are cut to this many characters, and each of its parts to this many lines.
MAX_LINE = 2_000
MAX_LINES = 40


class NoAnswer(Exception):
    """The kernel did not answer (it died, ran out of time, or sent no result)."""


@dataclass(frozen=True)
class CheckCall:
    """One ``check("name", fn[, hidden=True])`` line of a test cell."""

    exercise: str
    function: str
    hidden: bool


def check_calls(source: str) -> list[CheckCall] | None:
    """The cell's check calls, or None when the cell holds anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) == 2
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and isinstance(call.args[1], ast.Name)
            and all(k.arg == "hidden" and isinstance(k.value, ast.Constant) for k in call.keywords)
        ):
            return None
        hidden = any(bool(k.value.value) for k in call.keywords)
        calls.append(CheckCall(call.args[0].value, call.args[1].id, hidden))
    return calls or None


#: Children a learner's call may have spawned from a generator that the judge mirrors.
MAX_SPAWNED = 10_000


def _mirror_generator(sent: np.random.Generator, after: np.random.Generator) -> None:
    """``sent`` as the learner's call left ``after``: its state, and the children spawned from
    its seed sequence (so that the next ``spawn`` gives new ones, as in the learner's process)."""
    sent.bit_generator.state = after.bit_generator.state
    ours, theirs = sent.bit_generator.seed_seq, after.bit_generator.seed_seq
    spawned = getattr(theirs, "n_children_spawned", 0) - getattr(ours, "n_children_spawned", 0)
    if 0 < spawned <= MAX_SPAWNED:
        ours.spawn(spawned)


def _restore(sent: Any, after: Any) -> Any:
    """The argument as the learner's call left it, in the type the judge sent (the judge's
    models crossed as copies: the learner's side cannot change them)."""
    if is_model(sent):
        return sent
    if (
        isinstance(sent, list | tuple)
        and isinstance(after, list | tuple)
        and len(sent) == len(after)
    ):
        return type(sent)(_restore(s, a) for s, a in zip(sent, after, strict=True))
    if isinstance(sent, dict) and isinstance(after, dict) and sent.keys() == after.keys():
        return {k: _restore(sent[k], after[k]) for k in sent}
    if isinstance(sent, np.random.Generator) and isinstance(after, np.random.Generator):
        _mirror_generator(sent, after)
        return sent
    if isinstance(sent, np.ndarray) and not isinstance(after, np.ndarray):
        return sent  # the learner's side could not send it back: nothing to compare
    return after


def _write_back(sent: Any, after: Any) -> None:
    """Mirror in-place changes (arrays, generator states) into the judge's own arguments."""
    if isinstance(sent, list | tuple) and isinstance(after, list | tuple):
        for s, a in zip(sent, after, strict=False):
            _write_back(s, a)
    elif isinstance(sent, dict) and isinstance(after, dict):
        for key in sent.keys() & after.keys():
            _write_back(sent[key], after[key])
    elif isinstance(sent, np.random.Generator) and isinstance(after, np.random.Generator):
        _mirror_generator(sent, after)
    elif (
        isinstance(sent, np.ndarray)
        and isinstance(after, np.ndarray)
        and sent.shape == after.shape
        and sent.flags.writeable
    ):
        np.copyto(sent, after, casting="unsafe")


def _request_code(function: str, request: str, entry: str = "call") -> str:
    runner_module = f"__import__('autograder.runner', fromlist=[{entry!r}])"
    return f"{runner_module}.{entry}({function!r}, {request!r})"


def _no_answer(why: str) -> LearnerError:
    return LearnerError("NoAnswer", ["NoAnswer"], why, None)


#: How a refusal the learner's code caught reads to the checker (it names NumPyOnlyError).
REFUSED_MRO = [klass.__name__ for klass in runner.NumPyOnlyError.__mro__]


class RemoteFunction(Remote):
    """The learner's ``function``, called in a kernel with data going both ways.

    :meth:`prefetch` asks for all of a check's calls in one request
    (:func:`autograder.runner.call_batch`); a call then takes a reply given in advance only
    when its request is the very one the kernel answered, and is asked for on its own otherwise.
    """

    def __init__(self, execute: Execute, function: str, exercise: Exercise) -> None:
        self._execute = execute
        self._function = function
        self._exercise = exercise
        self._run: LearnerRun | None = None
        #: replies given in advance, by request, in the order the kernel gave them
        self._answered: dict[str, list[list[dict[str, Any]] | LearnerError]] = {}
        #: the request the kernel's next call of this case answered, and its replies from there
        self._next: tuple[str, list[dict[str, Any]]] | None = None
        #: the next call is a case's first (the calls given in advance start there)
        self._first = False

    def _request(self, args: Any, kwargs: Any, kind_call: bool) -> str:
        """The wire text asking for a call on ``args``, ``kwargs``; ``kind_call``: the kernel
        calls the learner's object the way the exercise's kind does."""
        send = as_data if self._exercise.kind.in_numpy_kernel else hand_back
        return wire.dumps(
            {
                "args": tuple(send(a) for a in args),
                "kwargs": {k: send(v) for k, v in kwargs.items()},
                "exercise": self._exercise.name if kind_call else "",
            }
        )

    def _result(self, code: str) -> Any:
        """What the kernel published for ``code``, as data; else a NoAnswer LearnerError."""
        try:
            outputs = self._execute(code)
        except NoAnswer as error:
            raise _no_answer(str(error)) from None
        results = [
            o
            for o in outputs
            if o.get("output_type") == "display_data" and runner.MIME_TYPE in o.get("data", {})
        ]
        if not results:
            raise _no_answer("the kernel sent no result for this call")
        try:
            result = results[-1]
            return wire.loads(result["data"][runner.MIME_TYPE], result.get(BUFFERS, ()))
        except wire.WireError as error:
            raise _no_answer(f"unreadable result: {error}") from None

    def prefetch(self, exercise: Exercise, cases: list[Case]) -> None:
        """Ask for the calls of every case (and of its repeat) in one request."""
        calls = exercise.kind.calls_in_advance
        if calls < 1 or not cases:
            return
        requests = [
            self._request(case.args, case.kwargs, kind_call=exercise.kind.caller == "kernel")
            for case in cases
            for _ in range(1 + case.same_twice)
        ]
        batch = wire.dumps({"requests": requests, "calls": calls})
        try:
            answers = self._result(_request_code(self._function, batch, "call_batch"))
            if not (isinstance(answers, list) and len(answers) == len(requests)):
                raise _no_answer(f"unreadable result: not a list of {len(requests)} answers")
        except LearnerError as error:
            answers = [error] * len(requests)
        except Exception as error:  # what came back defeated the reading: no answers at all
            answers = [_no_answer(f"unreadable result: {type(error).__name__}")] * len(requests)
        self._answered = {}
        for request, answer in zip(requests, answers, strict=True):
            if answer is None:  # the batch stopped before it: asked for on its own
                continue
            if not isinstance(answer, LearnerError) and not (
                isinstance(answer, list)
                and 0 < len(answer) <= calls
                and all(isinstance(reply, dict) for reply in answer)
            ):
                answer = _no_answer(f"unreadable result: not a list of up to {calls} results")
            self._answered.setdefault(request, []).append(answer)

    def _reply(self, request: str) -> dict[str, Any]:
        """The kernel's reply to ``request``: the one it gave in advance, else asked for now."""
        follows, first = self._next, self._first
        self._next, self._first = None, False
        if follows is not None and follows[0] == request:
            replies: list[dict[str, Any]] | LearnerError = follows[1]
        elif first and self._answered.get(request):
            replies = self._answered[request].pop(0)
        else:
            reply = self._result(_request_code(self._function, request))
            if not isinstance(reply, dict):
                raise _no_answer("unreadable result: a result must be a dict")
            return reply
        if isinstance(replies, LearnerError):
            raise replies
        reply, rest = replies[0], replies[1:]
        args, kwargs = reply.get("args"), reply.get("kwargs")
        if rest and isinstance(args, tuple) and isinstance(kwargs, dict):
            self._next = (self._request(args, kwargs, kind_call=False), rest)
        return reply

    def _error(self, reply: dict[str, Any]) -> LearnerError | None:
        error = reply.get("error")
        if not isinstance(error, dict):
            return None
        where = error.get("where")
        if isinstance(where, list) and len(where) == 3:
            line = where[0] if type(where[0]) is int else None
            where = [line, str(where[1])[:100], str(where[2])[:MAX_LINE]]
        else:
            where = None
        return LearnerError(
            str(error.get("type", "Exception"))[:100],
            [str(name)[:100] for name in error.get("mro", [])][:20],
            str(error.get("message", ""))[:2000],
            where,
        )

    @staticmethod
    def _note(run: LearnerRun | None, reply: dict[str, Any]) -> None:
        """Record the reply's remarks (reassigned helpers, warnings, stderr) in ``run``."""
        if run is not None:
            run.reassigned = [n for n in runner.HELPERS if n in reply.get("reassigned", [])]
            run.warnings += [str(w)[:300] for w in reply.get("warnings", [])][:10]
            run.stderr += str(reply.get("stderr", ""))[:2000]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """A plain call, for the kind's own call running in the judge."""
        reply = self._reply(self._request(args, kwargs, kind_call=False))
        self._note(self._run, reply)
        _write_back(args, reply.get("args"))
        _write_back(kwargs, reply.get("kwargs"))
        error = self._error(reply)
        if error is not None:
            raise error
        watched = reply.get("tensorflow")
        if self._exercise.kind.numpy_only and isinstance(watched, dict) and watched.get("ops"):
            used = ", ".join(str(op)[:100] for op in list(watched["ops"])[:5])
            raise LearnerError("NumPyOnlyError", REFUSED_MRO, f"{used}, a failure it caught", None)
        return take_back(reply.get("value"), weights=self._exercise.kind.keeps_weights)

    def fill(self, exercise: Exercise, run: LearnerRun) -> None:
        self._run, self._next, self._first = run, None, True
        try:
            if exercise.kind.caller == "judge":
                run.value = exercise.invoke(self, run.args, run.kwargs)
                return
            kind_call = exercise.kind.caller == "kernel"
            reply = self._reply(self._request(run.args, run.kwargs, kind_call))
        except Exception as error:  # the learner's exception, or the kind's verdict on it
            run.error = error
            return
        finally:
            self._run, self._next, self._first = None, None, False
        self._note(run, reply)
        run.error = self._error(reply)
        run.value = take_back(reply.get("value"), weights=exercise.kind.keeps_weights)
        run.args = _restore(run.args, reply.get("args"))
        run.kwargs = _restore(run.kwargs, reply.get("kwargs"))
        watched = reply.get("tensorflow")
        if exercise.kind.numpy_only and isinstance(watched, dict):
            ops = [str(op) for op in watched.get("ops", []) if op not in exercise.kind.allowed_ops]
            run.tensorflow = TensorFlowReport(
                ops[:50], [str(t) for t in watched.get("tampered", [])]
            )


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE else f"{text[:MAX_LINE]}… [cut by the grader]"


def capped(verdict: Verdict) -> Verdict:
    """The verdict with every line cut to :data:`MAX_LINE` characters and at most
    :data:`MAX_LINES` lines of each part (honest verdicts are far shorter)."""
    return dataclasses.replace(
        verdict,
        headline=_cut(verdict.headline),
        **{
            part: tuple(_cut(str(line)) for line in getattr(verdict, part)[:MAX_LINES])
            for part in ("details", "mistakes", "notes")
        },
    )


def outputs_of(verdicts: list[Verdict]) -> list[NotebookNode]:
    """The outputs an interactive check would have left in the cell, for these verdicts
    (capped: whatever part of them came from the learner's side)."""
    outputs = []
    for verdict in map(capped, verdicts):
        display = NotebookNode(
            output_type="display_data",
            data={"text/plain": "", VERDICT_MIME: verdict.to_json()},
            metadata={},
        )
        if verdict.passed:
            text = verdict.text() + "\n"
            outputs += [NotebookNode(output_type="stream", name="stdout", text=text), display]
            continue
        lines = message(verdict).splitlines() or [""]
        outputs += [
            display,
            NotebookNode(
                output_type="error",
                ename="CheckFailed",
                evalue=message(verdict),
                traceback=[f"CheckFailed: {lines[0]}", *lines[1:]],
            ),
        ]
    return outputs


class Judge:
    """Decides test cells for one worker; the reference's answers persist between submissions."""

    def __init__(self) -> None:
        self.expected: Expectations = {}

    def verdicts(
        self, calls: list[CheckCall], full: Execute, numpy: Execute, until: float = math.inf
    ) -> list[Verdict]:
        """The verdicts of a test cell's checks, stopping at the first failure as a cell does.

        The judge's own work counts against the submission's time: training stops at
        ``until`` (``time.monotonic()``), and the check fails saying so.
        """
        verdicts = []
        for call in calls:
            exercise = get_exercise(call.exercise)
            execute = numpy if exercise.kind.in_numpy_kernel else full
            remote = RemoteFunction(execute, call.function, exercise)
            try:
                with training.deadline(until):
                    verdict = evaluate(exercise, remote, call.hidden, self.expected)
            except training.OutOfTime as error:
                verdict = Verdict(
                    exercise.name, False, f"{exercise.name} could not be judged: {error}", "time"
                )
            except Exception as error:  # what came back defeated the checker: no marks, no crash
                verdict = Verdict(
                    exercise.name,
                    False,
                    f"{exercise.name} could not be judged: what it handed back could not be "
                    f"read ({type(error).__name__}: {str(error)[:300]})",
                    "unreadable",
                )
            verdicts.append(verdict)
            if not verdict.passed:
                break
        return verdicts


def replay_code(source: str, label: str) -> str:
    """The code that replays one of the submission's cells in the NumPy kernel."""
    return f"__import__('autograder.runner', fromlist=['replay']).replay({source!r}, {label!r})"


PREPARE_NUMPY = (
    "__import__('autograder.runner', fromlist=['forbid_tensorflow']).forbid_tensorflow()"
)

__all__ = [
    "CheckCall",
    "Judge",
    "NoAnswer",
    "PREPARE_NUMPY",
    "RemoteFunction",
    "check_calls",
    "outputs_of",
    "replay_code",
]
