"""The trusted judge: wire data, test-cell parsing, model hand-back, and its calls of a real
NumPy kernel (one request per check, the verdicts of one call per case, forged replies)."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder import wire
from autograder.checker import LearnerError, LearnerRun, Remote, evaluate
from autograder.grading.judge import PREPARE_NUMPY, CheckCall, RemoteFunction, check_calls
from autograder.registry import get_exercise


def test_wire_round_trips_data_with_types_kept():
    rng = np.random.default_rng(7)
    rng.normal()
    value = {
        "array": np.arange(6, dtype=np.float16).reshape(2, 3),
        "scalar": np.float32(1.5),
        "inf": np.float64("inf"),
        "tuple": (1, 2.5, None, True, "text", float("nan"), 2**70),
        "list": [np.int64(3), [np.zeros((0, 2))]],
        "rng": rng,
        7: "int key",
    }
    back = wire.loads(wire.dumps(value))
    assert back["array"].dtype == np.float16 and back["array"].tolist() == value["array"].tolist()
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert type(back["inf"]) is np.float64 and np.isinf(back["inf"])
    assert back["tuple"][:5] == (1, 2.5, None, True, "text") and np.isnan(back["tuple"][5])
    assert back["tuple"][6] == 2**70 and type(back["tuple"]) is tuple
    assert type(back["list"][0]) is np.int64 and back["list"][1][0].shape == (0, 2)
    assert back["rng"].normal() == rng.normal() and back[7] == "int key"


def test_wire_never_unpickles():
    """An object array would need pickle: it crosses element by element, each as data."""
    objects = np.array([{"a": 1}, object()], dtype=object)
    back = wire.loads(wire.dumps(objects))
    assert back.dtype == object and back[0] == {"a": 1} and isinstance(back[1], wire.Opaque)
    buffer = io.BytesIO()
    np.save(buffer, objects, allow_pickle=True)
    import base64

    forged = json.dumps({"$": "nd", "npy": base64.b64encode(buffer.getvalue()).decode()})
    with pytest.raises(wire.WireError):
        wire.loads(forged)
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps({"$": "pickle", "data": pickle.dumps(1).hex()}))


def test_wire_arrays_travel_as_buffers_beside_the_json():
    value = {"value": np.arange(12, dtype=np.float32).reshape(3, 4), "n": np.int64(2), "x": [1.5]}
    text, buffers = wire.dumps_split(value)
    assert len(buffers) == 2 and "npy" not in text
    back = wire.loads(text, buffers)
    assert back["value"].dtype == np.float32 and back["value"].tolist() == value["value"].tolist()
    assert type(back["n"]) is np.int64 and back["x"] == [1.5]
    with pytest.raises(wire.WireError, match="buffer"):
        wire.loads(text)
    with pytest.raises(wire.WireError, match="buffer"):
        wire.loads(json.dumps({"$": "nd", "buffer": -1}), buffers)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps({"$": "nd", "buffer": 0}), [buffer.getvalue()])


def test_wire_refuses_oversized_and_deep_documents(monkeypatch):
    monkeypatch.setattr(wire, "MAX_BYTES", 1000)
    with pytest.raises(wire.WireError, match="larger"):
        wire.loads(wire.dumps(np.zeros(1000)))
    with pytest.raises(wire.WireError, match="larger"):
        wire.loads(*wire.dumps_split(np.zeros(1000)))
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="deeply"):
        wire.loads(json.dumps(deep))


def test_test_cells_are_read_as_check_calls_only():
    source = (
        '# comment\ncheck("relu", relu)\n### BEGIN HIDDEN TESTS\ncheck("relu", relu, hidden=True)\n'
    )
    assert check_calls(source) == [
        CheckCall("relu", "relu", False),
        CheckCall("relu", "relu", True),
    ]
    for other in ('check("relu", relu)\nprint(1)', "check(name, relu)", "x = 1", "def f(:", ""):
        assert check_calls(other) is None


class _Replies(Remote):
    """A remote function whose kernel returns canned replies (the judge's view of a kernel)."""

    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def fill(self, exercise, run: LearnerRun) -> None:
        run.value, run.error = self.value(*run.args) if self.value else None, self.error


def test_verdicts_on_remote_answers_match_the_interactive_wording():
    relu = get_exercise("relu")
    good = evaluate(relu, _Replies(lambda x: np.maximum(np.asarray(x, float), 0)), hidden=True)
    assert good.passed and "visible and hidden cases" in good.headline
    wrong = evaluate(relu, _Replies(lambda x: np.abs(np.asarray(x, float))), hidden=False)
    assert not wrong.passed and wrong.kind == "mismatch" and "expected:" in wrong.text()
    missing = LearnerError("NotImplementedError", ["NotImplementedError"], "", None)
    assert evaluate(relu, _Replies(error=missing), hidden=False).kind == "not_implemented"
    refused = LearnerError("NumPyOnlyError", ["NumPyOnlyError"], "tensorflow.nn.relu", None)
    verdict = evaluate(relu, _Replies(error=refused), hidden=False)
    assert verdict.kind == "tensorflow_ops" and "tensorflow.nn.relu" in verdict.headline


def test_reference_answers_are_computed_once_per_cache():
    cache: dict = {}
    relu = get_exercise("relu")
    answer = _Replies(lambda x: np.maximum(np.asarray(x, float), 0))
    evaluate(relu, answer, hidden=True, cache=cache)
    first = cache[("relu", True, "")]
    evaluate(relu, answer, hidden=True, cache=cache)
    assert cache[("relu", True, "")] is first and len(first) > 5


def test_handed_back_models_are_rebuilt_from_keras_classes_only():
    from autograder.handback import hand_back, take_back
    from autograder.references import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="a")], name="m")
    data = wire.loads(wire.dumps(hand_back(model)))
    rebuilt = take_back(data)
    assert isinstance(rebuilt, keras.Sequential) and rebuilt.name == "m"
    x = np.ones((1, 3), np.float32)
    assert np.allclose(np.asarray(rebuilt(x)), np.asarray(model(x)))
    forged = json.loads(data["config"])
    forged["config"]["layers"][1]["module"] = "os"
    data["config"] = json.dumps(forged)
    with pytest.raises(ValueError, match="os"):
        take_back(data)


# --- the judge's calls of a real NumPy kernel --------------------------------------------------

LEARNERS = {
    "correct": ("relu", "def relu(x):\n    return np.maximum(x, 0)"),
    "wrong": ("relu", "def relu(x):\n    return np.abs(x)"),
    "in_place": ("relu", "def relu(x):\n    x[x < 0] = 0\n    return x"),
    "raises": ("relu", "def relu(x):\n    raise ValueError('no')"),
    "warns": ("relu", "def relu(x):\n    warnings.warn('careful')\n    return np.maximum(x, 0)"),
    "hangs": (
        "relu",
        "def relu(x):\n    time.sleep(60 if np.size(x) == 13 else 0)\n    return np.maximum(x, 0)",
    ),
    "exits": (
        "relu",
        "def relu(x):\n    np.size(x) == 13 and os._exit(1)\n    return np.maximum(x, 0)",
    ),
    "sampler": (
        "random_normal",
        "def random_normal(shape, mean=0.0, stddev=0.05, rng=None):\n"
        "    rng = np.random.default_rng() if rng is None else rng\n"
        "    return rng.normal(mean, stddev, size=shape).astype(np.float32)",
    ),
    "ignores_rng": (
        "random_normal",
        "def random_normal(shape, mean=0.0, stddev=0.05, rng=None):\n"
        "    return np.random.default_rng(0).normal(mean, stddev, size=shape).astype(np.float32)",
    ),
    "global_rng": (
        "random_normal",
        "def random_normal(shape, mean=0.0, stddev=0.05, rng=None):\n"
        "    return np.random.normal(mean, stddev, size=shape).astype(np.float32)",
    ),
    "grows_shape": (
        "random_normal",
        "def random_normal(shape, mean=0.0, stddev=0.05, rng=None):\n"
        "    shape.append(1) if isinstance(shape, list) else None\n"
        "    rng = np.random.default_rng() if rng is None else rng\n"
        "    return rng.normal(mean, stddev, size=shape).astype(np.float32)",
    ),
}


class NumPyKernel:
    """A real NumPy kernel of the grader's, started again when a learner ends it."""

    def __init__(self) -> None:
        self.kernel = None
        self.defined: list[str] = ["import os, time, warnings\nimport numpy as np"]
        self.requests = 0

    def define(self, source: str) -> None:
        self.defined.append(source)
        self.execute(source)

    def execute(self, code: str):
        from traitlets.config import Config

        from autograder.grading.judge_kernel import NumPyKernel as Kernel

        if self.kernel is None or self.kernel.dead:
            self.stop()
            self.kernel = Kernel(10**6, config=Config())
            for step in [PREPARE_NUMPY, *self.defined]:
                self.kernel.run(step, 60)
        self.requests += 1
        return self.kernel.run(code, 5)

    def stop(self) -> None:
        if self.kernel is not None:
            self.kernel.stop()


@pytest.fixture(scope="module")
def kernel():
    from autograder.grading import kernels

    numpy_kernel = NumPyKernel()
    yield numpy_kernel
    numpy_kernel.stop()
    kernels.fork_server("numpy", True).stop()
    kernels.fork_server.cache_clear()


class OneByOne(RemoteFunction):
    """The judge's remote function, asking for each call on its own (nothing in advance)."""

    def prefetch(self, exercise, cases) -> None:
        pass


def _judged(kernel: NumPyKernel, kind, exercise: str, hidden: bool, cache: dict):
    kernel.requests = 0
    remote = kind(kernel.execute, exercise, get_exercise(exercise))
    verdict = evaluate(get_exercise(exercise), remote, hidden, cache)
    return verdict.to_json(), kernel.requests


_CACHE: dict = {}


@pytest.mark.nbgrader
@pytest.mark.xdist_group("judge_kernel")
@pytest.mark.parametrize("learner", LEARNERS)
def test_a_check_is_one_request_with_the_verdict_of_one_request_per_call(kernel, learner):
    exercise, source = LEARNERS[learner]
    kernel.define(source)
    for hidden in (False, True):
        batched, requests = _judged(kernel, RemoteFunction, exercise, hidden, _CACHE)
        alone, requests_alone = _judged(kernel, OneByOne, exercise, hidden, _CACHE)
        assert batched == alone
        if learner == "grows_shape" and hidden:  # the kernel's second draw had another shape
            assert 1 < requests < requests_alone
        else:
            assert requests == 1 <= requests_alone
    expected = {"correct": "passed", "sampler": "passed", "ignores_rng": "mismatch"}
    expected |= {"warns": "passed", "hangs": "raised", "exits": "raised", "raises": "raised"}
    expected |= {"global_rng": "not_repeatable", "in_place": "changed_argument"}
    assert batched["kind"] == expected.get(learner, "mismatch")
    if learner in ("hangs", "exits"):
        assert ("KeyboardInterrupt" if learner == "hangs" else "NoAnswer") in batched["headline"]


FORGERIES = {
    "one more answer": "answers.append(answers[0])",
    "one answer less": "answers.pop()",
    "not a list": "answers = {'$': 'dict', 'items': []}",
    "two replies for one call": "answers[0] = answers[0] * 2",
    "a reply that is not a dict": "answers[1] = [1]",
}


@pytest.mark.nbgrader
@pytest.mark.xdist_group("judge_kernel")
@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_batch_gets_no_marks_and_never_crashes_the_judge(kernel, forgery):
    """The kernel answers a batch with correct replies, then changes their shape."""
    kernel.define(LEARNERS["correct"][1])
    kernel.execute(
        "import json, autograder.runner as runner\n"
        "def forged(name, request, call_batch=runner.call_batch, publish=runner._publish):\n"
        "    sent = []\n"
        "    runner._publish = lambda text, buffers: sent.append((text, buffers))\n"
        "    try:\n"
        "        call_batch(name, request)\n"
        "    finally:\n"
        "        runner._publish = publish\n"
        "    answers = json.loads(sent[0][0])\n"
        f"    {FORGERIES[forgery]}\n"
        "    publish(json.dumps(answers), sent[0][1])\n"
        "runner.real_call_batch, runner.call_batch = runner.call_batch, forged"
    )
    try:
        verdict, requests = _judged(kernel, RemoteFunction, "relu", True, _CACHE)
    finally:
        kernel.execute("runner.call_batch = runner.real_call_batch")
    assert not verdict["passed"] and requests == 1
    assert verdict["headline"].startswith("relu raised NoAnswer: unreadable result")


@pytest.mark.nbgrader
@pytest.mark.xdist_group("judge_kernel")
def test_calls_the_batch_did_not_reach_are_asked_for_on_their_own(kernel):
    kernel.define(LEARNERS["correct"][1])
    kernel.execute("import autograder.runner as runner\nrunner.BATCH_SECONDS = -1.0")
    try:
        verdict, requests = _judged(kernel, RemoteFunction, "relu", True, _CACHE)
    finally:
        kernel.execute("runner.BATCH_SECONDS = 5.0")
    cases = len(get_exercise("relu").cases(True))
    assert verdict["passed"] and requests == cases  # the batch answered only the first case


def test_wire_keeps_what_the_function_returned_by_value():
    """A (str, Enum) member crosses as its value; a numeric object array as its numbers; a
    generator with its seed sequence, so that spawn gives the same children on both sides."""
    import enum
    import math

    class Activation(str, enum.Enum):  # noqa: UP042 - as learners write it
        SIGMOID = "sigmoid"

    assert wire.loads(wire.dumps([Activation.SIGMOID])) == ["sigmoid"]
    erf = np.frompyfunc(math.erf, 1, 1)(np.linspace(-1, 1, 6).reshape(2, 3))
    back = wire.loads(wire.dumps(erf))
    assert back.dtype == object and back.shape == (2, 3)
    np.testing.assert_array_equal(back.astype(float), erf.astype(float))
    rng = np.random.default_rng(7)
    rng.spawn(2)
    crossed = wire.loads(wire.dumps(rng))
    assert crossed.spawn(1)[0].random() == rng.spawn(1)[0].random()


def test_the_judge_mirrors_the_children_a_learner_spawned():
    from autograder.grading.judge import _restore

    sent = np.random.default_rng(3)
    learner = wire.loads(wire.dumps(sent))
    first = learner.spawn(1)[0].random()
    _restore(sent, wire.loads(wire.dumps(learner)))
    assert wire.loads(wire.dumps(sent)).spawn(1)[0].random() != first


def test_the_numpy_kernel_runs_cells_as_jupyter_does_and_names_the_numpy_rule():
    """Run in a fresh interpreter: the stand-ins replace TensorFlow and Keras for good."""
    code = textwrap.dedent(
        """
        import json
        from autograder import runner
        runner.forbid_tensorflow()
        runner.replay("import missing_module\\ndef f(x):\\n    return x\\n", "cell 1")
        runner.replay(
            "import keras\\nimport tensorflow as tf\\nEPS = keras.backend.epsilon()\\n"
            "FLOATX = keras.config.floatx()\\nkeras.utils.set_random_seed(0)\\n"
            "ZERO = keras.ops.zeros(())\\n"
            "def g(x):\\n    return (isinstance(x, tf.Tensor), EPS, FLOATX, ZERO)\\n"
            "def h(x):\\n    return isinstance(x, tf.Tensor), EPS, FLOATX\\n"
            "def k(x):\\n    try:\\n        return keras.ops.relu(x)\\n"
            "    except Exception:\\n        return x\\n",
            "cell 2",
        )
        print(json.dumps([runner._answer(n, "", (1.0,), {}) for n in "fghk"], default=str))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    f, g, h, k = json.loads(done.stdout.splitlines()[-1])
    assert "stopped at its first error, as in Jupyter: cell 1, line 1" in f["error"]["message"]
    assert "name 'ZERO' is not defined" in g["error"]["message"]
    assert (
        "uses keras.ops.zeros" in g["error"]["message"] and "type checks" in g["error"]["message"]
    )
    assert h["error"] is None and h["value"] == [False, 1e-07, "float32"]
    assert k["error"] is None and k["tensorflow"]["ops"] == ["keras.ops.relu"]


def test_the_numpy_kernel_imports_the_course_modules_written_with_numpy():
    """An answer may build on ``course.mlp`` (05's hint): imported as in the notebook; the
    course's Keras helpers are skipped, and a function that needs them fails by name."""
    code = textwrap.dedent(
        """
        import json
        from autograder import runner
        runner.forbid_tensorflow()
        runner.replay(
            "from course.mlp import dense_backward, yours_or_course\\n"
            "from course import stand_ins\\n"
            "def f(x):\\n    return dense_backward(x, [[2.0]], [0.0], [[1.0]], 'relu')[1]\\n"
            "def g(x):\\n    return stand_ins.fit_line(x, x)\\n",
            "cell 1",
        )
        print(json.dumps([runner._answer(n, "", ([[3.0]],), {}) for n in "fg"], default=str))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    f, g = json.loads(done.stdout.splitlines()[-1])
    assert f["error"] is None and "3." in str(f["value"])
    assert "name 'stand_ins' is not defined" in g["error"]["message"]
