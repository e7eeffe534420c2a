"""The static scan flags what the learner wrote and only what is suspicious (no kernel)."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder.cells import nbgrader_meta
from autograder.grading.scan import scan_source, scan_text
from autograder.variants import Variant, build_submission
from tests.harness import ROOT

CHAPTERS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())


def _notebooks(assignment: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", 4)
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", 4)
    return source, release


@pytest.mark.parametrize("assignment", CHAPTERS)
@pytest.mark.parametrize("base", ["solution", "blank"])
def test_the_course_own_code_is_not_flagged(assignment, base):
    source, release = _notebooks(assignment)
    submission = build_submission(Variant(base, "", base), source, release)
    assert scan_text(nbformat.writes(submission), nbformat.writes(release)) == []


def test_05_model_compile_is_the_course_code_but_a_learner_compile_is_flagged():
    source, release = _notebooks("05_training_with_losses")
    assert "model.compile(" in nbformat.writes(release)
    submission = build_submission(Variant("solution", ""), source, release)
    cell = next(c for c in submission.cells if nbgrader_meta(c).get("solution"))
    cell.source += '\ncode = compile("1 + 1", "<learner>", "eval")\nexec(code)\n'
    reasons = {f.reason for f in scan_text(nbformat.writes(submission), nbformat.writes(release))}
    assert reasons == {"compiles code at run time", "runs code built at run time (exec)"}


def test_an_edited_course_cell_is_flagged_only_for_the_learner_lines():
    source, release = _notebooks("05_training_with_losses")
    submission = copy.deepcopy(release)
    cell = next(c for c in submission.cells if "model.compile(" in c.source)
    cell.source = "import sys\nsys.settrace(lambda *a: None)\n" + cell.source
    flags = scan_text(nbformat.writes(submission), nbformat.writes(release))
    assert [(f.line, f.reason) for f in flags] == [(2, "installs a tracer (sys.settrace)")]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("exec(text)", "runs code built at run time (exec)"),
        ("builtins.eval(text)", "evaluates code built at run time (eval)"),
        ("m = __import__('os')", "imports modules dynamically"),
        ("os._exit(0)", "kills the kernel (os._exit)"),
        ("check = print", "rebinds the checker name 'check'"),
        ("np.allclose = lambda *a: True", "reassigns np.allclose"),
        ("open('../../../gradebook.db')", "mentions a grader path: '../../../gradebook.db'"),
    ],
)
def test_suspicious_learner_code_is_flagged(code, reason):
    assert [f.reason for f in scan_source(code, "cell")] == [reason]


@pytest.mark.parametrize(
    "code", ["model.compile(optimizer='sgd')", "re.compile('a+')", "self.eval(x)", "df.eval('a')"]
)
def test_methods_named_like_builtins_are_not_flagged(code):
    assert scan_source(code, "cell") == []


def test_a_keras_attempt_with_a_numpy_fallback_is_flagged():
    code = (
        "def relu(x):\n    try:\n        import keras\n        return keras.ops.relu(x)\n"
        "    except Exception:\n        return np.maximum(x, 0)\n"
    )
    assert [(f.line, "falls back when it fails" in f.reason) for f in scan_source(code, "c")] == [
        (2, True)
    ]
    assert scan_source("try:\n    import scipy\nexcept ImportError:\n    pass\n", "c") == []
