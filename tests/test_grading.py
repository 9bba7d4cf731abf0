"""Tests of cnnlib.grading: student versions from nbgrader-style sources, and autograding.

The grader is exercised on a tiny synthetic assignment (one function to write, one
graded cell with a hidden part, one written answer), so every run takes seconds.
The real assignments are tested in tests/test_assignments.py.
"""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnlib.grading import (ANSWER_STUB, GradeReport, clear_solutions, generate, grade, main,
                            student_notebook)


# --------------------------------------------------------------------------- clear_solutions
def test_code_solution_becomes_stub_with_hint_and_indent():
    source = ("def square(x):\n"
              "    ### BEGIN SOLUTION hint: multiply x by itself\n"
              "    return x * x\n"
              "    ### END SOLUTION\n")
    assert clear_solutions(source) == ("def square(x):\n"
                                       "    # YOUR CODE HERE\n"
                                       '    raise NotImplementedError("multiply x by itself")')


def test_stub_without_hint_has_a_default_message():
    stub = clear_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    assert stub == '# YOUR CODE HERE\nraise NotImplementedError("replace this line with your code")'


def test_long_hint_is_wrapped_and_still_raises_the_whole_message():
    hint = ("pad x with zeros on both sides of H and W, compute H_out and W_out with the "
            "formula, then loop over n, o, i, j and sum the window times weight[o]")
    stub = clear_solutions(f"def f():\n    ### BEGIN SOLUTION hint: {hint}\n    pass\n"
                           f"    ### END SOLUTION")
    assert max(len(line) for line in stub.split("\n")) <= 92
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError) as info:
        namespace["f"]()
    assert str(info.value) == hint


def test_hidden_tests_and_nbval_markers_disappear():
    source = ("# NBVAL_CHECK_OUTPUT\nassert f(2) == 4\n### BEGIN HIDDEN TESTS\n"
              "assert f(3) == 9\n### END HIDDEN TESTS")
    assert clear_solutions(source) == "assert f(2) == 4"


def test_markdown_answer_becomes_placeholder():
    source = "**Question.** Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert clear_solutions(source, "markdown") == f"**Question.** Why?\n\n{ANSWER_STUB}"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "'### BEGIN SOLUTION' on line 1 is never closed"),
    ("x = 1\n### END SOLUTION", "'### END SOLUTION' on line 2 without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
     "'### BEGIN SOLUTION' on line 2 inside the region opened on line 1"),
])
def test_unbalanced_markers_name_the_cell_and_line(source, message):
    with pytest.raises(ValueError, match=f"cell abc: {message}"):
        clear_solutions(source, where="cell abc")


# --------------------------------------------------------------------------- a tiny assignment
def _meta(grade_id, **flags):
    meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3,
            "grade_id": grade_id}
    meta.update(flags)
    return {"nbgrader": meta}


def source_notebook():
    cells = [
        new_markdown_cell("Instructor notes", id="note", metadata={"tags": ["instructor"]}),
        new_code_cell("import os\nFAST = os.environ.get('CNNLIB_FAST') == '1'", id="setup",
                      metadata=_meta("setup", locked=True)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION hint: multiply x by itself\n"
                      "    return x * x\n    ### END SOLUTION", id="square",
                      metadata=_meta("square", solution=True),
                      outputs=[nbformat.v4.new_output("stream", text="old output\n")],
                      execution_count=3),
        new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(-3) == 9\n"
                      "assert FAST\n### END HIDDEN TESTS", id="test_square",
                      metadata=_meta("test_square", grade=True, locked=True, points=2)),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", id="why",
                          metadata=_meta("why", grade=True, solution=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    return nb


@pytest.fixture
def assignment(tmp_path):
    """``tmp/source/hw.ipynb`` and its generated student version ``tmp/hw.ipynb``."""
    (tmp_path / "source").mkdir()
    nbformat.write(source_notebook(), tmp_path / "source" / "hw.ipynb")
    generate(tmp_path / "source")
    return tmp_path


def test_student_notebook_has_no_solution_no_outputs_and_keeps_ids():
    student = student_notebook(source_notebook())
    ids = [c.id for c in student.cells]
    assert ids == ["setup", "square", "test_square", "why"]         # instructor cell dropped
    text = nbformat.writes(student)
    for secret in ("return x * x", "square(-3)", "Because.", "BEGIN", "old output",
                   "widgets"):
        assert secret not in text
    square = student.cells[1]
    assert square.outputs == [] and square.execution_count is None
    assert square.metadata["nbgrader"]["grade_id"] == "square"


def test_generate_is_deterministic_and_detects_drift(assignment):
    target = assignment / "hw.ipynb"
    first = target.read_bytes()
    assert generate(assignment / "source") == {target: False}
    assert target.read_bytes() == first
    assert generate(assignment / "source", check=True) == {target: False}
    target.write_text(first.decode().replace("YOUR CODE HERE", "edited"))
    assert generate(assignment / "source", check=True) == {target: True}
    assert main(["generate", "--source-dir", str(assignment / "source"), "--check"]) == 1
    assert main(["generate", "--source-dir", str(assignment / "source")]) == 0
    assert target.read_bytes() == first


def test_generate_needs_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="no instructor notebooks"):
        generate(tmp_path)


def _edit(path, grade_id, source):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    nbformat.write(nb, path)


@pytest.mark.slow   # runs the notebook in a kernel
def test_grading_the_untouched_student_version_gives_zero(assignment):
    report = grade(assignment / "hw.ipynb", assignment / "source" / "hw.ipynb")
    assert (report.total, report.max_total) == (0, 2)
    (task,) = report.tasks
    assert task.status == "failed"
    assert task.message == "NotImplementedError: multiply x by itself"
    assert [m.status for m in report.manual] == ["empty"]
    assert "test_square  0/2  failed" in str(report)


@pytest.mark.slow   # runs the notebook in a kernel
def test_grading_a_filled_in_notebook_gives_full_marks(assignment):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return x ** 2")
    _edit(path, "why", "Why?\n\nBecause the square of -3 is 9.")
    # Tampering with the visible test changes nothing: locked cells are restored.
    _edit(path, "test_square", "pass")
    report = grade(path, assignment / "source" / "hw.ipynb")
    assert (report.total, report.max_total) == (2, 2)
    assert report.manual[0].status == "manual"
    assert "Because the square of -3 is 9." in report.manual[0].message
    # The hidden tests ran (FAST was set for the run) and their cell is in the result.
    executed = {c.id: c for c in report.notebook.cells}
    assert "square(-3)" in executed["test_square"].source


@pytest.mark.slow   # runs the notebook in a kernel
def test_hidden_tests_catch_what_the_visible_ones_miss(assignment):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return 2 * x")      # right for x = 2 only
    report = grade(path, assignment / "source" / "hw.ipynb")
    assert report.total == 0 and report.tasks[0].message.startswith("AssertionError")


@pytest.mark.slow   # runs the notebook in a kernel
def test_fast_is_set_by_default_and_off_with_full(assignment):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return x * x")
    assert grade(path, assignment / "source" / "hw.ipynb").total == 2
    assert grade(path, assignment / "source" / "hw.ipynb", fast=False).total == 0


@pytest.mark.slow   # runs the notebook in a kernel
def test_deleted_test_cell_is_missing(assignment):
    path = assignment / "hw.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.id != "test_square"]
    nbformat.write(nb, path)
    report = grade(path, assignment / "source" / "hw.ipynb")
    assert [(t.status, t.points) for t in report.tasks] == [("missing", 0)]


@pytest.mark.slow   # runs the notebook in a kernel
def test_dead_kernel_and_endless_loop_do_not_crash_the_grader(assignment):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "import os\nos._exit(1)")
    report = grade(path, assignment / "source" / "hw.ipynb")
    assert report.total == 0 and "the kernel died" in report.error
    _edit(path, "square", "import time\ntime.sleep(60)")
    report = grade(path, assignment / "source" / "hw.ipynb", timeout=3)
    assert report.total == 0 and report.tasks[0].status == "failed"


@pytest.mark.slow   # runs the notebook in a kernel
def test_command_line_grade_writes_csv_json_and_executed_notebooks(assignment, capsys):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return x * x")
    out = assignment / "out"
    code = main(["grade", str(path), "--source", str(assignment / "source" / "hw.ipynb"),
                 "--csv", str(out.with_suffix(".csv")), "--json", str(out.with_suffix(".json")),
                 "--executed", str(out)])
    assert code == 0
    assert "total        2/2" in capsys.readouterr().out
    assert out.with_suffix(".csv").read_text().splitlines() == [
        "submission,test_square,total,max_total", f"{path},2.0,2.0,2.0"]
    (record,) = json.loads(out.with_suffix(".json").read_text())
    assert record["total"] == 2 and record["tasks"][0]["status"] == "passed"
    assert (out / assignment.name / "hw.ipynb").exists()


def test_report_text():
    report = GradeReport("hw.ipynb", [], [])
    assert str(report) == "hw.ipynb\n  total  0/0"


def test_a_renamed_submission_finds_its_source_by_number(tmp_path):
    from cnnlib.grading import SOURCES, _default_source
    assert _default_source(tmp_path / "01_conv_from_scratch-Copy1.ipynb") == (
        SOURCES / "01_conv_from_scratch.ipynb")
    with pytest.raises(FileNotFoundError, match="no instructor source for 99_x.ipynb"):
        _default_source(tmp_path / "99_x.ipynb")


@pytest.mark.slow   # runs the notebook in a kernel
def test_command_line_goes_on_after_a_submission_it_cannot_grade(assignment, capsys):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return x * x")
    broken = assignment / "broken.ipynb"
    broken.write_text("not a notebook")
    code = main(["grade", str(broken), str(path), "--source",
                 str(assignment / "source" / "hw.ipynb")])
    out = capsys.readouterr()
    assert code == 1 and "broken.ipynb: not graded" in out.err and "total        2/2" in out.out


@pytest.mark.slow   # runs the notebook in a kernel
def test_a_copied_test_cell_gets_the_hidden_tests_too(assignment):
    path = assignment / "hw.ipynb"
    _edit(path, "square", "def square(x):\n    return 2 * x")      # passes the visible test
    nb = nbformat.read(path, as_version=4)
    copy = nbformat.from_dict(nb.cells[2])
    copy.id, copy.source = "my-copy", "pass"
    nb.cells.insert(2, copy)                                       # a copy before the original
    nbformat.write(nb, path)
    report = grade(path, assignment / "source" / "hw.ipynb")
    assert report.total == 0
