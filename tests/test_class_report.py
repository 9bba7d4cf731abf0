"""A lesson's exercises graded like an assignment, and the class report of the run.

Five synthetic submissions of lesson 01b (the right answers; each known mistake of each
exercise and quiz, the k-th mistake in the k-th submission; the untouched student
version with its blanks) are graded by the real grader, each in its bubblewrap sandbox.
The submissions keep the set-up cell, the quiz checks and the exercise section only (a
student may delete the rest), so the run takes a few seconds per submission.  The test
asserts each student's points, each recorded ``(correct, mistake)``, and the report's
counts, exactly.  Lesson 07's Exercise 07.2 takes torch modules, which the grader cannot
send as data: its submissions (right, each known mistake, blank) are graded the same way,
and one check the grader itself cannot prepare must cost that check's point only.
"""
import csv
import dataclasses
import re

import nbformat
import pytest

from cnnlib.selfcheck.exercises import EXERCISES
from cnnlib.selfcheck.quiz import QUIZZES
from course_admin.checks.lessons import (exercise_cases, lesson_checks, quiz_verdicts,
                                         read_verdicts, replay)
from course_admin.generate import LESSON_SOURCES, student_notebook
from course_admin.grade import Assignment, grade_class, grade_notebook
from course_admin.report import write_report
from course_admin.sandbox import bwrap_works

LESSON = "01b_convolution_theory"
SOURCE = LESSON_SOURCES / f"{LESSON}.ipynb"

# Exercise 01b.1's known mistakes, written as a student would (not taken from the check).
MATRIX = '''def correlation_matrix(kernel, n):
    taps = np.asarray(kernel, dtype=float){flip}
    m = np.zeros((n - taps.size + 1, n))
    for i in range(n - taps.size + 1):
        m[i, i:i + taps.size] = taps
    return {result}
'''
BUGGY_MATRIX = {"flipped": MATRIX.format(flip="[::-1]", result="m"),
                "transposed": MATRIX.format(flip="", result="m.T"),
                "square": MATRIX.format(flip="", result="np.pad(m, ((0, taps.size - 1), (0, 0)))")}
MISTAKE_ORDER = ["flipped", "transposed", "square"]      # the k-th submission makes the k-th
STUDENTS = ["right", "blank", "mistake1", "mistake2", "mistake3"]


def _quiz_call(cell_source, quiz_id, answers):
    args = ", ".join(f"{part}={value!r}" for part, value in answers.items())
    return f'check_quiz("{quiz_id}", {args});'


def _value_cell(answers):
    return "\n".join(f"{name} = {value!r}" for name, value in answers.items())


def _solution(source_cell):
    return "\n".join(line for line in source_cell.split("\n") if "### " not in line)


def submissions():
    """``{student: notebook}`` and ``{student: {(kind, id, part): (correct, mistake)}}``."""
    source = nbformat.read(SOURCE, as_version=4)
    student = student_notebook(source)
    by_id = {c.id: c for c in source.cells}
    start = next(i for i, c in enumerate(student.cells) if c.source.startswith("## Exercises"))
    keep = [c for c in student.cells[:start] if "check_quiz" in c.source] + [
        c for c in student.cells[start:] if not c.source.startswith("## ")]
    notebooks, expected = {}, {}
    for name in STUDENTS:
        k = int(name[-1]) - 1 if name.startswith("mistake") else None
        nb = nbformat.from_dict(student)
        nb.cells = [nbformat.from_dict(c) for c in keep]
        want = {}
        for cell in nb.cells:
            if cell.source.startswith("check_quiz"):
                quiz_id = re.match(r'check_quiz\("([^"]+)"', cell.source).group(1)
                answers = {}
                for part, spec in QUIZZES[quiz_id].parts.items():
                    if name == "blank":
                        answers[part], want[("quiz", quiz_id, part)] = None, (False, "blank")
                    elif k is not None and k < len(spec.mistakes):
                        answers[part] = spec.mistakes[k].wrong
                        want[("quiz", quiz_id, part)] = (False, spec.mistakes[k].name)
                    else:
                        answers[part], want[("quiz", quiz_id, part)] = spec.right, (True, None)
                if name == "blank" and quiz_id == "01b.3":      # a name, not a literal
                    cell.source = 'my_answer = "no"\ncheck_quiz("01b.3", answer=my_answer);'
                    want[("quiz", quiz_id, "answer")] = (False, "not a literal")
                elif name != "blank":
                    cell.source = _quiz_call(cell.source, quiz_id, answers)
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            exercise_id = "01b." + meta["grade_id"].split("-")[2]
            exercise = EXERCISES[exercise_id]
            if exercise.check is not None:
                if name == "blank":
                    want[("exercise", exercise_id, "")] = (False, "not written")
                elif name == "right":
                    cell.source = _solution(by_id[cell.id].source)
                    want[("exercise", exercise_id, "")] = (True, None)
                else:
                    cell.source = BUGGY_MATRIX[MISTAKE_ORDER[k]]
                    want[("exercise", exercise_id, "")] = (False, MISTAKE_ORDER[k])
                continue
            answers = {}
            for part, spec in exercise.parts.items():
                if name == "blank":
                    want[("exercise", exercise_id, part)] = (False, "blank")
                elif k is not None and k < len(spec.mistakes):
                    answers[part] = spec.mistakes[k].wrong
                    want[("exercise", exercise_id, part)] = (False, spec.mistakes[k].name)
                else:
                    answers[part] = spec.right
                    want[("exercise", exercise_id, part)] = (True, None)
            if name != "blank":
                cell.source = _value_cell(answers)
        notebooks[name], expected[name] = nb, want
    return notebooks, expected


def test_the_checks_are_read_from_the_source():
    checks = {c.task: c for c in lesson_checks(SOURCE)}
    assert sorted(checks) == ["ex-01b-1", "ex-01b-2", "ex-01b-3"]
    assert checks["ex-01b-2"].inputs(None) == {"parts": {"terms": "terms", "last": "last"}}
    cases = exercise_cases(EXERCISES["01b.1"])
    assert len(cases) == 3 and all(len(args) == 2 for _, args in cases)


def test_a_replayed_function_gets_the_check_s_own_diagnosis():
    # The stand-in returns what the kernel sent; the check names the mistake from it.
    cases = exercise_cases(EXERCISES["01b.1"])
    namespace = {}
    exec("import numpy as np\n" + BUGGY_MATRIX["transposed"], namespace)
    outputs = [{"ok": namespace["correlation_matrix"](*args)} for _, args in cases]
    verdict = EXERCISES["01b.1"].check(replay(cases, outputs), quiet=True)
    assert verdict.mistake == "transposed"
    stub = [{"error": "NotImplementedError: one row per output"}] * len(cases)
    assert EXERCISES["01b.1"].check(replay(cases, stub), quiet=True).mistake == "not written"


def test_quiz_calls_are_read_statically_and_never_run():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('check_quiz("01b.1", entries=784, nonzero=7056, free=9)'),
        nbformat.v4.new_code_cell('check_quiz("01b.2", answer=__import__("os").system("x"))'),
        nbformat.v4.new_code_cell('check_quiz("01b.3", "yes")\ncheck_quiz("01b.3", "no")'),
        nbformat.v4.new_code_cell("check_quiz(" * 200),                 # not Python
        nbformat.v4.new_code_cell('check_quiz("99.9", answer=1)')])     # no such quiz
    assert quiz_verdicts(nb) == {
        ("quiz", "01b.1", "entries"): (False, "image size"),
        ("quiz", "01b.1", "nonzero"): (True, None), ("quiz", "01b.1", "free"): (True, None),
        ("quiz", "01b.2", "answer"): (False, "not a literal"),
        ("quiz", "01b.3", "answer"): (True, None)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not bwrap_works():
        pytest.skip("bubblewrap cannot isolate here (CI installs it)")
    root = tmp_path_factory.mktemp("lesson-class")
    notebooks, expected = submissions()
    for name, nb in notebooks.items():
        (root / "submitted" / name).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / name / f"{name} lesson 01b.ipynb")
    results = grade_class(root / "submitted", root / "marks", source_dir=LESSON_SOURCES,
                          workers=2, timeout=60)
    return root, results, expected


def test_points_of_each_submission(graded):
    root, results, _ = graded
    with open(root / "marks" / f"{LESSON}.csv", newline="") as f:
        totals = {row["student_id"]: row["total"] for row in csv.DictReader(f)}
    # mistake3: 01b.2 has no third mistake in either part, so it is right
    assert totals == {"right": "3", "blank": "0", "mistake1": "0", "mistake2": "0",
                      "mistake3": "1"}, [(r.student, r.messages, r.note) for r in results]


def test_each_verdict_is_recorded_beside_the_marks(graded):
    root, _, expected = graded
    rows = read_verdicts(root / "marks" / f"{LESSON}.verdicts.csv")
    got = {}
    for row in rows:
        got.setdefault(row["student_id"], {})[(row["kind"], row["id"], row["part"])] = (
            row["correct"] == "1", row["mistake"] or None)
    assert got == expected


def test_the_class_report_counts_exactly(graded):
    root, _, _ = graded
    summary = write_report(root / "marks", root / "report")
    by_item = {(r["id"], r["part"]): r for r in summary}
    first = by_item[("01b.1", "")]
    assert (first["graded"], first["right"], first["blank"], first["undiagnosed"]) == (5, 1, 1, 0)
    assert dict(first["mistakes"]) == {"flipped": 1, "transposed": 1, "square": 1}
    terms = by_item[("01b.2", "terms")]       # two known mistakes: mistake3 is right
    assert (terms["graded"], terms["right"], terms["blank"]) == (5, 2, 1)
    assert dict(terms["mistakes"]) == {"channels": 1, "from one": 1}
    quiz = by_item[("01b.3", "answer")]       # one known mistake; a name is no literal
    assert (quiz["graded"], quiz["right"], quiz["blank"]) == (5, 3, 0)
    assert dict(quiz["mistakes"]) == {"yes": 1, "not a literal": 1}
    assert len(summary) == 5 + 5              # exercise parts, then quiz parts
    with open(root / "report" / "class_report.csv", newline="") as f:
        rows = {(r["id"], r["part"]): r for r in csv.DictReader(f)}
    assert rows[("01b.1", "")]["mistakes"] == "flipped: 1; transposed: 1; square: 1"
    assert rows[("01b.1", "")]["right"] == "1" and rows[("01b.2", "terms")]["blank"] == "1"
    assert (root / "report" / "class_report.png").stat().st_size > 10_000
    alt = (root / "report" / "class_report.alt.txt").read_text()
    assert alt.startswith("Horizontal bars") and "Exercise 01b.1" in alt


# --------------------------------------------------------------------------- lesson 07
# Exercise 07.2's cases are torch modules, which are not plain data: the grader sends the
# code that builds them (Exercise.cases_code) and the kernel builds them itself.
LESSON_07 = "07_transfer_learning"
SOURCE_07 = LESSON_SOURCES / f"{LESSON_07}.ipynb"
COUNT = "def count_trainable(model):\n    return {body}\n"
COUNTS = {"right": "sum(p.numel() for p in model.parameters() if p.requires_grad)",
          "frozen counted": "sum(p.numel() for p in model.parameters())",
          "tensors counted": "sum(1 for p in model.parameters() if p.requires_grad)",
          "buffers counted": "sum(p.numel() for p in model.parameters() if p.requires_grad)"
                             " + sum(b.numel() for b in model.buffers())"}


def submissions_07():
    """Lesson 07's exercise section answered right but for 07.2 (one per ``COUNTS``), and blank."""
    source = nbformat.read(SOURCE_07, as_version=4)
    by_id = {c.id: c for c in source.cells}
    student = student_notebook(source)
    start = next(i for i, c in enumerate(student.cells) if c.source.startswith("## Exercises"))
    end = next(i for i, c in enumerate(student.cells) if c.source.startswith("## Summary"))
    setup = nbformat.v4.new_code_cell("from cnnlib.selfcheck import check_exercise")
    notebooks = {}
    for name in [*COUNTS, "blank"]:
        nb = nbformat.from_dict(student)
        nb.cells = [setup] + [nbformat.from_dict(c) for c in student.cells[start:end]]
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if name == "blank" or not cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            if gid == "ex-07-2-answer":
                cell.source = COUNT.format(body=COUNTS[name])
            else:
                cell.source = _solution(by_id[cell.id].source)
        notebooks[name] = nb
    return notebooks


@pytest.fixture(scope="module")
def graded_07(tmp_path_factory):
    if not bwrap_works():
        pytest.skip("bubblewrap cannot isolate here (CI installs it)")
    root = tmp_path_factory.mktemp("lesson-07")
    for name, nb in submissions_07().items():
        student = name.replace(" ", "-")
        (root / "submitted" / student).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / student / "lesson 07.ipynb")
    results = grade_class(root / "submitted", root / "marks", source_dir=LESSON_SOURCES,
                          workers=2, timeout=60)
    return root, results


def test_torch_module_cases_are_built_in_the_kernel_and_graded(graded_07):
    root, results = graded_07
    with open(root / "marks" / f"{LESSON_07}.csv", newline="") as f:
        totals = {row["student_id"]: row["total"] for row in csv.DictReader(f)}
    why = [(r.student, r.messages, r.note) for r in results]
    assert totals == {"right": "3", "frozen-counted": "2", "tensors-counted": "2",
                      "buffers-counted": "2", "blank": "0"}, why
    rows = read_verdicts(root / "marks" / f"{LESSON_07}.verdicts.csv")
    count = {r["student_id"]: (r["correct"], r["mistake"]) for r in rows if r["id"] == "07.2"}
    assert count == {"right": ("1", ""), "frozen-counted": ("0", "frozen counted"),
                     "tensors-counted": ("0", "tensors counted"),
                     "buffers-counted": ("0", "buffers counted"),
                     "blank": ("0", "not written")}
    assert not any("grader error" in r.note for r in results), why


def test_a_grader_error_in_one_check_costs_that_check_only(tmp_path):
    if not bwrap_works():
        pytest.skip("bubblewrap cannot isolate here (CI installs it)")
    checks = {c.task: c for c in lesson_checks(SOURCE_07)}
    # Inputs the grader cannot send as plain data: its own fault, not the student's.
    checks["ex-07-1"] = dataclasses.replace(checks["ex-07-1"],
                                            inputs=lambda rng: {"parts": object()})
    lesson = Assignment.from_notebook(LESSON_07, nbformat.read(SOURCE_07, as_version=4),
                                      checks)
    path = tmp_path / "right" / "lesson 07.ipynb"
    path.parent.mkdir()
    nbformat.write(submissions_07()["right"], path)
    result = grade_notebook(path, lesson, timeout=60, keep_feedback=False)
    assert result.points == {"ex-07-1": 0, "ex-07-2": 1, "ex-07-3": 1}, (result.messages,
                                                                          result.note)
    assert result.messages["ex-07-1"].startswith("grader error: TypeError")
    assert "grader error" in result.note and "ex-07-1" in result.note
