"""The home assignments as shipped: student versions, self-checks and grading.

* the committed student notebooks are exactly what ``python -m cnnlib.grading generate``
  makes from the instructor sources, and hold no solution and no hidden test;
* run untouched, every self-check fails with "not written yet" and the hint of the
  stub it checks, and grading gives zero without crashing;
* with the solutions pasted back into the student version, grading gives full marks
  (the hidden tests are put back by the grader).

Grading executes the notebooks with ``CNNLIB_FAST=1`` (short training), so the whole
file takes about a minute and a half.  The instructor sources themselves run under
nbval with the other notebooks.
"""
import subprocess
import sys

import nbformat
import pytest

from cnnlib.grading import (ASSIGNMENTS, BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS,
                            END_SOLUTION, SOURCES, generate, grade)

NAMES = sorted(p.name for p in SOURCES.glob("*.ipynb"))


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _regions(text, begin, end):
    """The lines strictly between each ``begin`` and ``end`` marker line."""
    inside, lines = False, []
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _hints(cell):
    return [line.split("hint:", 1)[1].strip() for line in cell.source.split("\n")
            if BEGIN_SOLUTION in line]


def test_there_are_at_least_two_assignments_with_student_versions():
    assert len(NAMES) >= 2
    assert all((ASSIGNMENTS / name).exists() for name in NAMES)


def test_student_versions_are_exactly_what_the_generator_makes():
    stale = [str(path) for path, changed in generate(check=True).items() if changed]
    assert not stale, f"run `python -m cnnlib.grading generate`: {stale} are out of date"


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_solution_and_no_hidden_test(name):
    source = nbformat.read(SOURCES / name, as_version=4)
    student = nbformat.read(ASSIGNMENTS / name, as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "NBVAL", "Instructor"):
        assert marker not in text
    secret = []
    for cell in source.cells:
        secret += _regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        secret += _regions(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    # No line of code or text from a solution or hidden test (blank lines, lone brackets
    # and comments aside) is a line of the student version.
    lines = {line.strip() for line in secret if len(line.strip()) > 3
             and not line.strip().startswith("#")}
    assert len(lines) > 50
    assert not lines & {line.strip() for line in text.split("\n")}
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_source_is_a_well_formed_executed_instructor_notebook(name):
    source = nbformat.read(SOURCES / name, as_version=4)
    ids = [cell.id for cell in source.cells]
    grade_ids = [_meta(c)["grade_id"] for c in source.cells if _meta(c)]
    assert len(set(ids)) == len(ids) and len(set(grade_ids)) == len(grade_ids)
    for cell in source.cells:
        if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
            assert all(len(h) > 20 for h in _hints(cell)), f"{cell.id}: every stub needs a hint"
        if _meta(cell).get("grade"):
            assert _meta(cell)["points"] > 0
            assert cell.cell_type == "markdown" or _meta(cell)["locked"]
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{cell.id} was not executed"
            assert not any(o.output_type == "error" for o in cell.outputs)


@pytest.mark.slow   # a pytest subprocess collects every notebook
def test_nbval_collects_the_sources_but_not_the_student_versions():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          str(ASSIGNMENTS)], capture_output=True, text=True, check=True).stdout
    for name in NAMES:
        assert f"source/{name}::Cell 0" in out
        assert f"assignments/{name}::" not in out


# --------------------------------------------------------------------------- executing them
@pytest.fixture(scope="module")
def untouched():
    """Grade reports of the student versions as handed out."""
    return {name: grade(ASSIGNMENTS / name) for name in NAMES}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """Grade reports of the student versions with every solution cell pasted back."""
    reports = {}
    folder = tmp_path_factory.mktemp("submission")
    for name in NAMES:
        solutions = {c.id: c.source for c in nbformat.read(SOURCES / name, as_version=4).cells}
        student = nbformat.read(ASSIGNMENTS / name, as_version=4)
        for cell in student.cells:
            if _meta(cell).get("solution"):
                # Code cells get the solution without hidden tests (there are none in
                # solution cells); answers get the model answer with its markers.
                cell.source = solutions[cell.id]
        nbformat.write(student, folder / name)
        reports[name] = grade(folder / name)
    return reports


@pytest.mark.slow   # runs the notebook in a kernel
@pytest.mark.parametrize("name", NAMES)
def test_untouched_student_version_scores_zero_without_crashing(name, untouched):
    report = untouched[name]
    assert report.max_total > 0 and report.total == 0 and not report.error
    assert all(t.status == "failed" for t in report.tasks)
    assert all(m.status == "empty" for m in report.manual)


@pytest.mark.slow   # runs the notebook in a kernel
@pytest.mark.parametrize("name", NAMES)
def test_each_stub_fails_its_self_check_with_its_hint(name, untouched):
    executed = {c.id: c for c in untouched[name].notebook.cells}
    source = nbformat.read(SOURCES / name, as_version=4)
    last_solution, checked = None, 0
    for cell in source.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            last_solution = cell
        if not _meta(cell).get("grade_id", "").startswith("check_"):
            continue
        (error,) = [o for o in executed[cell.id].outputs if o.output_type == "error"]
        hint = " ".join(_hints(last_solution)[0].split())
        assert error.ename == "SelfCheckError"
        assert "is not written yet: it raises NotImplementedError" in error.evalue
        assert f"(hint: {hint})" in error.evalue
        checked += 1
    assert checked >= 5


@pytest.mark.slow   # runs the notebook in a kernel
@pytest.mark.parametrize("name", NAMES)
def test_filled_in_student_version_gets_full_marks(name, filled):
    report = filled[name]
    assert report.total == report.max_total > 0, str(report)
    assert all(m.status == "manual" for m in report.manual)
