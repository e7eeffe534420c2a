"""Grading on a Dask cluster: workers that cannot see the course, a worker killed mid-batch,
a submission that keeps killing workers, a client that keeps no submission once graded.

The batch test starts a real scheduler and two real ``dask worker`` processes on 127.0.0.1,
each in a mount namespace where the course directory is an empty tmpfs: whatever they
grade reaches them as the tasks' bytes, and what they return is all the course receives.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from distributed import Client, KilledWorker
from rich.console import Console

from autograder.grading import cluster
from autograder.grading.batch import _ungradable, grade
from autograder.grading.settings import Options
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import read_scores
from autograder.variants import load_variants
from tests.harness import SAMPLE_CLASS, make_course, write_submissions

ASSIGNMENT = "02_activations"
DASK = Path(sys.executable).with_name("dask")


def _hidden_from(course: Path, command: list[str]) -> list[str]:
    """``command`` run in a mount namespace of its own with an empty tmpfs over ``course``."""
    namespace = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        namespace[1:1] = ["--user", "--map-root-user"]
    script = 'mount -t tmpfs -o size=1m none "$1" && shift && exec "$@"'
    return [*namespace, "sh", "-c", script, "sh", str(course), *command]


@contextlib.contextmanager
def _started(command: list[str], cwd: Path, log: Path, **env: str) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=dict(os.environ, **env),
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _spawned_worker(nanny: int) -> psutil.Process | None:
    """The worker process a ``dask worker`` nanny started (the one that grades)."""
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(nanny).children():
            if "spawn_main" in " ".join(child.cmdline()):
                return child
    return None


def _ledger(course: Path) -> dict:
    try:
        return json.loads((course / ".autograder" / f"{ASSIGNMENT}.json").read_text())
    except (OSError, ValueError):
        return {}


@pytest.mark.nbgrader
@pytest.mark.xdist_group("cluster")
def test_workers_without_the_course_grade_it_and_survive_a_killed_worker(tmp_path):
    course = make_course(tmp_path / "course", ASSIGNMENT)
    variants = load_variants(SAMPLE_CLASS / ASSIGNMENT)
    write_submissions(variants, course, ASSIGNMENT)
    scheduler_file = tmp_path / "scheduler.json"
    failures = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(cluster.ALLOWED_FAILURES)}
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _started(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0"]
                + ["--no-dashboard", "--scheduler-file", str(scheduler_file)],
                tmp_path,
                tmp_path / "scheduler.log",
                **failures,
            )
        )
        nannies = []
        for name in ("w0", "w1"):
            folder = tmp_path / name
            folder.mkdir()
            worker = [str(DASK), "worker", "--scheduler-file", str(scheduler_file)]
            worker += ["--nthreads", "1", "--no-dashboard", "--name", name]
            worker += ["--local-directory", str(folder)]
            while not scheduler_file.exists():
                time.sleep(0.2)
            nannies.append(
                stack.enter_context(
                    _started(_hidden_from(course, worker), folder, tmp_path / f"{name}.log")
                )
            )
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address) as client:
            client.wait_for_workers(2, timeout=120)

        killed: list[int] = []

        def kill_a_worker_mid_batch() -> None:
            deadline = time.monotonic() + 600
            while not _ledger(course) and time.monotonic() < deadline:
                time.sleep(0.2)
            worker = _spawned_worker(nannies[0].pid)
            if worker is not None:
                seen = Path(f"/proc/{worker.pid}/root") / course.relative_to("/") / "source"
                killed.append(worker.pid if not seen.exists() else -worker.pid)
                worker.kill()

        killer = threading.Thread(target=kill_a_worker_mid_batch)
        killer.start()
        with open(os.devnull, "w") as quiet:
            result = grade(course, ASSIGNMENT, Options(scheduler=address), Console(file=quiet))
        killer.join()

    assert killed and killed[0] > 0, "a worker could see the course, or none was killed"
    assert len(_ledger(course)) == len(result.graded) == len(variants)
    assert address in result.engine and "2 workers" in result.engine
    assert not result.failed, result.failed
    scores = read_scores(course, ASSIGNMENT)
    for variant in variants:
        cells = scores[variant.name]
        lost = set(cells) if variant.lost == ("all",) else set(variant.lost)
        assert {c for c, s in cells.items() if s.score < s.max_score} == lost, variant.name
        feedback = CourseLayout(course).student_notebook(
            "feedback", variant.name, ASSIGNMENT, ".html"
        )
        assert feedback.is_file(), variant.name


def _dies_on_poison(name: str) -> str:
    """A task that kills the worker running it when handed the poisoned submission."""
    if name == "poison":
        os.kill(os.getpid(), signal.SIGKILL)
    return name.upper()


def test_a_submission_that_keeps_killing_workers_is_given_up_by_name(tmp_path):
    with (
        cluster.local_cluster(2, tmp_path) as local,
        Client(local) as client,
    ):
        engine = cluster.Engine(client, local=True)
        jobs = [(name, (name,)) for name in ("ada", "poison", "blake", "casey")]
        results = dict(cluster.feed(engine, _dies_on_poison, jobs, 2, threading.Event()))
    assert {name: results[name] for name in ("ada", "blake", "casey")} == {
        "ada": "ADA",
        "blake": "BLAKE",
        "casey": "CASEY",
    }
    assert isinstance(results["poison"], KilledWorker)
    assert "ungradable" in _ungradable(results["poison"])


@dataclass(frozen=True)
class _Parcel:
    """What a task carries (a submission's files, in a batch)."""

    files: bytes


def _size(parcel: _Parcel) -> int:
    return len(parcel.files)


def _parcels() -> list[_Parcel]:
    gc.collect()
    return [item for item in gc.get_objects() if isinstance(item, _Parcel)]


def test_the_client_keeps_no_task_once_its_result_is_in(tmp_path):
    """Dask's debugging logs would keep the messages that carried each task: the client, with
    its local scheduler, must hold no more tasks than are in flight, whatever the class size."""
    window, size = 4, 24
    with (
        cluster.local_cluster(2, tmp_path) as local,
        Client(local) as client,
    ):
        engine = cluster.Engine(client, local=True)
        jobs = ((f"s{i}", (_Parcel(os.urandom(10_000)),)) for i in range(size))
        results = dict(cluster.feed(engine, _size, jobs, window, threading.Event()))
        deadline = time.monotonic() + 10  # the scheduler forgets the last tasks a moment later
        while len(kept := _parcels()) > window and time.monotonic() < deadline:
            time.sleep(0.2)
    assert results == {f"s{i}": 10_000 for i in range(size)}
    assert len(kept) <= window


#: What a second user of the machine runs against the grading cluster's port: a Python with the
#: same Dask (started as root only to import it, then that user), trying each way in.
_INTRUDER = """
import os, socket, sys
from distributed import Client
from distributed.security import Security

port, uid, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
socket.create_connection(("127.0.0.1", port), timeout=5).close()
print("port reachable", flush=True)


def plant():
    open(marker, "w").write("pwned")


attempts = {
    "plain tcp": (f"tcp://127.0.0.1:{port}", None),
    "tls, no credentials": (f"tls://127.0.0.1:{port}", None),
    "tls, credentials of its own": (f"tls://127.0.0.1:{port}", Security.temporary()),
}
for what, (address, security) in attempts.items():
    try:
        with Client(address, security=security, timeout="5s") as client:
            client.run_on_scheduler(plant)
        print(what, "CONNECTED", flush=True)
    except Exception as error:
        print(what, "refused:", type(error).__name__, flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a second local user needs root")
def test_another_local_user_cannot_use_the_grading_cluster(grading_cluster, tmp_path):
    """The cluster ``autograder grade`` starts accepts only connections holding its
    credentials: a second, unprivileged user of the machine reaches its port, but neither
    talks to it nor runs anything on it."""
    user = f"ag-intruder-{os.getpid()}"
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
        check=True,
    )
    try:
        uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True).stdout)
        tmp_path.chmod(0o777)  # the intruder could write here: only the cluster could not
        marker = tmp_path / "pwned.txt"
        port = grading_cluster.rsplit(":", 1)[1]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
        out = subprocess.run(
            [sys.executable, "-c", _INTRUDER, port, str(uid), str(marker)],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean,
            cwd=tmp_path,
        )
    finally:
        subprocess.run(["userdel", user], check=False)
    lines = out.stdout.splitlines()
    assert lines[0] == "port reachable", out.stderr[-2000:]
    assert len(lines) == 4 and all("refused" in line for line in lines[1:]), out.stdout
    assert not marker.exists()
    assert grading_cluster.startswith("tls://")
    with Client(grading_cluster) as client:  # this process holds the credentials
        assert client.run_on_scheduler(os.getpid) > 0
