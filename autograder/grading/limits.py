"""Bounds on what one kernel may take from the machine: processes, memory, CPU share.

Classmates are graded on the same cores at the same time, so a submission that forks
thousands of processes, spreads its memory over many children or keeps every core
spinning must be held to a share of its own. Each kernel gets a control group of its own
(cgroup v2, or the v1 ``cpu``, ``memory`` and ``pids`` controllers) made by its grading worker
before any learner code runs (:func:`confine`):

- ``pids``: at most :data:`TASKS` processes and threads (a fork bomb stops there);
- ``memory``: the memory limit counts all its processes together (not each on its own);
- ``cpu``: at most :data:`CPUS` core, however many processes it spins.

Where the worker cannot make control groups (not root, no writable hierarchy), kernels keep
per-process rlimits (:func:`per_process_limits`): ``RLIMIT_AS`` for each process and
``RLIMIT_NPROC`` for the kernel's user namespace; their CPU share is then unbounded.
:func:`describe` says which applies, for the batch's summary.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

#: processes and threads one kernel may have (TensorFlow's thread pools included)
TASKS = 256
#: cores one kernel may keep busy
CPUS = 1.0
_PERIOD_US = 100_000
_CONTROLLERS = ("cpu", "memory", "pids")
#: the folder, in each hierarchy, holding the kernels' groups
_PARENT = "autograder-kernels"


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, 'cgroup' or 'cgroup2', v1 controllers) of every cgroup mount."""
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, extra = left.split(), right.split()
            if len(extra) >= 3 and extra[0] in ("cgroup", "cgroup2"):
                options = set(extra[2].split(","))
                found.append((fields[4], extra[0], options & set(_CONTROLLERS)))
    return found


def _own_path(controller: str) -> str:
    """This process's cgroup in the hierarchy of ``controller`` ('' for v2)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if controller in names.split(",") or (controller == "" and names == ""):
                return path.lstrip("/")
    return ""


def _writable(folder: Path) -> bool:
    return os.geteuid() == 0 and os.access(folder, os.W_OK)


@functools.cache
def _hierarchy() -> tuple[str, dict[str, Path]]:
    """('v2' or 'v1', controller → the parent folder of kernels' groups), or ('', {})."""
    mounts = _mounts()
    v1 = {}
    for point, kind, controllers in mounts:
        for controller in controllers if kind == "cgroup" else ():
            v1[controller] = Path(point) / _own_path(controller) / _PARENT
    if set(v1) == set(_CONTROLLERS) and all(_writable(p.parent) for p in v1.values()):
        with contextlib.suppress(OSError):
            for folder in v1.values():
                folder.mkdir(exist_ok=True)
            return "v1", v1
    for point, kind, _ in mounts:
        if kind != "cgroup2":
            continue
        root = Path(point)
        with contextlib.suppress(OSError):
            if set(_CONTROLLERS) - set((root / "cgroup.controllers").read_text().split()):
                continue
            if not _writable(root):
                continue
            # a v2 group with controllers for its children holds no process: a folder of our own
            # at the top of the hierarchy (the root group is exempt from that rule)
            enable = " ".join(f"+{c}" for c in _CONTROLLERS)
            (root / "cgroup.subtree_control").write_text(enable)
            parent = root / _PARENT
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text(enable)
            return "v2", dict.fromkeys(_CONTROLLERS, parent)
    return "", {}


def mechanism() -> str:
    """'cgroup v2', 'cgroup v1', or 'rlimits' (what kernels started here are bounded with)."""
    version, _ = _hierarchy()
    return f"cgroup {version}" if version else "rlimits"


def describe(memory_mb: int) -> str:
    """What bounds each kernel here, in words (the batch's summary prints it)."""
    if mechanism() == "rlimits":
        return (
            f"kernels bounded by rlimits (no writable cgroups): {memory_mb} MB of address space "
            f"per process, {TASKS} processes per kernel, CPU share not bounded"
        )
    return (
        f"each kernel in its own {mechanism()}: {CPUS:g} CPU, {memory_mb} MB for all its "
        f"processes together, {TASKS} processes and threads"
    )


def _write(path: Path, value: str) -> None:
    path.write_text(value)


@dataclass
class KernelGroup:
    """One kernel's control group (one folder per hierarchy)."""

    folders: list[Path]

    def remove(self) -> None:
        """Remove the group once its processes are gone (they die with the kernel)."""
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # its last processes are still exiting
                    time.sleep(0.02)


def _sweep(parents: set[Path]) -> None:
    """Remove groups left empty by kernels of workers that died (not one being made now)."""
    old = time.time() - 600
    for parent in parents:
        for child in parent.iterdir():
            with contextlib.suppress(OSError):
                if child.is_dir() and child.stat().st_mtime < old:
                    child.rmdir()


def _host_pid(server: int, pid: int, isolated: bool) -> int | None:
    """The host's pid of kernel ``pid`` (as its fork server numbers it), a descendant of the
    process ``server``: in the sandbox, the kernel is PID 1 of its own namespace."""
    if not isolated:
        return pid
    parents: dict[int, int] = {}
    nspids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = (entry / "status").read_text()
            fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
            parents[int(entry.name)] = int(fields["PPid"])
            nspids[int(entry.name)] = [int(n) for n in fields["NSpid"].split()]
    for candidate, numbers in nspids.items():
        if len(numbers) >= 3 and numbers[-1] == 1 and numbers[-2] == pid:
            ancestor = candidate
            while ancestor > 1 and ancestor != server:
                ancestor = parents.get(ancestor, 0)
            if ancestor == server:
                return candidate
    return None


def confine(server: int, pid: int, memory_mb: int, isolated: bool, name: str) -> KernelGroup | None:
    """Put kernel ``pid`` of the fork server whose process is ``server`` into a control group
    of its own, bounded as the module says; None where there are no writable cgroups.

    Called as soon as the kernel is forked, before any learner code runs in it.
    """
    version, parents = _hierarchy()
    if not version:
        return None
    host = _host_pid(server, pid, isolated)
    if host is None:
        raise RuntimeError(f"kernel {pid} of fork server {server} not found")
    _sweep(set(parents.values()))
    memory = str(memory_mb * 2**20)
    folders = list(dict.fromkeys(parents[c] / f"kernel-{name}" for c in _CONTROLLERS))
    group = KernelGroup(folders)
    for folder in folders:
        folder.mkdir(exist_ok=True)
    if version == "v2":
        folder = folders[0]
        _write(folder / "pids.max", str(TASKS))
        _write(folder / "memory.max", memory)
        with contextlib.suppress(FileNotFoundError):  # no swap accounting
            _write(folder / "memory.swap.max", "0")
        _write(folder / "cpu.max", f"{int(CPUS * _PERIOD_US)} {_PERIOD_US}")
    else:
        cpu, mem, pids = (parents[c] / f"kernel-{name}" for c in _CONTROLLERS)
        _write(pids / "pids.max", str(TASKS))
        _write(mem / "memory.limit_in_bytes", memory)
        with contextlib.suppress(OSError):  # memsw exists with swap accounting only
            _write(mem / "memory.memsw.limit_in_bytes", memory)
        _write(cpu / "cpu.cfs_period_us", str(_PERIOD_US))
        _write(cpu / "cpu.cfs_quota_us", str(int(CPUS * _PERIOD_US)))
    for folder in folders:
        _write(folder / "cgroup.procs", str(host))
    return group


def per_process_limits() -> None:
    """In a kernel that has a user namespace of its own: at most :data:`TASKS` processes.

    ``RLIMIT_NPROC`` counts per user and user namespace, so it bounds this kernel alone (it
    never applies to a kernel outside the sandbox, whose user is the grader's).
    """
    resource.setrlimit(resource.RLIMIT_NPROC, (TASKS, TASKS))
