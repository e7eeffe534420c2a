"""Limits and isolation applied inside a freshly forked kernel, before learner code runs.

- memory: RLIMIT_AS, on top of what the warm process already maps;
- network: a new, empty network namespace (no interface but a down loopback);
- files: a new mount namespace in which the course's source/ and gradebook are
  hidden and everything outside the submission's own folder and /tmp is read-only.

Namespaces need root or unprivileged user namespaces; where neither is available the
kernel runs without them and :func:`isolation_available` says so up front.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 0x1
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    memory_mb: int
    isolate: bool


@dataclass(frozen=True)
class Hidden:
    """Paths learner code must not see, and the one folder it may write to.

    ``secrets`` are replaced by empty folders (or /dev/null for files); the
    submission's ``workdir`` may lie inside one of them (autograded/) and stays.
    """

    course_root: Path
    workdir: Path
    secrets: tuple[Path, ...]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(
    source: str, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _enter_namespaces() -> None:
    if os.geteuid() == 0:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
        return
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _hide_files(hidden: Hidden) -> None:
    """Course read-only, secrets hidden, other students hidden, own folder writable."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    stage = tempfile.mkdtemp(prefix="autograder-stage-")
    work = str(hidden.workdir)
    _mount(work, stage, None, MS_BIND)  # keep hold of the submission's folder
    root = str(hidden.course_root)
    _mount(root, root, None, MS_BIND | MS_REC)
    _mount(root, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    for secret in hidden.secrets:
        if secret.is_dir():
            _mount("tmpfs", str(secret), "tmpfs", 0, "size=64k,mode=755")
        elif secret.exists():
            _mount("/dev/null", str(secret), None, MS_BIND)
    hidden.workdir.mkdir(parents=True, exist_ok=True)
    _mount(stage, work, None, MS_BIND)


def apply(limits: Limits, hidden: Hidden | None) -> None:
    """Called in the kernel process right after fork."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes()
    budget = mapped + limits.memory_mb * 2**20
    if hard == resource.RLIM_INFINITY or budget < hard:
        resource.setrlimit(resource.RLIMIT_AS, (budget, hard))
    if limits.isolate and hidden is not None:
        _enter_namespaces()
        _hide_files(hidden)


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def isolation_available() -> str | None:
    """None when kernels can be isolated here, else why not (checked in a throw-away child)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            _enter_namespaces()
            _mount("none", "/", None, MS_REC | MS_PRIVATE)
            message = b""
        except OSError as error:
            message = str(error).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reason = pipe.read().decode()
    os.waitpid(pid, 0)
    return reason or None
