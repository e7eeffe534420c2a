"""Reading and writing learners' folders safely, on the instructor's machine and on workers.

Everything in ``submitted/<student>/<assignment>/`` is the learner's: a symbolic link
there can point at source/, the gradebook or a classmate's work, a FIFO can block the
grader, a huge file fills the disk once nbgrader copies it to autograded/ and feedback/.
So nbgrader never reads that folder. ``autograder grade`` reads it with :func:`read_folder`
(every folder and file opened with ``O_NOFOLLOW`` relative to its parent, only regular
files kept, their number and sizes bounded) and sends what it read to a grading worker,
which stages it for nbgrader (:mod:`autograder.grading.staging`). What was left out is
said per student, in the batch summary and the report. The same reader takes the
assignment's source files into the package, the graded folders back from nbgrader and a
kernel's working folder into its sandbox; :func:`write_files` and :func:`remove` write and
clear folders without following links.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_MB = 2**20
#: what was left out is listed up to this many items
_NOTES = 20


@dataclass(frozen=True)
class Limits:
    """How much of a learner's folder the grader reads."""

    files: int = 100
    file_bytes: int = 25 * _MB
    total_bytes: int = 50 * _MB
    depth: int = 6


@dataclass
class FolderFiles:
    """The regular files read from a folder, and what was left out and why."""

    #: relative POSIX path → content
    files: dict[str, bytes] = field(default_factory=dict)
    #: one line per item not read, e.g. ``extra.txt: a symbolic link (not followed)``
    skipped: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


def _size(count: int) -> str:
    return f"{count / _MB:.3g} MB" if count >= _MB else f"{count} bytes"


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _ignored(name: str, ignore: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignore)


def _read_file(name: str, dir_fd: int, limit: int) -> bytes | str:
    """The file's bytes, or why it was not read."""
    try:
        fd = os.open(name, _FILE, dir_fd=dir_fd)
    except OSError as error:
        return f"could not be opened ({error.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if info.st_size > limit:
            return f"{_size(info.st_size)}, more than the {_size(limit)} a file may have"
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else f"more than the {_size(limit)} a file may have"
    finally:
        os.close(fd)


def _walk(
    dir_fd: int,
    prefix: str,
    depth: int,
    limits: Limits,
    ignore: tuple[str, ...],
    found: FolderFiles,
) -> None:
    with os.scandir(dir_fd) as scan:
        entries = sorted(scan, key=lambda e: (not e.name.endswith(".ipynb"), e.name))
    for entry in entries:
        path = prefix + entry.name
        if _ignored(entry.name, ignore):
            continue
        if entry.is_symlink():
            found.skipped.append(f"{path}: a symbolic link (not followed)")
        elif entry.is_dir(follow_symlinks=False):
            if depth >= limits.depth:
                found.skipped.append(f"{path}/: folders nested deeper than {limits.depth}")
                continue
            try:
                child = os.open(entry.name, _DIRECTORY, dir_fd=dir_fd)
            except OSError as error:
                found.skipped.append(f"{path}/: could not be opened ({error.strerror})")
                continue
            try:
                _walk(child, path + "/", depth + 1, limits, ignore, found)
            finally:
                os.close(child)
        elif not entry.is_file(follow_symlinks=False):
            found.skipped.append(f"{path}: not a regular file (FIFO, socket or device)")
        elif len(found.files) >= limits.files:
            found.skipped.append(f"{path}: more than {limits.files} files in the submission")
        else:
            data = _read_file(entry.name, dir_fd, limits.file_bytes)
            if isinstance(data, str):
                found.skipped.append(f"{path}: {data}")
            elif found.size + len(data) > limits.total_bytes:
                total = _size(limits.total_bytes)
                found.skipped.append(f"{path}: the submission's files would exceed {total}")
            else:
                found.files[path] = data


def read_folder(
    base: Path, relative: Path, limits: Limits = Limits(), ignore: tuple[str, ...] = ()
) -> FolderFiles:
    """The regular files under ``base/relative``, no link followed at any level below ``base``.

    ``base`` (e.g. the course's submitted/) is trusted; every component of ``relative`` and
    everything under it is opened with ``O_NOFOLLOW``. Names matching an ``ignore`` glob
    (nbgrader's ``CourseDirectory.ignore``) are left out silently.
    """
    found = FolderFiles()
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in relative.parts:
            try:
                child = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as error:
                reason = "a symbolic link" if _is_link(part, fd) else error.strerror
                found.skipped.append(f"{relative}: the folder could not be read ({reason})")
                return found
            os.close(fd)
            fd = child
        _walk(fd, "", 0, limits, ignore, found)
    finally:
        os.close(fd)
    if len(found.skipped) > _NOTES:
        more = len(found.skipped) - _NOTES
        found.skipped[_NOTES:] = [f"... and {more} more items not read"]
    return found


def remove(path: Path) -> None:
    """Remove a file, link or folder tree without following any link."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def write_files(files: dict[str, bytes], folder: Path) -> None:
    """Write ``files`` into a fresh ``folder`` (whatever was there is removed first)."""
    remove(folder)
    folder.mkdir(parents=True)
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
