"""Every lesson's reveal.js slide deck, opened offline in headless Chromium.

.ci/website builds the decks into build/website/_build/html/slides (website/slides/build.py)
after the book. For each lesson notebook: its deck exists, opens with every request leaving
127.0.0.1 blocked (and none attempted), has more than one slide, its figures load
(naturalWidth > 0) and have alt text, and its maths is typeset by the site's own MathJax
(no raw "$$" left).
Three slides of lesson 02a (a figure, maths, an explorer's still) are saved as screenshots in
tests/artifacts/ at 1280x720, a projector's size.
"""
import pathlib

import pytest

from test_browser import ARTIFACTS
from test_website import SITE
import test_website_browser

# the served site and the browser of the website's browser test (fixtures)
server = test_website_browser.server
browser = test_website_browser.browser

pytestmark = [pytest.mark.website, pytest.mark.browser]

REPO = pathlib.Path(__file__).resolve().parent.parent
LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))
SCREENSHOT_DECK = "02a_padding_stride_channels"

DECK_FACTS = """() => {
  const imgs = [...document.querySelectorAll('.reveal .slides img')];
  const markdown = [...document.querySelectorAll('.reveal .jp-RenderedMarkdown')];
  return {
    slides: Reveal.getTotalSlides(),
    images: imgs.map(i => ({complete: i.complete, width: i.naturalWidth,
                            alt: i.getAttribute('alt')})),
    maths: document.querySelectorAll('.reveal mjx-container').length,
    raw: markdown.map(m => m.innerText).filter(t => t.includes('$$')).map(t => t.slice(0, 80)),
  };
}"""


@pytest.fixture
def deck_page(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(30_000)
    page.outside = []

    def route(r):
        if r.request.url.startswith(("data:", "blob:")) or \
                r.request.url.startswith(server):
            r.continue_()
        else:
            page.outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    yield page
    page.close()


def open_deck(page, server, lesson):
    page.goto(f"{server}/slides/{lesson}.slides.html")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    if page.evaluate("() => document.body.innerHTML.includes('$')"):
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.reveal .slides img')].every(i => i.complete)")


def test_every_lesson_has_a_deck(server):
    missing = [lesson for lesson in LESSONS
               if not (SITE / "slides" / f"{lesson}.slides.html").is_file()]
    assert not missing, f"no slide deck built for {missing}"
    assert (SITE / "slides" / "reveal.js" / "dist" / "reveal.js").is_file()


@pytest.mark.parametrize("lesson", LESSONS)
def test_deck_opens_offline_with_figures_and_maths(deck_page, server, lesson):
    page = deck_page
    open_deck(page, server, lesson)
    facts = page.evaluate(DECK_FACTS)
    assert facts["slides"] > 1, f"{lesson}: one slide only: are its cells tagged (slideshow)?"
    broken = [img for img in facts["images"] if not img["complete"] or img["width"] == 0]
    assert not broken, f"{lesson}: figures that did not render: {broken[:3]}"
    assert all(img["alt"] for img in facts["images"]), f"{lesson}: a figure without alt text"
    source = (REPO / "notebooks" / f"{lesson}.ipynb").read_text()
    if "$" in source and "image/png" in source:
        assert facts["images"], f"{lesson}: no figure in the deck"
    assert not facts["raw"], f"{lesson}: maths left as raw text: {facts['raw'][:3]}"
    if "$$" in source or "\\\\frac" in source:
        assert facts["maths"] > 0, f"{lesson}: no maths typeset"
    assert page.outside == [], f"{lesson}: requests to outside: {page.outside[:5]}"


def go_to_first(page, selector):
    """Show the first slide that contains ``selector``; False if there is none."""
    return page.evaluate("""(selector) => {
      for (const section of document.querySelectorAll('.reveal .slides section')) {
        if (section.querySelector('section')) continue;      // a vertical stack
        if (section.querySelector(selector)) {
          const where = Reveal.getIndices(section);
          Reveal.slide(where.h, where.v, 999);
          section.querySelector(selector).scrollIntoView({block: 'center'});
          return true;
        }
      }
      return false;
    }""", selector)


def test_three_slides_for_a_person_to_look_at(deck_page, server):
    page = deck_page
    open_deck(page, server, SCREENSHOT_DECK)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, selector in (("figure", ".jp-OutputArea-output img:not(.explorer-still img)"),
                           ("maths", "mjx-container[display='true']"),
                           ("explorer", ".explorer-still")):
        assert go_to_first(page, selector), f"no slide with {selector} in {SCREENSHOT_DECK}"
        page.wait_for_timeout(1200)          # the slide transition
        if name == "maths":
            page.evaluate("() => MathJax.typesetPromise()")
        path = ARTIFACTS / f"slides_{SCREENSHOT_DECK}_{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
    assert page.outside == []
