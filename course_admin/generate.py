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
* a value answer (a number the student computes) is stubbed by ``stub:`` instead of
  ``hint:``: ``### BEGIN SOLUTION stub: terms = None; last = None`` gives one line per
  ``;``-separated statement, ``terms = None  # your answer``, so the student version runs
  and its check says "no answer yet";
* in a graded test cell, the lines between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` are removed from the student version; the grader
  (:mod:`course_admin.grade`, or nbgrader's ``autograde``) runs them at grading time;
* cells tagged ``instructor`` (e.g. a note that the notebook holds solutions) are
  left out of the student version.  ``# NBVAL_...`` lines (the course's notebook-test
  markers) are dropped from an assignment's student version, which is committed without
  outputs, and kept in a lesson's, which is what nbval runs: without them nbval's lax
  mode would compare none of the lesson's outputs.

Cell metadata follow nbgrader's schema (``metadata["nbgrader"]``): a graded test
cell has ``grade: true``, a ``grade_id`` and ``points``; a written answer has
``solution: true`` and ``grade: true``; a ``locked`` cell may not be changed by the
student.  So the sources are nbgrader sources too.

Two kinds of sources:

* assignments, ``notebooks/assignments/source/*.ipynb`` -> ``notebooks/assignments/``:
  the student version is written without outputs (students execute it);
* lessons with exercises, ``notebooks/source/<lesson>.ipynb`` -> ``notebooks/<lesson>.ipynb``:
  the student version is the lesson everyone reads (website, Colab, nbval), so it is
  committed *executed*.  The generator writes it (outputs cleared) when its cells
  differ from the source's, and ``--execute`` runs it in place; ``--check`` compares
  the cells (type, id, text, metadata) and ignores outputs, and also fails when a
  student version is not executed.  Its outputs are those of the stubs ("not written
  yet", "no answer yet"), never the solution's.  The sources are committed without
  outputs.

Command line::

    python -m course_admin.generate            # both kinds of sources -> student versions
    python -m course_admin.generate --execute  # and execute the lessons that changed
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
    "ANSWER_STUB", "VALUE_STUB", "INSTRUCTOR_TAG", "FAST_ENV", "ASSIGNMENTS", "SOURCES",
    "NOTEBOOKS", "LESSON_SOURCES", "clear_solutions", "hidden_lines", "solution_lines",
    "student_notebook", "same_cells", "is_executed", "generate", "execute", "main",
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

VALUE_STUB = "  # your answer"
NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
ASSIGNMENTS = NOTEBOOKS / "assignments"
SOURCES = ASSIGNMENTS / "source"
LESSON_SOURCES = NOTEBOOKS / "source"


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


def clear_solutions(source: str, cell_type: str = "code", where: str = "cell",
                    keep_test_markers: bool = False) -> str:
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
    keep_test_markers : bool
        Keep ``# NBVAL_...`` lines (a lesson's student version, which nbval checks);
        by default they are dropped (an assignment's).

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

    def solution_stub(line):
        rest = line.split(BEGIN_SOLUTION, 1)[1].strip()
        if not rest.lower().startswith("stub:"):
            return code_stub(line)
        indent = line[:len(line) - len(line.lstrip())]
        statements = [s.strip() for s in rest[len("stub:"):].split(";") if s.strip()]
        if not statements:
            raise ValueError(f"{where}: 'stub:' on a {BEGIN_SOLUTION} line needs the "
                             f"statements the student completes, e.g. 'stub: x = None'")
        return [indent + statement + VALUE_STUB for statement in statements]

    lines = source.split("\n")
    lines = _remove_regions(lines, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, lambda line: [], where)
    lines = _remove_regions(lines, BEGIN_SOLUTION, END_SOLUTION,
                            solution_stub if cell_type == "code" else answer_stub, where)
    if cell_type == "code" and not keep_test_markers:
        # In an assignment the notebook-test markers mean nothing to a student.
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


def solution_lines(source: str) -> list:
    """The lines of ``source`` inside solution regions (what only the source holds)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            inside = True
        elif END_SOLUTION in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def student_notebook(nb, keep_test_markers: bool = False):
    """The student version of an instructor notebook (a new notebook, outputs cleared).

    Solutions become stubs, hidden tests disappear, cells tagged ``instructor`` are
    dropped, outputs, execution counts and widget state are cleared.  Cell ids and
    nbgrader metadata are kept: the grader finds the cells by them.  With
    ``keep_test_markers`` (a lesson) the ``# NBVAL_...`` lines stay, so nbval still
    checks the cells they mark.
    """
    student = copy.deepcopy(nb)
    student.metadata.pop("widgets", None)
    cells = []
    for cell in student.cells:
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        where = f"cell {cell.get('id', len(cells))}"
        cell.source = clear_solutions(cell.source, cell.cell_type, where, keep_test_markers)
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


def _cells_of(nb):
    """What a student version must agree on with its source: cells and notebook metadata."""
    cells = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k != "execution"}
        cells.append((cell.cell_type, cell.get("id"), cell.source,
                      json.dumps(meta, sort_keys=True)))
    meta = {k: v for k, v in nb.metadata.items() if k not in ("language_info", "widgets")}
    return cells, json.dumps(meta, sort_keys=True)


def same_cells(a, b) -> bool:
    """True if notebooks ``a`` and ``b`` have the same cells (type, id, text, metadata).

    Outputs, execution counts, timing metadata, ``language_info`` and widget state
    are ignored: a lesson's student version is the generated one, executed.
    """
    return _cells_of(a) == _cells_of(b)


def is_executed(nb) -> bool:
    """True if every non-empty code cell of ``nb`` has an execution count."""
    return all(c.execution_count is not None for c in nb.cells
               if c.cell_type == "code" and c.source.strip())


def generate(source_dir=SOURCES, out_dir=None, check: bool = False,
             executed: bool = False) -> dict:
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
    executed : bool
        The student versions are committed executed (the lessons): a student version
        whose cells equal the generated ones is up to date whatever its outputs, and
        is left as it is; one that differs is written without outputs (execute it, see
        :func:`execute`).  With ``check``, a student version that is not executed is
        out of date too.

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
        student = student_notebook(nbformat.read(src, as_version=4), keep_test_markers=executed)
        target = out_dir / src.name
        if executed and target.exists():
            current = nbformat.read(target, as_version=4)
            if same_cells(current, student):
                result[target] = check and not is_executed(current)
                continue
        if check:
            text = nbformat.writes(student) + "\n"
            result[target] = not target.exists() or target.read_text(encoding="utf-8") != text
        else:
            result[target] = _write(student, target)
    return result


def execute(path, timeout: int = 900) -> None:
    """Execute the notebook at ``path`` in place, in its folder (as nbconvert --execute)."""
    from nbconvert.preprocessors import ExecutePreprocessor
    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(path.parent)}})
    _write(nb, path)


# --------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    """Command-line entry point (see the module docstring); returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m course_admin.generate",
                                     description="Write the student versions of the "
                                                 "instructor sources.")
    parser.add_argument("--source-dir", default=None,
                        help="one folder of sources only (default: the assignments' and "
                             "the lessons')")
    parser.add_argument("--out-dir", default=None, help="default: the parent of --source-dir")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a student version is out of date")
    parser.add_argument("--execute", action="store_true",
                        help="execute the lessons' student versions that were rewritten")
    args = parser.parse_args(argv)
    if args.source_dir is not None:
        folders = [(pathlib.Path(args.source_dir), args.out_dir,
                    pathlib.Path(args.source_dir).resolve() == LESSON_SOURCES)]
    else:
        folders = [(SOURCES, None, False)]
        if sorted(LESSON_SOURCES.glob("*.ipynb")):
            folders.append((LESSON_SOURCES, NOTEBOOKS, True))
    stale = False
    for source_dir, out_dir, executed in folders:
        changed = generate(source_dir, out_dir, check=args.check, executed=executed)
        for path, was_changed in changed.items():
            if args.check:
                state = "out of date" if was_changed else "up to date"
            elif not was_changed:
                state = "up to date"
            elif executed and args.execute:
                execute(path)
                state = "written and executed"
            elif executed:
                state = ("written, NOT executed: run it (python -m course_admin.generate "
                         "--execute, or jupyter nbconvert --execute --inplace) and commit "
                         "it executed")
            else:
                state = "written"
            print(f"{path}: {state}")
            stale = stale or (args.check and was_changed)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
