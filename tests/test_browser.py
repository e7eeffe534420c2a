"""The learner's path in a real browser: JupyterLab, edit two exercises, run all, Validate.

Debian's Chromium, driven by Playwright, against JupyterLab on 127.0.0.1 started the way
`make lab` starts it (nbgrader's learner extensions on, instructor tools off).
Screenshots land in artifacts/ (the README's screenshots come from here).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from rich.console import Console

from autograder.grading.batch import Options, grade
from autograder.grading.report import write_report
from autograder.variants import load_variants, write_submissions
from tests.harness import ROOT, SAMPLE_CLASS, make_course

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
ARTIFACTS = ROOT / "artifacts"
TOKEN = "browser-test"
CORRECT_SIGMOID = '''def sigmoid(x):
    """Logistic sigmoid, written by a learner in the browser."""
    x = np.asarray(x, dtype=float)
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small))
'''
WRONG_SOFTMAX = '''def softmax(x, axis=-1):
    """Softmax that always normalises down the columns, whatever axis is asked for."""
    x = np.asarray(x, dtype=float)
    exps = np.exp(x - x.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)
'''


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of release/, configured like `make lab`; yields its base URL."""
    course = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "release", course / "release")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        Path(sys.executable).with_name("jupyter"),
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={course / 'release'}",
    ]
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / "lab"))
    log = (course / "lab.log").open("w")
    server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=30)


def press_validate(page: Page) -> str:
    """Press the notebook's Validate button; the dialog's text once validation has finished."""
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
        timeout=180_000,
    )
    return dialog.inner_text()


def replace_cell(page: Page, marker: str, code: str) -> None:
    """Replace the source of the code cell that contains ``marker`` by ``code``."""
    cell = page.locator(".jp-CodeCell").filter(has_text=marker).first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_learner_validates_a_chapter_in_jupyterlab(lab):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-gpu",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{lab}/lab/tree/02_activations/02_activations.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)

        replace_cell(page, "def sigmoid(x):", CORRECT_SIGMOID)
        replace_cell(page, "def softmax(x, axis=-1):", WRONG_SOFTMAX)
        page.get_by_role("menuitem", name="Run").click()
        page.locator('[data-command="runmenu:run-all"]').click()
        page.get_by_text("✔ sigmoid matches keras.activations.sigmoid").wait_for(timeout=120_000)
        page.locator(".jp-CodeCell").filter(
            has_text='check("sigmoid", sigmoid)'
        ).first.scroll_into_view_if_needed()
        page.mouse.move(800, 500)
        page.mouse.wheel(0, 350)  # the learner's sigmoid and its ✔ verdict in view
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "jupyterlab_chapter.png")

        text = press_validate(page)
        (ARTIFACTS / "jupyterlab_validate.txt").write_text(text)
        page.screenshot(path=ARTIFACTS / "jupyterlab_validate.png")
        browser.close()
    assert "✘ softmax does not match keras.activations.softmax" in text
    assert "likely mistake: normalised along the wrong axis" in text
    assert "✘ sigmoid " not in text  # the correct sigmoid passes
    assert "✘ gelu is not implemented yet" in text  # untouched exercises say so
    assert "Traceback" not in text  # messages, not raw tracebacks


@pytest.mark.nbgrader
@pytest.mark.browser
def test_grading_report_renders_in_the_browser(grading_cluster, tmp_path):
    course = make_course(tmp_path / "course", "02_activations")
    write_submissions(load_variants(SAMPLE_CLASS / "02_activations"), course, "02_activations")
    with open(os.devnull, "w") as quiet:
        options = Options(feedback=False, scheduler=grading_cluster)
        grade(course, "02_activations", options, Console(file=quiet))
    report = write_report(course, "02_activations", course / "reports")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(report.as_uri())
        images = page.locator("img")
        assert images.count() == 3
        assert all(images.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(3))
        assert "eli_reassigns_allclose" in page.inner_text("body")  # flagged for review
        page.screenshot(path=ARTIFACTS / "grading_report.png", full_page=True)
        browser.close()
