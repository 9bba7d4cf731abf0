"""Grading a lesson's exercises and quizzes: the answers come out of the sandbox as data.

A lesson with exercises (``notebooks/source/<lesson>.ipynb``) has one graded cell per
exercise (``grade_id`` ``ex-<lesson>-<k>``, 1 point) whose visible line is a
``check_exercise(...)`` call.  :func:`lesson_checks` reads those calls from the source and
makes one :class:`~course_admin.checks.Check` per cell, judged in the grader's process:

* a **value exercise** (``check_exercise("01b.2", terms=terms, last=last)``): the kernel
  evaluates each argument's expression in the notebook's namespace and sends the values
  back as plain data (numbers, strings, lists; None for a blank answer);
* a **function exercise** (``check_exercise("01b.1", correlation_matrix)``): the grader
  learns the check's cases (the arguments its ``check_function`` call would pass), sends
  them to the kernel, which calls the student's function on each and sends back its
  outputs or the error it raised.  In the grader's process a stand-in function replays
  those outputs into the exercise's own check, run on those very cases, so the verdict
  and the diagnosis are exactly those the student saw in the notebook; the student's
  code never runs here.  Arguments that are not plain data (torch modules) cannot be
  sent: such an exercise has ``cases_code`` (:class:`cnnlib.selfcheck.answers.Exercise`),
  the source that builds its cases, and the grader sends that text instead; the kernel
  runs it in a namespace of its own (so no name of the notebook can change what it
  builds) and calls the student's function on the arguments it built.

Each verdict is recorded as ``(correct, mistake)`` per exercise part (a function exercise
has the part ``""``), the mistake being the name the check gives (``"flipped"``,
``"blank"``, ``"not written"``...).  Quizzes carry no points: :func:`quiz_verdicts` reads
every ``check_quiz(...)`` call of a submission statically (the arguments must be literals:
``ast.literal_eval``), outside any sandbox, and checks them here.  The grader stores both in
:attr:`course_admin.grade.Result.verdicts`, and :func:`write_verdicts` writes
``<out>/<lesson>.verdicts.csv`` beside the marks (one row per student and item), which
:mod:`course_admin.report` turns into the class report.

A lesson's checks are found by the grader as ``notebooks/source/<lesson>.checks.py``::

    from course_admin.checks.lessons import lesson_checks
    CHECKS = lesson_checks(__file__)
"""
from __future__ import annotations

import ast
import contextlib
import csv
import io
import os
import pathlib
import sys
import tempfile
from unittest import mock

import nbformat
import numpy as np

from . import Check

__all__ = ["VERDICT_COLUMNS", "lesson_checks", "lesson_items", "exercise_cases", "replay",
           "quiz_verdicts", "write_verdicts", "read_verdicts", "record"]

VERDICT_COLUMNS = ["student_id", "kind", "id", "part", "correct", "mistake"]
MAX_CALL = 2000               # characters of a check_quiz call read at most


class _Captured(Exception):
    def __init__(self, cases):
        super().__init__("cases captured")
        self.cases = cases


def exercise_cases(exercise):
    """The ``(description, args)`` cases the check of a function exercise runs.

    The check is called with a placeholder while its module's ``check_function`` is
    replaced by a recorder that keeps the cases and stops.  (A function exercise's check
    calls ``check_function(label, fn, cases, ...)`` from its module: the format of
    :mod:`cnnlib.selfcheck.exercises`.)
    """
    module = sys.modules[exercise.check.__module__]

    def record(label, fn, cases, *args, **kwargs):
        raise _Captured([(desc, tuple(case_args)) for desc, case_args in cases])

    with mock.patch.object(module, "check_function", record):
        try:
            exercise.check(lambda *args: None, quiet=True)
        except _Captured as captured:
            return captured.cases
    raise ValueError(f"the check {exercise.check.__name__} does not call check_function")


def replay(cases, outputs):
    """A stand-in for the student's function: the outputs the kernel sent, case by case.

    ``outputs[i]`` is ``{"ok": value}`` or ``{"error": "Type: message"}`` for ``cases[i]``;
    the stand-in finds the case by its arguments (the very objects the check passes, see
    ``_on_cases``, or equal arrays and numbers) and returns its value or raises its
    error (NotImplementedError stays one, so the check says "not written yet").
    """
    def stand_in(*args):
        for (desc, case_args), out in zip(cases, outputs):
            if len(case_args) == len(args) and all(
                    a is b or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                               and a.shape == b.shape and np.array_equal(a, b))
                    or (not isinstance(a, np.ndarray) and a == b)
                    for a, b in zip(args, case_args)):
                if isinstance(out, dict) and "error" in out:
                    kind, _, message = str(out["error"]).partition(": ")
                    if kind == "NotImplementedError":
                        raise NotImplementedError(message)
                    raise RuntimeError(f"{kind}: {message}")
                return out.get("ok") if isinstance(out, dict) else None
        raise RuntimeError("the grader has no output for these arguments")
    return stand_in


@contextlib.contextmanager
def _on_cases(exercise, cases):
    """Run the check of a function exercise on ``cases`` (captured by :func:`exercise_cases`).

    A check may build its cases afresh on each call (new torch modules, which compare
    equal only to themselves); within this context its ``check_function`` gets the
    captured ``cases`` instead of the new ones, so :func:`replay` finds each case's
    output by the very arguments it was captured with.  The cases come in the same
    order with the same descriptions, so the verdict is the one the fresh cases give.
    """
    module = sys.modules[exercise.check.__module__]
    check_function = module.check_function

    def with_captured(label, fn, fresh_cases, *args, **kwargs):
        return check_function(label, fn, cases, *args, **kwargs)

    with mock.patch.object(module, "check_function", with_captured):
        yield


def _plain(value):
    """A 0-d array (a NumPy scalar sent as data) as a Python number."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


# --------------------------------------------------------------------------- exercises
_VALUE_PROBE = """
def probe(G, inputs):
    out = {}
    for part, expression in inputs["parts"].items():
        try:
            value = eval(expression, G)
        except BaseException as e:
            out[part] = {"error": type(e).__name__ + ": " + str(e)[:200]}
            continue
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            value = value.item()
        out[part] = {"ok": value}
    return out
"""

# With "cases_code" the arguments are built by running that source in a fresh namespace,
# not the notebook's G: a name the notebook defines (its own nn, say) cannot change them.
_FUNCTION_PROBE = """
def probe(G, inputs):
    try:
        fn = eval(inputs["function"], G)
    except BaseException as e:
        return {"missing": type(e).__name__ + ": " + str(e)[:200]}
    if "cases_code" in inputs:
        built = {}
        exec(inputs["cases_code"], built)
        cases = [args for _, args in built["cases"]]
    else:
        cases = inputs["cases"]
    out = []
    for args in cases:
        try:
            out.append({"ok": fn(*args)})
        except BaseException as e:
            out.append({"error": type(e).__name__ + ": " + str(e).split(chr(10))[0][:200]})
    return {"outputs": out}
"""


def _visible_call(source, name):
    """The first ``name(...)`` call of ``source`` (the visible part of a test cell)."""
    from course_admin.generate import clear_solutions
    visible = clear_solutions(source)
    for node in ast.walk(ast.parse(visible)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
            return node, visible
    return None, visible


def _fail(verdicts, why):
    error = AssertionError(why)
    error.verdicts = verdicts
    raise error


def _value_check(gid, exercise_id, parts):
    from cnnlib.selfcheck.exercises import check_exercise

    def verify(inputs, outputs):
        verdicts, given = {}, {}
        for part in parts:
            reply = outputs.get(part) if isinstance(outputs, dict) else None
            if not isinstance(reply, dict) or "ok" not in reply:
                verdicts[("exercise", exercise_id, part)] = (False, "error")
                continue
            given[part] = _plain(reply["ok"])
        for part, value in given.items():
            try:
                (verdict,) = check_exercise(exercise_id, quiet=True, **{part: value})
                verdicts[("exercise", exercise_id, part)] = (verdict.correct, verdict.mistake)
            except (TypeError, ValueError):
                verdicts[("exercise", exercise_id, part)] = (False, "not an answer")
        wrong = sorted(p for (_, _, p), (ok, _) in verdicts.items() if not ok)
        if wrong:
            _fail(verdicts, f"Exercise {exercise_id}: not right yet: {', '.join(wrong)}")
        return verdicts

    return Check(task=gid, probe=_VALUE_PROBE, inputs=lambda rng: {"parts": parts},
                 verify=verify)


def _function_check(gid, exercise_id, exercise, function):
    cases = exercise_cases(exercise)
    if exercise.cases_code is not None:       # not plain data: the code that builds them
        sent = {"function": function, "cases_code": exercise.cases_code}
    else:
        sent = {"function": function, "cases": [list(args) for _, args in cases]}

    def verify(inputs, outputs):
        key = ("exercise", exercise_id, "")
        if not isinstance(outputs, dict) or "outputs" not in outputs:
            why = outputs.get("missing", "") if isinstance(outputs, dict) else ""
            _fail({key: (False, "missing")}, f"Exercise {exercise_id}: no function "
                                             f"{function} ({why})")
        replies = outputs["outputs"]
        if not isinstance(replies, list) or len(replies) != len(cases):
            _fail({key: (False, "error")}, f"Exercise {exercise_id}: results missing")
        try:
            with _on_cases(exercise, cases):
                verdict = exercise.check(replay(cases, replies), quiet=True)
        except Exception as exc:           # the student's function raised: its message
            _fail({key: (False, "error")}, f"Exercise {exercise_id}: "
                                           f"{str(exc).splitlines()[0][:200]}")
        if not verdict.correct:
            _fail({key: (False, verdict.mistake)}, verdict.message[:300])
        return {key: (True, None)}

    return Check(task=gid, probe=_FUNCTION_PROBE, inputs=lambda rng: dict(sent),
                 verify=verify)


def lesson_checks(path):
    """The grader's checks of a lesson's exercises, from its instructor source.

    Parameters
    ----------
    path : path
        The lesson's source ``notebooks/source/<lesson>.ipynb``, or the
        ``<lesson>.checks.py`` beside it.

    Returns
    -------
    list of Check
        One per graded cell, in order.

    Raises
    ------
    ValueError
        If a graded cell has no ``check_exercise`` call with a literal exercise id, or a
        value exercise's part is not passed by name.
    """
    from cnnlib.selfcheck.exercises import EXERCISES
    path = pathlib.Path(path)
    if path.name.endswith(".checks.py"):
        path = path.with_name(path.name[:-len(".checks.py")] + ".ipynb")
    nb = nbformat.read(path, as_version=4)
    checks = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not (meta.get("grade") and cell.cell_type == "code"):
            continue
        gid = meta["grade_id"]
        call, visible = _visible_call(cell.source, "check_exercise")
        if call is None or not call.args or not isinstance(call.args[0], ast.Constant) \
                or call.args[0].value not in EXERCISES:
            raise ValueError(f"{path.name}, cell {gid}: its visible part must call "
                             f"check_exercise('<exercise id>', ...)")
        exercise_id = call.args[0].value
        exercise = EXERCISES[exercise_id]
        if exercise.check is not None:
            if len(call.args) != 2:
                raise ValueError(f"{path.name}, cell {gid}: pass the function: "
                                 f"check_exercise({exercise_id!r}, my_function)")
            function = ast.get_source_segment(visible, call.args[1])
            checks.append(_function_check(gid, exercise_id, exercise, function))
        else:
            if len(call.args) != 1:
                raise ValueError(f"{path.name}, cell {gid}: pass the parts by name")
            parts = {kw.arg: ast.get_source_segment(visible, kw.value)
                     for kw in call.keywords if kw.arg not in (None, "quiet")}
            unknown = set(parts) - set(exercise.parts)
            if unknown or not parts:
                raise ValueError(f"{path.name}, cell {gid}: parts {sorted(unknown)} are not "
                                 f"parts of {exercise_id}")
            checks.append(_value_check(gid, exercise_id, parts))
    return checks


# --------------------------------------------------------------------------- quizzes
def quiz_verdicts(nb):
    """``{("quiz", id, part): (correct, mistake)}`` from the ``check_quiz`` calls of ``nb``.

    Read from the cells' text, never run: each argument must be a literal (a number, a
    string, a tuple or list of them, None).  A call with anything else (a variable, an
    expression) counts as ``(False, "not a literal")``; a quiz checked twice counts its
    last call.  Unknown quiz ids and parts are ignored.  Safe on any submitted text.
    """
    from cnnlib.selfcheck.quiz import QUIZZES, check_quiz
    verdicts = {}
    for cell in nb.cells:
        text = cell.get("source", "") if isinstance(cell, dict) else ""
        if cell.get("cell_type") != "code" or not isinstance(text, str) \
                or "check_quiz" not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check_quiz"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in QUIZZES):
                continue
            quiz_id = node.args[0].value
            segment = ast.get_source_segment(text, node) or ""
            named = {kw.arg: kw.value for kw in node.keywords
                     if kw.arg in QUIZZES[quiz_id].parts}
            if len(node.args) == 2 and "answer" in QUIZZES[quiz_id].parts:
                named["answer"] = node.args[1]
            for part, value in named.items():
                key = ("quiz", quiz_id, part)
                try:
                    if len(segment) > MAX_CALL:
                        raise ValueError("too long")
                    answer = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    verdicts[key] = (False, "not a literal")
                    continue
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        (verdict,) = check_quiz(quiz_id, quiet=True, **{part: answer})
                    verdicts[key] = (verdict.correct, verdict.mistake)
                except (TypeError, ValueError):
                    verdicts[key] = (False, "not an answer")
    return verdicts


# --------------------------------------------------------------------------- the file
def read_verdicts(path):
    """The rows of a ``<lesson>.verdicts.csv`` (dicts with ``VERDICT_COLUMNS``)."""
    path = pathlib.Path(path)
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_verdicts(out, result, items=()):
    """Merge one student's verdicts into ``<out>/<lesson>.verdicts.csv`` (atomically).

    Parameters
    ----------
    out : path
        The marks folder.
    result : course_admin.grade.Result
        Its ``verdicts``: ``{(kind, id, part): (correct, mistake)}``.
    items : iterable of (kind, id, part)
        Items the lesson grades; those without a verdict (a test that could not run)
        are written as ``(False, "not run")``.

    Returns
    -------
    pathlib.Path or None
        The file, or None when there was nothing to write.
    """
    verdicts = dict(getattr(result, "verdicts", None) or {})
    if not verdicts and result.status != "graded":
        return None
    for item in items:
        verdicts.setdefault(tuple(item), (False, "not run"))
    if not verdicts:
        return None
    path = pathlib.Path(out) / f"{result.assignment}.verdicts.csv"
    rows = [r for r in read_verdicts(path) if r.get("student_id") != result.student]
    for (kind, item_id, part), (correct, mistake) in sorted(verdicts.items()):
        rows.append({"student_id": result.student, "kind": kind, "id": item_id, "part": part,
                     "correct": "1" if correct else "0", "mistake": mistake or ""})
    rows.sort(key=lambda r: (r["student_id"], r["kind"], r["id"], r["part"]))
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, VERDICT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        f.write(text.getvalue())
    os.replace(tmp, path)
    return path


def lesson_items(source):
    """The items a lesson grades, ``[(kind, id, part)]``, read from its instructor source.

    Exercises from the graded cells' ``check_exercise`` calls (a function exercise has the
    part ``""``), quizzes from the ``check_quiz`` calls.  ``[]`` for a notebook with none
    (an assignment).
    """
    from cnnlib.selfcheck.exercises import EXERCISES
    nb = nbformat.read(source, as_version=4)
    items = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not (meta.get("grade") and cell.cell_type == "code"):
            continue
        call, _ = _visible_call(cell.source, "check_exercise")
        if call is None or not call.args or not isinstance(call.args[0], ast.Constant) \
                or call.args[0].value not in EXERCISES:
            continue
        exercise_id = call.args[0].value
        if EXERCISES[exercise_id].check is not None:
            items.append(("exercise", exercise_id, ""))
        else:
            items += [("exercise", exercise_id, kw.arg) for kw in call.keywords
                      if kw.arg in EXERCISES[exercise_id].parts]
    return items + sorted(quiz_verdicts(nb))


def record(out, source_dir, result):
    """Write ``result``'s verdicts beside the marks if its notebook is a lesson's.

    Returns the file written, or None (an assignment, or nothing to record).
    """
    source = pathlib.Path(source_dir) / f"{result.assignment}.ipynb"
    items = lesson_items(source) if source.exists() else []
    if not items and not getattr(result, "verdicts", None):
        return None
    return write_verdicts(out, result, items)
