"""A gradebook on a real PostgreSQL server, shared by nbgrader, the formgrader and the grader.

The module starts one server (Debian's ``postgresql`` package, which the Makefile installs;
Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH) in a
temporary folder, listening only on a Unix socket there, as an unprivileged user when the
tests run as root (initdb refuses root), and stops it and removes its files afterwards.
One small mixed batch of 02_activations is graded on SQLite and on PostgreSQL; on
PostgreSQL, 04_losses is graded at the same time by a second ``autograder grade``.
"""

from __future__ import annotations

import csv
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from autograder.grading.batch import Options, grade
from autograder.grading.ledger import fingerprint
from autograder.layout import CourseLayout
from autograder.nbgrader_driver import CellScore, read_scores
from autograder.variants import Variant, parse_variant, write_submissions
from tests.harness import FIXTURES, ROOT, make_course

pytestmark = pytest.mark.xdist_group("postgres")

SERVER_USER = "kfs-postgres"  # initdb and postgres refuse to run as root
SUPERUSER = "autograder"  # the database role the tests connect as (trusted on the socket)
BATCHES = {
    "02_activations": ("solution", "blank", "softmax_wrong_axis", "relu_in_place"),
    "04_losses": ("solution", "blank", "huber_branches_swapped"),
}


def _variants(assignment: str) -> list[Variant]:
    return [parse_variant(FIXTURES / assignment / f"{name}.py") for name in BATCHES[assignment]]


def _postgres_program(name: str) -> str:
    """initdb or pg_ctl: on PATH, else the newest of Debian's /usr/lib/postgresql/<v>/bin."""
    found = shutil.which(name)
    if found:
        return found
    debian = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not debian:
        pytest.fail(f"no {name}: install Debian's postgresql package (make system-packages)")
    return str(debian[-1])


@dataclass
class Server:
    """A running PostgreSQL server reachable only through the Unix socket in ``sockets``."""

    sockets: Path

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            host=str(self.sockets), dbname="postgres", user=SUPERUSER, autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{SUPERUSER}@/{name}?host={self.sockets}"


def _server_user() -> dict:
    """Run the server as SERVER_USER (created if missing) when root, else as ourselves."""
    if os.getuid() != 0:
        return {}
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
        )
    entry = pwd.getpwnam(SERVER_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One PostgreSQL server for the module, stopped and removed afterwards."""
    as_user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="kfs-postgres-"))
    if as_user:
        os.chown(folder, as_user["user"], as_user["group"])
    data, sockets = folder / "data", folder / "sockets"
    pg_ctl = _postgres_program("pg_ctl")
    env = {**os.environ, "LC_ALL": "C", "HOME": str(folder)}
    sockets.mkdir(mode=0o700)
    if as_user:
        os.chown(sockets, as_user["user"], as_user["group"])
    try:
        subprocess.run(
            [
                _postgres_program("initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            env=env,
            **as_user,
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = ''\nunix_socket_directories = '{sockets}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        subprocess.run(
            [pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-w", "start"],
            check=True,
            capture_output=True,
            env=env,
            **as_user,
        )
        yield Server(sockets)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
                check=False,
                capture_output=True,
                env=env,
                **as_user,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _autograder(course: Path, *args: str) -> subprocess.Popen[str]:
    """``autograder --course-dir COURSE ARGS`` in the background, its output captured."""
    command = [str(Path(sys.executable).with_name("autograder")), "--course-dir", str(course)]
    return subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


@dataclass
class PostgresCourse:
    """A course whose two chapters were graded at once into one PostgreSQL database."""

    root: Path
    url: str
    #: what each chapter's ``autograder grade`` printed
    outputs: dict[str, str]


def _grade_quietly(
    course: Path, assignment: str, scheduler: str
) -> dict[str, dict[str, CellScore]]:
    with open(os.devnull, "w") as quiet:
        result = grade(course, assignment, Options(scheduler=scheduler), Console(file=quiet))
    assert not result.failed and len(result.graded) == len(BATCHES[assignment])
    return read_scores(course, assignment)


@pytest.fixture(scope="module")
def sqlite_scores(
    tmp_path_factory: pytest.TempPathFactory, grading_cluster: str
) -> Iterator[Future[dict[str, dict[str, CellScore]]]]:
    """The 02_activations batch graded the default way (SQLite in the course directory), on
    the session's grading cluster, in a thread: it runs while the PostgreSQL course is
    released."""
    course = make_course(tmp_path_factory.mktemp("sqlite") / "course", "02_activations")
    write_submissions(_variants("02_activations"), course, "02_activations")
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(_grade_quietly, course, "02_activations", grading_cluster)


@pytest.fixture(scope="module")
def postgres_course(
    server: Server, sqlite_scores: Future, tmp_path_factory: pytest.TempPathFactory
) -> PostgresCourse:
    """Release both chapters into a new database (``--db``), grade them at once, then point
    the course's nbgrader_config.py at that database (what nbgrader and the formgrader read)."""
    url = server.create_database("course")
    root = tmp_path_factory.mktemp("postgres") / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment in BATCHES:
        shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment)
    _finish(_autograder(root, "release", "--db", url))
    for assignment in BATCHES:
        write_submissions(_variants(assignment), root, assignment)
    runs = {
        assignment: _autograder(root, "grade", assignment, "--db", url, "--workers", "1")
        for assignment in BATCHES
    }
    outputs = {assignment: _finish(process) for assignment, process in runs.items()}
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    return PostgresCourse(root, url, outputs)


@pytest.mark.nbgrader
def test_scores_on_postgres_are_those_on_sqlite(sqlite_scores, postgres_course):
    on_postgres = read_scores(postgres_course.root, "02_activations", postgres_course.url)
    assert on_postgres == sqlite_scores.result()
    assert set(on_postgres) == set(BATCHES["02_activations"])
    # nothing was written to a SQLite gradebook: release, grading, exports and report used --db
    assert not CourseLayout(postgres_course.root).gradebook.exists()


@pytest.mark.nbgrader
def test_two_chapters_graded_at_once_into_one_database(postgres_course):
    for assignment, names in BATCHES.items():
        summary = f"{assignment}: {len(names)} graded, 0 failed"
        assert summary in postgres_course.outputs[assignment], postgres_course.outputs[assignment]
        scores = read_scores(postgres_course.root, assignment, postgres_course.url)
        for variant in _variants(assignment):
            cells = scores[variant.name]
            lost = set(cells) if variant.lost == ("all",) else set(variant.lost)
            assert {c for c, s in cells.items() if s.score < s.max_score} == lost, variant.name
        totals = (postgres_course.root / "reports" / f"{assignment}_totals.csv").read_text()
        assert all(f"\n{name}," in totals for name in names), totals
        feedback = postgres_course.root / "feedback" / "solution" / assignment
        assert (feedback / f"{assignment}.html").is_file()


@pytest.mark.nbgrader
def test_nbgrader_and_the_formgrader_read_the_same_database(postgres_course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = postgres_course.root
    # the course's own nbgrader_config.py now selects the database, for every reader
    scores = {a: read_scores(root, a) for a in BATCHES}
    assert scores == {a: read_scores(root, a, postgres_course.url) for a in BATCHES}
    totals = {
        (a, student): sum(c.score for c in cells.values())
        for a, by_student in scores.items()
        for student, cells in by_student.items()
    }
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    formgrader = {(a, s["student"]): s["score"] for a in BATCHES for s in api.get_submissions(a)}
    assert formgrader == pytest.approx(totals)
    exported = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to=grades.csv"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    with (root / "grades.csv").open() as handle:
        rows = {
            (r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(handle)
        }
    assert {key: rows.pop(key) for key in totals} == pytest.approx(totals)
    assert set(rows.values()) == {0.0}  # every student is listed for every assignment


def test_the_gradebook_is_chosen_by_db_then_nbgrader_config_then_sqlite(tmp_path):
    layout = CourseLayout(tmp_path)
    assert layout.gradebook_url() == f"sqlite:///{layout.gradebook}"
    assert layout.gradebook_url(lock_timeout=120) == f"sqlite:///{layout.gradebook}?timeout=120"
    layout.nbgrader_config.write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///grades/course.db'\n"
    )
    assert layout.gradebook_url() == f"sqlite:///{tmp_path / 'grades' / 'course.db'}"
    server = "postgresql+psycopg://grader:secret@db.example/course"
    assert layout.gradebook_url(server, lock_timeout=120) == server
    layout.nbgrader_config.write_text(f"c = get_config()\nc.CourseDirectory.db_url = {server!r}\n")
    assert layout.gradebook_url(lock_timeout=120) == server


def test_grades_written_to_one_gradebook_are_not_current_in_another(tmp_path):
    (tmp_path / "02_activations.ipynb").write_text("{}")
    default = fingerprint(tmp_path)
    assert fingerprint(tmp_path, gradebook="postgresql+psycopg:///course") != default
    assert fingerprint(tmp_path, gradebook="") == default
