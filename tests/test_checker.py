"""The checker in-process, with real TensorFlow: verdicts, messages and integrity."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograder import CheckFailed, check
from autograder.registry import all_exercises


def stable_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small))


def failure(name, fn, hidden=True) -> str:
    with pytest.raises(CheckFailed) as raised:
        check(name, fn, hidden=hidden)
    return str(raised.value)


def test_correct_function_passes_and_reports(capsys):
    check("sigmoid", stable_sigmoid, hidden=True)
    assert "✔ sigmoid matches keras.activations.sigmoid" in capsys.readouterr().out


def test_overflow_warning_is_reported_on_stdout_not_stderr(capfd):
    check("sigmoid", lambda x: 1 / (1 + np.exp(-x)), hidden=True)
    out, err = capfd.readouterr()
    assert err == ""
    assert "overflow encountered in exp" in out


def test_wrong_value_message_names_input_expected_got_and_mistake():
    message = failure("sigmoid", lambda x: 1 / (1 + np.exp(np.asarray(x, float))), hidden=False)
    for needle in (
        "does not match keras.activations.sigmoid",
        "input",
        "expected:",
        "got:",
        "largest error at index",
        "rtol=1e-05",
        "sign slip",
    ):
        assert needle in message


def test_calling_keras_scores_zero():
    import keras

    message = failure("tanh", lambda x: np.asarray(keras.activations.tanh(np.asarray(x))))
    assert "ran TensorFlow ops (Tanh)" in message


def test_tensorflow_in_another_thread_is_seen():
    import tensorflow as tf

    def sneaky(x):
        worker = threading.Thread(target=lambda: tf.nn.relu(tf.constant([1.0])))
        worker.start()
        worker.join()
        return np.maximum(np.asarray(x, float), 0)

    assert "ran TensorFlow ops (Relu)" in failure("relu", sneaky)


def test_switching_off_the_watch_is_tampering():
    from tensorflow.python import pywrap_tfe

    from autograder.integrity import WATCH

    original = WATCH._originals["TFE_Py_FastPathExecute"]

    def unhook(x):
        pywrap_tfe.TFE_Py_FastPathExecute = original
        return np.maximum(np.asarray(x, float), 0)

    assert "scores zero" in failure("relu", unhook)
    assert pywrap_tfe.TFE_Py_FastPathExecute is not original  # re-installed afterwards


def test_reassigning_numpy_comparisons_changes_nothing(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(np, "isclose", lambda a, b, **k: np.ones(np.shape(a), bool))
    message = failure("softmax", lambda x, axis=-1: np.exp(np.asarray(x, float)))
    assert "does not match keras.activations.softmax" in message
    assert "np.allclose" in message and "changes nothing" in message


def test_input_mutation_fails():
    def in_place(x):
        x = np.asarray(x)
        x[x < 0] = 0
        return x

    assert "changed its argument x in place" in failure("relu", in_place)


def test_naive_softmax_fails_only_hidden_large_logits():
    def naive(x, axis=-1):
        return np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)

    check("softmax", naive)  # the visible inputs are small
    message = failure("softmax", naive)
    assert "large logits" in message and "Subtract the maximum" in message


def test_not_implemented_and_unknown_task_messages():
    def blank(x):
        raise NotImplementedError()

    assert "not implemented yet" in failure("relu", blank, hidden=False)
    message = failure("output_activation", lambda task: "linear")
    assert "should raise ValueError" in message or "does not match" in message


def test_float16_inputs_get_the_documented_tolerance():
    check("sigmoid", lambda x: 1 / (1 + np.exp(-x)), hidden=True)  # float16 stays float16


def test_every_exercise_has_cases_and_a_reference_that_runs():
    for name, exercise in all_exercises().items():
        cases = exercise.cases(hidden=True)
        assert len(cases) > len(exercise.cases(hidden=False)), name
        answered = 0
        for case in cases:
            try:
                exercise.reference(*case.args, **case.kwargs)
                answered += 1
            except ValueError:  # part of some contracts: learners must raise it too
                pass
        assert answered, f"{name}: the reference raises on every case"
