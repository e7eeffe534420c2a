"""Which code cells `autograder grade` runs: those the grades depend on, and no fewer."""

from __future__ import annotations

import time

import nbformat
import pytest

from autograder.cells import nbgrader_meta
from autograder.grading.dependencies import cells_to_run
from autograder.grading.preprocessors.resilient_execute import needed_cells
from autograder.layout import CourseLayout
from tests.harness import ROOT

SETUP = "import numpy as np\nimport matplotlib.pyplot as plt\nimport warnings"


def run(*cells: str, checked: tuple[str, ...] = ("f",), required: tuple[int, ...] = (1,)):
    """Indices of ``cells`` that run; cell 0 is the setup, cell 1 the learner's answer."""
    return cells_to_run([SETUP, *cells], {0, *(i + 1 for i in required)}, set(checked))


def test_a_demonstration_is_skipped_and_what_the_answer_reads_runs():
    cells = (
        "def f(x):\n    return helper(x) * SCALE",
        "plt.plot(f(np.arange(3)))\nplt.show()",
        "def helper(x):\n    return x + OFFSET",
        "OFFSET = 1",
        "SCALE = 2  # bound after the answer: read when f is called",
        "unused = f(3)\nprint(unused)",
    )
    assert run(*cells, required=(0,)) == {0, 1, 3, 4, 5}


def test_a_cell_runs_with_what_was_bound_before_it_and_its_functions_with_anything():
    """A running cell needs only the cells before it for what it reads as it runs (a
    demonstration that rebinds ``x`` later is not needed for it); what its functions read
    may be bound anywhere, since they run when called."""
    cells = (
        "x = np.arange(3)",
        "def f(v):\n    return helper(v)",
        "from helpers import helper\nprint(helper(x))",
        "x = np.linspace(0, 1)\nplt.plot(x, f(x))",
        "def g():\n    return x",
    )
    assert run(*cells) == {0, 1, 2, 3}
    assert run(*cells, checked=("f", "g")) == {0, 1, 2, 3, 4, 5}
    read_both_ways = ("x = 1", "def f(v):\n    return v + x\nprint(x)", "x = 2")
    assert run(*read_both_ways) == {0, 1, 2, 3}


def test_changes_in_place_to_what_the_answer_reads_run():
    cells = (
        "TABLE = {}\ndef f(x):\n    return TABLE[x]",
        "TABLE['relu'] = 1",
        "TABLE.update(tanh=2)",
        "print(TABLE.get('relu'))",
        "def fill():\n    global CONSTANT\n    CONSTANT = 3",
        "fill()",
        "def g():\n    return CONSTANT",
    )
    assert run(*cells, required=(0,)) == {0, 1, 2, 3}
    reads_constant = ("def f(x):\n    return CONSTANT", *cells[4:6])
    assert run(*reads_constant, required=(0,)) == {0, 1, 2, 3}


def test_global_state_runs_but_a_random_seed_does_not():
    cells = ("def f(x):\n    return np.exp(x)", "np.seterr(all='raise')", "np.random.seed(0)")
    assert run(*cells, required=(0,)) == {0, 1, 2}
    filters = ("def f(x):\n    return x", "warnings.filterwarnings('error')")
    assert run(*filters, required=(0,)) == {0, 1, 2}


@pytest.mark.parametrize(
    "cell",
    [
        "%matplotlib inline\nplt.plot([1])",
        "def broken(:\n    pass",
        "from math import *",
    ],
)
def test_cells_that_cannot_be_read_run(cell):
    assert run("def f(x):\n    return x", cell, required=(0,)) == {0, 1, 2}


def test_a_running_cell_that_reads_the_namespace_dynamically_runs_everything():
    answer = "def f(x):\n    return globals()['helper'](x)"
    assert run(answer, "plt.plot([1])", required=(0,)) is None
    # the same in a cell that is skipped changes nothing
    assert run("def f(x):\n    return x", "print(eval('1 + 1'))", required=(0,)) == {0, 1}


def _chapter(assignment: str) -> tuple[nbformat.NotebookNode, set[int]]:
    notebook = nbformat.read(CourseLayout(ROOT).source_notebook(assignment), as_version=4)
    needed = needed_cells(notebook)
    assert needed is not None
    return notebook, needed


def _graded(notebook: nbformat.NotebookNode) -> set[int]:
    grading = [nbgrader_meta(cell) for cell in notebook.cells]
    return {i for i, g in enumerate(grading) if g.get("grade") or g.get("solution")}


def test_chapters_run_their_answers_and_what_they_use_and_skip_demonstrations():
    notebook, needed = _chapter("03_initialization")
    table = next(i for i, c in enumerate(notebook.cells) if "ACTIVATIONS = {" in c.source)
    assert table in needed  # layer_output_stds reads the chapter's activation table
    assert _graded(notebook) <= needed
    notebook, needed = _chapter("05_training_with_losses")
    training = {i for i, c in enumerate(notebook.cells) if ".fit(" in c.source} - _graded(notebook)
    assert training and not training & needed
    notebook, needed = _chapter("02_activations")
    plots = {i for i, c in enumerate(notebook.cells) if c.source.startswith("plot_activation")}
    assert plots and not plots & needed and _graded(notebook) <= needed


def test_06_optimizers_runs_no_demonstration_of_the_updates():
    notebook, needed = _chapter("06_optimizers")
    demos = {
        i for i, c in enumerate(notebook.cells) if "or_keras(" in c.source or "train(" in c.source
    }
    assert demos and not demos & needed and _graded(notebook) <= needed


def test_a_helper_reached_through_sys_modules_runs_everything():
    answer = "import sys\ndef f(x):\n    return getattr(sys.modules[__name__], 'helper')(x)"
    assert run(answer, "def helper(x):\n    return x", "plt.plot([1])") is None


def test_globals_set_by_a_function_that_a_top_level_call_reaches_run():
    define = "def _store():\n    global TABLE\n    TABLE = np.arange(3)\ndef load():\n    _store()"
    assert run("def f(x):\n    return TABLE[x]", define, "load()", "plt.plot([1])") == {0, 1, 2, 3}


@pytest.mark.parametrize(
    "writes",
    [
        "np.savetxt('table.csv', np.arange(3))",
        "with open('table.csv', 'w') as out:\n    out.write('1')",
        "def dump():\n    np.save('table.npy', np.arange(3))\ndump()",
    ],
)
def test_a_cell_that_writes_a_file_runs(writes):
    answer = "def f(x):\n    return np.loadtxt('table.csv')[x]"
    assert run(answer, writes, "print(open('table.csv').read())", "x = [1].copy()") == {0, 1, 2}


def _chain(cells: int, names: int) -> list[str]:
    """A chain of functions, each naming ``names`` names: the analysis's cost grows faster
    than the notebook (on main, 400 cells of 1,000 names kept a worker for minutes)."""
    named = ", ".join(f"n{j}" for j in range(names))
    chain = ["def f0():\n    return 0\n"]
    return chain + [f"def f{k}():\n    return f{k - 1}, ({named})\n" for k in range(1, cells)]


@pytest.mark.parametrize(("cells", "names"), [(400, 1_000), (120, 1_000)])
def test_the_analysis_of_a_hostile_notebook_is_bounded(cells, names):
    """Past its size bound the analysis is not tried, within it it has a deadline: either
    way it answers in seconds, whatever the notebook, and every cell of the chain runs."""
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in _chain(cells, names)]
    )
    notebook.cells[-1].metadata["nbgrader"] = {"solution": True, "grade": False}
    started = time.monotonic()
    needed = needed_cells(notebook, seconds=3)
    assert time.monotonic() - started < 3 + 2
    assert needed is None or needed == set(range(cells))  # a fast machine may finish in time
