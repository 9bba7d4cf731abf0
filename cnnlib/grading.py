"""Home assignments: student notebooks from instructor sources, and autograding.

An assignment is written once, as an *instructor source* notebook that holds the
solutions, and follows nbgrader's marker convention (https://nbgrader.readthedocs.io):

* in a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  are the solution.  The student version replaces them by a stub::

      # YOUR CODE HERE
      raise NotImplementedError("<hint>")

  where ``<hint>`` is whatever follows ``hint:`` on the ``### BEGIN SOLUTION`` line;
* in a markdown cell (a written answer), the lines between the same markers become
  ``YOUR ANSWER HERE``;
* in a graded test cell, the lines between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` are removed from the student version and put back when
  grading, so students see the visible asserts but not the hidden ones;
* cells tagged ``instructor`` (e.g. a note that the notebook holds solutions) are
  left out of the student version, and ``# NBVAL_...`` lines (for the course's
  notebook tests) are dropped.

Cell metadata follow nbgrader's schema (``metadata["nbgrader"]``): a graded test
cell has ``grade: true``, a ``grade_id`` and ``points``; a written answer has
``solution: true`` and ``grade: true``; a ``locked`` cell may not be changed by the
student.  So the sources are nbgrader sources too, for a course that prefers
nbgrader's database and web interface.

Grading a submission (``grade``) takes the student's notebook, puts back the
source version of every locked cell (graded tests with their hidden part,
self-checks, set-up), executes it top to bottom with the environment variable
``CNNLIB_FAST=1`` (the notebooks then train on less data, for fewer epochs), and
gives each graded test cell its points if it ran without an error.  Written
answers are listed for the lecturer to mark by hand.

Command line::

    python -m cnnlib.grading generate            # sources -> student versions
    python -m cnnlib.grading generate --check    # fail if a student version is stale
    python -m cnnlib.grading grade submission.ipynb [more.ipynb ...] [--csv marks.csv]
"""
from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import json
import os
import pathlib
import sys
import textwrap

import nbformat

__all__ = [
    "BEGIN_SOLUTION", "END_SOLUTION", "BEGIN_HIDDEN_TESTS", "END_HIDDEN_TESTS",
    "ANSWER_STUB", "INSTRUCTOR_TAG", "FAST_ENV", "ASSIGNMENTS", "SOURCES",
    "clear_solutions", "student_notebook", "generate", "grade",
    "TaskResult", "GradeReport", "main",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
ANSWER_STUB = "YOUR ANSWER HERE"
CODE_STUB_COMMENT = "# YOUR CODE HERE"
DEFAULT_HINT = "replace this line with your code"
STUB_WIDTH = 92            # longer stubs are wrapped over several lines
INSTRUCTOR_TAG = "instructor"
FAST_ENV = "CNNLIB_FAST"

ASSIGNMENTS = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "assignments"
SOURCES = ASSIGNMENTS / "source"


# --------------------------------------------------------------------------- markers
def _hint(line: str) -> str:
    """The stub's message: the text after ``hint:`` on a ``### BEGIN SOLUTION`` line."""
    rest = line.split(BEGIN_SOLUTION, 1)[1].strip()
    if rest.lower().startswith("hint:"):
        rest = rest[len("hint:"):].strip()
    return rest or DEFAULT_HINT


def _remove_regions(lines, begin, end, replace, where):
    """Replace every ``begin``..``end`` region of ``lines`` by ``replace(begin_line)``."""
    out, open_line = [], None
    for number, line in enumerate(lines, 1):
        if begin in line:
            if open_line is not None:
                raise ValueError(f"{where}: {begin!r} on line {number} inside the region opened "
                                 f"on line {open_line}; close it with {end!r} first")
            open_line = number
            out.extend(replace(line))
        elif end in line:
            if open_line is None:
                raise ValueError(f"{where}: {end!r} on line {number} without a matching {begin!r}")
            open_line = None
        elif open_line is None:
            out.append(line)
    if open_line is not None:
        raise ValueError(f"{where}: {begin!r} on line {open_line} is never closed with {end!r}")
    return out


def clear_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """The student version of one cell's text.

    Parameters
    ----------
    source : str
        The cell's text in the instructor notebook.
    cell_type : {"code", "markdown"}
        In code, a solution region becomes ``# YOUR CODE HERE`` and
        ``raise NotImplementedError(hint)``, indented like the marker; in markdown it
        becomes ``YOUR ANSWER HERE``.  Hidden-test regions are removed in both.
    where : str
        Names the cell in error messages.

    Returns
    -------
    str

    Examples
    --------
    >>> print(clear_solutions("def f(x):\\n    ### BEGIN SOLUTION hint: square x\\n"
    ...                       "    return x ** 2\\n    ### END SOLUTION"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError("square x")
    """
    def code_stub(line):
        indent = line[:len(line) - len(line.lstrip())]
        hint = _hint(line)
        one_line = indent + f"raise NotImplementedError({json.dumps(hint)})"
        if len(one_line) <= STUB_WIDTH:
            return [indent + CODE_STUB_COMMENT, one_line]
        # A long hint becomes adjacent string literals, one per line: Python joins them.
        chunks = [line + " " for line in textwrap.wrap(hint, STUB_WIDTH - len(indent) - 8,
                                                        break_on_hyphens=False)]
        chunks[-1] = chunks[-1][:-1]
        return ([indent + CODE_STUB_COMMENT, indent + "raise NotImplementedError("]
                + [indent + "    " + json.dumps(chunk) for chunk in chunks] + [indent + ")"])

    def answer_stub(line):
        return [ANSWER_STUB]

    lines = source.split("\n")
    lines = _remove_regions(lines, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, lambda line: [], where)
    lines = _remove_regions(lines, BEGIN_SOLUTION, END_SOLUTION,
                            code_stub if cell_type == "code" else answer_stub, where)
    if cell_type == "code":
        # Course-internal notebook-test markers mean nothing to a student.
        lines = [line for line in lines if not line.strip().startswith("# NBVAL_")]
    return "\n".join(lines).strip("\n")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def student_notebook(nb):
    """The student version of an instructor notebook (a new notebook, outputs cleared).

    Solutions become stubs, hidden tests disappear, cells tagged ``instructor`` are
    dropped, outputs, execution counts and widget state are cleared.  Cell ids and
    nbgrader metadata are kept: the grader finds the cells by them.
    """
    student = copy.deepcopy(nb)
    student.metadata.pop("widgets", None)
    cells = []
    for cell in student.cells:
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        where = f"cell {cell.get('id', len(cells))}"
        cell.source = clear_solutions(cell.source, cell.cell_type, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    student.cells = cells
    return student


def _write(nb, path: pathlib.Path) -> bool:
    """Write ``nb`` to ``path`` if its text changed; return whether it changed."""
    text = nbformat.writes(nb) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def generate(source_dir=SOURCES, out_dir=None, check: bool = False) -> dict:
    """Write the student version of every ``*.ipynb`` in ``source_dir`` to ``out_dir``.

    Parameters
    ----------
    source_dir : path
        Folder of instructor notebooks (default ``notebooks/assignments/source``).
    out_dir : path, optional
        Where the student versions go, under the same file names; default the
        parent of ``source_dir``.
    check : bool
        Write nothing; only report which student versions differ from what would
        be generated (for CI).

    Returns
    -------
    dict
        ``{student_path: changed}``; ``changed`` is True where the file was (or,
        with ``check=True``, would be) rewritten.  The output is deterministic:
        the same sources always give byte-identical files.
    """
    source_dir = pathlib.Path(source_dir)
    out_dir = source_dir.parent if out_dir is None else pathlib.Path(out_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no instructor notebooks (*.ipynb) in {source_dir}")
    result = {}
    for src in sources:
        student = student_notebook(nbformat.read(src, as_version=4))
        target = out_dir / src.name
        if check:
            text = nbformat.writes(student) + "\n"
            result[target] = not target.exists() or target.read_text(encoding="utf-8") != text
        else:
            result[target] = _write(student, target)
    return result


# --------------------------------------------------------------------------- grading
@dataclasses.dataclass
class TaskResult:
    """Outcome of one graded cell: ``status`` is "passed", "failed", "missing" or "manual"."""

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclasses.dataclass
class GradeReport:
    """Points per task and in total for one submission.

    ``tasks`` holds the automatically graded test cells; ``manual`` the written
    answers, whose points the lecturer gives by hand (``message`` holds the
    student's text).  ``total`` and ``max_total`` count the automatic part only.
    """

    submission: str
    tasks: list
    manual: list
    error: str = ""
    notebook: object = dataclasses.field(default=None, repr=False)
    """The executed notebook (with the hidden tests and their outputs), for feedback."""

    @property
    def total(self) -> float:
        return sum(t.points for t in self.tasks)

    @property
    def max_total(self) -> float:
        return sum(t.max_points for t in self.tasks)

    def to_dict(self) -> dict:
        return {"submission": self.submission, "total": self.total, "max_total": self.max_total,
                "error": self.error, "tasks": [dataclasses.asdict(t) for t in self.tasks],
                "manual": [dataclasses.asdict(t) for t in self.manual]}

    def __str__(self):
        width = max([len(t.grade_id) for t in self.tasks + self.manual] + [4])
        lines = [self.submission]
        for t in self.tasks:
            why = f"  {t.message[:97]}..." if len(t.message) > 100 else f"  {t.message}"
            why = why if t.message else ""
            score = f"{t.points:g}/{t.max_points:g}"
            lines.append(f"  {t.grade_id:<{width}}  {score}  {t.status}{why}")
        lines.append(f"  {'total':<{width}}  {self.total:g}/{self.max_total:g}")
        for t in self.manual:
            answered = "answered" if t.status == "manual" else "not answered"
            lines.append(f"  {t.grade_id:<{width}}  ?/{t.max_points:g}  to mark by hand "
                         f"({answered})")
        if self.error:
            lines.append(f"  note: {self.error}")
        return "\n".join(lines)


def _error_of(cell) -> str:
    """``"Name: message"`` of the first error in a cell's outputs, or "" if none."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            first = str(out.get("evalue", "")).strip().split("\n")[0]
            return f"{out.get('ename', 'Error')}: {first}"[:200]
    return ""


def _default_source(submission: pathlib.Path) -> pathlib.Path:
    """The source of the same name, or else the only one with the same "NN_" number."""
    candidate = SOURCES / submission.name
    if candidate.exists():
        return candidate
    number = submission.name.split("_", 1)[0] + "_"
    matches = sorted(SOURCES.glob(f"{number}*.ipynb")) if number[:-1].isdigit() else []
    if len(matches) == 1:
        return matches[0]
    raise FileNotFoundError(f"no instructor source for {submission.name} in {SOURCES}; "
                            f"give it with source= (--source)")


def grade(submission, source=None, fast: bool = True, timeout: int = 600) -> GradeReport:
    """Execute a student's notebook with the hidden tests put back, and score it.

    Parameters
    ----------
    submission : path
        The student's ``.ipynb``.  It runs in its own folder, so a module the
        student handed in beside it is importable.
    source : path, optional
        The instructor source; default the file of the same name in
        ``notebooks/assignments/source``.
    fast : bool
        Set ``CNNLIB_FAST=1`` for the run (short training, small data).
    timeout : int
        Seconds per cell; a cell that runs longer is interrupted and counts as failed.

    Returns
    -------
    GradeReport
        A graded cell earns its points when it runs without an error, as in
        nbgrader; a graded cell the student deleted is "missing" and earns none.
        Grading never raises because of the student's code: a crash or a dead
        kernel shows up as failed tasks and in ``error``.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    submission = pathlib.Path(submission).resolve()
    source = _default_source(submission) if source is None else pathlib.Path(source)
    src_nb = nbformat.read(source, as_version=4)
    nb = nbformat.read(submission, as_version=4)

    locked = {_meta(c)["grade_id"]: c for c in src_nb.cells
              if _meta(c).get("locked") and not _meta(c).get("solution")
              and _meta(c).get("grade_id")}
    graded = [c for c in src_nb.cells if _meta(c).get("grade") and c.cell_type == "code"]
    answers = [c for c in src_nb.cells if _meta(c).get("grade") and c.cell_type == "markdown"]
    for cell in graded + answers:
        if not _meta(cell).get("grade_id"):
            raise ValueError(f"{source}: graded cell {cell.get('id')} has no "
                             f"metadata.nbgrader.grade_id")

    # Put back the instructor's version of every locked cell (the hidden tests among
    # them), copies included; the student's own cells stay as they are.
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid in locked:
            cell.source = locked[gid].source
            cell.metadata["nbgrader"] = copy.deepcopy(_meta(locked[gid]))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    env = dict(os.environ)
    if fast:
        env[FAST_ENV] = "1"
    else:
        env.pop(FAST_ENV, None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(submission.parent)}})
    error = ""
    try:
        client.execute(env=env)
    except DeadKernelError as exc:
        error = f"the kernel died ({exc}); the cells after it did not run (out of memory?)"

    ran = {}
    for cell in nb.cells:                   # a copied cell does not replace the original
        if _meta(cell).get("grade_id"):
            ran.setdefault(_meta(cell)["grade_id"], cell)
    tasks = []
    for cell in graded:
        gid, points = _meta(cell)["grade_id"], float(_meta(cell).get("points", 0))
        if gid not in ran:
            tasks.append(TaskResult(gid, 0.0, points, "missing", "the test cell was deleted"))
            continue
        done = ran[gid]
        problem = _error_of(done)
        if not problem and done.get("execution_count") is None:
            problem = "did not run"
        tasks.append(TaskResult(gid, 0.0 if problem else points, points,
                                "failed" if problem else "passed", problem))
    manual = []
    for cell in answers:
        gid, points = _meta(cell)["grade_id"], float(_meta(cell).get("points", 0))
        text = ran[gid].source if gid in ran else ""
        written = clear_solutions(cell.source, "markdown")
        answered = bool(text.strip()) and text.strip() != written.strip()
        manual.append(TaskResult(gid, 0.0, points, "manual" if answered else "empty", text))
    return GradeReport(str(submission), tasks, manual, error, nb)


# --------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    """Command-line entry point (see the module docstring); returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m cnnlib.grading",
                                     description="Generate student notebooks; grade submissions.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the student versions of the instructor sources")
    gen.add_argument("--source-dir", default=str(SOURCES))
    gen.add_argument("--out-dir", default=None, help="default: the parent of --source-dir")
    gen.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a student version is out of date")
    gr = sub.add_parser("grade", help="grade submitted notebooks")
    gr.add_argument("submissions", nargs="+")
    gr.add_argument("--source", default=None, help="instructor notebook (default: by file name)")
    gr.add_argument("--full", action="store_true", help="run without CNNLIB_FAST (full training)")
    gr.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    gr.add_argument("--csv", default=None, help="append one row per submission to this file")
    gr.add_argument("--json", default=None, help="write all reports to this JSON file")
    gr.add_argument("--executed", default=None,
                    help="save the executed notebooks (with the hidden tests' outputs) here, "
                         "as <folder>/<submission's folder name>/<file name>")
    args = parser.parse_args(argv)

    if args.command == "generate":
        changed = generate(args.source_dir, args.out_dir, check=args.check)
        for path, was_changed in changed.items():
            state = ("out of date" if args.check else "written") if was_changed else "up to date"
            print(f"{path}: {state}")
        return 1 if args.check and any(changed.values()) else 0

    reports, failed = [], False
    for path in args.submissions:
        try:
            report = grade(path, args.source, fast=not args.full, timeout=args.timeout)
        except (OSError, ValueError) as exc:      # unreadable file, no source: next one
            print(f"{path}: not graded: {exc}", file=sys.stderr)
            failed = True
            continue
        print(report)
        reports.append(report)
        if args.executed:
            # submissions/<student>/01_x.ipynb -> <executed>/<student>/01_x.ipynb
            target = pathlib.Path(args.executed) / pathlib.Path(path).resolve().parent.name
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(report.notebook, target / pathlib.Path(path).name)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps([r.to_dict() for r in reports], indent=1))
    if args.csv and reports:
        ids = [t.grade_id for t in reports[0].tasks]
        new = not pathlib.Path(args.csv).exists()
        with open(args.csv, "a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["submission", *ids, "total", "max_total"])
            for r in reports:
                by_id = {t.grade_id: t.points for t in r.tasks}
                writer.writerow([r.submission, *(by_id.get(i, 0) for i in ids), r.total,
                                 r.max_total])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
