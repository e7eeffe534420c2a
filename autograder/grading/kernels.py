"""Kernels forked from a warm process instead of started from scratch.

A plain kernel start pays for Python, ipykernel and an 8 s TensorFlow import.
Here each worker keeps a multiprocessing *fork server* (started on first use) that has
imported :mod:`autograder.grading.warm` once; every kernel is a fork of it, which then
applies the sandbox and runs an ordinary ipykernel on the connection file that
jupyter_client wrote. Everything else is stock jupyter_client / nbclient. The kernels'
limits are traits of :class:`WarmProvisioner`, set through traitlets configuration
(see :meth:`autograder.grading.settings.Options.nbgrader_config`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import multiprocessing
import multiprocessing.context
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
from traitlets import Bool, Integer, Unicode

from autograder.grading import sandbox
from autograder.grading.settings import Options
from autograder.layout import CourseLayout


@functools.cache
def fork_server() -> multiprocessing.context.ForkServerContext:
    """The multiprocessing context whose server has imported the warm modules."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.grading.warm"])
    return context


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
    process = fork_server().Process(target=_nothing)
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

    memory_mb = Integer(
        Options.memory_mb, help="Memory a kernel may map, in MB, beyond the warm process's."
    ).tag(config=True)
    isolate = Bool(
        Options.isolate, help="Run kernels in their own network and mount namespaces."
    ).tag(config=True)
    figures = Bool(
        Options.figures, help="Draw figures (without, a figure shows as its text summary)."
    ).tag(config=True)
    course_root = Unicode(
        "",
        help="The course directory whose secrets a kernel must not see; the kernel's working "
        "folder (the submission's) stays writable. Empty: hide nothing.",
    ).tag(config=True)

    def _hidden(self, workdir: str) -> sandbox.Hidden | None:
        if not self.course_root:
            return None
        layout = CourseLayout(Path(self.course_root))
        return sandbox.Hidden(layout.root, Path(workdir), layout.secrets())

    flavour = Unicode(
        "full",
        help="'full': TensorFlow and Keras preloaded; 'numpy': a kernel in which TensorFlow and "
        "Keras cannot be imported (NumPy exercises are judged there).",
    ).tag(config=True)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = cmd[cmd.index("-f") :] if "-f" in cmd else cmd[1:]
        if self.flavour == "numpy":
            command = [sys.executable, "-m", "autograder.grading.numpy_kernel", *argv]
            return await super().launch_kernel(command, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        limits = sandbox.Limits(memory_mb=self.memory_mb, isolate=self.isolate)
        process = fork_server().Process(
            target=_kernel_main,
            args=(argv, env, cwd, limits, self._hidden(cwd), self.figures),
            daemon=False,
        )
        process.start()
        self.process = ForkedProcess(process)
        self.pid = self.pgid = process.pid
        self.cwd = cwd
        return self.connection_info


def _socket_folder() -> Path:
    """This user's private folder for kernel sockets (one shared name would clash between
    users: a folder left by root makes another grader's kernels die at start)."""
    folder = Path(tempfile.gettempdir()) / f"autograder-kernels-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise RuntimeError(f"{folder} belongs to another user: remove it or set TMPDIR")
    return folder


class WarmKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernels are forks of the warm server, talking over IPC sockets.

    IPC (Unix-socket) transport keeps working inside the kernel's empty network namespace.
    """

    flavour = Unicode("full", help="The kernels' flavour (see WarmProvisioner.flavour).")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(_socket_folder() / uuid.uuid4().hex[:12])

    async def _async_pre_start_kernel(self, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            self.provisioner.flavour = self.flavour
        return await super()._async_pre_start_kernel(**kwargs)

    def client(self, **kwargs: Any) -> Any:
        """A kernel client on the worker's shared ZMQ context.

        A client with a context of its own terminates it when it stops, and that waits
        out the 1 s linger of the heartbeat's last ping to a kernel that has already
        exited: a second lost per submission. The shared context is never terminated.
        """
        kwargs.setdefault("context", zmq.asyncio.Context.instance())
        return super().client(**kwargs)
