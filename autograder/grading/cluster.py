"""Where grading runs: a Dask cluster, local by default or at a scheduler's address.

``autograder grade`` starts a :class:`~distributed.LocalCluster` of worker processes on
127.0.0.1 (one thread each: a worker grades one submission at a time), or connects to the
scheduler given with ``--scheduler`` or ``DASK_SCHEDULER_ADDRESS``. Either way it asks the
workers' machines whether kernels can be sandboxed there, registers
:class:`~autograder.grading.plugin.GradingPlugin` on every worker (new ones too) and feeds
the cluster a bounded window of tasks (:func:`feed`), so that the client holds only the
submissions in flight, whatever the size of the class.

Faults are Dask's: a task that raised is run again (``RETRIES``); the tasks of a worker that
died are given to others, and a task whose workers died ``ALLOWED_FAILURES + 1`` times is
given up (:class:`~distributed.KilledWorker`), which the batch reports as ungradable.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
from distributed import Client, LocalCluster, Security, as_completed

from autograder.grading import limits, sandbox
from autograder.grading.plugin import GradingPlugin

#: how many times a task whose worker died is given to another (the scheduler's setting)
ALLOWED_FAILURES = 2
#: how many times a task that raised is run again
RETRIES = 1
#: Dask keeps the last messages of every connection, and each transition, for debugging
#: (1,000 of each by default). A message that hands a worker a task holds the whole
#: submission, so the client (and its local scheduler) would hold the last thousand
#: submissions' files: none are kept, and the client's memory stays flat in class size.
NO_DEBUG_LOGS = {"distributed.admin.low-level-log-length": 0}


@dataclass
class Engine:
    """A connected Dask client, and where it grades (for the summary)."""

    client: Client
    local: bool

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def describe(self) -> str:
        if self.local:
            return f"local cluster of {self.workers} workers"
        return f"cluster at {self.client.scheduler.address}, {self.workers} workers"

    def isolation_problems(self) -> dict[str, str]:
        """Why kernels could not be sandboxed, per machine that cannot (none: all can)."""
        if self.local:
            reason = sandbox.isolation_available()
            return {"this machine": reason} if reason else {}
        found = self.client.run(sandbox.isolation_available)
        return {worker: reason for worker, reason in found.items() if reason}

    def kernel_limits(self, memory_mb: int) -> str:
        """What bounds each kernel's processes, memory and CPU share on the workers' machines."""
        if self.local:
            return limits.describe(memory_mb)
        found = self.client.run(limits.describe, memory_mb)
        return "; ".join(sorted(set(found.values())))

    def warm(self, isolate: bool, log_folder: Path) -> None:
        """Register the grading plugin: every worker, new ones too, warms up now."""
        folder = str(log_folder) if self.local else ""  # others keep their own logs
        self.client.register_plugin(GradingPlugin(isolate, folder))


def scheduler_address(option: str = "") -> str:
    """``--scheduler``, else Dask's ``scheduler-address`` (``DASK_SCHEDULER_ADDRESS``), else ''."""
    return option or str(dask.config.get("scheduler-address", None) or "")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Keep Ctrl-C from the worker processes started meanwhile (they inherit the mask).

    A Ctrl-C pressed meanwhile is delivered when the block ends: the batch is
    interrupted by ``autograder grade`` alone, which stops its workers in order.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


#: The credentials of the local clusters this process started, by scheduler address.
_LOCAL_CREDENTIALS: dict[str, Security] = {}


def local_credentials(info: dict[str, Any]) -> Security | None:
    """Dask's ``distributed.client.security-loader`` while a local cluster runs: a client of
    this process connecting to it by address gets its credentials (other addresses: Dask's
    configuration, e.g. the TLS files of a remote cluster)."""
    return _LOCAL_CREDENTIALS.get(info["address"])


@contextlib.contextmanager
def local_cluster(workers: int, scratch: Path, tls: bool = True) -> Iterator[LocalCluster]:
    """A cluster of ``workers`` one-thread worker processes on 127.0.0.1, working in ``scratch``.

    It speaks TLS with credentials made for it alone (``security=True``: a key and a
    certificate that exist only in this process's memory and its workers', passed to them
    when they start), and accepts only connections that present them: another user of the
    machine can reach its port but neither talk to it nor run anything on it. Clients of
    this process that connect by its address get them (:func:`local_credentials`).

    (``tls=False``, plain TCP that anyone on the machine may use, only serves to measure
    what TLS costs: ``benchmarks/cluster_tls.py``.)

    Its workers do not profile their tasks: nobody reads the profiles (there is no dashboard),
    and sampling the grading thread's stack every 10 ms doubled their event loop's CPU time.
    Nor does it keep debugging logs (:data:`NO_DEBUG_LOGS`).
    """
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.worker.profile.enabled": False,
        "distributed.client.security-loader": f"{__name__}.local_credentials",
    }
    # the whole life of the cluster: a worker that replaces a dead one connects later
    with dask.config.set(NO_DEBUG_LOGS):
        with dask.config.set(settings), _sigint_blocked():
            local = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                security=tls or None,
                # no dashboard; the scheduler's health endpoint on a free loopback port
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                local_directory=str(scratch),
                silence_logs=logging.ERROR,
            )
        with local:
            if tls:
                _LOCAL_CREDENTIALS[local.scheduler_address] = local.security
            try:
                with dask.config.set(settings):
                    yield local
            finally:
                _LOCAL_CREDENTIALS.pop(local.scheduler_address, None)


@contextlib.contextmanager
def connect(workers: int, scheduler: str = "") -> Iterator[Engine]:
    """The cluster at ``scheduler`` (see :func:`scheduler_address`), else a local one of
    ``workers`` processes, closed on exit."""
    address = scheduler_address(scheduler)
    with contextlib.ExitStack() as stack:
        stack.enter_context(dask.config.set(NO_DEBUG_LOGS))
        if address:
            client = stack.enter_context(Client(address, timeout="60s"))
        else:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="autograder-dask-"))
            local = stack.enter_context(local_cluster(workers, Path(scratch)))
            client = stack.enter_context(Client(local))
        yield Engine(client, local=not address)


def feed(
    engine: Engine,
    task: Callable[..., Any],
    jobs: Iterable[tuple[str, tuple]],
    window: int,
    stop: threading.Event,
) -> Iterator[tuple[str, Any]]:
    """Run ``task(*args)`` for each ``(name, args)``, at most ``window`` at a time.

    Yields ``(name, result)`` as tasks finish; ``result`` is the exception if the task
    failed for good. Raises :class:`KeyboardInterrupt` once ``stop`` is set.
    """
    pending = iter(jobs)
    names: dict[Any, str] = {}
    finished = as_completed()

    def submit_next() -> None:
        for name, args in pending:
            key = f"{getattr(task, '__name__', 'task')}-{name}-{uuid.uuid4().hex[:8]}"
            future = engine.client.submit(task, *args, key=key, pure=False, retries=RETRIES)
            names[future] = name
            finished.add(future)
            return

    for _ in range(window):
        submit_next()
    try:
        while names:
            if stop.is_set():
                raise KeyboardInterrupt
            batch = finished.next_batch(block=False)
            if not batch:
                time.sleep(0.05)
                continue
            for future in batch:
                try:
                    result = future.result()
                except Exception as error:  # noqa: BLE001  (the caller reports it by name)
                    result = error
                name = names.pop(future)
                future.release()
                submit_next()
                yield name, result
    finally:
        for future in names:
            future.cancel()
