"""Build a reveal.js slide deck of every lesson into the built website.

Each lesson notebook is converted by nbconvert's slides exporter with the course's template
(website/slides/course_reveal: nbconvert's reveal template with every script local). The
cells' ``metadata.slideshow.slide_type`` decide the slides: "slide", "subslide", "fragment",
"skip" or "-". Each deck goes to ``<site>/slides/<notebook>.slides.html``; reveal.js is copied
from a local install (``npm install reveal.js``, made by .ci/website) into
``<site>/slides/reveal.js`` (only its dist/ and plugin/notes/), and MathJax 3 is the website's
own ``<site>/_static/mathjax``. Nothing is fetched from the internet when a deck is shown.

An explorer's output (an interactive widget, which needs a kernel) becomes the still that
website/_ext/explorer_stills.py draws for the web pages, with the same launch links.

    python website/slides/build.py SITE REVEAL_JS [NOTEBOOK ...]

SITE is the built website (build/website/_build/html), REVEAL_JS the folder of the reveal.js
package (build/reveal/node_modules/reveal.js); without NOTEBOOK, every lesson of notebooks/.
"""
import copy
import pathlib
import re
import shutil
import sys

import nbformat
from nbconvert import SlidesExporter

REPO = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "website" / "slides"
sys.path.insert(0, str(REPO / "website" / "_ext"))
import explorer_stills  # noqa: E402

WIDGET_MIME = explorer_stills.WIDGET_MIME
ALT_LINE = re.compile(r"^\s*#\s*alt:\s*(.+?)\s*$", re.MULTILINE)


def with_alt_text(cell):
    """Give each figure of a code cell its "# alt:" line as alt text (in the output's
    metadata, which the template reads), and show the code without those lines."""
    alts = ALT_LINE.findall(cell.source)
    figures = [out for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    for out, alt in zip(figures, alts):
        out.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt
    cell.source = ALT_LINE.sub("", cell.source).lstrip("\n")


def lessons():
    return sorted((REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))


def with_explorer_stills(nb, docname):
    """A copy of ``nb`` without its remove-cell cells, its figures' alt text from the
    "# alt:" lines, and whose widget outputs are replaced by a still and launch links."""
    nb = copy.deepcopy(nb)
    # the Colab badge and install cell (tagged remove-cell) are for notebooks, not decks
    nb.cells = [cell for cell in nb.cells
                if "remove-cell" not in cell.metadata.get("tags", [])]
    binder, colab = explorer_stills.launch_links(docname)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        with_alt_text(cell)
        if not any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        drawn = explorer_stills.still(cell.source)
        if drawn is None:
            # a progress bar: keep its text form (the bar at 100%) and drop the widget
            for out in cell.get("outputs", []):
                out.get("data", {}).pop(WIDGET_MIME, None)
            continue
        cell.outputs = [nbformat.v4.new_output(
            "display_data", data={"text/html": explorer_stills.still_html(*drawn, binder, colab)})]
    nb.metadata.pop("widgets", None)
    return nb


def exporter():
    exp = SlidesExporter(template_name="course_reveal", extra_template_basedirs=[str(TEMPLATES)])
    exp.reveal_url_prefix = "reveal.js"
    exp.reveal_theme = "white"       # its fonts come with reveal.js (others load Google Fonts)
    exp.mathjax_url = "../_static/mathjax/tex-chtml.js"
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


def build(site, reveal_js, notebooks):
    site, reveal_js = pathlib.Path(site), pathlib.Path(reveal_js)
    if not (site / "_static" / "mathjax" / "tex-chtml.js").is_file():
        raise SystemExit(f"{site} is not a built course website (no _static/mathjax)")
    if not (reveal_js / "dist" / "reveal.js").is_file():
        raise SystemExit(f"{reveal_js} is not the reveal.js package (no dist/reveal.js)")
    out = site / "slides"
    out.mkdir(parents=True, exist_ok=True)
    local = out / "reveal.js"
    shutil.rmtree(local, ignore_errors=True)
    shutil.copytree(reveal_js / "dist", local / "dist")
    shutil.copytree(reveal_js / "plugin" / "notes", local / "plugin" / "notes")
    exp = exporter()
    for path in notebooks:
        path = pathlib.Path(path).resolve()
        docname = path.relative_to(REPO).with_suffix("").as_posix()
        nb = with_explorer_stills(nbformat.read(path, as_version=4), docname)
        body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        (out / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
        print(f"slides: {path.stem}.slides.html")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    build(sys.argv[1], sys.argv[2], sys.argv[3:] or lessons())
