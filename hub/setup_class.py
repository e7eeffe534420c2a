"""Set up a demo class for hub/jupyterhub_config.py (as root: `make hub`, tests/test_hub.py).

What it makes (re-running it keeps accounts, passwords and the instructor's course):

- ``<prefix>/env``: the user environment every account runs (its JupyterLab, kernels,
  nbgrader, ``autograder``): a copy of the project's .venv (hard links where possible, so
  a few seconds and no disk), with the course's packages copied in instead of the
  editable install. A repository under /root (mode 700) is out of other users' reach,
  and its source/ holds the solutions: the environment needs neither. When the venv's
  base Python is out of reach too (pyenv under /root), it is copied to ``<prefix>/python``.
- the class-wide Jupyter settings in ``<prefix>/env/etc/jupyter``: hub/nbgrader_config.py
  and the learner tools of lab/ (Validate and the assignment list; instructor tools off);
- Unix accounts (home mode 700), each with a random password, for one instructor and
  the learners; the instructor gets hub/instructor/ as ~/.jupyter/ (formgrader on) and the
  course directory ~/keras-from-scratch (source/, release/, nbgrader_config.py);
- nbgrader's exchange: the root mode 1777 (nbgrader's 777, plus the sticky bit so nobody
  renames what others made), its course folder owned by the instructor (no learner can
  take the course id first);
- ``<prefix>/class.json`` (what the hub config reads) and ``<prefix>/state/logins.json``
  (the passwords, root only).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

HUB = Path(__file__).resolve().parent
REPO = HUB.parent
COURSE_ID = "keras-from-scratch"
PACKAGES = ("autograder", "course")
MARK = "keras-from-scratch demo class"  # the accounts' GECOS field: ours to reuse or delete
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach ``path`` (every ancestor searchable)."""
    path = path.resolve()
    for folder in [*reversed(path.parents), *([path] if path.is_dir() else [])]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(path.stat().st_mode & stat.S_IROTH)


def copy_tree(source: Path, target: Path, skip: Path | None = None) -> None:
    """``target`` as a copy of ``source`` without ``skip``: hard links where possible."""
    if target.exists():
        subprocess.run(["rm", "-rf", target], check=True)  # the copy only: originals stay
    if skip is None or not skip.is_relative_to(source):
        same_device = source.stat().st_dev == target.parent.stat().st_dev
        link = ["--link"] if same_device else []
        subprocess.run(["cp", "-a", *link, source, target], check=True)
        return
    target.mkdir()
    shutil.copystat(source, target)
    for entry in source.iterdir():
        if entry == skip:
            (target / entry.name).mkdir()
        else:
            copy_tree(entry, target / entry.name, skip)


def write_file(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``path`` as a new file: a hard-linked original is never modified."""
    path.unlink(missing_ok=True)
    path.write_text(text)
    path.chmod(mode)


def build_environment(prefix: Path, exchange: Path) -> dict[str, str]:
    """Make ``<prefix>/env`` from this Python's venv; return the environment users run with."""
    venv, base = Path(sys.prefix), Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    environment = {"KERAS_COURSE_EXCHANGE": str(exchange)}
    interpreter = Path(sys._base_executable)
    if not reachable_by_others(interpreter) or not reachable_by_others(base / "lib" / version):
        # Without its own site-packages: the venv does not use them.
        copy_tree(base, prefix / "python", skip=base / "lib" / version / "site-packages")
        interpreter = prefix / "python" / "bin" / version
        if sysconfig.get_config_var("Py_ENABLE_SHARED"):  # libpython by an absolute rpath
            environment["LD_LIBRARY_PATH"] = str(prefix / "python" / "lib")
    env = prefix / "env"
    copy_tree(venv, env)
    for name in ("python", "python3", version):
        (env / "bin" / name).unlink(missing_ok=True)
    (env / "bin" / version).symlink_to(interpreter)
    for name in ("python", "python3"):
        (env / "bin" / name).symlink_to(version)
    config = [
        f"home = {interpreter.parent}" if line.startswith("home =") else line
        for line in (venv / "pyvenv.cfg").read_text().splitlines()
        if not line.startswith(("executable =", "command ="))
    ]
    write_file(env / "pyvenv.cfg", "\n".join(config) + "\n")
    for script in (env / "bin").iterdir():  # shebangs and activate scripts name the venv
        if script.is_file() and not script.is_symlink():
            try:
                text = script.read_text()
            except UnicodeDecodeError:
                continue
            if str(venv) in text:
                write_file(script, text.replace(str(venv), str(env)), 0o755)
    site = env / "lib" / version / "site-packages"
    for editable in site.glob("__editable__*keras_from_scratch*"):
        editable.unlink()
    for package in PACKAGES:
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / package, site / package, ignore=ignore, dirs_exist_ok=True)
    jupyter = env / "etc" / "jupyter"
    (jupyter / "labconfig").mkdir(parents=True, exist_ok=True)
    shutil.copy(HUB / "nbgrader_config.py", jupyter / "nbgrader_config.py")
    shutil.copy(REPO / "lab" / "jupyter_server_config.json", jupyter)
    shutil.copy(REPO / "lab" / "labconfig" / "page_config.json", jupyter / "labconfig")
    environment["PATH"] = f"{env / 'bin'}:{SYSTEM_PATH}"
    return environment


def ensure_account(name: str, home_base: Path, logins: dict[str, str]) -> pwd.struct_passwd:
    """The Unix account ``name`` (created with a random password unless it is ours already)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        home = home_base / name
        subprocess.run(
            ["useradd", "--create-home", "--home-dir", home, "--user-group"]
            + ["--shell", "/bin/bash", "--comment", MARK, name],
            check=True,
        )
        account = pwd.getpwnam(name)
        logins.pop(name, None)
    if account.pw_gecos != MARK:
        sys.exit(f"user {name!r} exists and was not made by hub/setup_class.py: use another name")
    if name not in logins:
        logins[name] = secrets.token_hex(6)
        subprocess.run(["chpasswd"], input=f"{name}:{logins[name]}\n", text=True, check=True)
    Path(account.pw_dir).chmod(0o700)
    return account


def chown_tree(path: Path, account: pwd.struct_passwd) -> None:
    """Give ``path`` and everything below it to ``account``."""
    for folder, _, files in os.walk(path):
        for item in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chown(item, account.pw_uid, account.pw_gid)


def set_up_instructor(account: pwd.struct_passwd) -> Path:
    """The instructor's ~/.jupyter and course directory (an existing course is kept)."""
    home = Path(account.pw_dir)
    shutil.copytree(HUB / "instructor", home / ".jupyter", dirs_exist_ok=True)
    course = home / COURSE_ID
    if not course.exists():
        course.mkdir()
        for folder in ("source", "release"):
            shutil.copytree(REPO / folder, course / folder)
        shutil.copy(REPO / "nbgrader_config.py", course)
    for path in (home / ".jupyter", course):
        chown_tree(path, account)
    return course


def set_up_exchange(exchange: Path, instructor: pwd.struct_passwd) -> None:
    """nbgrader's exchange root (1777) and the course's folder in it, the instructor's."""
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o1777)
    course = exchange / COURSE_ID
    course.mkdir(exist_ok=True)
    os.chown(course, instructor.pw_uid, instructor.pw_gid)
    course.chmod(0o755)


def main(argv: list[str] | None = None) -> int:
    """Set up the class as the arguments say and print the logins."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, default=Path("/opt/keras-from-scratch-hub"))
    parser.add_argument("--exchange", type=Path, default=Path("/srv/nbgrader/exchange"))
    parser.add_argument("--home-base", type=Path, default=Path("/home"))
    parser.add_argument("--instructor", default="instructor")
    parser.add_argument("--learners", default="ada,ben,cleo", help="comma-separated user names")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("hub/setup_class.py creates Unix accounts: run it as root (sudo make hub)")
    learners = args.learners.split(",")
    prefix = args.prefix.resolve()
    (prefix / "state").mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    (prefix / "state").chmod(0o700)
    logins_file = prefix / "state" / "logins.json"
    logins = json.loads(logins_file.read_text()) if logins_file.exists() else {}
    environment = build_environment(prefix, args.exchange.resolve())
    args.home_base.mkdir(parents=True, exist_ok=True)
    instructor = ensure_account(args.instructor, args.home_base, logins)
    for learner in learners:
        ensure_account(learner, args.home_base, logins)
    write_file(logins_file, json.dumps(logins, indent=1), 0o600)
    course = set_up_instructor(instructor)
    set_up_exchange(args.exchange.resolve(), instructor)
    description = {
        "course_id": COURSE_ID,
        "python": str(prefix / "env" / "bin" / "python"),
        "environment": environment,
        "exchange": str(args.exchange.resolve()),
        "instructor": args.instructor,
        "course": str(course),
        "learners": learners,
    }
    write_file(prefix / "class.json", json.dumps(description, indent=1))
    print(f"class set up in {prefix}; logins (user: password):")
    for name in [args.instructor, *learners]:
        role = "instructor" if name == args.instructor else "learner"
        print(f"  {name}: {logins[name]}   ({role})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
