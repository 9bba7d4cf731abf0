"""Lessons with exercises: instructor sources, generated student versions, the cell contract.

A lesson with exercises is written as ``notebooks/source/<lesson>.ipynb`` (solutions and
hidden tests, nbgrader markers) and ``notebooks/<lesson>.ipynb`` is generated from it and
committed executed (``python -m course_admin.generate --execute``).  nbval runs the
student versions only (``notebooks/source/conftest.py``); instead of running each lesson
twice, this file executes the exercise section and the quiz checks of each source in
this process, in a fraction of a second:

* with the solutions every hidden test passes (the checks accept the instructor's answer);
* with the student's stubs every check gives a verdict, "not written yet" or "no answer
  yet", never an error, and the committed student version shows those verdicts and no
  "right" one (no solution leaks through an output);
* no solution line and no hidden test is in a student version;
* the cells follow /work's exercise format (CONTRIBUTING.md, "A lesson with exercises").
"""
import contextlib
import io
import re

import nbformat
import pytest

from cnnlib.selfcheck.exercises import EXERCISES, exercises_of
from cnnlib.selfcheck.quiz import QUIZZES
from course_admin.generate import (BEGIN_HIDDEN_TESTS, LESSON_SOURCES, NOTEBOOKS, clear_solutions,
                                   generate, hidden_lines, is_executed, same_cells,
                                   solution_lines, student_notebook)

SOURCES = sorted(LESSON_SOURCES.glob("*.ipynb"))
IDS = [p.stem for p in SOURCES]
QUIZ = re.compile(r"^\*\*Quiz (\d\d[a-z]?\.\d+)\*\*")
EXERCISE = re.compile(r"^\*\*Exercise (\d\d[a-z]?\.\d+)\*\*")


def lesson_id(path):
    return path.name.split("_")[0]


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def exercise_section(nb):
    """The cells from ``## Exercises`` to ``## Summary`` (exclusive)."""
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    end = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Summary"))
    assert start < end
    return nb.cells[start:end]


def quiz_check_cells(nb):
    """``[(quiz id, the code cell right after its markdown)]`` for quizzes with a check."""
    found = []
    for cell, after in zip(nb.cells, nb.cells[1:]):
        m = QUIZ.match(cell.source) if cell.cell_type == "markdown" else None
        if m and m.group(1) in QUIZZES:
            found.append((m.group(1), after))
    return found


def run_cells(cells):
    """Execute code cells in one fresh namespace (the lesson's set-up names); return stdout."""
    namespace = {}
    exec("import numpy as np\nfrom cnnlib.selfcheck.exercises import check_exercise\n"
         "from cnnlib.selfcheck.quiz import check_quiz", namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"<cell {cell.get('id')}>", "exec"), namespace)
    return out.getvalue()


def test_there_are_lesson_sources():
    assert {"01b_convolution_theory", "04d_batch_normalisation"} <= set(IDS)


def test_student_versions_are_generated_and_executed():
    stale = [str(p) for p, changed in generate(LESSON_SOURCES, NOTEBOOKS, check=True,
                                               executed=True).items() if changed]
    assert not stale, ("run `python -m course_admin.generate --execute` and commit the "
                       f"executed student versions: {stale}")


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_the_student_version_keeps_the_cells_nbval_checks(path):
    """nbval runs the student version in lax mode, which compares only the cells marked
    ``# NBVAL_CHECK_OUTPUT``: each marked cell of the source is marked in the student
    version too, or the lesson's outputs would go unchecked."""
    def marked(nb):
        return [c.get("id") for c in nb.cells
                if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]

    source = nbformat.read(path, as_version=4)
    assert marked(nbformat.read(NOTEBOOKS / path.name, as_version=4)) == marked(source)
    assert marked(student_notebook(source, keep_test_markers=True)) == marked(source)


def test_an_assignment_student_version_drops_the_markers():
    cell = "# NBVAL_CHECK_OUTPUT\nprint(1)"
    assert clear_solutions(cell) == "print(1)"
    assert clear_solutions(cell, keep_test_markers=True) == cell


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_sources_are_committed_executed_with_every_exercise_right(path):
    """Like every notebook of the course, a source is committed executed top to bottom (from
    notebooks/, as its student version runs): no cell left unrun, no error, and each
    exercise's solution shows its right verdict, so a lecturer sees the solutions at work."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    unrun = [c.get("id") for c in code if c.execution_count is None]
    assert not unrun, f"{path.name}: execute the source top to bottom (cells {unrun[:5]})"
    assert not any(o.output_type == "error" for c in code for o in c.outputs), path.name
    counts = [c.execution_count for c in code]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), \
        f"{path.name}: executed out of order"
    for exercise_id in exercises_of(lesson_id(path)):
        shown = "".join(o.get("text", "") for c in code for o in c.outputs
                        if f'check_exercise("{exercise_id}"' in c.source)
        assert "✔" in shown and "✘" not in shown, f"{path.name}: {exercise_id} not shown right"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_hidden_tests_pass_with_the_solutions(path):
    nb = nbformat.read(path, as_version=4)
    cells = exercise_section(nb)
    assert sum(BEGIN_HIDDEN_TESTS in c.source for c in cells) == len(exercises_of(lesson_id(path)))
    run_cells(cells)          # an AssertionError here is a hidden test failing


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_the_stubs_get_verdicts_not_errors(path):
    student = student_notebook(nbformat.read(path, as_version=4))
    out = run_cells(exercise_section(student) + [c for _, c in quiz_check_cells(student)])
    assert "✔" not in out
    for exercise_id in exercises_of(lesson_id(path)):
        lines = [line for line in out.splitlines() if f"Exercise {exercise_id}" in line]
        assert lines and all("not written yet" in line or "no answer yet" in line
                             for line in lines), (exercise_id, lines)
    for quiz_id, _ in quiz_check_cells(student):
        lines = [line for line in out.splitlines() if f"Quiz {quiz_id}" in line]
        assert lines and all("no answer yet" in line for line in lines), (quiz_id, lines)


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_the_committed_student_version_shows_only_stub_verdicts(path):
    student = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    assert is_executed(student)
    checks = [c for c in exercise_section(student) if c.cell_type == "code"] + [
        c for _, c in quiz_check_cells(student)]
    for cell in checks:
        text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else ""
                       for o in cell.outputs)
        assert not any(o.output_type == "error" for o in cell.outputs), cell.id
        assert not any(o.output_type == "execute_result" for o in cell.outputs), \
            f"{cell.id}: end the check call with ';' (no Verdict list echoed)"
        assert "✔" not in text and "is right" not in text and "agree" not in text, cell.id


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_no_solution_and_no_hidden_test_in_the_student_version(path):
    source = nbformat.read(path, as_version=4)
    student_text = (NOTEBOOKS / path.name).read_text(encoding="utf-8")
    student = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    shown = "\n".join(c.source for c in student.cells)
    secret = [line.strip() for c in source.cells
              for line in solution_lines(c.source) + hidden_lines(c.source)
              if len(line.strip()) >= 12 and not line.strip().startswith("#")]
    assert secret
    leaked = [line for line in secret if line in shown]
    assert not leaked, f"{path.name}: solution lines in the student version: {leaked[:3]}"
    assert "BEGIN SOLUTION" not in student_text and "HIDDEN TESTS" not in student_text


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_the_exercise_cells_follow_the_format(path):
    nb = nbformat.read(path, as_version=4)
    lesson = lesson_id(path)
    titles = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert titles.index("## Exercises") + 0 < titles.index("## Summary")
    cells = exercise_section(nb)
    ids = exercises_of(lesson)
    assert 3 <= len(ids) <= 6
    for k, exercise_id in enumerate(ids, 1):
        (i,) = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
                and (m := EXERCISE.match(c.source)) and m.group(1) == exercise_id]
        text, answer, test = cells[i:i + 3]
        assert f"({EXERCISES[exercise_id].title})" in text.source.splitlines()[0]
        assert _meta(answer).get("solution") is True and "### BEGIN SOLUTION" in answer.source
        assert _meta(test) == {"grade": True, "grade_id": f"ex-{lesson}-{k}", "locked": True,
                               "points": 1, "schema_version": 3, "solution": False}
        visible = clear_solutions(test.source)
        assert visible.startswith(f'check_exercise("{exercise_id}"'), visible
        assert "quiet=True" in test.source.split(BEGIN_HIDDEN_TESTS)[1]
    for quiz_id, cell in quiz_check_cells(nb):
        assert cell.cell_type == "code" and cell.source.startswith(f'check_quiz("{quiz_id}"')
        assert cell.metadata["slideshow"]["slide_type"] == "fragment"
    # Every quiz of the lesson with a check has its cell (a lesson whose quizzes are all
    # open questions, such as 06b or 07, has none).
    checked = {quiz_id for quiz_id, _ in quiz_check_cells(nb)}
    assert checked == {q for q in QUIZZES if q.split(".")[0] == lesson}, path.name


# --------------------------------------------------------------------------- the generator
def test_a_value_stub_gives_none_and_a_comment():
    cell = ("### BEGIN SOLUTION stub: terms = None; last = None\nterms = 4\nlast = 2\n"
            "### END SOLUTION")
    assert clear_solutions(cell) == "terms = None  # your answer\nlast = None  # your answer"
    with pytest.raises(ValueError, match="needs the statements"):
        clear_solutions("### BEGIN SOLUTION stub:\nx = 1\n### END SOLUTION")


def test_same_cells_ignores_outputs_and_is_executed_sees_them():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", id="a")])
    ran = nbformat.from_dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "print(1)", id="a", execution_count=1, outputs=[nbformat.v4.new_output(
            "stream", text="1\n")])]))
    assert same_cells(nb, ran) and not is_executed(nb) and is_executed(ran)
    ran.cells[0].source = "print(2)"
    assert not same_cells(nb, ran)


def test_check_fails_on_a_stale_or_unexecuted_student_version(tmp_path):
    src, out = tmp_path / "source", tmp_path
    src.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1\n### BEGIN SOLUTION stub: y = None\ny = 2\n### END SOLUTION", id="c")])
    nbformat.write(nb, src / "99_demo.ipynb")
    assert generate(src, out, check=True, executed=True) == {out / "99_demo.ipynb": True}
    generate(src, out, executed=True)                       # written, not executed
    assert generate(src, out, check=True, executed=True)[out / "99_demo.ipynb"] is True
    student = nbformat.read(out / "99_demo.ipynb", as_version=4)
    student.cells[0].execution_count = 1
    nbformat.write(student, out / "99_demo.ipynb")
    assert generate(src, out, check=True, executed=True)[out / "99_demo.ipynb"] is False
    assert generate(src, out, executed=True)[out / "99_demo.ipynb"] is False   # outputs kept
    nb.cells[0].source = nb.cells[0].source.replace("x = 1", "x = 3")
    nbformat.write(nb, src / "99_demo.ipynb")
    assert generate(src, out, check=True, executed=True)[out / "99_demo.ipynb"] is True


def test_nbval_runs_the_student_versions_not_the_lesson_sources():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", str(NOTEBOOKS)],
                         capture_output=True, text=True, cwd=NOTEBOOKS.parent).stdout
    assert "notebooks/01b_convolution_theory.ipynb" in out
    assert "source/01b_convolution_theory.ipynb" not in out
