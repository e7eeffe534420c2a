"""The learner's side of a judged check: run code cells, call a function, hand back data.

During ``autograder grade`` the judge (:mod:`autograder.grading.judge`) never runs test
cells in a learner's kernel. It asks the kernel to run the submission's other cells
(:func:`replay`, in the NumPy kernel) and to call one function on inputs it sends
(:func:`call`), or on each of a check's cases in one request (:func:`call_batch`); the
answer is published as one display output of :data:`MIME_TYPE` holding wire data
(:mod:`autograder.wire`, its arrays in the message's binary buffers): the return value or
the exception, the arguments as they were after the call, warnings and stderr (a batch: the
list of those). Learner code can change anything here, and so change only what it hands
back. Imports NumPy only.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import json
import linecache
import sys
import time
import types
import warnings
from typing import Any

from autograder import wire
from autograder.modeldata import stand_ins
from autograder.quiet import captured_stderr

MIME_TYPE = "application/vnd.autograder.result+json"
#: Modules a NumPy exercise may not use: the NumPy kernel's view of site-packages leaves them
#: out (:func:`autograder.grading.sandbox.build_view`) and importing one there raises
#: :class:`NumPyOnlyError`; TensorFlow's and Keras's (:data:`STAND_INS`) give stand-ins instead.
NOT_NUMPY = ("tensorflow", "keras", "tf_keras", "tensorboard", "jax", "torch")
#: The modules whose stand-ins answer the calls a NumPy notebook may make (:data:`ALLOWED`).
STAND_INS = NOT_NUMPY[:3]
#: A batch (:func:`call_batch`) starts no further call once it has run this long or its
#: replies hold this many bytes; the judge asks for the rest one by one, each in its own time.
BATCH_SECONDS = 5.0
BATCH_BYTES = 16 * 2**20


class NumPyOnlyError(ImportError, RuntimeError):
    """A NumPy exercise's code reached for TensorFlow or Keras: a stand-in refused to compute,
    or (``name``: the module) the NumPy kernel blocked an import of :data:`NOT_NUMPY`."""


#: What a NumPy exercise's notebook may take from TensorFlow and Keras in the NumPy kernel
#: (the README's rules for NumPy exercises): each is what Keras itself gives by default.
#: Anything else that computes (an op, a layer, a tensor) is refused.
RULE = (
    "from TensorFlow and Keras, a NumPy exercise's notebook may take constants "
    "(keras.backend.epsilon(), keras.config.floatx()), type checks (isinstance(x, tf.Tensor)) "
    "and seeding (keras.utils.set_random_seed); nothing that computes, inside or outside "
    "its functions"
)


def _set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` without Keras: Python's and NumPy's global seeds."""
    import random

    import numpy

    random.seed(seed)
    numpy.random.seed(seed)


#: The calls the stand-ins answer (keras/src/backend/config.py, keras/src/utils/rng_utils.py).
ALLOWED: dict[str, Any] = {
    **{f"keras.{m}.epsilon": lambda: 1e-7 for m in ("backend", "config")},
    **{f"keras.{m}.floatx": lambda: "float32" for m in ("backend", "config")},
    **{f"keras.{m}.image_data_format": lambda: "channels_last" for m in ("backend", "config")},
    "keras.utils.set_random_seed": _set_random_seed,
    "tensorflow.random.set_seed": lambda seed: None,
}
#: The stand-ins' refusals, in order (a refusal caught by the learner's own ``try`` counts too).
REFUSED: list[str] = []
#: How replayed cells stopped: ``[cell, line, error, names the rest would bind]``; a refusal is
#: listed (with the names its statement binds) and does not stop the cell.
REPLAYED: list[list[Any]] = []


def _keras_name(name: str) -> str:
    """``keras.backend.epsilon`` for ``tensorflow.keras.backend.epsilon`` or ``tf_keras...``."""
    for prefix in ("tensorflow.keras.", "tf_keras."):
        if name.startswith(prefix):
            return "keras." + name[len(prefix) :]
    return name


def _refuse(name: str) -> Any:
    REFUSED.append(name)
    raise NumPyOnlyError(name)


class _RefusingType(type):
    """A TensorFlow or Keras class in the NumPy kernel: a real class (``isinstance`` and
    subclassing work, and no object is ever one), whose instances are refused."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _refuse(cls.__stand_in__)

    def __getattr__(cls, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Refusing(f"{cls.__stand_in__}.{attribute}")

    def __instancecheck__(cls, instance: Any) -> bool:
        """``isinstance(layer, keras.layers.Dense)`` holds for a Dense layer's stand-in
        (:mod:`autograder.modeldata`), and for nothing else."""
        classes = getattr(instance, "keras_classes", None)
        return callable(classes) and cls.__stand_in__.rsplit(".", 1)[-1] in classes()


_CLASSES: dict[str, type] = {}


def _stand_in_class(name: str) -> type:
    if name not in _CLASSES:
        module, _, short = name.rpartition(".")
        attributes = {"__stand_in__": name, "__module__": module}
        _CLASSES[name] = _RefusingType(short, (), attributes)
    return _CLASSES[name]


class _Refusing(types.ModuleType):
    """Stands in for TensorFlow and Keras in the NumPy kernel: importing works, computing fails.

    Capitalised names are classes (:class:`_RefusingType`); the calls in :data:`ALLOWED` answer.
    """

    __path__: list[str] = []

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        name = f"{self.__name__}.{attribute}"
        if attribute[:1].isupper():
            return _stand_in_class(name)
        return _Refusing(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        allowed = ALLOWED.get(_keras_name(self.__name__))
        if allowed is not None:
            return allowed(*args, **kwargs)
        return _refuse(self.__name__)


class _RefusingFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of TensorFlow's and Keras's modules give stand-ins."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name.split(".")[0] not in STAND_INS:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        return _Refusing(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the stand-in is the whole module."""


def forbid_tensorflow() -> None:
    """Make ``import tensorflow`` / ``keras`` (and their submodules) give stand-ins that refuse."""
    sys.meta_path.insert(0, _RefusingFinder())
    for name in STAND_INS:
        sys.modules[name] = _Refusing(name)


def _namespace() -> dict[str, Any]:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else sys.modules["__main__"].__dict__


def replay(source: str, label: str) -> None:
    """Run a code cell as Jupyter does, up to its first error (noted in :data:`REPLAYED`).

    A statement the stand-ins refuse would have run in the learner's own kernel: it is noted
    and the cell goes on.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
        tree = ast.parse(code)
    except Exception as error:
        REPLAYED.append([label, getattr(error, "lineno", None), _error_line(error), {"*"}])
        return
    filename = f"<{label}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = _namespace()
    for position, statement in enumerate(tree.body):
        if _imports_course_tools(statement):
            continue  # the checker and the course's helpers (Keras, plots) are not used here
        try:
            with warnings.catch_warnings(), captured_stderr():
                warnings.simplefilter("ignore")
                exec(compile(ast.Module([statement], []), filename, "exec"), namespace)
        except BaseException as error:  # noqa: BLE001 - the cell's own failure, not ours
            # a stand-in's refusal; a blocked import (its ``name``) stops the cell
            refused = isinstance(error, NumPyOnlyError) and error.name is None
            missing = _binds(tree.body[position : position + 1 if refused else None])
            REPLAYED.append([label, statement.lineno, _error_line(error), missing])
            if not refused:
                return


def _binds(statements: list[ast.stmt]) -> set[str]:
    """The names these top-level statements bind."""
    names = set()
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _error_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


def _replay_notes(name: str) -> str:
    """Why ``name`` is missing: the replayed cell that would have bound it stopped (or a
    statement binding it was refused, by the rule it broke)."""
    stops = [entry for entry in REPLAYED if name in entry[3] or "*" in entry[3]]
    if not stops:
        return ""
    cell, line, error, _ = stops[-1]
    if error.startswith("NumPyOnlyError"):
        return (
            f" ({cell}, line {line} uses {error.removeprefix('NumPyOnlyError: ')}, which the "
            f"grader refuses for a NumPy exercise: {RULE})"
        )
    return f" (its cell stopped at its first error, as in Jupyter: {cell}, line {line}: {error})"


#: NumPy's comparison helpers, which a learner may reassign hoping to fool a checker.
HELPERS = (
    "np.allclose",
    "np.isclose",
    "np.array_equal",
    "np.testing.assert_allclose",
    "np.testing.assert_array_equal",
)


def _reassigned_helpers() -> list[str]:
    """The helpers that are no longer NumPy's own in this kernel."""
    import numpy

    reassigned = []
    for name in HELPERS:
        owner: Any = numpy
        for part in name.split(".")[1:]:
            owner = getattr(owner, part, None)
        if not str(getattr(owner, "__module__", "")).startswith("numpy"):
            reassigned.append(name)
    return reassigned


#: packages whose imports the NumPy kernel skips: the checker pulls in the whole registry, and
#: the course's helpers need Keras (absent there) or only draw (03's import 0.9 s of them first)
COURSE_TOOLS = {"autograder", "course"}
#: the course's modules written with NumPy alone, imported as in the learner's notebook (an
#: answer may build on them: 05's hint builds ``mlp_gradients`` from ``dense_backward``)
NUMPY_COURSE_MODULES = {"course.mlp", "course.fallback", "course.functions"}


def _needs_keras(module: str) -> bool:
    """Whether ``module`` is one of :data:`COURSE_TOOLS`'s that the NumPy kernel skips."""
    return module.split(".")[0] in COURSE_TOOLS and module not in NUMPY_COURSE_MODULES


def _imports_course_tools(statement: ast.stmt) -> bool:
    """Whether the statement imports one of :data:`COURSE_TOOLS`'s modules that need Keras."""
    if isinstance(statement, ast.ImportFrom):
        module = statement.module or ""
        if module == "course":  # ``from course import mlp``: the submodules it names
            return any(_needs_keras(f"course.{alias.name}") for alias in statement.names)
        return _needs_keras(module)
    if isinstance(statement, ast.Import):
        return any(_needs_keras(alias.name) for alias in statement.names)
    return False


def _error(error: BaseException) -> dict[str, Any]:
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = [frames[-1].lineno, frames[-1].name, frames[-1].line] if frames else None
    text = str(error)[:2000]
    if isinstance(error, NameError) and isinstance(error.name, str):
        text += _replay_notes(error.name)
    return {
        "type": type(error).__name__,
        "mro": [klass.__name__ for klass in type(error).__mro__],
        "message": text,
        "where": where,
    }


def _invoke(exercise: str, fn: Any, args: tuple, kwargs: dict, reply: dict[str, Any]) -> Any:
    """Call ``fn``; with an exercise, the way its kind calls it (in this kernel: it needs Keras or
    the learner's live objects), under the watch."""
    if not exercise:
        refused = len(REFUSED)
        value = fn(*args, **kwargs)
        if REFUSED[refused:]:  # caught by the learner's code: the judge counts it all the same
            reply["tensorflow"] = {"ops": REFUSED[refused:], "tampered": []}
        keras = sys.modules.get("keras")
        if keras is None or isinstance(keras, _Refusing):
            return value
        from autograder.handback import hand_back

        return hand_back(value)
    from autograder.handback import hand_back, take_back
    from autograder.integrity import WATCH
    from autograder.registry import get_exercise

    chosen = get_exercise(exercise)
    args = tuple(take_back(a) for a in args)
    kwargs = {k: take_back(v) for k, v in kwargs.items()}
    if not chosen.kind.numpy_only:
        return hand_back(chosen.invoke(fn, args, kwargs), args)
    refused = len(REFUSED)
    with WATCH.armed() as watched:
        value = chosen.invoke(fn, args, kwargs)
    # a refusal the learner's code caught (``try: keras ... except: numpy``) counts as an op
    ops = list(watched.ops) + REFUSED[refused:]
    reply["tensorflow"] = {"ops": ops, "tampered": watched.tampered}
    return hand_back(value, args)


def _publish(text: str, buffers: list[bytes]) -> None:
    """One display output of :data:`MIME_TYPE`; in a kernel, the arrays go as binary frames."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    publisher = getattr(get_ipython(), "display_pub", None)
    session = getattr(publisher, "session", None)
    if session is None:  # no ZeroMQ kernel: no frames beside the JSON
        publish_display_data({"text/plain": "", MIME_TYPE: text})
        return
    publisher._flush_streams()
    content = {"data": {"text/plain": "", MIME_TYPE: text}, "metadata": {}, "transient": {}}
    message = session.msg("display_data", content, parent=publisher.parent_header)
    session.send(publisher.pub_socket, message, ident=publisher.topic, buffers=buffers)


def _answer(name: str, exercise: str, args: tuple, kwargs: dict) -> dict[str, Any]:
    """What calling the learner's ``name`` on ``args``, ``kwargs`` (which it may change) did."""
    reply: dict[str, Any] = {"value": None, "error": None}
    args, kwargs = stand_ins(args), stand_ins(kwargs)  # a model sent as data (numpy_forward)
    fn = _namespace().get(name)
    with warnings.catch_warnings(record=True) as caught, captured_stderr() as stderr:
        warnings.simplefilter("always")
        try:
            if fn is None:  # not raised here: the error names no line of the grader's
                reply["error"] = _error(NameError(f"name {name!r} is not defined", name=name))
            else:
                reply["value"] = _invoke(exercise, fn, args, kwargs, reply)
        except BaseException as error:  # noqa: BLE001 - even KeyboardInterrupt is a verdict
            reply["error"] = _error(error)
    reply["reassigned"] = _reassigned_helpers()
    reply["warnings"] = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    reply["stderr"] = stderr.text[:2000]
    reply["args"], reply["kwargs"] = args, kwargs
    return reply


def _encoded(reply: dict[str, Any], buffers: list[bytes]) -> str:
    """The reply as a wire text, its arrays appended to ``buffers`` (or why it could not be)."""
    mark = len(buffers)
    try:
        return json.dumps(wire.encode(reply, buffers=buffers))
    except Exception as error:
        del buffers[mark:]
        failed = {"value": None, "error": _error(error), "args": reply["args"]}
        return json.dumps(wire.encode({**failed, "kwargs": reply["kwargs"]}, buffers=buffers))


def call(name: str, request: str) -> None:
    """Call the learner's ``name`` on the request's arguments; publish what happened."""
    asked = wire.loads(request)
    args, kwargs = tuple(asked["args"]), dict(asked["kwargs"])
    buffers: list[bytes] = []
    _publish(_encoded(_answer(name, asked.get("exercise", ""), args, kwargs), buffers), buffers)


def _calls(name: str, asked: dict, calls: int, buffers: list[bytes]) -> tuple[list[str], bool]:
    """Up to ``calls`` calls of ``name``, each on the arguments as the call before left them (as
    they crossed the wire), stopping at an error: their replies as wire texts, and whether the
    last one was interrupted."""
    exercise = asked.get("exercise", "")
    args, kwargs = tuple(asked["args"]), dict(asked["kwargs"])
    replies = []
    for _ in range(calls):
        replies.append(_encoded(_answer(name, exercise, args, kwargs), buffers))
        after = wire.decode(json.loads(replies[-1]), buffers=buffers)
        if after["error"] is not None:
            return replies, after["error"]["type"] == "KeyboardInterrupt"
        args, kwargs = tuple(after["args"]), dict(after["kwargs"])
    return replies, False


def call_batch(name: str, request: str) -> None:
    """:func:`call`'s work for each of the request's requests in turn; publish one list.

    The request holds ``requests`` (each the text :func:`call` takes) and ``calls``: each request
    is called up to that many times, each call on the arguments as the one before left them,
    stopping at an error. Its answer is the list of those calls' replies, or None once the batch
    has stopped: after :data:`BATCH_SECONDS`, at :data:`BATCH_BYTES` of replies, after an
    interrupted call or a reply that cannot cross. The judge asks for those on their own.
    """
    asked = wire.loads(request)
    started, stopped = time.monotonic(), False
    parts: list[str] = []
    buffers: list[bytes] = []
    size = 0
    for text in asked["requests"]:
        mark, replies = len(buffers), None
        if not stopped:
            try:
                replies, stopped = _calls(name, wire.loads(text), int(asked["calls"]), buffers)
            except Exception:  # a reply that cannot cross: asked for on its own, as today
                stopped = True
        part = f"[{','.join(replies or ())}]"
        size += len(part) + sum(len(b) for b in buffers[mark:])
        if replies is None or size > BATCH_BYTES:
            del buffers[mark:]
            part, stopped = "null", True
        parts.append(part)
        stopped = stopped or time.monotonic() - started > BATCH_SECONDS
    _publish(f"[{','.join(parts)}]", buffers)
