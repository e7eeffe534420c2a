"""Kernels forked from a warm, sandboxed fork server instead of started from scratch.

A plain kernel start pays for Python, ipykernel and an 8 s TensorFlow import. Here each
worker keeps one fork server per kernel flavour (:mod:`autograder.grading.forkserver`,
started on first use inside bubblewrap, see :mod:`autograder.grading.sandbox`) that has
imported the flavour's preload module once; every kernel is a fork of it that confines itself
in namespaces of its own and runs an ordinary ipykernel on the connection jupyter_client
chose. Everything else is stock jupyter_client / nbclient. The kernels' limits are traits of
:class:`WarmProvisioner`, set through traitlets configuration (see
:func:`autograder.grading.configuration.run_settings`).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import functools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Integer, Type, Unicode

from autograder import wire
from autograder.grading import limits, sandbox
from autograder.grading.folders import read_folder
from autograder.grading.forkserver import PRELOADS
from autograder.grading.sandbox import die_with_parent
from autograder.grading.settings import Options
from autograder.layout import CourseLayout

__all__ = [
    "ForkServer",
    "WarmKernelClient",
    "WarmKernelManager",
    "WarmProvisioner",
    "die_with_parent",
    "warm_up",
]


#: The largest ZeroMQ frame a kernel may send the worker (a result is at most wire.MAX_BYTES).
MAX_FRAME_BYTES = wire.MAX_BYTES + 2**20


def _socket_root() -> Path:
    """This user's private folder for kernel sockets (one shared name would clash between
    users: a folder left by root makes another grader's kernels die at start)."""
    folder = Path(tempfile.gettempdir()) / f"autograder-kernels-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise RuntimeError(f"{folder} belongs to another user: remove it or set TMPDIR")
    return folder


def socket_folder(flavour: str) -> Path:
    """The folder of this process's ``flavour`` fork server's kernel sockets."""
    return _socket_root() / f"{os.getpid()}-{flavour}"


def _forget_dead_servers() -> None:
    """Remove socket folders of workers that are gone (a killed worker cannot clean up)."""
    for folder in _socket_root().glob("*-*"):
        pid, _, flavour = folder.name.partition("-")
        if pid.isdigit() and flavour in PRELOADS and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


class ForkServer:
    """One fork server of a flavour, sandboxed unless ``isolate`` is off, spoken to over pipes."""

    def __init__(self, flavour: str, isolate: bool) -> None:
        self.flavour, self.isolate = flavour, isolate
        self.sockets = socket_folder(flavour)
        _forget_dead_servers()
        shutil.rmtree(self.sockets, ignore_errors=True)
        self.sockets.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, self.sockets, ignore_errors=True)
        module = ["-P", "-m", "autograder.grading.forkserver", flavour]
        pipes: dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
        self.view: sandbox.View | None = None
        if isolate:
            args = [*module, "--sockets", str(sandbox.SOCKETS)]
            self._process, self.view = sandbox.start(flavour, self.sockets, args, **pipes)
        else:
            command = [sys.executable, *module, "--sockets", str(self.sockets)]
            self._process = subprocess.Popen(command, preexec_fn=die_with_parent, **pipes)
        self._lock = threading.Lock()
        assert self._process.stdout is not None
        ready = self._process.stdout.readline()
        if self.view is not None:
            self.view.forget_stage()
        if not ready:
            raise RuntimeError(f"the {flavour} fork server did not start (see the worker log)")

    @property
    def pid(self) -> int:
        """The server's own process (bubblewrap's, when sandboxed): kernels are below it."""
        return self._process.pid

    def kernel_folder(self, kernel: str) -> Path:
        """A new, empty folder for one kernel's sockets and connection file."""
        folder = self.sockets / kernel
        folder.mkdir(mode=0o700)
        if os.geteuid() == 0 and self.isolate:
            os.chown(folder, sandbox.SANDBOX_UID, sandbox.SANDBOX_UID)
        return folder

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request, wait for its answer."""
        stdin: IO[str] = self._process.stdin  # type: ignore[assignment]
        stdout: IO[str] = self._process.stdout  # type: ignore[assignment]
        with self._lock:
            try:
                stdin.write(json.dumps(message) + "\n")
                stdin.flush()
                line = stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
        if not line:
            raise RuntimeError(f"the {self.flavour} fork server is gone")
        return json.loads(line)

    def stop(self) -> None:
        """End the server; its kernels die with it."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def exposes(self, secrets: tuple[Path, ...]) -> list[Path]:
        """Which of ``secrets`` this server's filesystem view contains (must be none)."""
        if self.view is None:
            return list(secrets)
        return sandbox.view_exposes(self.view.paths, secrets)


@functools.cache
def fork_server(flavour: str, isolate: bool = True) -> ForkServer:
    """This worker's fork server of ``flavour`` (started on first use)."""
    return ForkServer(flavour, isolate)


def warm_up(flavour: str = "full", isolate: bool = Options.isolate) -> None:
    """Start a fork server now (the full one imports TensorFlow), not on the first submission."""
    fork_server(flavour, isolate)


class ForkedProcess:
    """The Popen-like face of a forked kernel that LocalProvisioner expects."""

    stdin = stdout = stderr = None

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server = server
        self.pid = pid
        self._code: int | None = None

    def poll(self) -> int | None:
        if self._code is None:
            try:
                self._code = self._server.request({"op": "poll", "pid": self.pid})["code"]
            except RuntimeError:  # the server is gone, and its kernels with it
                self._code = -signal.SIGKILL
        return self._code

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.05)
        return self._code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            self._server.request({"op": "signal", "pid": self.pid, "signum": int(signum)})

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
        Options.isolate, help="Run kernels in the sandbox (see autograder.grading.sandbox)."
    ).tag(config=True)
    figures = Bool(
        Options.figures, help="Draw figures (without, a figure shows as its text summary)."
    ).tag(config=True)
    course_root = Unicode(
        "",
        help="The course directory being graded: a kernel refuses to start where the "
        "sandbox's view would show any of its secrets. Empty: nothing to check.",
    ).tag(config=True)
    flavour = Unicode(
        "full",
        help="'full': TensorFlow and Keras preloaded; 'numpy': a kernel in which TensorFlow and "
        "Keras cannot be imported (NumPy exercises are judged there).",
    ).tag(config=True)

    _folder: Path | None = None
    _group: limits.KernelGroup | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        server = fork_server(self.flavour, self.isolate)
        if self.isolate and self.course_root:
            shown = server.exposes(CourseLayout(Path(self.course_root)).secrets())
            if shown:
                raise RuntimeError(f"the sandbox would show {', '.join(map(str, shown))}")
        info = dict(self.connection_info)
        info["key"] = info["key"].decode() if isinstance(info["key"], bytes) else info["key"]
        self._folder = Path(info["ip"]).parent
        self._own_folder(server)
        reply = server.request(
            {
                "op": "launch",
                "kernel": self._folder.name,
                "connection": info,
                "env": dict(kwargs.get("env") or os.environ),
                "cwd": str(kwargs.get("cwd") or Path.cwd()),
                "files": _offered(kwargs.get("cwd")) if self.isolate else {},
                "memory_mb": self.memory_mb,
                "isolate": self.isolate,
                "figures": self.figures,
            }
        )
        if "error" in reply:
            raise RuntimeError(f"the kernel did not start: {reply['error']}")
        self.process = ForkedProcess(server, reply["pid"])
        self.pid, self.pgid = reply["pid"], None
        try:  # before any learner code runs in it
            self._group = limits.confine(
                server.pid, reply["pid"], self.memory_mb, self.isolate, self._folder.name
            )
        except Exception:
            self.process.kill()
            raise
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL, and return once the kernel is gone (jupyter_client checks every 0.1 s)."""
        await super().kill(restart)
        for _ in range(200):
            if self.process is None or self.process.poll() is not None:
                return
            await asyncio.sleep(0.005)

    def _own_folder(self, server: ForkServer) -> None:
        assert self._folder is not None
        if self._folder.parent != server.sockets:
            raise RuntimeError(f"kernel sockets must live in {server.sockets}, not {self._folder}")
        shutil.rmtree(self._folder, ignore_errors=True)
        server.kernel_folder(self._folder.name)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        if self._group is not None and not restart:
            self._group.remove()
        if self._folder is not None and not restart:
            shutil.rmtree(self._folder, ignore_errors=True)


class WarmKernelClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel answers on shell and IOPub.

    jupyter_client's also waits, at every kernel start, until IOPub has been silent for
    0.2 s. Nothing needs draining: nbclient ignores messages that answer other requests.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    await self.iopub_channel.get_msg(timeout=0.2)  # IOPub is connected too
                    self._handle_kernel_info_reply(reply)
                    return
            except queue.Empty:
                pass
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


def _offered(folder: Any) -> dict[str, str]:
    """The files of the kernel's working folder (the submission's, notebooks left out by
    :class:`~autograder.grading.preprocessors.private_workdir.PrivateWorkdir`), bounded as a
    submission is,
    as base64 for the sandboxed kernel to find in its own."""
    if not folder or not Path(folder).is_dir():
        return {}
    found = read_folder(Path(folder), Path("."), ignore=("*.ipynb",))
    return {name: base64.b64encode(data).decode("ascii") for name, data in found.files.items()}


class WarmKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernels are forks of the warm server, talking over IPC sockets.

    IPC (Unix-socket) transport keeps working inside the kernel's empty network namespace;
    each kernel's sockets live in a folder of its own, the only one of them it can see.
    """

    flavour = Unicode("full", help="The kernels' flavour (see WarmProvisioner.flavour).")
    client_factory = Type(WarmKernelClient, config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(socket_folder(self.flavour) / uuid.uuid4().hex[:12] / "k")

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
        Its sockets take no frame over :data:`MAX_FRAME_BYTES`: ZeroMQ drops a connection
        that sends one, before the frame is held in memory (``ZMQ_MAXMSGSIZE``).
        """
        context = zmq.asyncio.Context.instance()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)  # for the sockets made from here on
        kwargs.setdefault("context", context)
        return super().client(**kwargs)
