"""The home assignments as shipped: student versions, self-checks and fair grading.

* the committed student notebooks are exactly what ``python -m course_admin.generate``
  makes from the instructor sources, and hold no solution and no hidden test;
* a class of fake students is graded with ``course_admin.grade``: untouched (zero, every
  self-check says "not written yet" with its stub's hint), solved (full marks), partly
  solved and buggy (points for exactly the tasks that are right: each graded test checks
  one task, so a mistake costs points once) and hostile (zero, flagged).

Grading executes the notebooks with ``CNNLIB_FAST=1`` (short training) on two
workers, so the whole file takes two to three minutes.  The instructor sources
themselves run under nbval with the other notebooks.
"""
import csv
import json
import subprocess
import sys

import nbformat
import pytest

from course_admin.generate import (ASSIGNMENTS, BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION,
                                   END_HIDDEN_TESTS, END_SOLUTION, SOURCES, generate)
from course_admin.grade import grade_class

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
    assert not stale, f"run `python -m course_admin.generate`: {stale} are out of date"


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



def _rubric_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "markdown"
            and c.source.startswith("**Rubric")]


@pytest.mark.parametrize("name", NAMES)
def test_every_written_question_has_a_rubric_for_the_instructor_only(name):
    source = nbformat.read(SOURCES / name, as_version=4)
    cells = source.cells
    written = [i for i, c in enumerate(cells)
               if c.cell_type == "markdown" and _meta(c).get("grade")]
    assert written, "the assignment has written questions"
    for i in written:
        # Right after its question: the rubric, tagged for the instructor, with the question's
        # points, what earns each point, a model answer and the usual wrong answers.
        rubric = cells[i + 1]
        points = _meta(cells[i])["points"]
        assert rubric.source.startswith("**Rubric"), f"no rubric after {cells[i].id}"
        assert "instructor" in rubric.metadata.get("tags", [])
        assert f"({points} point" in rubric.source.split("\n")[0]
        assert "Model answer" in rubric.source and "Usual wrong answers" in rubric.source
    assert len(_rubric_cells(source)) == len(written)


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_rubric(name):
    source = nbformat.read(SOURCES / name, as_version=4)
    student = nbformat.read(ASSIGNMENTS / name, as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    assert "Rubric" not in text
    # No sentence of a rubric (its lines of some length) reaches the student.
    rubric_lines = {line.strip(" -") for cell in _rubric_cells(source)
                    for line in cell.source.split("\n") if len(line.strip(" -")) > 30}
    assert len(rubric_lines) > 10
    assert not [line for line in rubric_lines if line in text]

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


def test_nbval_collects_the_sources_but_not_the_student_versions():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          str(ASSIGNMENTS)], capture_output=True, text=True, check=True).stdout
    for name in NAMES:
        assert f"source/{name}::Cell 0" in out
        assert f"assignments/{name}::" not in out


# --------------------------------------------------------------------------- a class of fakes
A1, A2 = "01_conv_from_scratch", "02_architectures"
POOL_BACKWARD_WITH_ASSIGNMENT = """def max_pool2d_backward(dout, x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    k = kernel_size
    H_out, W_out = dout.shape[2:]
    slices = [(slice(None), slice(None), slice(u, u + stride * (H_out - 1) + 1, stride),
               slice(v, v + stride * (W_out - 1) + 1, stride)) for u in range(k) for v in range(k)]
    first_max = np.argmax(np.stack([x[sl] for sl in slices]), axis=0)
    dx = np.zeros_like(x)
    for t, sl in enumerate(slices):
        dx[sl] = np.where(first_max == t, dout, 0)      # = where += is needed
    return dx"""
HOOK = "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)"
# Which tasks (grade_id of the solution cells) each fake student solves (None: all), which
# cells it writes itself, and the points expected.
CASES = {
    A1: {
        "solved": (None, {}, 20),
        "untouched": ((), {}, 0),
        # Part 2 without Part 1, and the Functions and LeNet with every NumPy part a stub.
        "parts_2_5_6": (("conv2d", "conv2d_function", "max_pool2d_function", "my_lenet5"), {},
                        {"test_conv2d": 3, "test_functions": 3, "test_lenet": 2}),
        # One bug (the tap loop with = where windows overlap) costs its own task only.
        "pool_backward_bug": (None, {"max_pool2d_backward": POOL_BACKWARD_WITH_ASSIGNMENT}, 17),
        "hostile": ((), {"setup": None}, 0),
    },
    A2: {
        # With an open_net.pt handed in (Part 6, judged on the grader's own test images:
        # made below so that the network handed in gets the top band; tests/test_open_ended.py
        # has the bands, the budget and the refusals).
        "solved": (None, {}, 18),
        "untouched": ((), {}, 0),
        # The networks and the table without the blocks they are made of.
        "networks_only": (("vgg", "resnet", "results"),
                          {"answers": 'fewest_macs, most_params = "LeNet-5", "VGG-style"'},
                          {"test_vgg": 2, "test_resnet": 2, "test_results": 3,
                           "test_answers": 2}),
        "hostile": ((), {"setup": None}, 0),
    },
}


def _submission(name, solved, replaced):
    source = {c.id: c.source for c in nbformat.read(SOURCES / name, as_version=4).cells}
    nb = nbformat.read(ASSIGNMENTS / name, as_version=4)
    for cell in nb.cells:
        task = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and (solved is None or task in solved):
            cell.source = source[cell.id]
        if replaced.get(task):
            cell.source = replaced[task]
    if "setup" in replaced:              # the hostile one: a hook before everything else
        nb.cells.insert(0, nbformat.v4.new_code_cell(HOOK, id="hook"))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded: ``{assignment: {student: CSV row}}`` and the feedback folder."""
    root = tmp_path_factory.mktemp("class")
    import numpy as np
    import torch
    from course_admin.checks import open_ended
    y = np.arange(200) % 10                       # class c: pixel row 2c bright
    x = np.zeros((200, 28, 28), np.uint8)
    x[np.arange(200), 2 * y] = 255
    np.savez(root / "own_test.npz", x=x, y=y)
    weights = torch.zeros(10, 784)
    for c in range(10):
        weights[c, 56 * c:56 * c + 28] = 1.0
    patch = pytest.MonkeyPatch()
    patch.setenv(open_ended.TEST_IMAGES_ENV, str(root / "own_test.npz"))
    (root / "submitted" / "solved").mkdir(parents=True)
    torch.save({"format": open_ended.FORMAT, "spec": [["flatten"], ["linear", 784, 10]],
                "state_dict": {"1.weight": weights, "1.bias": torch.zeros(10)}},
               root / "submitted" / "solved" / open_ended.WEIGHTS_FILE)
    for name, cases in CASES.items():
        for student, (solved, replaced, _) in cases.items():
            folder = root / "submitted" / student
            folder.mkdir(parents=True, exist_ok=True)
            # Saved under the student's own name: matched by its cells, not its file name.
            nbformat.write(_submission(f"{name}.ipynb", solved, replaced),
                           folder / f"{student} - homework {name[:2]}.ipynb")
    try:
        grade_class(root / "submitted", root / "marks", workers=2, timeout=300,
                    feedback=root / "feedback")
    finally:
        patch.undo()
    marks = {}
    for name in CASES:
        with open(root / "marks" / f"{name}.csv", newline="") as f:
            marks[name] = {row["student_id"]: row for row in csv.DictReader(f)}
    return marks, root / "feedback"


@pytest.mark.parametrize("name, student", [(n, s) for n in CASES for s in CASES[n]])
def test_each_case_gets_the_points_of_exactly_the_tasks_it_solved(name, student, graded):
    marks, _ = graded
    row = marks[name][student]
    expected = CASES[name][student][2]
    tasks = [g for g in row if g.startswith("test_")]
    if isinstance(expected, dict):
        assert {t: float(row[t]) for t in tasks} == {t: float(expected.get(t, 0)) for t in tasks}
        expected = sum(expected.values())
    assert (float(row["total"]), row["status"]) == (expected, "graded"), row
    if student == "hostile":
        assert "set_custom_exc" in row["note"]
    if student == "solved":
        assert float(row["max_total"]) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_the_class_has_a_row_per_student_in_each_assignment(name, graded):
    marks, _ = graded
    others = {s for n in CASES if n != name for s in CASES[n]} - set(CASES[name])
    assert set(marks[name]) == set(CASES[name]) | others
    assert all(marks[name][s]["status"] == "not found" for s in others)


@pytest.mark.parametrize("name", list(CASES))
def test_each_stub_fails_its_self_check_with_its_hint(name, graded):
    _, feedback = graded
    executed = {c.id: c for c in nbformat.read(feedback / "untouched" / f"{name}.ipynb",
                                               as_version=4).cells}
    source = nbformat.read(SOURCES / f"{name}.ipynb", as_version=4)
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


@pytest.mark.parametrize("name", list(CASES))
def test_feedback_holds_no_hidden_test(name, graded):
    _, feedback = graded
    secret = set()
    for cell in nbformat.read(SOURCES / f"{name}.ipynb", as_version=4).cells:
        secret |= {line.strip() for line in _regions(cell.source, BEGIN_HIDDEN_TESTS,
                                                      END_HIDDEN_TESTS) if len(line.strip()) > 8}
    for student in CASES[name]:
        text = (feedback / student / f"{name}.ipynb").read_text()
        assert not [line for line in secret if json.dumps(line)[1:-1] in text]
