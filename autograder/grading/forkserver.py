"""A warm fork server: ``python -P -m autograder.grading.forkserver FLAVOUR --sockets DIR``.

Runs inside bubblewrap (see :mod:`autograder.grading.sandbox`), imports the flavour's preload
module once ("full": :mod:`autograder.grading.preload_full`, TensorFlow and Keras; "numpy":
:mod:`autograder.grading.preload_numpy`, never TensorFlow), then forks one kernel per request.
It speaks JSON lines over stdin/stdout with its grading worker:

- ``{"op": "launch", "kernel": ID, "connection": {...}, "env": {...}, "cwd": ...,
  "memory_mb": N, "isolate": bool, "figures": bool}`` → ``{"pid": PID}`` or ``{"error": ...}``
- ``{"op": "poll", "pid": PID}`` → ``{"code": None}`` while the kernel runs, then its exit code
- ``{"op": "signal", "pid": PID, "signum": N}`` → ``{}``

A kernel is two processes: a keeper, child of this server, that enters the kernel's
namespaces and waits; and the kernel itself, PID 1 of its new PID namespace, which confines
itself and runs an ordinary ipykernel on the connection the worker chose. ``--check`` forks
one confined child, reports whether that worked, and exits (see ``isolation_available``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from autograder.grading import limits, sandbox

#: each flavour's preload module: what its fork server imports once, before forking kernels
PRELOADS = {"full": "autograder.grading.preload_full", "numpy": "autograder.grading.preload_numpy"}


class Server:
    """The fork server's state: where sockets live, and which kernels ended how."""

    def __init__(self, sockets: Path) -> None:
        self.sockets = sockets
        self.keepers: dict[int, int] = {}  # kernel pid → keeper pid
        self.codes: dict[int, int] = {}  # keeper pid → exit code

    def launch(self, request: dict[str, Any]) -> dict[str, Any]:
        kernel = request["kernel"]
        if not kernel.isalnum():
            return {"error": f"bad kernel id {kernel!r}"}
        read, write = os.pipe()
        keeper = os.fork()
        if keeper == 0:
            os.close(read)
            _keeper(self.sockets, request, write)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            lines = pipe.read().decode().splitlines()
        reply: dict[str, Any] = {}
        for line in lines:
            reply.update(json.loads(line))
        if "error" in reply or "pid" not in reply:
            os.waitpid(keeper, 0)
            return {"error": reply.get("error", "the kernel did not start")}
        self.keepers[reply["pid"]] = keeper
        return {"pid": reply["pid"]}

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.codes[pid] = os.waitstatus_to_exitcode(status)

    def poll(self, request: dict[str, Any]) -> dict[str, Any]:
        self._reap()
        keeper = self.keepers.get(request["pid"])
        if keeper is None:
            return {"code": -1}
        if keeper in self.codes:
            del self.keepers[request["pid"]]
            return {"code": self.codes.pop(keeper)}
        return {"code": None}

    def signal(self, request: dict[str, Any]) -> dict[str, Any]:
        self._reap()
        keeper = self.keepers.get(request["pid"])
        if keeper is not None and keeper not in self.codes:
            # PID 1 of a namespace ignores SIGTERM without a handler: ending it means SIGKILL.
            signum = request["signum"]
            signum = signal.SIGKILL if signum == signal.SIGTERM else signum
            with contextlib.suppress(ProcessLookupError):
                os.kill(request["pid"], signum)
        return {}


def _say(fd: int, message: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


def _keeper(sockets: Path, request: dict[str, Any], report: int) -> None:
    """Child of the server: enter the kernel's namespaces, fork the kernel, wait for it."""
    code = 1
    try:
        _detach_from_server(report)
        sandbox.die_with_parent()
        if request["isolate"]:
            sandbox.enter_kernel_namespaces()
        kernel = os.fork()
        if kernel == 0:
            _kernel(sockets, request, report)
        _say(report, {"pid": kernel})
        os.close(report)
        _, status = os.waitpid(kernel, 0)
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code
    except BaseException as error:  # noqa: BLE001 - reported to the worker
        _say(report, {"error": f"{type(error).__name__}: {error}"})
    finally:
        os._exit(code)


def _detach_from_server(report: int) -> None:
    """Keep the worker's pipes out of kernels: stdio on /dev/null, every other fd closed."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, report)
    os.closerange(report + 1, os.sysconf("SC_OPEN_MAX"))


def _kernel(sockets: Path, request: dict[str, Any], report: int) -> None:
    """The kernel: confine itself (as PID 1 of its namespaces), then run ipykernel."""
    try:
        sandbox.die_with_parent()
        os.setsid()
        kernel_id = request["kernel"]
        env = dict(request["env"])
        if request["isolate"]:
            sandbox.confine_kernel(kernel_id)
            sandbox.offer_files(request.get("files") or {})
            scratch = str(sandbox.SCRATCH)
            env.update(HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=f"{scratch}/.matplotlib")
        else:
            os.chdir(request["cwd"])
        sandbox.limit_memory(request["memory_mb"])
        if request["isolate"]:  # its own user namespace: RLIMIT_NPROC counts its processes only
            limits.per_process_limits()
        connection = dict(request["connection"], ip=str(sockets / kernel_id / "k"))
        connection_file = sockets / kernel_id / "kernel.json"
        connection_file.write_text(json.dumps(connection))
        os.environ.clear()
        os.environ.update(env)
        _say(report, {"ok": True})
        os.close(report)
    except BaseException as error:  # noqa: BLE001 - reported to the worker
        _say(report, {"error": f"{type(error).__name__}: {error}"})
        os._exit(1)
    try:
        _run_ipykernel(request, str(connection_file))
    finally:
        os._exit(0)


def _run_ipykernel(request: dict[str, Any], connection_file: str) -> None:
    """An ordinary ipykernel, sealed once its sockets are bound (before any learner code).

    Without ``figures``, figures show as their text summary."""
    from ipykernel.kernelapp import IPKernelApp
    from traitlets.config import Config

    config = Config()
    if not request["figures"]:
        config.InlineBackend.figure_formats = set()
    sys.path.insert(0, os.getcwd())  # the submission's own modules, as nbgrader's kernel has
    app = IPKernelApp.instance(config=config)
    app.initialize(["-f", connection_file])
    if request["isolate"]:
        sandbox.seal_kernel(request["kernel"])
    app.start()


def check(sockets: Path) -> dict[str, Any]:
    """Fork one confined child (as a kernel would be) and report what went wrong, if anything."""
    (sockets / "check").mkdir(exist_ok=True)
    read, write = os.pipe()
    keeper = os.fork()
    if keeper == 0:
        os.close(read)
        try:
            sandbox.enter_kernel_namespaces()
            child = os.fork()
            if child == 0:
                try:
                    sandbox.confine_kernel("check")
                    sandbox.seal_kernel("check")
                    seen = {"pid": os.getpid(), "uid": os.getuid()}
                    error = None if seen == {"pid": 1, "uid": sandbox.KERNEL_UID} else str(seen)
                except OSError as failure:
                    error = str(failure)
                _say(write, {"error": error})
                os._exit(0)
            os.waitpid(child, 0)
        except OSError as failure:
            _say(write, {"error": str(failure)})
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        lines = pipe.read().decode().splitlines()
    os.waitpid(keeper, 0)
    return json.loads(lines[-1]) if lines else {"error": "the confined child said nothing"}


def serve(flavour: str, sockets: Path) -> None:
    """Import the preload module, say ready, then answer requests until stdin closes.

    The imported objects are frozen out of the garbage collector: a kernel's collections
    then skip them, and do not touch (copy) the pages it shares with this server.
    """
    importlib.import_module(PRELOADS[flavour])
    gc.freeze()
    server = Server(sockets)
    handlers = {"launch": server.launch, "poll": server.poll, "signal": server.signal}
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed by libraries goes to the log, not the protocol
    replies.write(json.dumps({"ready": flavour}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = handlers[request["op"]](request)
        except Exception as error:  # one bad request must not end the server
            traceback.print_exc()
            reply = {"error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("flavour", nargs="?", choices=sorted(PRELOADS), default="full")
    parser.add_argument("--sockets", type=Path, default=sandbox.SOCKETS)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        print(json.dumps(check(args.sockets)), flush=True)
        return
    serve(args.flavour, args.sockets)


if __name__ == "__main__":
    main()
