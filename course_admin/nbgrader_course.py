"""nbgrader as the grading engine: the course folder, and two safeguards nbgrader lacks.

nbgrader (https://nbgrader.readthedocs.io) keeps a course in one folder::

    <course>/nbgrader_config.py
    <course>/source/<assignment>/<notebook>.ipynb      the instructor versions
    <course>/release/...  submitted/<student>/<assignment>/...  autograded/...  feedback/...
    <course>/gradebook.db

:func:`prepare` makes that folder from ``notebooks/assignments/source`` (one
assignment per instructor notebook; the ``instructor`` note and the ``# NBVAL_``
lines are left out) and writes a ``nbgrader_config.py`` that loads
:func:`configure`.  The configuration

* runs the notebooks with ``CNNLIB_FAST=1`` (short training) in the course
  environment's kernel, with a per-cell timeout;
* counts a graded cell as failed when the kernel reports an error the notebook did
  not show (a student's ``set_custom_exc`` would otherwise turn errors into points):
  :func:`reveal_hidden_errors`;
* removes the hidden tests from the feedback, from the cells and from the tracebacks
  that quote them: :class:`RemoveHiddenTests`.

nbgrader still runs the student's code in one kernel and judges from its outputs:
input transformers and similar hooks can fool it, where ``course_admin.grade``
is not fooled. Grade with both when in doubt; the points agree on honest work.
"""
import os
import pathlib
import re
import sys

import nbformat

from .generate import (BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, INSTRUCTOR_TAG, SOURCES,
                       _remove_regions, hidden_lines)

__all__ = ["prepare", "configure", "reveal_hidden_errors", "RemoveHiddenTests"]

REPO = pathlib.Path(__file__).resolve().parent.parent
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_TIMEOUT = 300


def prepare(root, source_dir=SOURCES, exchange=None, course_id="cnn-course"):
    """Make (or refresh) the nbgrader course folder ``root``; return the assignment names."""
    root = pathlib.Path(root)
    names = []
    for src in sorted(pathlib.Path(source_dir).glob("*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        nb.cells = [c for c in nb.cells if INSTRUCTOR_TAG not in c.metadata.get("tags", [])]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = "\n".join(line for line in cell.source.split("\n")
                                        if not line.strip().startswith("# NBVAL_"))
        target = root / "source" / src.stem / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        names.append(src.stem)
    lines = ["# Written by course_admin.nbgrader_course.prepare: the course's nbgrader settings.",
             "import sys", f"sys.path.insert(0, {str(REPO)!r})",
             "from course_admin.nbgrader_course import configure",
             f"configure(get_config(), course_id={course_id!r}, exchange={exchange!r})", ""]
    (root / "nbgrader_config.py").write_text("\n".join(lines))
    return names


def reveal_hidden_errors(cell=None, cell_index=None, execute_reply=None, **kwargs):
    """nbclient hook: a cell whose reply is an error gets an error output, shown or not."""
    content = (execute_reply or {}).get("content", {})
    if content.get("status") != "error" or cell is None:
        return
    if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        cell.outputs.append(nbformat.v4.new_output(
            "error", ename=content.get("ename", "Error"),
            evalue=f"{content.get('evalue', '')} (the notebook hid this error)", traceback=[]))


def _remove_hidden(nb):
    hidden = set()
    for cell in nb.cells:
        if BEGIN_HIDDEN_TESTS in cell.source:
            hidden |= {line.strip() for line in hidden_lines(cell.source)
                       if len(line.strip()) > 8}
            cell.source = "\n".join(_remove_regions(cell.source.split("\n"), BEGIN_HIDDEN_TESTS,
                                                    END_HIDDEN_TESTS, lambda line: [],
                                                    f"cell {cell.get('id')}"))

    def clean(text):
        # Tracebacks are coloured: compare without the terminal's colour codes.
        return "\n".join(line for line in text.split("\n")
                         if not any(h in _ANSI.sub("", line) for h in hidden))

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = clean(out["text"])
            if "traceback" in out:
                out["traceback"] = [clean(line) for line in out["traceback"]]
                out["evalue"] = clean(out.get("evalue", ""))
    return nb


from nbconvert.preprocessors import Preprocessor  # noqa: E402  (every Jupyter has nbconvert)
from traitlets import Bool  # noqa: E402


class RemoveHiddenTests(Preprocessor):
    """Feedback preprocessor: drop hidden tests from cells and from the outputs quoting them."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        return _remove_hidden(nb), resources


def configure(c, course_id="cnn-course", exchange=None, timeout=CELL_TIMEOUT):
    """Fill nbgrader's configuration object ``c`` for this course."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades
    os.environ["CNNLIB_FAST"] = "1"            # autograde's kernels inherit it
    c.CourseDirectory.course_id = course_id
    c.Execute.timeout = timeout
    c.Execute.interrupt_on_timeout = True
    c.Execute.on_cell_executed = reveal_hidden_errors
    c.GenerateFeedback.preprocessors = [RemoveHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
    if exchange:
        c.Exchange.root = str(exchange)
    if sys.executable:                            # the course environment's kernel
        c.Execute.kernel_name = "python3"
