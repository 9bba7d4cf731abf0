"""nbgrader grades a lesson's exercises through their hidden tests (lesson 01b, end to end).

The lessons' instructor sources (``notebooks/source/``) are nbgrader sources too:
``course_admin.nbgrader_course.prepare(root, source_dir=LESSON_SOURCES)`` makes the course
folder, nbgrader releases the lesson, and ``autograde`` runs three submissions made from the
course's own student version (the one students open): every exercise right (3 points),
untouched (its stubs: 0) and one value part wrong (2).

Needs the lecturer's packages (``requirements-lecturer.txt``); without nbgrader it is
skipped. ``.ci/lecturer`` installs them and runs the tests marked ``lecturer``.
"""
import importlib.util
import os
import subprocess
import sys

import nbformat
import pytest

from course_admin.generate import LESSON_SOURCES, NOTEBOOKS
from course_admin.nbgrader_course import prepare

pytestmark = [
    pytest.mark.lecturer,
    pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None,
                       reason="nbgrader is not installed: pip install -r requirements-lecturer.txt "
                              "(or run .ci/lecturer)"),
]

LESSON = "01b_convolution_theory"
EXPECTED = {"right": 3.0, "untouched": 0.0, "one_part_wrong": 2.0}


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _submission(released, student):
    source = {_meta(c).get("grade_id"): c.source
              for c in nbformat.read(LESSON_SOURCES / f"{LESSON}.ipynb", as_version=4).cells}
    course_version = {_meta(c).get("grade_id"): c.source
                      for c in nbformat.read(NOTEBOOKS / f"{LESSON}.ipynb", as_version=4).cells}
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        task = _meta(cell).get("grade_id")
        if not _meta(cell).get("solution"):
            continue
        cell.source = course_version[task] if student == "untouched" else source[task]
        if student == "one_part_wrong" and task == "ex-01b-2-answer":
            cell.source = cell.source.replace("terms = 4", "terms = 3")
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("lesson-course")
    assert LESSON in prepare(root, source_dir=LESSON_SOURCES)
    _nbgrader(root, "generate_assignment", LESSON, "--force")
    released = root / "release" / LESSON / f"{LESSON}.ipynb"
    for student in EXPECTED:
        folder = root / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(_submission(released, student), folder / f"{LESSON}.ipynb")
    _nbgrader(root, "autograde", LESSON, "--force")
    return root


@pytest.mark.parametrize("student", EXPECTED)
def test_autograde_gives_a_point_per_right_exercise(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(LESSON, LESSON, student)
        points = {g.name: g.score for g in notebook.grades if g.name.startswith("ex-")}
    assert sorted(points) == ["ex-01b-1", "ex-01b-2", "ex-01b-3"]
    assert sum(points.values()) == EXPECTED[student], points
    if student == "one_part_wrong":
        assert points["ex-01b-2"] == 0.0
