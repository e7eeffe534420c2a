"""Keras's own unit tests, unchanged from the installed package, pass on the course's solutions.

One inner pytest run (its own process: Keras's TestCase clears Keras's global state) collects
losses_test.py, activations_test.py, random_initializers_test.py, the optimizer tests of SGD,
RMSprop, Adagrad, Adam and AdamW and learning_rate_schedule_test.py from the installed keras
with the plugin in tests/keras_suites, which points them at adapters over the reference
solutions. A test that reaches a feature the course does not teach is skipped by a named
rule (tests/keras_suites/contract.py); everything else must pass.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.keras_suites.contract import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(importlib.util.find_spec("keras").origin).resolve().parents[1]
SUITES = {
    "losses_test.py": "keras/src/losses/losses_test.py",
    "activations_test.py": "keras/src/activations/activations_test.py",
    "random_initializers_test.py": "keras/src/initializers/random_initializers_test.py",
    **{
        f"{name}_test.py": f"keras/src/optimizers/{name}_test.py"
        for name in ("sgd", "rmsprop", "adagrad", "adam", "adamw")
    },
    "learning_rate_schedule_test.py": (
        "keras/src/optimizers/schedules/learning_rate_schedule_test.py"
    ),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """Every Keras test's outcome, by suite file, from one inner pytest run."""
    report = tmp_path_factory.mktemp("keras-suites") / "report.json"
    command = [
        *(sys.executable, "-m", "pytest", "-q", "-p", "tests.keras_suites.plugin"),
        *("-c", str(ROOT / "tests" / "keras_suites" / "pytest.ini"), "--rootdir", str(SITE)),
        f"--keras-report={report}",
        *(str(SITE / path) for path in SUITES.values()),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1) and report.exists(), (
        f"the inner pytest run did not finish (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    )
    by_suite: dict[str, dict[str, dict]] = {name: {} for name in SUITES}
    for nodeid, entry in json.loads(report.read_text(encoding="utf-8")).items():
        by_suite[Path(nodeid.split("::")[0]).name][nodeid] = entry
    return by_suite


def _summary(suite: str, results: dict[str, dict]) -> str:
    outcome = Counter(entry["outcome"] for entry in results.values())
    outside = Counter(e["category"] for e in results.values() if e["outcome"] == "skipped")
    reached = sum(
        1 for e in results.values() if e["outcome"] == "skipped" and e.get("course_calls")
    )
    lines = [
        f"{suite}: {len(results)} Keras tests: {outcome['passed']} passed on the course, "
        f"{outcome['failed'] + outcome['error']} failed, {outcome['skipped']} outside the "
        f"contract ({reached} of them after passing checks on the course's code):"
    ]
    lines += [f"    {n:3d}  {CATEGORIES[c]}" for c, n in outside.most_common()]
    return "\n".join(lines)


@pytest.mark.xdist_group("keras-suites")  # one worker, one inner run for every file
@pytest.mark.parametrize("suite", list(SUITES))
def test_keras_own_tests_pass_on_the_course_solutions(outcomes, suite, capsys):
    results = outcomes[suite]
    summary = _summary(suite, results)
    with capsys.disabled():
        print(f"\n{summary}")
    failures = {k: e["reason"] for k, e in results.items() if e["outcome"] in ("failed", "error")}
    assert not failures, summary + "\n\n" + "\n\n".join(f"{k}\n{r}" for k, r in failures.items())
    assert any(e.get("course_calls") for e in results.values()), (
        f"never reached the course: {summary}"
    )
    unknown = {e["category"] for e in results.values() if e["outcome"] == "skipped"} - set(
        CATEGORIES
    )
    assert not unknown, f"skips outside the named categories: {unknown}"
