"""Kernels forked from a warm process instead of started from scratch.

A plain kernel start pays for Python, ipykernel and an 8 s TensorFlow import.
Here each worker keeps a multiprocessing *fork server* that has imported
:mod:`autograder.grading.warm` once; every kernel is a fork of it, which
then applies the sandbox and runs an ordinary ipykernel on the connection file
that jupyter_client wrote. Everything else is stock jupyter_client / nbclient.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from autograder.grading import sandbox

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["autograder.grading.warm"])

#: Set by the worker: limits, what to hide, and whether kernels draw figures.
SETTINGS: dict[str, Any] = {"limits": sandbox.Limits(), "hidden": None, "figures": True}
#: Kernels alive in this worker, so a watchdog can kill them.
LIVE: set[int] = set()


def _kernel_main(
    argv: list[str], env: dict[str, str], cwd: str, limits: Any, hidden: Any, figures: bool
) -> None:
    """Body of a forked kernel: sandbox, then a normal ipykernel.

    Without ``figures``, the inline backend registers no image format: a figure shows
    as its text summary (``<Figure size 640x480 with 1 Axes>``) and is never drawn.
    """
    os.setpgrp()
    die_with_parent()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the kernel talks over its sockets; keep the worker's pipes clean
        os.dup2(devnull, fd)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sandbox.apply(limits, hidden)
    if sys.path and sys.path[0] in ("", cwd):
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp
    from traitlets.config import Config

    config = Config()
    if not figures:
        config.InlineBackend.figure_formats = set()
    IPKernelApp.launch_instance(argv=argv, config=config)


def die_with_parent() -> None:
    """Ask Linux to kill this kernel when the fork server (and so the worker) goes away."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _nothing() -> None:
    """Target of the warm-up fork."""


def warm_up() -> None:
    """Start the fork server now (it imports TensorFlow once), not on the first submission."""
    process = _CONTEXT.Process(target=_nothing)
    process.start()
    process.join()


class ForkedProcess:
    """The Popen-like face of a forked kernel that LocalProvisioner expects."""

    stdin = stdout = stderr = None

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return None if self._process.is_alive() else self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        if self._process.exitcode is not None:
            LIVE.discard(self.pid)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class WarmProvisioner(LocalProvisioner):
    """Launch the kernel as a fork of the warm fork server (same command-line semantics)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = cmd[cmd.index("-f") :] if "-f" in cmd else cmd[1:]
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        process = _CONTEXT.Process(
            target=_kernel_main,
            args=(argv, env, cwd, SETTINGS["limits"], SETTINGS["hidden"], SETTINGS["figures"]),
            daemon=False,
        )
        process.start()
        self.process = ForkedProcess(process)
        LIVE.add(process.pid)
        self.pid = self.pgid = process.pid
        self.cwd = cwd
        return self.connection_info


class WarmKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernels are forks of the warm server, talking over IPC sockets.

    IPC (Unix-socket) transport keeps working inside the kernel's empty network namespace.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        folder = Path(tempfile.gettempdir()) / "autograder-kernels"
        folder.mkdir(exist_ok=True)
        self.ip = str(folder / uuid.uuid4().hex[:12])

    async def _async_pre_start_kernel(self, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kwargs)

    def client(self, **kwargs: Any) -> Any:
        """A kernel client on the worker's shared ZMQ context.

        A client with a context of its own terminates it when it stops, and that waits
        out the 1 s linger of the heartbeat's last ping to a kernel that has already
        exited: a second lost per submission. The shared context is never terminated.
        """
        kwargs.setdefault("context", zmq.asyncio.Context.instance())
        return super().client(**kwargs)
