"""The course website (website/): its table of contents, and the built site.

The checks of the built site need it built first (``.ci/website`` builds it into
build/website/_build/html, or set CNNLIB_WEBSITE_DIR); without it they are skipped, unless
CNNLIB_WEBSITE_REQUIRED is set (as .ci/website does), when a missing site is a failure.
"""
import html
import importlib.util
import json
import os
import pathlib
import re

import nbformat
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
WEBSITE = REPO / "website"
SITE = pathlib.Path(os.environ.get("CNNLIB_WEBSITE_DIR", REPO / "build/website/_build/html"))
SOURCES = REPO / "notebooks" / "assignments" / "source"
LESSON_SOURCES = REPO / "notebooks" / "source"

spec = importlib.util.spec_from_file_location("check_links", WEBSITE / "check_links.py")
check_links = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_links)


def toc_files():
    def walk(entries):
        for entry in entries:
            if "file" in entry:
                yield entry["file"]
            yield from walk(entry.get("sections", []))
            yield from walk(entry.get("chapters", []))

    toc = yaml.safe_load((WEBSITE / "_toc.yml").read_text())
    return [toc["root"]] + list(walk(toc.get("parts", [])))


# --------------------------------------------------------------------------- sources
def test_every_lesson_and_student_assignment_is_in_the_toc():
    files = set(toc_files())
    notebooks = (sorted((REPO / "notebooks").glob("*.ipynb"))
                 + sorted((REPO / "notebooks" / "assignments").glob("*.ipynb")))
    missing = [nb.relative_to(REPO).with_suffix("").as_posix() for nb in notebooks
               if nb.relative_to(REPO).with_suffix("").as_posix() not in files]
    assert not missing, f"add to website/_toc.yml (one '- file:' line each): {missing}"


def test_the_toc_has_no_solutions_and_every_entry_exists():
    for entry in toc_files():
        assert not entry.startswith("notebooks/assignments/source"), entry
        assert any((REPO / f"{entry}{suffix}").is_file() for suffix in (".ipynb", ".md", ".rst")), \
            f"website/_toc.yml names {entry}, which does not exist"


def test_every_cnnlib_module_has_an_api_page():
    modules = {p.stem for p in (REPO / "cnnlib").glob("*.py") if not p.name.startswith("_")}
    modules |= {p.name for p in (REPO / "cnnlib").iterdir()
                if (p / "__init__.py").is_file()}
    pages = {pathlib.Path(f).name for f in toc_files() if f.startswith("website/api/")}
    assert modules <= pages, f"no API page for {sorted(modules - pages)}"


def test_link_checker_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="page.html#here">ok</a> <a href="page.html#nowhere">bad anchor</a> '
        '<img src="_images/missing.png"> <a href="https://example.org/x">external</a> '
        '<a href="#top" id="top">self</a> <a href="../outside.html">out</a>')
    (tmp_path / "page.html").write_text('<h1 id="here">Here</h1>')
    broken = check_links.broken_links(tmp_path)
    assert broken == [("index.html", "page.html#nowhere", "no such anchor"),
                      ("index.html", "_images/missing.png", "no such file"),
                      ("index.html", "../outside.html", "points outside the site")]
    with pytest.raises(ValueError, match="site must be a built website folder"):
        check_links.broken_links(tmp_path / "nothing-here")


# --------------------------------------------------------------------------- the built site
def _region_lines(text):
    """The lines of ``text`` inside solution and hidden-test regions, stripped."""
    inside, lines = False, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")):
            inside = True
        elif stripped.startswith(("### END SOLUTION", "### END HIDDEN TESTS")):
            inside = False
        elif inside:
            lines.append(stripped)
    return lines


def lesson_solution_lines():
    """Lines that only the lessons' instructor sources (notebooks/source/) hold: exercise
    solutions and hidden tests.

    Unlike the assignments' list, the student versions are not consulted: a line of a
    lesson's solution is secret unless the source itself shows it outside its solution
    and hidden-test regions (a shared import), so a line copied into a student version is
    caught, not excused.  Short lines and comments say too little.
    """
    secret = set()
    for nb_path in sorted(LESSON_SOURCES.glob("*.ipynb")):
        cells = nbformat.read(nb_path, as_version=4).cells
        regions = {line for cell in cells for line in _region_lines(cell.source)}
        shown = {line.strip() for cell in cells for line in cell.source.splitlines()
                 } - regions
        secret |= {line for line in regions if len(line) >= 20 and not line.startswith("#")
                   and line not in shown}
    return secret


def solution_lines():
    """Lines that only the instructor sources hold: solution bodies and hidden tests.

    A line that a student version or a lesson also shows (a shared import, a line the hint
    of a stub spells out) is not a secret, so it is left out; so are short lines and
    comments, which say too little.
    """
    public = "\n".join(
        cell.source
        for nb_path in (list((REPO / "notebooks").glob("*.ipynb"))
                        + list((REPO / "notebooks" / "assignments").glob("*.ipynb")))
        for cell in nbformat.read(nb_path, as_version=4).cells)
    secret = set()
    for nb_path in SOURCES.glob("*.ipynb"):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                stripped = line.strip()
                if stripped.startswith(("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")):
                    inside = True
                elif stripped.startswith(("### END SOLUTION", "### END HIDDEN TESTS")):
                    inside = False
                elif (inside and len(stripped) >= 20 and not stripped.startswith("#")
                      and stripped not in public):
                    secret.add(stripped)
    return secret | lesson_solution_lines()


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        reason = f"the website is not built ({SITE}); build it with .ci/website"
        if os.environ.get("CNNLIB_WEBSITE_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    return SITE


def readable_text(path):
    """The text a reader sees in ``path``: code highlighting and escapes undone."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        # Pygments wraps each token in a <span>: drop the tags, then the entities.
        return html.unescape(re.sub(r"<[^>]*>", "", text))
    if path.suffix == ".ipynb":
        return "\n".join(cell["source"] if isinstance(cell["source"], str)
                         else "".join(cell["source"]) for cell in json.loads(text)["cells"])
    return text


def site_texts(site):
    """Every text file of the site a reader can reach: pages, sources, search index."""
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".js", ".txt", ".md") \
                and "_static" not in path.relative_to(site).parts:
            yield path, readable_text(path)


def test_solution_lines_are_found_in_the_sources():
    # The grep below is only as good as this list: it must hold the solutions' code.
    lines = solution_lines()
    assert len(lines) > 30
    assert any("for" in line and "range" in line for line in lines)


def find_leaks(site, secret):
    """``{page: [solution lines it shows]}`` over every reachable text file of ``site``."""
    leaks = {}
    for path, text in site_texts(site):
        found = sorted(line for line in secret if line in text)
        if found:
            leaks[path.relative_to(site).as_posix()] = found
    return leaks


@pytest.mark.website
def test_no_solution_code_in_the_built_site(site):
    leaks = find_leaks(site, solution_lines())
    assert not leaks, f"solution code in the website: { {k: v[:3] for k, v in leaks.items()} }"
    assert not list(site.rglob("*source/*conv_from_scratch*")), "instructor notebook built"
    assert not list((site / "notebooks").glob("source/*")), "a lesson's instructor source built"


def test_lesson_solution_lines_are_found_in_the_lesson_sources():
    lines = lesson_solution_lines()
    assert len(lines) >= 10
    assert any("for row in range" in line for line in lines)           # 01b.1's solution
    assert any("check_exercise" in line and "quiet=True" in line for line in lines)


def test_no_lesson_solution_in_any_student_notebook():
    # The lessons' solutions are absent from every notebook a student gets (the generated
    # student versions included), and from their outputs.
    secret = lesson_solution_lines()
    notebooks = (sorted((REPO / "notebooks").glob("*.ipynb"))
                 + sorted((REPO / "notebooks" / "assignments").glob("*.ipynb")))
    leaks = {}
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        shown = readable_text(path) + "\n" + "\n".join(
            "".join(output.get("text", "")) for cell in json.loads(text)["cells"]
            for output in cell.get("outputs", []))
        found = sorted(line for line in secret if line in shown)
        if found:
            leaks[path.name] = found
    assert not leaks, f"lesson solutions in the student notebooks: {leaks}"


def test_the_grep_would_catch_a_lesson_solution(tmp_path):
    secret = lesson_solution_lines()
    line = sorted(secret)[0]
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01b.html").write_text(f"<pre><span>{line}</span></pre>")
    (tmp_path / "notebooks" / "clean.html").write_text("<pre>print(1)</pre>")
    assert find_leaks(tmp_path, solution_lines()) == {"notebooks/01b.html": [line]}


@pytest.mark.website
def test_the_grep_would_catch_a_leak(site, tmp_path):
    # The same search over a copy of one page with a solution line pasted into its code.
    secret = solution_lines()
    line = sorted(secret)[0]
    page = (site / "notebooks" / "assignments" / "01_conv_from_scratch.html").read_text()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "leaked.html").write_text(
        page.replace("</body>", f"<pre>{line}</pre></body>"))
    (tmp_path / "notebooks" / "clean.html").write_text(page)
    assert find_leaks(tmp_path, secret) == {"notebooks/leaked.html": [line]}


@pytest.mark.website
def test_highlighted_code_reads_as_its_source(site):
    # The grep reads pages as text: a code line of the student notebook, split into
    # highlighted tokens in the HTML, must be found whole.
    nb = nbformat.read(REPO / "notebooks/assignments/01_conv_from_scratch.ipynb", as_version=4)
    shown = [cell for cell in nb.cells if cell.cell_type == "code"
             and not {"remove-cell", "remove-input"} & set(cell.metadata.get("tags", []))]
    lines = [line.strip() for cell in shown for line in cell.source.splitlines()
             if len(line.strip()) > 30 and '"' in line and "(" in line]
    text = readable_text(site / "notebooks/assignments/01_conv_from_scratch.html")
    assert len(lines) > 5
    assert [line for line in lines if line not in text] == []


@pytest.mark.website
def test_no_nbgrader_region_in_the_built_notebooks(site):
    # (the README and the API page of cnnlib.grading name the markers: they explain them)
    notebooks = [entry for entry in toc_files() if (REPO / f"{entry}.ipynb").is_file()]
    assert len(notebooks) >= 10
    for entry in notebooks:
        for path in (site / f"{entry}.html", site / "_sources" / f"{entry}.ipynb"):
            text = path.read_text()
            for marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                assert marker not in text, f"{marker!r} in {path.relative_to(site)}"


@pytest.mark.website
def test_no_broken_internal_link(site):
    assert check_links.broken_links(site) == []


@pytest.mark.website
def test_every_lesson_page_and_its_download_exist(site):
    for entry in toc_files():
        page = site / f"{entry}.html"
        assert page.is_file(), f"{entry} was not built"
        if (REPO / f"{entry}.ipynb").is_file():
            html = page.read_text()
            download = f"_sources/{entry}.ipynb"
            assert download in html, f"{entry}: no download button"
            nb = json.loads((site / download).read_text())
            assert nb["cells"], download


@pytest.mark.website
def test_every_figure_has_alt_text(site):
    for entry in toc_files():
        html = (site / f"{entry}.html").read_text()
        for img in re.findall(r"<img\b[^>]*>", html):
            assert re.search(r'\balt="[^"]+"', img), f"{entry}: image without alt text: {img}"


@pytest.mark.website
def test_api_reference_shows_the_docstrings(site):
    html = (site / "website" / "api" / "conv.html").read_text()
    assert 'id="cnnlib.conv.conv2d"' in html
    # the numpydoc sections, rendered
    assert "Parameters" in html and "Returns" in html
    assert "(N, C, H, W)" in html or "(N, C_in, H, W)" in html


@pytest.mark.website
def test_mathjax_is_served_by_the_site(site):
    html = (site / "notebooks" / "02a_padding_stride_channels.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert mathjax and all(not re.match(r"https?:", s) for s in mathjax), mathjax
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


# --------------------------------------------------------------------------- issue 21
ALT_LINE = re.compile(r"^\s*#\s*alt:\s*(.+?)\s*$", re.MULTILINE)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EXPLORER_CALL = re.compile(r"\b(kernel_explorer|conv_explorer)\(")


def notebook_entries():
    return [entry for entry in toc_files() if (REPO / f"{entry}.ipynb").is_file()]


@pytest.mark.website
def test_figures_take_their_alt_text_from_the_alt_lines(site):
    """Every figure of a notebook page has as alt one of its cell's '# alt:' lines."""
    problems = []
    for entry in notebook_entries():
        nb = nbformat.read(REPO / f"{entry}.ipynb", as_version=4)
        written = {alt for cell in nb.cells if cell.cell_type == "code"
                   for alt in ALT_LINE.findall(cell.source)}
        page = (site / f"{entry}.html").read_text()
        for tag in re.findall(r"<img\b[^>]*>", page):
            if "_images/" not in tag:        # the theme's logo, badges, explorers' stills
                continue
            alt = re.search(r'\balt="([^"]*)"', tag)
            if not alt or html.unescape(alt.group(1)) not in written:
                problems.append(f"{entry}: {tag[:120]}")
    assert not problems, f"{len(problems)} figure(s) without their '# alt:' line: {problems[:5]}"


@pytest.mark.website
def test_explorers_show_a_still_and_launch_links(site):
    explorers = 0
    for entry in notebook_entries():
        nb = nbformat.read(REPO / f"{entry}.ipynb", as_version=4)
        widgets = sum(WIDGET_MIME in out.get("data", {}) for cell in nb.cells
                      if cell.cell_type == "code" and EXPLORER_CALL.search(cell.source)
                      for out in cell.get("outputs", []))
        page = (site / f"{entry}.html").read_text()
        assert WIDGET_MIME not in page, f"{entry}: an explorer left as an empty widget output"
        stills = re.findall(r'<div class="explorer-still">(.*?)</div>', page, flags=re.S)
        assert len(stills) == widgets, f"{entry}: {widgets} explorers, {len(stills)} stills"
        binder = (f"https://mybinder.org/v2/gh/cnn-course/cnn-course/main"
                  f"?urlpath=lab/tree/{entry}.ipynb")
        colab = (f"https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/"
                 f"{entry}.ipynb")
        for still in stills:
            assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}" '
                             r'alt="[^"]{20,}"', still)
            assert binder in html.unescape(still) and colab in html.unescape(still)
        explorers += widgets
    assert explorers >= 2


@pytest.mark.website
def test_the_lecturers_guide_shows_the_objectives_and_student_time(site):
    course = yaml.safe_load((WEBSITE / "guide" / "objectives.yml").read_text())
    # (Sphinx's smart quotes curl the straight ones)
    objectives = readable_text(site / "website" / "guide" / "objectives.html").translate(
        str.maketrans("“”‘’", "\"\"''"))
    for entry in course["lessons"] + course["assignments"]:
        for objective in entry["objectives"]:
            assert objective["text"].strip() in objectives, objective["text"]
    times = readable_text(site / "website" / "guide" / "student_time.html")
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]*.ipynb")):
        assert path.name in times
    decks = (site / "website" / "guide" / "slides.html").read_text()
    for entry in course["lessons"]:
        path = REPO / entry["file"]
        if path.is_file():           # (tests/test_notebook_map.py: the planned ones are there)
            assert f'href="../../slides/{path.stem}.slides.html"' in decks, path.stem
    for page in ("syllabus", "index"):
        assert (site / "website" / "guide" / f"{page}.html").is_file()
    assert "CS-E4890" in readable_text(site / "website" / "bibliography.html")


def instructor_lines():
    """Lines of the instructor sources' cells tagged "instructor" (rubrics, model answers)
    that no student-facing notebook shows; short lines and bare markup say too little."""
    public = "\n".join(
        cell.source
        for nb_path in (list((REPO / "notebooks").glob("*.ipynb"))
                        + list((REPO / "notebooks" / "assignments").glob("*.ipynb")))
        for cell in nbformat.read(nb_path, as_version=4).cells)
    secret = set()
    for nb_path in SOURCES.glob("*.ipynb"):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if "instructor" not in cell.metadata.get("tags", []):
                continue
            for line in cell.source.splitlines():
                stripped = line.strip().strip("-*>#| ").strip()
                if len(stripped) >= 25 and stripped not in public:
                    secret.add(stripped)
    return secret


def rubric_leaks(texts, secret):
    leaks = {}
    for name, text in texts:
        found = sorted(line for line in secret if line in text)
        if "Rubric" in text:
            found.insert(0, "Rubric")
        if found:
            leaks[name] = found
    return leaks


def test_no_rubric_in_the_student_versions():
    students = sorted((REPO / "notebooks" / "assignments").glob("*.ipynb"))
    leaks = rubric_leaks([(p.name, readable_text(p)) for p in students], instructor_lines())
    assert not leaks, f"rubric text in the student versions: {leaks}"


@pytest.mark.website
def test_no_rubric_in_the_built_site(site):
    leaks = rubric_leaks(((p.relative_to(site).as_posix(), text) for p, text in site_texts(site)),
                         instructor_lines())
    assert not leaks, f"rubric text in the website: { {k: v[:3] for k, v in leaks.items()} }"


@pytest.mark.website
def test_the_rubric_grep_would_catch_a_leak(site):
    page = readable_text(site / "notebooks" / "assignments" / "01_conv_from_scratch.html")
    secret = {"a model answer that only the instructor source holds, word for word"}
    texts = [("clean.html", page),
             ("leaked.html", page + "\n**Rubric** (2 points): one point for the flip"),
             ("answer.html", page + "\nModel answer: " + next(iter(secret)))]
    assert rubric_leaks(texts, secret) == {"leaked.html": ["Rubric"],
                                           "answer.html": [next(iter(secret))]}
