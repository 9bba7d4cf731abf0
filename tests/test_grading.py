"""Tests of course_admin: student versions from nbgrader-style sources, and grading a class.

The grader is exercised on a tiny synthetic assignment (one function to write, one
graded cell with a hidden part, one written answer), so each submission takes a few
seconds; every hostile submission of the issue that motivated the grader is a test
here.  The real assignments are graded in tests/test_assignments.py.
"""
import csv
import hashlib
import json
import os

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_admin.generate import ANSWER_STUB, clear_solutions, generate, main, student_notebook
from course_admin.grade import (Assignment, find_submissions, grade_class, grade_notebook,
                                load_assignments)
from course_admin.grade import main as grade_main


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
    assert main(["--source-dir", str(assignment / "source"), "--check"]) == 1
    assert main(["--source-dir", str(assignment / "source")]) == 0
    assert target.read_bytes() == first


def test_generate_needs_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="no instructor notebooks"):
        generate(tmp_path)


# --------------------------------------------------------------------------- grading one notebook
HIDDEN = "assert square(-3) == 9"


def _edit(nb, grade_id, source):
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return nb


def _student(assignment, **edits):
    nb = nbformat.read(assignment / "hw.ipynb", as_version=4)
    for grade_id, source in edits.items():
        _edit(nb, grade_id, source)
    return nb


def _save(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _grade(assignment, nb, tmp_path, **kwargs):
    path = _save(nb, tmp_path / "submitted" / "student" / "hw.ipynb")
    (hw,) = load_assignments(assignment / "source").values()
    kwargs.setdefault("deny", [assignment / "source"])
    return grade_notebook(path, hw, **kwargs)


SOLVED = "def square(x):\n    return x * x"


def test_untouched_scores_zero_with_the_stubs_message(assignment, tmp_path):
    result = _grade(assignment, _student(assignment), tmp_path)
    assert (result.total, result.max_total, result.status) == (0, 2, "graded")
    assert result.messages == {"test_square": "NotImplementedError: multiply x by itself"}
    assert result.answered == {"why": False}


def test_solved_scores_full_marks_and_tampered_tests_are_restored(assignment, tmp_path):
    nb = _student(assignment, square=SOLVED, why="Why?\n\nBecause (-3)**2 = 9.",
                  test_square="pass")
    result = _grade(assignment, nb, tmp_path)
    assert (result.total, result.status) == (2, "graded") and result.answered == {"why": True}


def test_hidden_tests_catch_what_the_visible_ones_miss(assignment, tmp_path):
    result = _grade(assignment, _student(assignment, square="def square(x):\n    return 2 * x"),
                    tmp_path)
    assert result.total == 0 and result.messages["test_square"].startswith("AssertionError")


def test_fast_is_set_by_default_and_off_with_full(assignment, tmp_path):
    nb = _student(assignment, square=SOLVED)
    assert _grade(assignment, nb, tmp_path).total == 2
    assert _grade(assignment, nb, tmp_path, fast=False).total == 0


def test_a_deleted_test_cell_earns_nothing(assignment, tmp_path):
    nb = _student(assignment, square=SOLVED)
    nb.cells = [c for c in nb.cells if c.id != "test_square"]
    result = _grade(assignment, nb, tmp_path)
    assert result.total == 0 and "deleted" in result.messages["test_square"]


def test_a_copied_test_cell_runs_the_hidden_tests_after_the_last_copy(assignment, tmp_path):
    nb = _student(assignment, square="def square(x):\n    return 2 * x")
    copy = nbformat.from_dict(nb.cells[2])
    copy.id, copy.source = "my-copy", "pass"
    nb.cells.insert(2, copy)
    assert _grade(assignment, nb, tmp_path).total == 0
    nb = _student(assignment)
    copy = nbformat.from_dict(nb.cells[2])
    copy.id = "early-copy"
    nb.cells.insert(1, copy)                          # before the solution exists
    _edit(nb, "square", SOLVED)
    assert _grade(assignment, nb, tmp_path).total == 2


def test_feedback_has_the_scores_and_no_hidden_test(assignment, tmp_path):
    nb = _student(assignment, square="def square(x):\n    return 2 * x")
    nb.cells.append(new_code_cell("print(In)\nprint(open('hw.ipynb').read())"))
    result = _grade(assignment, nb, tmp_path)
    assert "square(-3)" not in result.feedback and "BEGIN HIDDEN" not in result.feedback
    feedback = nbformat.reads(result.feedback, as_version=4)
    assert "0 / 2 points" in feedback.cells[0].source
    assert "AssertionError" in feedback.cells[0].source


# --------------------------------------------------------------------------- hostile submissions
@pytest.mark.parametrize("hack", [
    # Swallow every exception: the graded cell then shows no error.
    "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)",
    # Rewrite every later cell that mentions the function into `pass`.
    "def _blank(lines):\n    return ['pass\\n'] if any('square' in l for l in lines) else lines\n"
    "get_ipython().input_transformers_post.append(_blank)",
    # The same on the syntax tree.
    "import ast\nclass _Empty(ast.NodeTransformer):\n"
    "    def visit_Assert(self, node):\n        return ast.Pass()\n"
    "get_ipython().ast_transformers.append(_Empty())",
])
def test_hooks_into_ipython_do_not_turn_stubs_into_points(assignment, tmp_path, hack):
    from nbclient import NotebookClient
    nb = _student(assignment)
    nb.cells.insert(1, new_code_cell(hack))
    # The hack works: run as usual, the graded cell of the untouched stub shows no error.
    plain = nbformat.reads(nbformat.writes(nb), as_version=4)
    NotebookClient(plain, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    (shown,) = [c for c in plain.cells if c.id == "test_square"]
    assert not [o for o in shown.outputs if o.output_type == "error"]
    result = _grade(assignment, nb, tmp_path)
    assert result.total == 0 and result.status == "graded"
    assert "read this submission: its code uses" in result.note and "get_ipython" in result.note


def _digest(folder):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_graded_code_cannot_change_files_outside_its_scratch_copy(assignment, tmp_path):
    source = assignment / "source" / "hw.ipynb"
    marks = tmp_path / "marks"
    submitted = tmp_path / "submitted"
    hostile = _student(assignment, square=SOLVED)
    attempts = {
        "rewrite the source": f"open({str(source)!r}, 'w').write('{{}}')",
        "forge a row": f"open({str(marks / 'hw.csv')!r}, 'a').write('mallory,2,2,2,,graded,\\n')",
        "edit another submission": f"open({str(submitted / 'alice' / 'hw.ipynb')!r}, 'w')",
        "delete the source": f"import os\nos.remove({str(source)!r})",
        "rename it": f"import os\nos.rename({str(source)!r}, 'stolen.ipynb')",
        "use the shell": f"import os\nos.system('rm -f {source}')",
        "use a subprocess": f"import subprocess\nsubprocess.run(['rm', '-f', {str(source)!r}])",
        "go through libc": "import ctypes\nctypes.CDLL(None).unlink(b'" + str(source) + "')",
    }
    for what, code in attempts.items():
        hostile.cells.append(new_code_cell(f"# {what}\n{code}", id=f"hack-{len(hostile.cells)}"))
    _save(hostile, submitted / "mallory" / "hw.ipynb")
    _save(_student(assignment), submitted / "alice" / "hw.ipynb")
    before = _digest(assignment / "source") | _digest(submitted)
    results = grade_class(submitted, marks, assignment / "source", workers=2, timeout=30,
                          feedback=tmp_path / "feedback")
    assert _digest(assignment / "source") | _digest(submitted) == before
    by_student = {r.student: r for r in results}
    assert by_student["mallory"].total == 2 and by_student["alice"].total == 0
    feedback = nbformat.read(tmp_path / "feedback" / "mallory" / "hw.ipynb", as_version=4)
    errors = [o for c in feedback.cells for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert len(errors) == len(attempts)
    # refused by the guard, or not there at all: the sandbox does not mount them
    assert all(e.ename in ("PermissionError", "AttributeError", "FileNotFoundError")
               for e in errors), errors
    with open(marks / "hw.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student_id"] for r in rows) == ["alice", "mallory"]


def test_student_code_sees_no_secret_and_no_hidden_test(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_API_TOKEN", "s3cr3t-token")
    source = assignment / "source"
    spy = new_code_cell(
        "import os, pathlib\n"
        "print(dict(os.environ))\n"
        "print([str(p) for p in pathlib.Path('.').rglob('*')])\n"
        "for i, name in enumerate(['BEGIN ' + 'HIDDEN', 'square(' + '-3)']):\n"
        "    print('found', i, [str(p) for p in pathlib.Path.home().rglob('*.ipynb')\n"
        "                 if name in p.read_text()])\n"
        f"print(os.listdir({str(source)!r}))\n")
    spy2 = new_code_cell(f"print(open({str(source / 'hw.ipynb')!r}).read())")
    spy3 = new_code_cell(f"print(open('/proc/{os.getpid()}/environ').read())")
    nb = _student(assignment, square=SOLVED)
    nb.cells[3:3] = [spy, spy2, spy3]
    result = _grade(assignment, nb, tmp_path)
    assert result.total == 2
    feedback = nbformat.reads(result.feedback, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in feedback.cells])
    assert "s3cr3t-token" not in outputs and "square(-3)" not in outputs
    # refused by the file guard, or not there at all (the sandbox mounts none of it)
    assert outputs.count("PermissionError") + outputs.count("FileNotFoundError") >= 3
    printed_env = feedback.cells[4].outputs[0].text
    assert "CNNLIB_FAST" in printed_env and "COURSE_API_TOKEN" not in printed_env
    assert "found 0 []" in printed_env and "found 1 []" in printed_env


def _kernels():
    """Grading kernels now running (their command line names the guard)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(part.endswith("_kernel.py") for part in (p.info["cmdline"] or [])):
            found.append(p.pid)
    return found


def test_a_cell_that_ignores_ctrl_c_is_killed_at_the_timeout(assignment, tmp_path):
    nb = _student(assignment, square=SOLVED)
    nb.cells.insert(3, new_code_cell(
        "import signal, subprocess\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    pass"))
    before = set(_kernels())
    result = _grade(assignment, nb, tmp_path, timeout=3)
    # The test before the endless cell keeps its points; the status says what happened.
    assert result.status == "timeout" and result.total == 2
    assert "ran longer than the limit of 3 s per cell" in result.note
    assert result.seconds < 30
    assert set(_kernels()) <= before


def test_a_dying_kernel_is_reported_at_once(assignment, tmp_path):
    nb = _student(assignment, square="import os\nos._exit(1)")
    result = _grade(assignment, nb, tmp_path, timeout=60)
    assert result.total == 0 and "the kernel died" in result.note and result.seconds < 30


# --------------------------------------------------------------------------- grading a class
def test_a_class_one_csv_per_assignment_every_status(assignment, tmp_path):
    # A second assignment, so that each CSV must keep its own columns.
    other = _edit(nbformat.read(assignment / "source" / "hw.ipynb", as_version=4),
                  "test_square", "assert square(4) == 16")
    for cell in other.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id"):
            meta["grade_id"] = "b_" + meta["grade_id"]
    nbformat.write(other, assignment / "source" / "hw2.ipynb")
    generate(assignment / "source")
    sub = tmp_path / "submitted"
    solved2 = _edit(nbformat.read(assignment / "hw2.ipynb", as_version=4), "b_square", SOLVED)
    _save(_student(assignment, square=SOLVED), sub / "ann" / "My homework (Ann).ipynb")
    _save(solved2, sub / "ann" / "second" / "whatever.ipynb")
    _save(_student(assignment), sub / "bob" / "hw.ipynb")
    (sub / "cat").mkdir()
    (sub / "cat" / "hw.ipynb").write_text("[1, 2, 3]")
    (sub / "dan").mkdir()
    (sub / "dan" / "hw.ipynb").write_text("{}")
    (sub / "dan" / "notes.txt").write_text("nothing here")
    seen = []

    def on_result(result):      # the row is on disk before the next submission finishes
        with open(tmp_path / "marks" / f"{result.assignment}.csv") as f:
            seen.append(result.student in f.read())

    grade_class(sub, tmp_path / "marks", assignment / "source", workers=2, timeout=30,
                students=["eve"], on_result=on_result)
    assert seen and all(seen)

    def rows(name):
        with open(tmp_path / "marks" / f"{name}.csv", newline="") as f:
            return {r["student_id"]: r for r in csv.DictReader(f)}

    hw, hw2 = rows("hw"), rows("hw2")
    assert list(next(iter(hw.values()))) == [
        "student_id", "test_square", "total", "max_total", "why", "status", "note"]
    assert list(next(iter(hw2.values())))[1] == "b_test_square"
    assert {s: (r["total"], r["status"]) for s, r in hw.items()} == {
        "ann": ("2", "graded"), "bob": ("0", "graded"), "cat": ("0", "unreadable"),
        "dan": ("0", "unreadable"), "eve": ("0", "not found")}
    assert {s: (r["total"], r["status"]) for s, r in hw2.items()} == {
        "ann": ("2", "graded"), "bob": ("0", "not found"), "cat": ("0", "unreadable"),
        "dan": ("0", "unreadable"), "eve": ("0", "not found")}


def test_find_submissions_matches_by_cells_and_takes_the_latest(assignment, tmp_path):
    sub = tmp_path / "submitted"
    old = _save(_student(assignment), sub / "ann" / "draft.ipynb")
    new = _save(_student(assignment, square=SOLVED), sub / "ann" / "final.ipynb")
    os.utime(old, (1, 1))
    _save(new_notebook(cells=[new_code_cell("print('scratch')")]), sub / "ann" / "hw.ipynb")
    (job,) = find_submissions(sub, load_assignments(assignment / "source"))
    assert (job.student, job.path, job.status) == ("ann", str(new), "graded")
    assert "2 notebooks of this assignment" in job.note


def test_command_line(assignment, tmp_path, capsys):
    _save(_student(assignment, square=SOLVED), tmp_path / "submitted" / "ann" / "hw.ipynb")
    code = grade_main([str(tmp_path / "submitted"), "--out", str(tmp_path / "marks"),
                       "--source-dir", str(assignment / "source"), "--workers", "1",
                       "--feedback", str(tmp_path / "feedback")])
    assert code == 0 and "2/2  graded" in capsys.readouterr().out
    assert (tmp_path / "feedback" / "ann" / "hw.ipynb").exists()
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        grade_class(tmp_path / "submitted", tmp_path / "m", assignment / "source", workers=0)


def test_assignment_keeps_the_hidden_tests_out_of_the_student_version(assignment):
    (hw,) = load_assignments(assignment / "source").values()
    assert isinstance(hw, Assignment) and hw.points == {"test_square": 2.0}
    assert HIDDEN in hw.tests["test_square"] and HIDDEN in hw.hidden
    assert HIDDEN not in nbformat.writes(hw.student)
    assert hw.locked["test_square"] == ("code", "assert square(2) == 4")


def test_the_scratch_copy_stays_readable_inside_a_denied_folder(assignment, tmp_path):
    import tempfile
    # e.g. submissions collected under the system's temporary folder, where scratch copies go
    result = _grade(assignment, _student(assignment, square=SOLVED), tmp_path,
                    deny=[tempfile.gettempdir()])
    assert (result.total, result.status) == (2, "graded"), result.messages


# --------------------------------------------------------------------------- the NumPy-only rule
def test_forbidden_uses_finds_delegation_directly_and_through_helpers():
    from cnnlib.selfcheck.numpy_only import forbidden_uses
    setup = "import torch\nimport torch.nn.functional as F\nimport cnnlib"
    assert forbidden_uses("def conv2d(x, w):\n    return np.einsum('ij,ij->', x, w)", [],
                          [setup]) == []
    assert forbidden_uses("conv2d = lambda *a, **k: cnnlib.conv2d(*a, **k)") == ["uses cnnlib"]
    assert forbidden_uses("def conv2d(x, w):\n    return F.conv2d(x, w)", [], [setup]) == [
        "uses F"]
    # through a helper of one's own, but not through a global that only shares a name
    helper = "def helper(x, w):\n    from scipy import signal\n    return signal.correlate(x, w)"
    assert forbidden_uses("def conv2d(x, w):\n    return helper(x, w)", [helper]) == [
        "from scipy import ...", "uses signal"]
    assert forbidden_uses("def conv2d(x, w):\n    return x * w", ["x = torch.ones(3)"]) == []
    assert forbidden_uses("def f(x):\n    return getattr(__import__('to' + 'rch'), 'relu')(x)")


def test_check_numpy_only_tells_the_student_at_once():
    from cnnlib.selfcheck import SelfCheckError
    from cnnlib.selfcheck.numpy_only import check_numpy_only
    namespace = {}
    exec("import numpy as np\nimport cnnlib\n"
         "def mine(x, w):\n    return np.sum(x * w)\n"
         "lent = lambda *a, **k: cnnlib.conv2d(*a, **k)\n"
         "def indirect(x, w):\n    return lent(x, w)\n", namespace)
    assert check_numpy_only(namespace["mine"])
    with pytest.raises(SelfCheckError, match="indirect: .*calls cnnlib"):
        check_numpy_only(namespace["mine"], namespace["indirect"])
    with pytest.raises(TypeError, match="functions must be callables"):
        check_numpy_only("conv2d")
