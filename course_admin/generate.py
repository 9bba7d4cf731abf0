"""Student notebooks from instructor sources: one source of truth, and a drift check.

An assignment is written once, as an *instructor source* notebook that holds the
solutions, and follows nbgrader's marker convention (https://nbgrader.readthedocs.io):

* in a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  are the solution.  The student version replaces them by a stub::

      # YOUR CODE HERE
      raise NotImplementedError("<hint>")

  where ``<hint>`` is whatever follows ``hint:`` on the ``### BEGIN SOLUTION`` line
  (nbgrader's own stubs carry no hint: that is why the course keeps this generator);
* in a markdown cell (a written answer), the lines between the same markers become
  ``YOUR ANSWER HERE``;
* in a graded test cell, the lines between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` are removed from the student version; the grader
  (:mod:`course_admin.grade`, or nbgrader's ``autograde``) runs them at grading time;
* cells tagged ``instructor`` (e.g. a note that the notebook holds solutions) are
  left out of the student version, and ``# NBVAL_...`` lines (for the course's
  notebook tests) are dropped.

Cell metadata follow nbgrader's schema (``metadata["nbgrader"]``): a graded test
cell has ``grade: true``, a ``grade_id`` and ``points``; a written answer has
``solution: true`` and ``grade: true``; a ``locked`` cell may not be changed by the
student.  So the sources are nbgrader sources too.

Command line::

    python -m course_admin.generate            # sources -> student versions
    python -m course_admin.generate --check    # fail if a student version is stale
"""
from __future__ import annotations

import argparse
import copy
import json
import pathlib
import sys
import textwrap

import nbformat

__all__ = [
    "BEGIN_SOLUTION", "END_SOLUTION", "BEGIN_HIDDEN_TESTS", "END_HIDDEN_TESTS",
    "ANSWER_STUB", "INSTRUCTOR_TAG", "FAST_ENV", "ASSIGNMENTS", "SOURCES",
    "clear_solutions", "hidden_lines", "student_notebook", "generate", "main",
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
    r"""The student version of one cell's text.

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


def hidden_lines(source: str) -> list:
    """The lines of ``source`` inside hidden-test regions (what students must not see)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            inside = True
        elif END_HIDDEN_TESTS in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


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


# --------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    """Command-line entry point (see the module docstring); returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m course_admin.generate",
                                     description="Write the student versions of the "
                                                 "instructor sources.")
    parser.add_argument("--source-dir", default=str(SOURCES))
    parser.add_argument("--out-dir", default=None, help="default: the parent of --source-dir")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a student version is out of date")
    args = parser.parse_args(argv)
    changed = generate(args.source_dir, args.out_dir, check=args.check)
    for path, was_changed in changed.items():
        state = ("out of date" if args.check else "written") if was_changed else "up to date"
        print(f"{path}: {state}")
    return 1 if args.check and any(changed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
