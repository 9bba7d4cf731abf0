"""Offline check of the built website's internal links.

Sphinx's own ``linkcheck`` builder fetches every URL, which needs the internet; this reads
the built HTML and checks only what the site itself must provide: every relative ``href``
and ``src`` names a file of the build, and every ``#fragment`` names an ``id`` in that page.
External links (``https:``, ``mailto:``...) are not followed.

    python website/check_links.py build/website/_build/html

prints each broken link as ``page: link (reason)`` and exits with status 1 if there is one.
"""
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "preconnect"):
                self.links.append(attrs[key])


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def _pages(site):
    # _static/ holds the theme's template fragments ("{{ pathto(...) }}"), not pages.
    return [p for p in sorted(site.rglob("*.html"))
            if p.relative_to(site).parts[0] != "_static"]


def _is_deck(path, site):
    # In a reveal.js deck (slides/), a "#fragment" is the notebook's link to one of its own
    # headings, and reveal.js routes the hash itself: it is not an HTML id to check.
    return path.relative_to(site).parts[0] == "slides"


def broken_links(site):
    """Every broken internal link of the site built in ``site``.

    Parameters
    ----------
    site : path-like
        The folder of the built HTML (the one holding ``index.html``).

    Returns
    -------
    list of tuple (str, str, str)
        ``(page, link, reason)`` for each broken link; ``page`` relative to ``site``.
    """
    site = Path(site).resolve()
    if not (site / "index.html").is_file():
        raise ValueError(f"site must be a built website folder with an index.html; "
                         f"{site} has none")
    cache, broken = {}, []
    for page_path in _pages(site):
        page = _parse(page_path, cache)
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("javascript:", "data:")):
                continue
            if parts.path:
                target = (page_path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = page_path
            where = page_path.relative_to(site).as_posix()
            if site not in target.parents and target != site:
                broken.append((where, link, "points outside the site"))
            elif not target.is_file():
                broken.append((where, link, "no such file"))
            elif parts.fragment and target.suffix == ".html" and not _is_deck(target, site):
                if unquote(parts.fragment) not in _parse(target, cache).ids:
                    broken.append((where, link, "no such anchor"))
    return broken


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    broken = broken_links(argv[0])
    for page, link, reason in broken:
        print(f"{page}: {link} ({reason})")
    pages = len(_pages(Path(argv[0]).resolve()))
    print(f"internal links: {pages} pages checked, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
