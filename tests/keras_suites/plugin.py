"""pytest plugin: run Keras's own test files against the course's adapters, and record outcomes.

Loaded with ``-p tests.keras_suites.plugin --keras-report=PATH`` (tests/test_keras_suites.py
does it). After collection it rebinds, in each Keras test module, the module it imported
(``losses``, ``activations``, ``initializers``, ``compute_fans``, the optimizer classes,
``schedules``) to the course's adapter, and
marks the tests of :data:`contract.BY_TEST`. Every test's outcome, with the category of its
skip, goes to the JSON report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.keras_suites import (
    activations,
    contract,
    initializers,
    keras_conftest,
    losses,
    optimizers,
)

#: Keras test module -> {global name it imported: what replaces it}.
ADAPTERS = {
    "keras.src.losses.losses_test": {"losses": losses},
    "keras.src.activations.activations_test": {"activations": activations},
    "keras.src.initializers.random_initializers_test": {
        "initializers": initializers,
        "compute_fans": initializers.compute_fans,
    },
    **{
        f"keras.src.optimizers.{module}_test": {name: optimizers.OPTIMIZERS[name]}
        for module, name in (
            ("sgd", "SGD"),
            ("rmsprop", "RMSprop"),
            ("adagrad", "Adagrad"),
            ("adam", "Adam"),
            ("adamw", "AdamW"),
        )
    },
    "keras.src.optimizers.schedules.learning_rate_schedule_test": {
        "schedules": optimizers.SCHEDULES_MODULE
    },
}

_results: dict[str, dict] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--keras-report", required=True, help="where to write the JSON outcomes")


def pytest_configure(config: pytest.Config) -> None:
    sys.modules.setdefault("conftest", keras_conftest)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    used = set()
    for module_name, replacements in ADAPTERS.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name, adapter in replacements.items():
            if not hasattr(module, name):
                raise pytest.UsageError(f"{module_name} no longer imports {name!r}")
            setattr(module, name, adapter)
    for item in items:
        test = "::".join(item.nodeid.split("::")[1:])
        if test in contract.BY_TEST:
            category, why = contract.BY_TEST[test]
            item.add_marker(pytest.mark.skip(reason=contract.reason(category, why)))
            used.add(test)
    stale = set(contract.BY_TEST) - used
    if stale:
        raise pytest.UsageError(f"contract.BY_TEST names tests Keras no longer has: {stale}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    before = contract.calls
    try:
        return (yield)
    finally:
        item.user_properties.append(("course_calls", contract.calls - before))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "category": None})
    calls = dict(report.user_properties).get("course_calls")
    if calls is not None:
        entry["course_calls"] = calls
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["reason"] = str(report.longrepr)[-2000:]
    elif report.skipped and entry["outcome"] != "failed":
        why = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        entry.update(outcome="skipped", reason=why, category=contract.category_of(why) or "backend")
    if report.when == "teardown" and entry["outcome"] == "passed" and not entry.get("course_calls"):
        entry.update(outcome="skipped", category="keras-only", reason="passed without the course")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _results[report.nodeid] = {"outcome": "error", "reason": str(report.longrepr)[-2000:]}


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = Path(session.config.getoption("--keras-report"))
    path.write_text(json.dumps(_results, indent=1), encoding="utf-8")
