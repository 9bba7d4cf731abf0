"""nbgrader as the grading engine, end to end, on both assignments.

The course folder is made by ``course_admin.nbgrader_course.prepare`` from the
instructor sources; nbgrader then releases the student versions
(``generate_assignment``), grades a solved, a partly solved, an untouched and a
hostile submission of each assignment (``autograde``), and writes the feedback
(``generate_feedback``). The points per task come from nbgrader's gradebook and
must be exactly those the course's own grader gives (tests/test_assignments.py).

Needs the lecturer's packages (``requirements-lecturer.txt``); without nbgrader the
tests are skipped. ``.ci/lecturer`` installs them and runs these tests.
"""
import html
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

from course_admin.generate import BEGIN_HIDDEN_TESTS, SOURCES, hidden_lines
from course_admin.nbgrader_course import prepare

pytestmark = [
    pytest.mark.lecturer,
    pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None,
                       reason="nbgrader is not installed: pip install -r requirements-lecturer.txt "
                              "(or run .ci/lecturer)"),
]

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from test_assignments import CASES, HOOK  # noqa: E402  (the same fake class)

NBGRADER_CASES = CASES


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _submission(released, name, solved, replaced, hostile):
    source = {_meta(c).get("grade_id"): c.source
              for c in nbformat.read(SOURCES / f"{name}.ipynb", as_version=4).cells}
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        task = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and (solved is None or task in solved):
            cell.source = source[task]
        if replaced.get(task):
            cell.source = replaced[task]
    if hostile:
        nb.cells.insert(0, nbformat.v4.new_code_cell(HOOK))
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder after generate_assignment, autograde and generate_feedback."""
    root = tmp_path_factory.mktemp("course")
    names = prepare(root)
    for name in names:
        _nbgrader(root, "generate_assignment", name, "--force")
        released = root / "release" / name / f"{name}.ipynb"
        for student, (solved, replaced, _) in NBGRADER_CASES[name].items():
            folder = root / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(_submission(released, name, solved, replaced, student == "hostile"),
                           folder / f"{name}.ipynb")
        _nbgrader(root, "autograde", name, "--force")
        _nbgrader(root, "generate_feedback", name, "--force")
    return root


def test_released_versions_have_no_solution_and_no_hidden_test(course):
    for name in NBGRADER_CASES:
        text = (course / "release" / name / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "Instructor version" not in text and "NBVAL" not in text


@pytest.mark.parametrize("name, student", [(n, s) for n in NBGRADER_CASES
                                           for s in NBGRADER_CASES[n]])
def test_autograde_gives_the_expected_points_per_task(course, name, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(name, name, student)
        points = {g.name: g.score for g in notebook.grades if g.name.startswith("test_")}
        max_points = sum(g.max_score for g in notebook.grades if g.name.startswith("test_"))
    expected = CASES[name][student][2]
    if isinstance(expected, dict):
        assert points == {t: float(expected.get(t, 0)) for t in points}
    else:
        assert sum(points.values()) == expected, points
    if student == "solved":
        assert sum(points.values()) == max_points


def test_feedback_holds_no_hidden_test(course):
    for name in NBGRADER_CASES:
        secret = set()
        for cell in nbformat.read(SOURCES / f"{name}.ipynb", as_version=4).cells:
            if BEGIN_HIDDEN_TESTS in cell.source:
                secret |= {line.strip() for line in hidden_lines(cell.source)
                           if len(line.strip()) > 8}
        for student in NBGRADER_CASES[name]:
            page = (course / "feedback" / student / name / f"{name}.html").read_text()
            # The text as shown: highlighted code is split into spans, so drop the tags.
            text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())
            leaked = [line for line in secret if " ".join(line.split()) in text]
            assert not leaked, (student, leaked[:3])
            assert "Score" in page or "score" in page
