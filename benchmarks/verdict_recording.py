"""Record every verdict the checker gives the variant corpus, to prove a refactoring changes none.

For each chapter under tests/fixtures/submissions, every variant (the reference solution
included) is defined in-process after the chapter's setup cell, as tests/test_course_secret.py
does, and every check of every test cell is evaluated by :func:`autograder.checker.evaluate`
under a fixed course secret. Each verdict's JSON (headline, details, mistakes, notes, passed)
is written, one line per check, to the file named on the command line; run before and after
a change and diff the two files::

    PYTHONPATH=$PWD python benchmarks/verdict_recording.py before.jsonl [chapter ...]

Python's string hashing is fixed (``PYTHONHASHSEED=0``, the script restarts itself with it):
some Keras messages print a set, whose order follows the hashes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from autograder.checker import Expectations, evaluate
from autograder.registry import course_secret, get_exercise
from autograder.variants import load_variants
from tests.harness import FIXTURES
from tests.test_course_secret import _answers, _checks

SECRET = bytes(range(32))


def record(chapters: list[str], out: Path) -> None:
    """Write every verdict of ``chapters``' variants to ``out``, one JSON line per check."""
    expected: Expectations = {}
    with out.open("w", encoding="utf-8") as sink, course_secret(SECRET):
        for chapter in chapters:
            checks = _checks(chapter)
            for variant in load_variants(FIXTURES / chapter):
                namespace = _answers(chapter, variant)
                for cell, calls in checks.items():
                    for call in calls:
                        line = {"chapter": chapter, "variant": variant.name, "cell": cell}
                        line["check"] = [call.exercise, call.function, call.hidden]
                        if call.function not in namespace:
                            line["verdict"] = "undefined"
                        else:
                            exercise = get_exercise(call.exercise)
                            function = namespace[call.function]
                            verdict = evaluate(exercise, function, call.hidden, expected)
                            line["verdict"] = verdict.to_json()
                        sink.write(json.dumps(line, sort_keys=True, default=repr) + "\n")
                        sink.flush()
            print(chapter, "recorded", flush=True)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(
            sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"}
        )
    every = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    record(sys.argv[2:] or every, Path(sys.argv[1]))
