"""The built course website in a real (headless) browser: home page and one lesson.

Serves build/website/_build/html on a local port and opens it in Debian's Chromium: the
lesson's figures load, its maths is typeset by the MathJax the site serves itself, the
Binder, Colab and download buttons point at this notebook, and search finds a lesson. No
request may leave the machine. Screenshots go to tests/artifacts/.

Skipped when the site is not built (see tests/test_website.py) or Chromium is missing.
"""
import functools
import http.server
import os
import threading
from urllib.parse import urlsplit

import pytest

from test_browser import ARTIFACTS, chromium
from test_website import SITE

pytestmark = [pytest.mark.website, pytest.mark.browser]

LESSON = "notebooks/01a_convolution"
REPOSITORY = "cnn-course/cnn-course"


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        reason = f"the website is not built ({SITE}); build it with .ci/website"
        if os.environ.get("CNNLIB_WEBSITE_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    required = bool(os.environ.get("CI") or os.environ.get("CNNLIB_WEBSITE_REQUIRED"))
    with chromium(required) as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    """A page that records every request leaving 127.0.0.1 (and blocks it)."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(30_000)
    page.outside = []

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            page.outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    yield page
    page.close()


IMAGES_JS = """(selector) => [...document.querySelectorAll(selector)].map(img => ({
    src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth,
    alt: img.getAttribute('alt')}))"""


def test_home_page_is_the_notebook_map(page, server):
    page.goto(f"{server}/index.html")
    page.wait_for_url("**/README.html")
    assert "Convolutional Neural Networks" in page.title()
    lessons = page.eval_on_selector_all(
        "article table a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
    for lesson in ("00_welcome", "02a_padding_stride_channels", "05b_curves_and_calibration",
                   "assignments/01_conv_from_scratch"):
        assert f"notebooks/{lesson}.html" in lessons
    colab = page.eval_on_selector_all(
        "article table a[href^='https://colab.research.google.com']", "els => els.length")
    assert colab >= 10
    # the navigation lists every lesson, and a search box is there
    nav = page.inner_text("nav.bd-docs-nav")
    assert "Welcome" in nav and "Home assignment" in nav and "Lecturer" in nav
    assert page.locator("form.bd-search input[name='q']").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "website_home.png"))
    # Badges are images from the badge services, blocked here; nothing else leaves.
    assert all("badge" in url for url in page.outside), page.outside


def test_lesson_figures_maths_and_buttons(page, server):
    page.goto(f"{server}/{LESSON}.html")
    page.wait_for_load_state("load")
    # every figure of the lesson loaded and has a size
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cell_output img')].every(i => i.complete)")
    images = page.evaluate(IMAGES_JS, ".cell_output img")
    assert len(images) >= 8
    for img in images:
        assert img["width"] > 0, f"figure did not render: {img['src']}"
        assert img["alt"], f"figure without alt text: {img['src']}"
    # MathJax 3 (from the site's _static/mathjax) typeset the maths
    page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0",
                           timeout=60_000)
    typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    raw = page.evaluate("() => document.querySelectorAll('.math:not(:has(mjx-container))')"
                        ".length")
    assert typeset >= 5 and raw == 0
    assert page.evaluate("() => MathJax.version").startswith("3.")
    # launch and download buttons for this notebook
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    colab = (f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{LESSON}.ipynb")
    binder = (f"https://mybinder.org/v2/gh/{REPOSITORY}/main?urlpath=lab/tree/{LESSON}.ipynb")
    assert colab in hrefs and binder in hrefs
    download = f"{server}/_sources/{LESSON}.ipynb"
    assert download in hrefs
    response = page.request.get(download)
    assert response.ok and response.json()["cells"]
    page.screenshot(path=str(ARTIFACTS / "website_lesson.png"))
    # a full page with every figure, for a person to look at
    page.screenshot(path=str(ARTIFACTS / "website_lesson_full.png"), full_page=True)
    assert page.outside == []


def test_search_finds_a_lesson(page, server):
    page.goto(f"{server}/search.html?q=Toeplitz")
    page.wait_for_selector("#search-results li", timeout=60_000)
    results = page.eval_on_selector_all("#search-results li a",
                                        "els => els.map(e => e.getAttribute('href'))")
    assert any(href.startswith("notebooks/01") for href in results), results
    assert page.outside == []
