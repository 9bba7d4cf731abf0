"""The course as a student sees it: JupyterLab in a real (headless) browser.

Opens notebook 02a in JupyterLab, runs all cells, checks that no cell failed, moves a
slider of the convolution explorer and checks that the output size and the diagram
change. A screenshot is kept in tests/artifacts/.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Locally it is skipped when
Chromium is missing; deselect it with ``pytest -m "not browser"``. In CI (``CI=true``)
a missing browser is a failure, not a skip.
"""
import contextlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the test is skipped or fails in the fixture with a clear message
    PlaywrightTimeout = TimeoutError

from test_jupyterlab import free_port, get_json

REPO = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
NOTEBOOK = "02a_padding_stride_channels.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Chromium on a machine without internet: no background traffic, no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@contextlib.contextmanager
def chromium(required):
    """Debian's headless Chromium under Playwright; a skip, or a failure if ``required``."""
    if CHROMIUM is None:
        if required:
            pytest.fail("Chromium is not installed; .ci/run and .ci/website install Debian's "
                        "chromium package")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser():
    with chromium(required=bool(os.environ.get("CI"))) as launched:
        yield launched


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of notebook 02a (so the repository's copy is untouched)."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    port, token = free_port(), "browser-test-token"
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    # JupyterLab 4 renders only the cells in view ("windowing"); render them all so the
    # explorer far down the notebook is in the page like any other output.
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"{base}/api/status", token)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("jupyter lab did not start")
            time.sleep(0.5)
    yield base, token
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# The explorer's output-size text and its diagram's image data, read from the page.
EXPLORER_STATE_JS = """() => {
    const label = [...document.querySelectorAll(
            '.jp-OutputArea-output .widget-html-content, .jp-OutputArea-output .widget-label')]
        .find(el => el.textContent.trim().startsWith('Output size:'));
    if (!label) return null;
    const img = label.closest('.jp-OutputArea-output').querySelector('img');
    return {text: label.textContent.trim(), image: img ? img.src : null};
}"""


def test_notebook_02_runs_and_explorer_responds(browser, lab):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    # A fresh JupyterLab may ask which kernel to start: take the notebook's own (Python 3).
    try:
        page.click(".jp-Dialog button:has-text('Select')", timeout=15_000)
    except PlaywrightTimeout:
        pass
    # Wait until the kernel is ready before running anything.
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)

    # Clear the committed outputs (prompts become "[ ]:"), then Run > Run All Cells,
    # through the menus as a student would, and wait until every prompt has a number.
    page.click(".lm-MenuBar-itemLabel:text-is('Edit')")
    page.click(".lm-Menu-itemLabel:text-is('Clear Outputs of All Cells')")
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
            .map(p => p.textContent.trim());
        return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
    }""", timeout=300_000)

    # Save, then read the executed notebook back through the REST API: no error outputs.
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    saved = get_json(f"{base}/api/contents/{NOTEBOOK}", token)["content"]
    code_cells = [c for c in saved["cells"] if c["cell_type"] == "code"]
    errors = [o for c in code_cells for o in c["outputs"] if o["output_type"] == "error"]
    failed = [e["ename"] + ": " + e["evalue"] for e in errors]
    assert not failed, f"cells failed in the browser: {failed}"
    assert all(c["execution_count"] for c in code_cells if "".join(c["source"]).strip())

    # The explorer: scroll to it, move its first slider one step with the keyboard.
    before = page.evaluate(EXPLORER_STATE_JS)
    assert before is not None, "the convolution explorer's 'Output size:' text is not shown"
    # Tag the explorer's first slider handle so the browser can focus it like a user.
    found = page.evaluate("""() => {
        const label = [...document.querySelectorAll(
                '.jp-OutputArea-output .widget-html-content, .jp-OutputArea-output .widget-label')]
            .find(el => el.textContent.trim().startsWith('Output size:'));
        const output = label.closest('.jp-OutputArea-output');
        const handle = output.querySelector('.widget-slider [role=slider]');
        if (!handle) return false;
        handle.setAttribute('data-course-test', 'explorer-slider');
        return true;
    }""")
    assert found, "the convolution explorer has no slider"
    handle = page.locator("[data-course-test=explorer-slider]")
    handle.scroll_into_view_if_needed()
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_function(
        f"(old) => {{ const s = ({EXPLORER_STATE_JS})(); return s && s.text !== old; }}",
        arg=before["text"], timeout=30_000)
    after = page.evaluate(EXPLORER_STATE_JS)
    assert after["text"] != before["text"]
    if before["image"] is not None:
        page.wait_for_timeout(500)
        after = page.evaluate(EXPLORER_STATE_JS)["image"]
        assert after != before["image"], "the diagram did not change"

    # Decline JupyterLab's news prompt, if shown, so it does not cover the screenshot.
    news = page.locator(".jp-toast-button:text-is('No')")
    if news.count():
        news.first.click()
        page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notebook02_explorer.png"), full_page=False)
    assert (ARTIFACTS / "notebook02_explorer.png").stat().st_size > 10_000
