"""The notebooks as a reader runs them locally (`make lab`): JupyterLab in Debian's Chromium, live widgets.

The server runs on 127.0.0.1 over a temporary copy of chapters/ (JupyterLab autosaves, and the notebooks in git
stay without outputs). A notebook is run with Run → Run All Cells; then a live slider is dragged and must redraw
the figure, and a live quiz must grade a click.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "_build" / "screenshots" / "lab"
TOKEN = "lropt-test"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    notebooks = tmp_path_factory.mktemp("lab")
    for path in (ROOT / "chapters").glob("*.ipynb"):
        shutil.copy(path, notebooks / path.name)
    # every cell in the page (JupyterLab 4 otherwise renders only the cells near the viewport); start the
    # notebook's kernel without asking; no news pop-up over the outputs
    settings = tmp_path_factory.mktemp("settings")
    for name, text in (
        ("notebook-extension/tracker", '{"windowingMode": "none", "autoStartDefaultKernel": true}'),
        ("apputils-extension/notification", '{"fetchNews": "false"}'),
    ):
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={notebooks}",
         f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('workspaces')}", "--LabApp.news_url=None",
         f"--LabApp.user_settings_dir={settings}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            # the kernel specs too: a notebook opened before they load asks for a kernel, or gets none
            with urllib.request.urlopen(f"{base}/api/kernelspecs?token={TOKEN}", timeout=5) as reply:
                if b'"python3"' in reply.read():
                    break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.5)
    yield base
    server.terminate()
    server.wait(timeout=20)


def _run_all(guarded_page, base, name):
    page = guarded_page(base, width=1300)
    page.goto(f"{base}/lab/tree/{name}?token={TOKEN}&reset")
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    notebook.wait_for(timeout=60_000)
    # the kernel is started and idle (clicking Run All before that left the notebook without a kernel)
    page.locator(".jp-NotebookPanel:visible .jp-Toolbar-kernelName", has_text="Python 3").wait_for(
        timeout=60_000
    )
    page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        timeout=60_000
    )
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # done when the last code cell shows its execution count
    last = notebook.locator(".jp-CodeCell .jp-InputPrompt").last
    deadline = time.monotonic() + 240
    while not re.fullmatch(r"\[\d+\]:", last.inner_text().strip()):
        if time.monotonic() > deadline:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"timeout_{name}.png"))
            pytest.fail(f"{name} still running after 240 s")
        page.wait_for_timeout(500)
    errors = notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
    return page, notebook


def test_live_slider_redraws_in_jupyterlab(lab, guarded_page):
    page, notebook = _run_all(guarded_page, lab, "02_momentum.ipynb")
    output = notebook.locator(".jp-OutputArea-output:has(.widget-hslider)").first
    output.scroll_into_view_if_needed()
    image = output.locator(".widget-image")
    status = output.locator(".widget-html").last
    before = (image.get_attribute("src"), status.inner_text())
    handle = output.locator(".widget-hslider").first.locator(".noUi-handle")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "([img, text]) => img.src !== text", arg=[image.element_handle(), before[0]], timeout=10_000
    )
    assert (image.get_attribute("src"), status.inner_text()) != before
    assert "μ = " in status.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "02_momentum_slider.png"))
    assert page.external_requests == [], page.external_requests


def test_live_quiz_grades_a_click_in_jupyterlab(lab, guarded_page):
    page, notebook = _run_all(guarded_page, lab, "07_quiz.ipynb")
    output = notebook.locator(".jp-OutputArea-output:has(.widget-radio)").first
    output.scroll_into_view_if_needed()
    output.locator(".widget-radio-box label").first.click()
    output.locator("button", has_text="答え合わせ").first.click()
    feedback = output.locator("text=/正解/").first
    feedback.wait_for(timeout=10_000)
    assert "解説" in output.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "07_quiz_graded.png"))
    assert page.external_requests == [], page.external_requests
