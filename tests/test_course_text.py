"""The course's text stands on its own, and the lecturer's guide matches the notebooks.

(a) No phrase that assumes the student attended someone's lectures ("the lecture", "the
    slides", "Quiz Q2-1", a course code...) in any notebook, the README or a website page,
    outside a "## References" section and the bibliography page; nor in the library, the
    lecturer's tools, the benchmarks or CONTRIBUTING.md, whose docstrings and comments
    students read too (the API pages of the website are made from them).
(b) Every figure of every committed notebook has its written alt text: one "# alt: ..." line
    per figure in the cell that draws it (the website uses those lines as the <img alt>).
(c) Every learning objective of website/guide/objectives.yml names a quiz, exercise or graded
    assignment task that exists; 3 to 6 objectives per lesson; quizzes numbered in order.
(d) The guide's student-time table is what website/guide/student_time.py computes from the
    notebooks today, and no lesson is over 75 minutes.
(e) Every cell of a lesson has its slide type (the decks are built from them), titles open
    slides and sub-slides.
"""
import importlib.util
import json
import pathlib
import re

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
GUIDE = REPO / "website" / "guide"
BIBLIOGRAPHY = REPO / "website" / "bibliography.md"

spec = importlib.util.spec_from_file_location("student_time", GUIDE / "student_time.py")
student_time = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_time)


def all_notebooks():
    """Every committed notebook: lessons, student versions and instructor sources."""
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def cell_sources(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c, c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
            for c in cells]


def website_pages():
    """The Markdown pages of the site (the README is its home page), bibliography excepted."""
    pages = [REPO / "README.md", NOTEBOOKS / "assignments" / "README.md",
             REPO / "website" / "README.md"]
    pages += sorted(GUIDE.glob("*.md"))
    return [p for p in pages if p.exists() and p != BIBLIOGRAPHY]


def relative(path):
    return path.relative_to(REPO).as_posix()


# --------------------------------------------------------------------------- (a) attendance
# One alternation, matched without overlaps, so "the lecture's" counts once.
ATTENDANCE = re.compile(
    r"\bthe\s+(?:[\w-]+\s+){0,2}?lectures?(?:['’]s?)?(?!\w)"
    r"|\bthis\s+lecture\b"
    r"|\(\s*(?:introductory\s+)?lecture\s*\)"
    r"|\b(?:these|those|both|several|two|our)\s+(?:[\w-]+\s+)?(?:lectures|slides|decks)\b"
    r"|\blectures?['’]s?(?=\W)"
    # ("the slide decks" of this course, built from its notebooks, are not a lecture's)
    r"|\bthe\s+(?:slide|deck)s?\b(?!-|\s+decks?\b)"
    r"|\bQuiz\s+Q\d+(?:-\d+)?", re.IGNORECASE)
COURSE_CODE = re.compile(r"\bCS\s?615\b|\bECE\s?285\b|\bCS-E\s?4890\b|\bMIPT\b|\bCS\s?231n\b",
                         re.IGNORECASE)
# A citation in parentheses with a year, "(Nguyen, ECE 285, UC San Diego, 2023)", names its
# source as a reference does: a course code may stand there (the conventions' own example).
CITATION = re.compile(r"\([^()\n]*\b(?:19|20)\d\d\b[^()\n]*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.MULTILINE)


def without_references(texts):
    """The texts (one per cell, or one per page) with every "References" section cut out.

    A section runs from a heading "References" to the next heading of the same or a higher
    level, across cells.
    """
    out, level = [], None
    for text in texts:
        kept, pos = [], 0
        for heading in HEADING.finditer(text):
            depth, title = len(heading.group(1)), heading.group(2).strip()
            if level is not None and depth <= level:
                level = None
                pos = heading.start()
            if level is None and re.match(r"(?i)references\b", title):
                kept.append(text[pos:heading.start()])
                level = depth
        if level is None:
            kept.append(text[pos:])
        out.append("".join(kept))
    return out


def attendance_phrases(text):
    """Every phrase of ``text`` that assumes attendance, in order."""
    found = [m.group(0) for m in ATTENDANCE.finditer(text)]
    found += [m.group(0) for m in COURSE_CODE.finditer(CITATION.sub("", text))]
    return found


def phrases_in(path):
    """``[(where, phrase)]`` for one notebook or page."""
    if path.suffix == ".ipynb":
        cells = cell_sources(path)
        texts = without_references([text for _, text in cells])
        return [(f"{relative(path)} cell {i}", phrase)
                for i, text in enumerate(texts) for phrase in attendance_phrases(text)]
    (text,) = without_references([path.read_text(encoding="utf-8")])
    return [(f"{relative(path)} line {text[:m.start()].count(chr(10)) + 1}", m.group(0))
            for m in list(ATTENDANCE.finditer(text))] + \
           [(relative(path), phrase) for phrase in COURSE_CODE.findall(CITATION.sub("", text))]


def test_attendance_phrases_are_recognised():
    assert attendance_phrases("the introductory lecture pads; the MIPT lecture's slide; Quiz "
                              "(lecture); several decks; two pooling slides; a lecture's rule") \
        == ["the introductory lecture", "the MIPT lecture's", "(lecture)", "several decks",
            "two pooling slides", "lecture's", "MIPT"]
    text = ("As the lecture showed, the slides and this lecture's quiz (Quiz Q2-1) say; the "
            "lectures' notation, MIPT's ResNet recipe, ECE 285 and CS-E4890 agree. The slider "
            "moves; a published lecture slide (Nguyen, ECE 285, UC San Diego, 2023) says; the "
            "lecturer's guide, the lesson's deck and the slide decks are fine.")
    assert attendance_phrases(text) == [
        "the lecture", "the slides", "this lecture", "Quiz Q2-1", "the lectures'",
        "MIPT", "ECE 285", "CS-E4890"]
    texts = without_references(["intro, the lecture\n## References\n- CS 615, Drexel",
                                "- MIPT lecture 11", "## Summary\nthe deck"])
    assert [attendance_phrases(t) for t in texts] == [["the lecture"], [], ["the deck"]]


@pytest.mark.parametrize("path", all_notebooks() + website_pages(), ids=relative)
def test_no_phrase_assumes_attendance(path):
    found = phrases_in(path)
    assert not found, (f"{len(found)} phrase(s) written for someone who attended a lecture: "
                       + "; ".join(f"{where}: {phrase!r}" for where, phrase in found))


def library_files():
    """The code and notes students read beside the notebooks."""
    files = [REPO / "CONTRIBUTING.md", REPO / "benchmarks" / "README.md"]
    for folder in ("cnnlib", "course_admin", "benchmarks"):
        files += sorted(p for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def test_no_phrase_in_the_library_assumes_attendance():
    found = []
    for path in library_files():
        text = path.read_text(encoding="utf-8")
        found += [f"{relative(path)} line {text[:m.start()].count(chr(10)) + 1}: {m.group(0)!r}"
                  for m in ATTENDANCE.finditer(text)]
    assert len(library_files()) > 100
    assert not found, (f"{len(found)} phrase(s) written for someone who attended a lecture: "
                       + "; ".join(found))


def test_bibliography_lists_the_decks_and_is_the_only_page_with_course_codes():
    text = BIBLIOGRAPHY.read_text(encoding="utf-8")
    for code in ("ECE 285", "CS-E4890", "CS 615", "MIPT", "Dive into Deep Learning"):
        assert code in text, code


# --------------------------------------------------------------------------- (b) alt text
ALT = re.compile(r"^\s*#\s*alt:\s*(.*?)\s*$", re.MULTILINE)


def missing_alt_text(path):
    """``[(cell index, figures, alt lines, problem)]`` of one notebook."""
    problems = []
    for i, (cell, text) in enumerate(cell_sources(path)):
        if cell["cell_type"] != "code":
            continue
        figures = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        alts = ALT.findall(text)
        # A cell never run (a generated student version) shows no figure yet: its alt lines
        # wait for the figure the student's run will draw.
        unrun = cell.get("execution_count") is None and not cell.get("outputs")
        if figures != len(alts) and (figures or alts) and not (unrun and not figures):
            problems.append((i, f"{figures} figure(s) but {len(alts)} '# alt:' line(s)"))
        for alt in alts:
            if len(alt.split()) < 4 or re.fullmatch(r"(?i)(a |the )?(figure|plot|image)\b.*", alt) \
                    and len(alt.split()) < 6:
                problems.append((i, f"alt text says too little: {alt!r}"))
    return problems


def test_alt_text_check_catches_a_missing_line(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": "# alt: ten digits with their labels\nf()",
         "outputs": [{"output_type": "display_data", "data": {"image/png": ""}}] * 2},
        {"cell_type": "code", "metadata": {}, "source": "# alt: plot\ng()",
         "outputs": [{"output_type": "display_data", "data": {"image/png": ""}}]},
        {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [],
         "source": "# alt: a curve that this run never drew\nh()"},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "# alt: the student's own loss curves, drawn when run\nk()"}]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert missing_alt_text(path) == [(0, "2 figure(s) but 1 '# alt:' line(s)"),
                                      (1, "alt text says too little: 'plot'"),
                                      (2, "0 figure(s) but 1 '# alt:' line(s)")]


@pytest.mark.parametrize("path", all_notebooks(), ids=relative)
def test_every_figure_has_written_alt_text(path):
    problems = missing_alt_text(path)
    assert not problems, f"{relative(path)}: " + "; ".join(f"cell {i}: {p}" for i, p in problems)


# --------------------------------------------------------------------------- (c) objectives
OBJECTIVES = yaml.safe_load((GUIDE / "objectives.yml").read_text(encoding="utf-8"))
ITEM_QUIZ = re.compile(r"(Quiz|Exercise) (\d\d[a-z]?)\.(\d+)")
ITEM_TASK = re.compile(r"assignment (\d): (\w+)")
QUIZ_ID = re.compile(r"(?:^\*\*|<b>)(Quiz|Exercise) (\d\d[a-z]?)\.(\d+)(?:\*\*|</b>)", re.MULTILINE)


def lesson_file(lesson_id):
    return {entry["id"]: REPO / entry["file"] for entry in OBJECTIVES["lessons"]}[lesson_id]


def quiz_ids(path):
    """``[(kind, lesson id, k)]`` of the quizzes and exercises of a notebook, in order."""
    return [(m.group(1), m.group(2), int(m.group(3)))
            for cell, text in cell_sources(path) if cell["cell_type"] == "markdown"
            for m in QUIZ_ID.finditer(text)]


def graded_tasks(number):
    (source,) = (NOTEBOOKS / "assignments" / "source").glob(f"{int(number):02d}_*.ipynb")
    return {cell["metadata"]["nbgrader"]["grade_id"] for cell, _ in cell_sources(source)
            if (cell["metadata"].get("nbgrader") or {}).get("grade")}


def item_problem(item):
    """Why ``item`` (an entry of assessed_by) names nothing, or None if it exists."""
    if item.strip().upper() == "TODO":
        return "TODO: name the quiz, exercise or assignment task that assesses it"
    if m := ITEM_QUIZ.fullmatch(item):
        kind, lesson, k = m.group(1), m.group(2), int(m.group(3))
        try:
            path = lesson_file(lesson)
        except KeyError:
            return f"no lesson {lesson} in objectives.yml"
        if not path.exists():
            return f"{relative(path)} does not exist"
        if (kind, lesson, k) not in quiz_ids(path):
            return f"no '**{kind} {lesson}.{k}**' in {relative(path)}"
        return None
    if m := ITEM_TASK.fullmatch(item):
        if m.group(2) not in graded_tasks(m.group(1)):
            return f"no graded cell with grade_id {m.group(2)!r} in assignment {m.group(1)}"
        return None
    return "not of the form 'Quiz 02a.3', 'Exercise 07.1' or 'assignment 1: grade_id'"


def all_objectives():
    for entry in OBJECTIVES["lessons"] + OBJECTIVES["assignments"]:
        for objective in entry["objectives"]:
            yield entry, objective


def test_item_check_knows_what_exists():
    assert item_problem("assignment 1: test_conv2d") is None
    assert "no graded cell" in item_problem("assignment 1: conv2d_forward")
    assert "no graded cell" in item_problem("assignment 2: lenet")   # a solution, not graded
    assert item_problem("TODO").startswith("TODO")
    assert "not of the form" in item_problem("quiz 2")
    assert "no lesson" in item_problem("Quiz 99.1")


@pytest.mark.parametrize("entry", OBJECTIVES["lessons"] + OBJECTIVES["assignments"],
                         ids=lambda e: e["id"])
def test_each_lesson_has_three_to_six_objectives(entry):
    assert 3 <= len(entry["objectives"]) <= 6 or entry["id"].startswith("A"), entry["id"]
    for objective in entry["objectives"]:
        assert objective["text"].strip() and objective["assessed_by"], objective


@pytest.mark.parametrize("entry", OBJECTIVES["lessons"] + OBJECTIVES["assignments"],
                         ids=lambda e: e["id"])
def test_every_objective_names_an_item_that_exists(entry):
    problems = [f"{item}: {problem}" for objective in entry["objectives"]
                for item in objective["assessed_by"] if (problem := item_problem(item))]
    assert not problems, f"{entry['id']}: " + "; ".join(problems)


@pytest.mark.parametrize("path", student_time.lessons(), ids=lambda p: p.name)
def test_quizzes_are_numbered_in_order(path):
    lesson = path.name.split("_")[0]
    ids = quiz_ids(path)
    for kind in ("Quiz", "Exercise"):
        numbers = [(lid, k) for kd, lid, k in ids if kd == kind]
        assert numbers == [(lesson, k) for k in range(1, len(numbers) + 1)], \
            f"{path.name}: {kind} ids {numbers}, expected {lesson}.1, {lesson}.2, ... in order"
    # no quiz left without an id
    unnumbered = [text[:60] for cell, text in cell_sources(path) if cell["cell_type"] == "markdown"
                  for _ in re.finditer(r"(?:\*\*|<b>)Quiz(?! \d\d[a-z]?\.\d)", text)]
    assert not unnumbered, f"{path.name}: quizzes without an id 'Quiz {lesson}.k': {unnumbered}"


# --------------------------------------------------------------------------- (d) student time
def test_student_time_formula_is_the_documented_one():
    stats = dict(words=900, code_lines=100, quizzes=3, exercises=1, figures=4)
    assert student_time.minutes(stats, run_seconds=60, points=2) == pytest.approx(
        10 + 9 + 6 + 5 + 2 + 1 + 20)


def test_student_time_table_is_up_to_date():
    text = student_time.PAGE.read_text(encoding="utf-8")
    assert student_time.page_with_table(text) == text, \
        "website/guide/student_time.md is stale: run python website/guide/student_time.py"


@pytest.mark.parametrize("path", student_time.lessons(), ids=lambda p: p.name)
def test_no_lesson_over_75_minutes(path):
    (row,) = [r for r in student_time.rows() if r[0] == path.name]
    assert row[5] <= student_time.LIMIT_MINUTES, \
        f"{path.name}: {row[5]:.0f} minutes of student time (limit {student_time.LIMIT_MINUTES})"


# --------------------------------------------------------------------------- (e) slide tags
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


def slide_tag_problems(path):
    """Cells of a lesson whose slide type is missing or breaks the course's convention."""
    problems = []
    for i, (cell, text) in enumerate(cell_sources(path)):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if kind not in SLIDE_TYPES:
            problems.append(f"cell {i}: slide_type {kind!r}")
        elif cell["cell_type"] == "markdown" and re.match(r"#{1,2} ", text) and kind != "slide":
            problems.append(f"cell {i}: a '#'/'##' title must open a slide, not {kind!r}")
        elif cell["cell_type"] == "markdown" and text.startswith("### ") \
                and kind not in ("slide", "subslide"):
            problems.append(f"cell {i}: a '###' title must open a sub-slide, not {kind!r}")
    return problems


@pytest.mark.parametrize("path", student_time.lessons(), ids=lambda p: p.name)
def test_every_cell_of_a_lesson_has_its_slide_type(path):
    problems = slide_tag_problems(path)
    assert not problems, f"{path.name}: {len(problems)} cells: " + "; ".join(problems[:8])
