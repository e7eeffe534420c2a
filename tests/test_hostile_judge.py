"""Hostile answers to the judge itself, in one judge process as a grading worker runs it.

A kernel is stood in for by what it sends: the judge's requests are answered with wire data
exactly as a learner's patched kernel could answer them (a handed-back model configuration,
an error, a value). The attacker is judged first and a classmate after it by the same
:class:`~autograder.grading.judge.Judge`, as one worker grades them. Their notebooks, graded
by real kernels in a real batch, are in tests/fixtures (tests/test_chapter_grading.py,
tests/test_hostile.py).
"""

from __future__ import annotations

import ast
import json
import time

import numpy as np
import pytest
import zmq
from nbformat import NotebookNode

from autograder import runner, wire
from autograder.compare import array_difference
from autograder.grading.judge import BUFFERS, MAX_LINE, CheckCall, Judge, outputs_of
from autograder.handback import hand_back
from autograder.judges import allowlist, process_state
from autograder.references import keras

REGRESSION = CheckCall("build_regression_mlp", "build_regression_mlp", hidden=False)


def _output(value: object) -> NotebookNode:
    text, buffers = wire.dumps_split(value)
    return NotebookNode(
        output_type="display_data", data={runner.MIME_TYPE: text}, metadata={}, **{BUFFERS: buffers}
    )


def kernel_answering(value: object = None, error: dict | None = None):
    """A kernel that answers every call (and every call of a batch) with this reply; a
    callable ``value`` gives the value for the call's arguments."""

    def execute(code: str) -> list[NotebookNode]:
        asked = wire.loads(ast.literal_eval(ast.parse(code).body[0].value.args[1]))
        args = asked.get("args", ())
        answer = value(*args) if callable(value) else value
        reply = {"value": answer, "error": error, "args": (), "kwargs": {}}
        if ".call_batch(" in code:
            return [_output([[reply] for _ in asked["requests"]])]
        return [_output(reply)]

    return execute


def _judge(judge: Judge, call: CheckCall, execute, until: float = float("inf")):
    return judge.verdicts([call], execute, execute, until)[0]


def _contract_model(n_features: int = 20):
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(25, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(1, activation="linear"),
        ]
    )


def _classmate_scores(judge: Judge) -> None:
    """A classmate handing back the contract's model, graded next by the same judge."""
    model = kernel_answering(lambda n_features=20: hand_back(_contract_model(n_features)))
    verdict = _judge(judge, REGRESSION, model)
    assert verdict.passed, verdict.text()


def test_a_lambda_naming_a_keras_function_is_refused_on_its_configuration():
    """Keras's safe mode lets a Lambda through when its function is named, not bytecode."""
    model = keras.Sequential(
        [
            keras.layers.Dense(25, activation="relu"),
            keras.layers.Lambda(keras.config.set_max_epochs),
            keras.layers.Dense(1),
        ]
    )
    data = hand_back(model)
    data["config"] = data["config"].replace('"module": "builtins"', '"module": "keras.config"')
    judge = Judge()
    verdict = _judge(judge, REGRESSION, kernel_answering(data))
    assert keras.config.max_epochs() is None
    _classmate_scores(judge)
    assert not verdict.passed
    assert "keras.layers.Lambda, which this exercise does not accept" in verdict.text()


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("a setting Dense does not have", lambda layer: layer["config"].update(call_me="x")),
        (
            "an activation that is a function",
            lambda layer: layer["config"].update(
                activation={
                    "module": "keras.config",
                    "class_name": "function",
                    "config": "set_floatx",
                    "registered_name": "function",
                }
            ),
        ),
        ("a registered custom class", lambda layer: layer.update(registered_name="Custom>Dense")),
        (
            "an initializer outside Keras",
            lambda layer: layer["config"]["kernel_initializer"].update(
                module="os", class_name="system"
            ),
        ),
    ],
)
def test_only_the_contracts_classes_and_settings_are_rebuilt(where, change):
    config = json.loads(hand_back(_contract_model())["config"])
    change(config["config"]["layers"][1])
    with pytest.raises(allowlist.Refused):
        allowlist.check(config)


def test_a_model_too_large_is_refused_before_it_is_built():
    """Dense(500_000) on 1,000 inputs: 2 GB of weights, refused from its configuration."""
    config = json.loads(hand_back(_contract_model(1000))["config"])
    config["config"]["layers"][1]["config"]["units"] = 500_000
    judge = Judge()
    started = time.monotonic()
    verdict = _judge(
        judge,
        REGRESSION,
        kernel_answering({"__keras_model__": "sequential", "config": json.dumps(config)}),
    )
    assert not verdict.passed and time.monotonic() - started < 30
    assert "at most 4,000,000 are accepted" in verdict.text()
    _classmate_scores(judge)


def test_the_judges_training_counts_against_the_submissions_time():
    """A model within the bounds but slow to train stops at the submission's deadline."""
    slow = keras.Sequential(  # 3 million parameters: about 100 GFLOP in the 10 epochs
        [
            keras.Input(shape=(20,)),
            *(keras.layers.Dense(1000) for _ in range(3)),
            keras.layers.Dense(1),
        ]
    )
    judge = Judge()
    started = time.monotonic()
    verdict = _judge(judge, REGRESSION, kernel_answering(hand_back(slow)), until=started + 1)
    assert time.monotonic() - started < 20
    assert not verdict.passed and verdict.kind == "time"
    assert "time limit ran out while the judge trained its model" in verdict.headline
    _classmate_scores(judge)  # nothing of the interrupted run was kept


def test_the_judges_process_settings_are_put_back_after_each_submission():
    before = process_state.snapshot()
    with process_state.kept() as changed:
        keras.config.set_epsilon(0.5)
        keras.config.set_floatx("float16")
        keras.config.set_image_data_format("channels_first")
        keras.config.enable_unsafe_deserialization()
        keras.utils.set_random_seed(3)
    assert {"epsilon", "floatx", "image_data_format", "safe_mode", "numpy_random"} <= set(changed)
    after = process_state.snapshot()
    assert all(process_state._same(before[k], after[k]) for k in before)
    assert (keras.config.epsilon(), keras.config.floatx()) == (1e-7, "float32")


def test_complex_values_never_pass_a_real_exercise():
    expected = np.array([0.25, 0.2])
    assert "returned complex values" in array_difference(expected + 1e6j, expected, 1e-6, 1e-6)
    assert "returned complex values" in array_difference(expected + 0j, expected, 1e-6, 1e-6)
    assert array_difference(expected.copy(), expected, 1e-6, 1e-6) is None


def test_verdict_text_from_the_kernel_is_capped():
    """An error on a 10 MB source line, with a 10 MB message: the verdict stays small."""
    huge = "x" * 10_000_000
    error = {
        "type": "IndexError",
        "mro": ["IndexError"],
        "message": huge,
        "where": [3, "tanh", huge],
    }
    verdict = _judge(Judge(), CheckCall("tanh", "tanh", False), kernel_answering(error=error))
    assert not verdict.passed
    outputs = outputs_of([verdict])
    size = len(json.dumps(outputs))
    assert size < 8 * MAX_LINE, size
    assert "[cut by the grader]" in outputs[-1]["evalue"]


def test_kernel_sockets_drop_oversized_frames_before_holding_them(tmp_path):
    """A frame over MAX_FRAME_BYTES on a kernel's channel is never received."""
    from autograder.grading.kernels import MAX_FRAME_BYTES, WarmKernelManager

    client = WarmKernelManager().client()
    client.transport, client.ip = "ipc", str(tmp_path / "k")
    client.iopub_port = 1
    socket = client.connect_iopub()
    assert socket.getsockopt(zmq.MAXMSGSIZE) == MAX_FRAME_BYTES
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.bind(f"ipc://{tmp_path / 'k'}-1")
    received = zmq.Socket.shadow(socket.underlying)  # the client's socket, read synchronously
    time.sleep(0.3)  # the subscription reaches the publisher
    publisher.send(b"small")
    assert received.poll(5000) and received.recv() == b"small"
    publisher.send(bytes(MAX_FRAME_BYTES + 1))
    assert not received.poll(1500)
    socket.close(0)
    publisher.close(0)
