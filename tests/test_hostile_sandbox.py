"""The kernel sandbox: hostile submissions that attack classmates, the grader and the course
(graded in one batch next to honest classmates), and the sandbox's own guarantees."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from autograder.grading import kernels, limits, sandbox
from autograder.grading.batch import Options, grade
from autograder.grading.exports import export_csvs
from autograder.grading.report import write_report
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import load_variants, write_submissions
from tests.harness import (
    ROOT,
    GradedClass,
    make_course,
    warm_workers,
    worker_environment,
    worker_processes,
)

pytestmark = pytest.mark.xdist_group("hostile_sandbox")
ASSIGNMENT = "02_activations"
CASES = load_variants(ROOT / "tests" / "fixtures" / "hostile" / ASSIGNMENT / "sandbox")
SECRET = "autograder-secret-" + uuid.uuid4().hex[:8]
RUN = "autograder-run-" + uuid.uuid4().hex[:8]
LEFTOVER = b"autograder-hostile-leftover"


def _processes_with(needle: bytes, where: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / where).read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _kernels_of(workers: Collection[int]) -> list[int]:
    """What the fork servers below these worker processes forked: kernels and their keepers
    (processes running the fork server's command whose parent runs it too)."""
    command = f"{sys.executable}\0-P\0-m\0autograder.grading.forkserver\0".encode()
    parent: dict[int, int] = {}
    forked: set[int] = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if (entry / "cmdline").read_bytes().startswith(command):
                forked.add(int(entry.name))
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            pass

    def below_workers(pid: int) -> bool:
        while pid > 1 and pid not in workers:
            pid = parent.get(pid, 0)
        return pid in workers

    return [pid for pid in forked if parent.get(pid) in forked and below_workers(pid)]


def _survivors(find: Callable[..., list[int]], *args: Any, seconds: float = 10) -> list[int]:
    """What ``find(*args)`` still finds after a grace of up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := find(*args)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _plant_secrets(course: Path) -> None:
    # Not in source/02_activations/: nbgrader copies that folder's files into autograded/ and
    # feedback/ for every student by design.
    (course / "source" / "instructor").mkdir()
    (course / "source" / "instructor" / "notes.txt").write_text(SECRET)
    with sqlite3.connect(CourseLayout(course).gradebook) as gradebook:
        gradebook.execute("create table hostile_marker (value text)")
        gradebook.execute("insert into hostile_marker values (?)", (SECRET,))


@pytest.fixture(scope="module")
def batch(tmp_path_factory, grading_cluster):
    assert sandbox.isolation_available() is None  # never run these attacks unsandboxed
    course = make_course(tmp_path_factory.mktemp("hostile_sandbox") / "course", ASSIGNMENT)
    write_submissions(CASES, course, ASSIGNMENT)
    _plant_secrets(course)
    server = socket.create_server(("127.0.0.1", 0))
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + RUN)
    abstract.listen()
    # The run's marker is in the environment of every process the kernels start. The workers'
    # fork servers (kernels are forks of them) live as long as the workers: start them before
    # the marker is in the workers' environment.
    warm_workers(grading_cluster)
    marked = worker_environment(
        grading_cluster,
        AUTOGRADER_TEST_PORT=str(server.getsockname()[1]),
        AUTOGRADER_TEST_ABSTRACT=RUN,
        AUTOGRADER_TEST_RUN=RUN,
    )
    options = Options(cell_timeout=20, timeout=120, memory_mb=1024, scheduler=grading_cluster)
    workers = worker_processes(grading_cluster)
    try:
        with marked, open(os.devnull, "w") as quiet:
            result = grade(course, ASSIGNMENT, options, Console(file=quiet))
    finally:
        server.close()
        abstract.close()
    survived = worker_processes(grading_cluster) == workers
    exports = export_csvs(course, ASSIGNMENT, CourseLayout(course).reports)
    report = write_report(course, ASSIGNMENT, CourseLayout(course).reports)
    scores = read_scores(course, ASSIGNMENT)
    notebooks = {
        s: CourseLayout(course).student_notebook("autograded", s, ASSIGNMENT) for s in scores
    }
    graded = GradedClass(scores, notebooks, {o.student: o.error for o in result.failed})
    return course, result, graded, (*exports, report), survived


@pytest.mark.nbgrader
def test_the_batch_finishes_sandboxed_with_exports_and_report(batch):
    course, result, graded, outputs, survived = batch
    assert result.isolation == sandbox.DESCRIPTION
    assert not result.failed and len(result.graded) == len(CASES)
    assert survived, "a grading worker died during the batch (and was replaced)"
    assert set(graded.scores) == {case.name for case in CASES}
    totals, exercises, report = outputs
    for export in (totals, exercises):
        assert all(case.name in export.read_text() for case in CASES), export
    assert "Scores" in report.read_text()


@pytest.mark.nbgrader
def test_a_kernel_keeps_to_its_share_of_processes_memory_and_cpu(batch):
    """hogs_the_machine forks 3,000 processes, has 4 children hold 300 MB each, spins 4."""
    _, result, graded, _, _ = batch
    assert result.limits == limits.describe(1024) and "cgroup" in result.limits

    def figure(cell: str, pattern: str) -> float:
        output = graded.cell_output("hogs_the_machine", cell)
        found = re.search(pattern, output)
        assert found, output
        return float(found[1])

    assert figure("test_sigmoid", r"forked (\d+) processes") < limits.TASKS  # not 3,000
    assert figure("test_tanh", r"held (\d+) MB at once") <= 1024  # all processes together
    assert figure("test_relu", r"cores ([\d.]+)") <= limits.CPUS * 1.2  # however many spin


@pytest.mark.nbgrader
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_attack_gets_its_score(batch, case):
    _, _, graded, _, _ = batch
    lost = {c for c, s in graded.scores[case.name].items() if s.score < s.max_score}
    assert lost == set(case.lost)
    for cell, needle in case.messages:
        assert needle in graded.cell_output(case.name, cell)


@pytest.mark.nbgrader
def test_no_secret_reaches_any_output(batch):
    course, _, _, _, _ = batch
    layout = CourseLayout(course)
    written = [layout.autograded, layout.feedback, layout.reports]
    files = [f for folder in written for f in folder.rglob("*") if f.is_file()]
    assert len(files) > 2 * len(CASES)
    assert [f for f in files if SECRET.encode() in f.read_bytes()] == []


@pytest.mark.nbgrader
def test_nothing_of_the_batch_survives_it(batch, grading_cluster):
    course, _, _, _, _ = batch
    assert _survivors(_processes_with, RUN.encode(), "environ") == []  # what kernels started
    assert _survivors(_processes_with, LEFTOVER, "cmdline") == []
    workers = set(worker_processes(grading_cluster).values())
    assert _survivors(_kernels_of, workers) == []  # the kernels (warm workers stay)
    assert not (course / "pwned.txt").exists() and not Path("/pwned.txt").exists()


# --- the sandbox itself, on kernels of the cheap "numpy" flavour ------------------------------


@pytest.fixture(scope="module")
def numpy_server():
    server = kernels.fork_server("numpy")
    yield server
    server.stop()
    kernels.fork_server.cache_clear()


async def _session(codes: list[str], flavour: str) -> list[str]:
    manager = kernels.WarmKernelManager(flavour=flavour)
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    outputs = []
    try:
        await client.wait_for_ready(timeout=60)
        for code in codes:
            out: list[str] = []

            def hook(message: dict, out: list[str] = out) -> None:
                content = message["content"]
                out.append(content.get("text", ""))
                if "ename" in content:
                    out.append(f"{content['ename']}: {content['evalue']}")

            await client.execute_interactive(code, output_hook=hook, timeout=60)
            outputs.append("".join(out).strip())
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    return outputs


def run(*codes: str, flavour: str = "numpy") -> list[str]:
    """Run each code in one fresh kernel; what each printed (or raised)."""
    return asyncio.run(_session(list(codes), flavour))


def test_kernel_is_pid_1_of_its_namespace_and_unprivileged(numpy_server):
    status, processes, uid = run(
        "print(open('/proc/self/status').read())",
        "import os; print(sorted(p for p in os.listdir('/proc') if p.isdigit()))",
        "print(os.getuid(), os.getgid())",
    )
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["CapEff"].strip() == fields["CapBnd"].strip() == "0" * 16
    assert fields["NoNewPrivs"].strip() == "1"
    assert processes == "['1']"
    assert uid == f"{sandbox.KERNEL_UID} {sandbox.KERNEL_UID}"


def test_kernel_writes_only_to_its_scratch(numpy_server):
    (out,) = run(
        "import os\n"
        "ok = []\n"
        "for p in ('/tmp/a', 'b', '/dev/shm/c', '/d', '/usr/e', '/run/kernels/f', '/etc/g'):\n"
        "    try:\n"
        "        open(p, 'w').write('x'); ok.append(p)\n"
        "    except OSError:\n"
        "        pass\n"
        "import glob\n"
        "for p in glob.glob('/run/kernels/*'):\n"
        "    try:\n"
        "        open(p + '/h', 'w'); ok.append(p)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(os.getcwd(), ok, len(os.listdir('/run/kernels')))"
    )
    assert out == "/scratch ['/tmp/a', 'b', '/dev/shm/c'] 1"


def test_kernel_cannot_undo_its_mounts(numpy_server):
    (out,) = run(
        "import ctypes, subprocess, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print([libc.umount2(p, 2) for p in (b'/scratch', b'/proc', b'/run/kernels')])\n"
        "new = 'import ctypes; print(ctypes.CDLL(None).unshare(0x10000000 | 0x20000))'\n"
        "print(subprocess.run([sys.executable, '-c', new], capture_output=True, text=True).stdout)"
    )
    assert out.split() == ["[-1,", "-1,", "-1]", "-1"]


def test_numpy_kernels_have_no_tensorflow_at_all(numpy_server):
    blocked, missing, listed = run(
        "import tensorflow",
        "import sys, importlib.util\n"
        "sys.meta_path = [f for f in sys.meta_path if type(f).__name__ != '_Blocker']\n"
        "print([importlib.util.find_spec(m) for m in ('tensorflow', 'keras', 'numpy')][:2])",
        "import os, site\n"
        "print([e for p in site.getsitepackages() for e in os.listdir(p)\n"
        "       if e.lower().startswith(('tensorflow', 'keras', 'tf_keras', 'jax', 'torch'))])",
    )
    assert "NumPyOnlyError" in blocked and "must be NumPy only" in blocked
    assert missing == "[None, None]"
    assert listed == "[]"


def test_a_kernel_takes_everything_it_started_with_it(numpy_server):
    marker = "autograder-sandbox-orphan-" + uuid.uuid4().hex[:8]
    (out,) = run(
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{marker}'],"
        " start_new_session=True)\n"
        "print(p.pid)"
    )
    assert out.isdigit()
    assert _survivors(_processes_with, marker.encode(), "cmdline") == []


def test_the_view_holds_no_course_and_no_tests(numpy_server):
    shown = numpy_server.exposes((ROOT / "source", ROOT / "tests", ROOT / ".git", ROOT))
    assert shown == []
    (out,) = run(
        "import os\n"
        f"print([p for p in ('{ROOT}/source', '{ROOT}/tests', '{ROOT}/.git', '/root/.ssh')"
        " if os.path.exists(p)], sorted(os.listdir('/')))"
    )
    assert out.startswith("[] ")
