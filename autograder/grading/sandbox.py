"""The grading sandbox: bubblewrap around each fork server, namespaces around each kernel.

Two layers, both set up before any learner code runs:

- **the fork server** (:mod:`autograder.grading.forkserver`) runs inside bubblewrap
  (:func:`bwrap_command`): its own user, PID, network, IPC and UTS namespaces, no
  capabilities, an unprivileged user also when the grader runs as root, and a filesystem view
  made of the Python environment only (read-only) plus one writable folder for the kernels'
  sockets. The course (source/, the gradebook, submissions, .git), the project's tests and
  every other file of the machine are simply not there. The "numpy" flavour's view has no
  TensorFlow, Keras, JAX or PyTorch at all.
- **each kernel** forked from it (:func:`enter_kernel_namespaces`, :func:`confine_kernel`,
  then :func:`seal_kernel` once its sockets are bound) gets a nested user namespace with its
  own PID, mount, network, IPC and UTS namespaces. It is PID 1 of its PID namespace: it sees
  and signals no other process, and when it ends Linux kills everything it started. It sees a
  fresh /proc, writes only to a size-limited scratch tmpfs (its working folder, /tmp and HOME),
  sees only its own socket folder (read-only), and has no capabilities left (bounding set
  emptied, no new privileges), so it cannot unmount or remount anything; a user namespace it
  creates itself gets a copy in which every mount is locked.

Where bubblewrap or user namespaces are unavailable, :func:`isolation_available` says why and
kernels run with the memory limit only.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from autograder.runner import NOT_NUMPY

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: Where a fork server sees its worker's socket folder; kernel ``<id>`` sees only ``<id>/``.
SOCKETS = Path("/run/kernels")
#: Scratch space of one kernel: its working folder, /tmp and HOME.
#: The kernel's private tmpfs, its working folder and TMPDIR (not /tmp: the Python environment
#: itself may live under /tmp, so /tmp stays the server's, a small tmpfs).
SCRATCH = Path("/scratch")
SCRATCH_MB = 256
#: The kernel's uid inside its user namespace (not root: execve never grants capabilities).
KERNEL_UID = 1000
#: Who runs bubblewrap when the grader is root (``nobody``).
SANDBOX_UID = 65534
#: The project's own packages (editable install: their folders, not the project root).
PROJECT_PACKAGES = ("autograder", "course")
#: What the summary says about kernels run in this sandbox.
DESCRIPTION = "kernels sandboxed: no network, no other process, only Python's files to read"
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "fonts")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


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


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent goes away."""
    _libc.prctl(PR_SET_PDEATHSIG, 9)


def limit_memory(memory_mb: int) -> None:
    """RLIMIT_AS: ``memory_mb`` on top of what this (warm, forked) process already maps."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    budget = mapped + memory_mb * 2**20
    if hard == resource.RLIM_INFINITY or budget < hard:
        resource.setrlimit(resource.RLIMIT_AS, (budget, hard))


# --- the kernel's own namespaces (run inside the fork server) ---------------------------------


def enter_kernel_namespaces() -> None:
    """New user, mount, PID, network, IPC and UTS namespaces; the next child is PID 1.

    The caller becomes uid :data:`KERNEL_UID` of the new user namespace, with every
    capability there until :func:`seal_kernel` drops them.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
    _check(_libc.unshare(flags | CLONE_NEWUTS), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{KERNEL_UID} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{KERNEL_UID} {gid} 1")


def confine_kernel(kernel_id: str) -> None:
    """In PID 1 of the kernel's namespaces: its own /proc, scratch and socket folder.

    Afterwards the process sees a fresh /proc of its PID namespace, ``SOCKETS/<kernel_id>``
    and no other kernel's sockets, and works in :data:`SCRATCH` (a tmpfs of
    :data:`SCRATCH_MB`, also its /tmp) with a ``/dev/shm`` of its own.
    """
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    own = os.open(SOCKETS / kernel_id, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    _mount("tmpfs", str(SOCKETS), "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=755")
    (SOCKETS / kernel_id).mkdir()
    _mount(f"/proc/self/fd/{own}", str(SOCKETS / kernel_id), None, MS_BIND)
    os.close(own)
    tmpfs = f"size={SCRATCH_MB}m,mode=700"
    _mount("tmpfs", str(SCRATCH), "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=700")
    os.chdir(SCRATCH)


def offer_files(files: dict[str, str]) -> None:
    """The submission's own files (relative path → base64, as intake bounded them), read-only
    in the kernel's working folder, where nbgrader's kernel would find them."""
    for relative, data in files.items():
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts:
            continue
        path = SCRATCH.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        path.chmod(0o444)


def seal_kernel(kernel_id: str) -> None:
    """Once the kernel's sockets are bound: its socket folder read-only, no capabilities left.

    From here on nothing can be unmounted or remounted, and a user namespace the kernel
    creates gets a copy of its mounts in which every one is locked.
    """
    for folder in (str(SOCKETS / kernel_id), str(SOCKETS)):
        kept = os.statvfs(folder).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _mount("none", folder, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
    Path("/proc/sys/user/max_user_namespaces").write_text("0")
    _drop_capabilities()


def _drop_capabilities() -> None:
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop capability")
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")


# --- the fork server's bubblewrap --------------------------------------------------------------


@dataclass
class View:
    """What a fork server sees: bubblewrap's arguments, and the host folders they bind.

    bwrap runs unprivileged and resolves its sources as that user. When the grader is root,
    folders that user cannot reach (a Python under /root, say) are first bound, in a private
    mount namespace of the launcher only (:func:`launch`), onto ``stage``/<n>, and bwrap binds
    them from there: nothing becomes readable on the host.
    """

    stage: Path | None
    args: list[str] = field(default_factory=list)
    staged: list[tuple[Path, Path]] = field(default_factory=list)

    def source(self, path: Path) -> Path:
        """Where bwrap finds ``path`` (a folder of the view or inside one)."""
        for host, staged in self.staged:
            if path.is_relative_to(host):
                return staged / path.relative_to(host)
        if self.stage is None or path.is_relative_to("/usr"):
            return path
        staged = self.stage / str(len(self.staged))
        self.staged.append((path, staged))
        return staged

    def bind(self, path: Path, option: str = "--ro-bind") -> None:
        self.args += [option, str(self.source(path)), str(path)]

    def forget_stage(self) -> None:
        """Remove the stage's (empty) mount points; a running sandbox keeps its own mounts."""
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)

    @property
    def paths(self) -> list[Path]:
        """The host folders and files this view shows."""
        return [Path(self.args[i + 2]) for i, a in enumerate(self.args) if a.endswith("bind")]


def _python_roots() -> list[Path]:
    """The interpreter's prefixes and the project's packages, without their parents."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for name in PROJECT_PACKAGES:
        spec = find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.update(Path(p).resolve() for p in spec.submodule_search_locations)
    return sorted(roots)


def _site_packages() -> list[Path]:
    return sorted(
        {Path(p).resolve() for p in sys.path if p.endswith("-packages") and Path(p).is_dir()}
    )


def _unused_site_packages() -> list[Path]:
    """The base interpreter's site-packages when a virtual environment replaces it."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix).resolve() / "lib" / version / "site-packages"
    return [base] if base.is_dir() and base not in _site_packages() else []


def numpy_only_entry(name: str) -> bool:
    """Whether a site-packages entry may be in the "numpy" flavour's view (packages, .so and
    dist-info of :data:`~autograder.runner.NOT_NUMPY` are left out)."""
    return not name.lower().replace("-", "_").startswith(NOT_NUMPY)


def build_view(flavour: str, sockets: Path, stage: Path | None) -> View:
    """bwrap arguments for a fork server of ``flavour`` whose kernels' sockets go to ``sockets``.

    ``stage``: an empty folder for :class:`View`'s staging when the grader is root, else None.
    """
    view = View(stage)
    # first: binds may lie under /tmp
    view.args += ["--size", str(16 * 2**20), "--tmpfs", "/tmp", "--dir", str(SCRATCH)]
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / top
        if path.is_symlink():
            view.args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            view.bind(path)
    for name in _ETC:
        if (Path("/etc") / name).exists():
            view.bind(Path("/etc") / name)
    for root in _python_roots():
        if not root.is_relative_to("/usr"):
            view.bind(root)
    for unused in _unused_site_packages():
        view.args += ["--tmpfs", str(unused), "--remount-ro", str(unused)]
    if flavour == "numpy":
        for site in _site_packages():
            view.args += ["--tmpfs", str(site)]
            for entry in sorted(site.iterdir()):
                if numpy_only_entry(entry.name):
                    view.bind(entry)
            view.args += ["--remount-ro", str(site)]
    view.args += ["--proc", "/proc", "--dev", "/dev"]
    view.args += ["--bind", str(view.source(sockets)), str(SOCKETS)]
    view.args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    return view


def _bwrap() -> str | None:
    """bubblewrap's path, also when PATH holds only the virtual environment's bin folder."""
    return shutil.which("bwrap", path=f"{os.environ.get('PATH', '')}{os.pathsep}{os.defpath}")


def bwrap_command(view: View, python_args: list[str]) -> list[str]:
    """Run ``python python_args`` in the view, in new namespaces, tied to the caller's life."""
    return [
        _bwrap() or "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--chdir",
        "/tmp",
        "--setenv",
        "HOME",
        "/tmp",
        *view.args,
        "--",
        sys.executable,
        *python_args,
    ]


def launcher(view: View, command: list[str]) -> list[str]:
    """``command`` (bwrap's), started unprivileged: as nobody, via :func:`launch`, when root."""
    if view.stage is None:
        return command
    staged = [str(p) for pair in view.staged for p in pair]
    return [sys.executable, "-P", "-m", "autograder.grading.sandbox", *staged, "--", *command]


def launch(staged: list[str], command: list[str]) -> None:
    """As root: bind each host folder onto its stage in a private mount namespace, become
    nobody, exec ``command``. (``python -m autograder.grading.sandbox HOST STAGE ... -- CMD``)"""
    _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for host, stage in zip(staged[::2], staged[1::2], strict=True):
        if Path(host).is_dir():
            Path(stage).mkdir(mode=0o755)
        else:
            Path(stage).touch(mode=0o644)
        _mount(host, stage, None, MS_BIND | MS_REC)
    os.setgroups([])
    os.setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    os.execv(command[0], command)


def view_exposes(paths: list[Path], secrets: tuple[Path, ...]) -> list[Path]:
    """The secrets that a view made of ``paths`` would show (it must be none)."""
    resolved = [p.resolve() for p in paths]
    shown = [(s, s.resolve()) for s in secrets]
    return [s for s, at in shown if any(at.is_relative_to(p) for p in resolved) and s.exists()]


def start(
    flavour: str, sockets: Path, python_args: list[str], **popen: Any
) -> tuple[subprocess.Popen, View]:
    """Start ``python python_args`` in a new sandbox of ``flavour`` (see :func:`build_view`).

    Once the sandbox runs, remove the view's stage (:meth:`View.forget_stage`)."""
    stage = None
    if os.geteuid() == 0:
        stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
        stage.chmod(0o755)
        os.chown(sockets, SANDBOX_UID, SANDBOX_UID)
    view = build_view(flavour, sockets, stage)
    command = launcher(view, bwrap_command(view, python_args))
    return subprocess.Popen(command, **popen), view


def isolation_available() -> str | None:
    """None when kernels can be sandboxed here, else why not.

    Starts a real (empty-handed) sandbox as kernels' fork servers will run, whose server
    forks one confined child and reports whether that worked.
    """
    if _bwrap() is None:
        return "bubblewrap (bwrap) is not installed"
    folder = Path(tempfile.mkdtemp(prefix="autograder-check-"))
    try:
        args = ["-P", "-m", "autograder.grading.forkserver", "--check"]
        process, view = start("full", folder, args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        view.forget_stage()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        seen = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        lines = (err or out or b"no output").decode().strip().splitlines()
        return f"the sandbox does not start here: {lines[-1] if lines else 'no output'}"
    if seen.get("error"):
        return f"kernels cannot be confined here: {seen['error']}"
    return None


def main() -> None:
    """``python -m autograder.grading.sandbox HOST STAGE ... -- COMMAND`` (see :func:`launch`)."""
    split = sys.argv.index("--")
    launch(sys.argv[1:split], sys.argv[split + 1 :])


if __name__ == "__main__":
    main()
