"""A class on a real JupyterHub, in a real browser: the weekly loop for separate Unix users.

hub/setup_class.py makes the class (an instructor and two learners as real Unix users,
homes in a temporary folder, the shared exchange); the real hub (PAM login, the npm
configurable-http-proxy, LocalProcessSpawner) runs hub/jupyterhub_config.py on 127.0.0.1.
Chromium, driven by Playwright, logs each learner in; the instructor's commands run as
the instructor's user, and the formgrader is checked in the browser. Needs root.
Screenshots land in artifacts/ (the README's hub_*.png come from here).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import Browser, Page, sync_playwright

from autograder.layout import CourseLayout
from tests.harness import ROOT
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CORRECT_SIGMOID,
    WRONG_SOFTMAX,
    press_validate,
    replace_cell,
)

HUB = ROOT / "hub"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
INSTRUCTOR, ADA, BEN = "kfs-instructor", "kfs-ada", "kfs-ben"
MARK = "keras-from-scratch demo class"
CHAPTER = "02_activations"
CORRECT_SOFTMAX = '''def softmax(x, axis=-1):
    """Softmax along ``axis``, shifted by the maximum for stability."""
    x = np.asarray(x, dtype=float)
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)
'''

pytestmark = [pytest.mark.nbgrader, pytest.mark.browser]


@dataclass
class HubClass:
    """The running class: hub URL, the class description, passwords, a command runner."""

    url: str
    description: dict
    logins: dict[str, str]

    def run_as(self, user: str, *command: str, cwd: Path | None = None) -> str:
        """Run ``command`` as ``user`` in the class's environment; return its output."""
        home = pwd.getpwnam(user).pw_dir
        env = [f"{k}={v}" for k, v in self.description["environment"].items()]
        result = subprocess.run(
            ["runuser", "-u", user, "--", "env", "-i", f"HOME={home}", f"USER={user}"]
            + ["LANG=C.UTF-8", *env, *command],
            cwd=cwd or home,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = result.stdout + result.stderr
        (ARTIFACTS / f"hub_{command[0]}_{command[1]}.log").write_text(output)
        assert result.returncode == 0, f"{' '.join(command)} as {user} failed:\n{output}"
        return output

    def denied(self, user: str, path: str) -> bool:
        """Whether ``user`` is refused reading ``path``."""
        result = subprocess.run(["runuser", "-u", user, "--", "cat", path], capture_output=True)
        return result.returncode != 0 and b"Permission denied" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_of(users: list[str]) -> list[int]:
    """Process ids of everything running as these users."""
    uids = {pwd.getpwnam(u).pw_uid for u in users if _exists(u)}
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid in uids:
                found.append(int(entry.name))
        except FileNotFoundError:
            continue
    return found


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def remove_users(users: list[str]) -> None:
    """Stop the test users' processes and delete the accounts (only those the test made)."""
    for pid in processes_of(users):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for user in users:
        if _exists(user) and pwd.getpwnam(user).pw_gecos == MARK:
            subprocess.run(["userdel", "--remove", "--force", user], capture_output=True)


@pytest.fixture(scope="module")
def hub_class() -> Iterator[HubClass]:
    """The class set up by hub/setup_class.py, its hub running; everything removed after."""
    if os.geteuid() != 0:
        pytest.fail("the hub test creates Unix users and runs JupyterHub's spawner: run as root")
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: `make hub` (or the install step) runs npm for it")
    users = [INSTRUCTOR, ADA, BEN]
    remove_users(users)  # leftovers of an interrupted run
    base = Path(tempfile.mkdtemp(prefix="kfs-hub-", dir="/tmp"))  # pytest's tmp is mode 700
    base.chmod(0o755)
    prefix = base / "hub"
    hub = None
    try:
        subprocess.run(
            [sys.executable, HUB / "setup_class.py", "--prefix", prefix]
            + ["--exchange", base / "exchange", "--home-base", base / "home"]
            + ["--instructor", INSTRUCTOR, "--learners", f"{ADA},{BEN}"],
            check=True,
            capture_output=True,
        )
        port, hub_port, api_port = free_port(), free_port(), free_port()
        log = (base / "hub.log").open("w")
        hub = subprocess.Popen(
            [Path(sys.executable).with_name("jupyterhub"), "-f", HUB / "jupyterhub_config.py"]
            + [f"--JupyterHub.bind_url=http://127.0.0.1:{port}"]
            + [f"--JupyterHub.hub_bind_url=http://127.0.0.1:{hub_port}"]
            + [f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"],
            cwd=prefix / "state",
            env=dict(os.environ, KERAS_COURSE_HUB=str(prefix)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/hub/api", timeout=2)
                break
            except OSError:
                assert hub.poll() is None, (base / "hub.log").read_text()
                assert time.monotonic() < deadline, (base / "hub.log").read_text()
                time.sleep(0.3)
        yield HubClass(
            url,
            json.loads((prefix / "class.json").read_text()),
            json.loads((prefix / "state" / "logins.json").read_text()),
        )
    finally:
        if hub is not None:
            hub.terminate()  # the hub stops the proxy and the single-user servers
            try:
                hub.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.pid, signal.SIGKILL)  # a proxy left behind
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(base / "hub.log", ARTIFACTS / "hub.log")
        remove_users(users)
        subprocess.run(["rm", "-rf", base], check=False)  # ~130,000 hard links: rm is faster


def log_in(browser: Browser, hub: HubClass, user: str) -> Page:
    """A fresh browser session logged into the hub as ``user``, on their JupyterLab."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.logins[user])
    page.click("#login_submit")
    page.wait_for_selector(".jp-LabShell", timeout=150_000)
    return page


def open_assignments(page: Page) -> None:
    """Open nbgrader's Assignments tab (Nbgrader > Assignment List) and wait for its lists."""
    page.get_by_text("Nbgrader", exact=True).click()
    page.get_by_text("Assignment List").click()
    page.locator("#released_assignments_list").wait_for(timeout=30_000)
    page.locator("#released_assignments_list_loading").wait_for(state="hidden", timeout=60_000)


def fetch_edit_submit(page: Page, user: str, softmax: str, validate: bool) -> str:
    """The learner's week: fetch, edit sigmoid and softmax, save, maybe Validate, submit.

    Returns the Validate dialog's text ('' without Validate).
    """
    open_assignments(page)
    page.locator("#released_assignments_list .list_item", has_text=CHAPTER).get_by_role(
        "button", name="Fetch"
    ).click()
    page.locator("#fetched_assignments_list .list_item", has_text=CHAPTER).first.wait_for(
        timeout=60_000
    )
    page.goto(page.url.split("/lab")[0] + f"/lab/tree/{CHAPTER}/{CHAPTER}.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    replace_cell(page, "def sigmoid(x):", CORRECT_SIGMOID)
    replace_cell(page, "def softmax(x, axis=-1):", softmax)
    page.keyboard.press("Control+s")
    page.locator(".jp-mod-dirty").wait_for(state="detached", timeout=30_000)
    text = ""
    if validate:
        text = press_validate(page)
        page.keyboard.press("Escape")
    open_assignments(page)
    page.locator("#fetched_assignments_list .list_item", has_text=CHAPTER).get_by_role(
        "button", name="Submit"
    ).first.click()
    page.locator("#submitted_assignments_list .list_item", has_text=CHAPTER).first.wait_for(
        timeout=60_000
    )
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / f"hub_assignments_{user}.png")
    return text


def fetch_feedback(page: Page, user: str) -> str:
    """Fetch the released feedback in the Assignments tab, open it; return its text."""
    open_assignments(page)
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=CHAPTER).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    link = submitted.get_by_text("view feedback")
    link.wait_for(timeout=60_000)
    home = Path(pwd.getpwnam(user).pw_dir)
    (fetched,) = home.glob(f"{CHAPTER}/feedback/*/{CHAPTER}.html")  # where the fetch put it
    feedback = page.context.new_page()
    feedback.goto(f"{page.url.split('/lab')[0]}/files/{fetched.relative_to(home)}")
    feedback.get_by_text("softmax").first.wait_for(timeout=30_000)
    text = feedback.inner_text("body")
    feedback.locator("pre", has_text="softmax does not match").or_(
        feedback.locator("pre", has_text="softmax matches")
    ).first.scroll_into_view_if_needed()
    feedback.screenshot(path=ARTIFACTS / f"hub_feedback_{user}.png")
    return text


def test_a_class_runs_on_jupyterhub(hub_class):
    hub = hub_class
    course = Path(hub.description["course"])
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    hub.run_as(INSTRUCTOR, "nbgrader", "generate_assignment", CHAPTER, "--force", cwd=course)
    hub.run_as(INSTRUCTOR, "nbgrader", "release_assignment", CHAPTER, cwd=course)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ada, ben = log_in(browser, hub, ADA), log_in(browser, hub, BEN)
        fetch_edit_submit(ada, ADA, CORRECT_SOFTMAX, validate=False)
        validated = fetch_edit_submit(ben, BEN, WRONG_SOFTMAX, validate=True)

        # Separate users: no learner reads the instructor's course or another learner's work.
        ben_home = pwd.getpwnam(BEN).pw_dir
        assert hub.denied(ADA, str(course / "source" / CHAPTER / f"{CHAPTER}.ipynb"))
        assert hub.denied(ADA, str(CourseLayout(course).gradebook))
        assert hub.denied(ADA, f"{ben_home}/{CHAPTER}/{CHAPTER}.ipynb")

        hub.run_as(INSTRUCTOR, "nbgrader", "collect", CHAPTER, cwd=course)
        graded = hub.run_as(INSTRUCTOR, "autograder", "grade", CHAPTER, cwd=course)
        hub.run_as(INSTRUCTOR, "nbgrader", "release_feedback", CHAPTER, cwd=course)
        ada_feedback = fetch_feedback(ada, ADA)
        ben_feedback = fetch_feedback(ben, BEN)

        formgrader = log_in(browser, hub, INSTRUCTOR)
        scores = formgrader_scores(formgrader, course)
        browser.close()
    loop_seconds = time.monotonic() - started
    print(f"hub loop: {loop_seconds:.0f} s")

    assert "✘ softmax does not match keras.activations.softmax" in validated
    assert "✘ sigmoid " not in validated
    assert "2 graded, 0 failed" in graded, graded
    assert "✔ softmax matches keras.activations.softmax" in ada_feedback
    assert "✘ softmax does not match" not in ada_feedback
    assert "likely mistake: normalised along the wrong axis" in ben_feedback
    for feedback in (ada_feedback, ben_feedback):
        assert "✔ sigmoid matches keras.activations.sigmoid" in feedback
        assert "hidden tests ran here; their code is not shown" in feedback
        assert "BEGIN HIDDEN TESTS" not in feedback
    assert scores[ADA]["test_softmax"] == (2.0, 2.0)
    assert scores[BEN]["test_softmax"] == (1.0, 2.0)  # the manual grade given in the formgrader


def formgrader_scores(page: Page, course: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """The formgrader shows autograder's grades; ben gets a manual grade there.

    Returns, per student and graded cell, (score, max score) from the gradebook afterwards.
    """
    base = page.url.split("/lab")[0]
    with Gradebook(CourseLayout(course).gradebook_url()) as gradebook:
        totals = {s: gradebook.find_submission(CHAPTER, s).score for s in (ADA, BEN)}
        ben_id = gradebook.find_submission_notebook(CHAPTER, CHAPTER, BEN).id
    page.goto(f"{base}/formgrader/manage_students")
    for student, score in totals.items():  # per student, as autograder grade wrote them
        row = page.locator("tr", has_text=student)
        row.locator(".score").filter(has_text="/").wait_for(timeout=30_000)
        assert f"{score:g} / " in row.inner_text(), (student, score, row.inner_text())
    page.screenshot(path=ARTIFACTS / "hub_formgrader_students.png")
    page.goto(f"{base}/formgrader/submissions/{ben_id}")
    box = page.locator("input#test_softmax")  # per cell: the softmax test's grade
    box.wait_for(timeout=30_000)
    page.wait_for_function(  # the grades arrive from the gradebook after the page
        "() => document.querySelector('input#test_softmax').placeholder !== ''", timeout=30_000
    )
    assert box.get_attribute("placeholder") == "0"  # its automatic score
    assert page.locator("input#test_sigmoid").get_attribute("placeholder") == "1"
    box.scroll_into_view_if_needed()
    box.fill("1")  # manual grading: partial credit on the wrong-axis softmax
    box.press("Tab")
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / "hub_formgrader_manual.png")
    with Gradebook(CourseLayout(course).gradebook_url()) as gradebook:
        return {
            student: {
                grade.name: (grade.score, grade.max_score)
                for grade in gradebook.find_submission_notebook(CHAPTER, CHAPTER, student).grades
            }
            for student in (ADA, BEN)
        }
