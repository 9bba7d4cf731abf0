"""Grade a class: every submission in its own process, scratch folder and guarded kernel.

Layout of the submissions (nbgrader's ``submitted/`` folder has it)::

    SUBMISSIONS/<student id>/**/*.ipynb      (any file names, any sub-folders)

Each notebook is matched to an assignment by its cells (the ``grade_id`` of the
nbgrader metadata), not by its file name, so "Save As" under one's own name is fine.
For each student and assignment the latest matching notebook is graded:

1. the submission's folder (its notebook and any module beside it) is copied to a
   new scratch folder; nothing else is there: no instructor file, no hidden test;
2. the instructor source is read once, before any student code runs, and kept in
   memory; the locked cells (set-up, self-checks, graded tests) are put back as the
   students see them, without the hidden tests;
3. a kernel starts in the scratch folder with a clean environment (no variable of
   the grader's but the few it needs) behind a file guard (``_kernel.py``): it may
   write only in the scratch folder, and cannot read the instructor sources, the
   other submissions or the marks;
4. the cells run one by one with a hard per-cell timeout: a cell over the limit
   (even one that ignores Ctrl-C) gets its kernel and every process of it killed,
   and the submission's status is ``timeout``;
5. right after each graded cell, its full instructor version (visible and hidden
   tests) runs as a *user expression* of the kernel: IPython's input transformers,
   AST transformers and custom exception handlers do not apply there, and the grader
   reads pass or fail from the kernel's reply, not from what the notebook shows;
6. the feedback notebook is the executed student version: no hidden test in it,
   and any output line that quotes one is removed.

The marks: one CSV per assignment, ``<out>/<assignment>.csv``, one row per student
(``student_id``, points per graded task, ``total``, ``max_total``, ``status``,
``note``), written as each submission finishes.  ``status`` is ``graded``,
``timeout``, ``unreadable`` (not a notebook) or ``not found``.  Written answers are
marked by hand (their columns are left empty).

Command line::

    python -m course_admin.grade SUBMISSIONS --out marks/ [--workers 2] [--timeout 120]
        [--feedback feedback/] [--source-dir notebooks/assignments/source] [--students ids.txt]
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import multiprocessing
import multiprocessing.connection
import os
import pathlib
import queue
import re
import shutil
import sys
import tempfile
import time

import nbformat

from .generate import FAST_ENV, SOURCES, hidden_lines, student_notebook

__all__ = ["STATUSES", "Assignment", "Result", "load_assignments", "find_submissions",
           "grade_notebook", "grade_class", "main"]

STATUSES = ("graded", "timeout", "unreadable", "not found")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")        # colour codes in tracebacks
KERNEL = pathlib.Path(__file__).resolve().with_name("_kernel.py")
# What a kernel may see of the grader's environment: nothing secret, only what finds
# Python, the course library and its data.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "CNNLIB_DATA")
CREDENTIALS = (".ssh", ".aws", ".gnupg", ".netrc", ".git-credentials", ".docker", ".kube",
               ".config/gh", ".kaggle", ".jupyter", ".local/share/jupyter/runtime")
# Code that reaches into IPython or the test functions is listed in the "note" column
# for the lecturer to read (it is not penalised: the grader does not depend on it).
SUSPICIOUS = ("get_ipython", "set_custom_exc", "input_transformers", "ast_transformers",
              "sys.modules", "np.testing.", "builtins", "__import__", "ctypes", "/proc/")


# --------------------------------------------------------------------------- assignments
def _meta(cell) -> dict:
    """``metadata.nbgrader`` of a cell, or {} when missing or not a dict (a tampered file)."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


@dataclasses.dataclass
class Assignment:
    """An instructor source, read once: what to restore, what to test, what to hide."""

    name: str
    student: object                 # the student version (nbformat notebook)
    tests: dict                     # grade_id -> full source of the graded cell (with hidden)
    points: dict                    # grade_id -> points, graded code cells in order
    manual: dict                    # grade_id -> points, written answers in order
    locked: dict                    # grade_id -> (cell type, student-visible source)
    hidden: list                    # stripped lines of every hidden test (for redaction)

    @property
    def max_total(self) -> float:
        return float(sum(self.points.values()))

    @classmethod
    def from_notebook(cls, name, nb):
        student = student_notebook(nb)
        visible = {_meta(c)["grade_id"]: (c.cell_type, c.source) for c in student.cells
                   if _meta(c)}
        tests, points, manual, locked, hidden = {}, {}, {}, {}, set()
        for cell in nb.cells:
            meta = _meta(cell)
            gid = meta.get("grade_id")
            if not gid:
                continue
            if meta.get("grade") and cell.cell_type == "code":
                source = "\n".join(line for line in cell.source.split("\n")
                                   if not line.strip().startswith("# NBVAL_"))
                tests[gid], points[gid] = source, float(meta.get("points", 0))
                hidden |= {line.strip() for line in hidden_lines(cell.source)
                           if len(line.strip()) > 8}
            elif meta.get("grade"):
                manual[gid] = float(meta.get("points", 0))
            if meta.get("locked") and not meta.get("solution"):
                locked[gid] = visible[gid]
        return cls(name, student, tests, points, manual, locked, sorted(hidden))


def load_assignments(source_dir=SOURCES) -> dict:
    """``{name: Assignment}`` for every ``*.ipynb`` in ``source_dir``."""
    sources = sorted(pathlib.Path(source_dir).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no instructor notebooks (*.ipynb) in {source_dir}")
    return {p.stem: Assignment.from_notebook(p.stem, nbformat.read(p, as_version=4))
            for p in sources}


def _read_notebook(path):
    """The notebook at ``path``, or None if it is not one (not JSON, a list, ``{}``...)."""
    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            return None
        nb = nbformat.from_dict(data)
        if nb.get("nbformat") != 4:
            nb = nbformat.convert(nb, 4)
        if not all(isinstance(c, dict) and isinstance(c.get("source", ""), (str, list))
                   for c in nb.cells):
            return None
        for cell in nb.cells:
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
            cell.setdefault("metadata", nbformat.NotebookNode())
        return nb
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError,
            nbformat.ValidationError):
        return None


def match(nb, assignments):
    """The name of the assignment ``nb`` is a copy of (most of its graded cells), or None."""
    ids = {_meta(c).get("grade_id") for c in nb.cells}
    best, best_share = None, 0.5
    for name, assignment in assignments.items():
        wanted = set(assignment.points) | set(assignment.locked)
        share = len(ids & wanted) / max(len(wanted), 1)
        if share > best_share:
            best, best_share = name, share
    return best


# --------------------------------------------------------------------------- submissions
@dataclasses.dataclass
class Job:
    student: str
    assignment: str
    path: str | None                # None: nothing to grade (see status)
    status: str = "graded"
    note: str = ""


def find_submissions(root, assignments, students=()):
    """One :class:`Job` per student and assignment (to grade, or with its status)."""
    root = pathlib.Path(root)
    folders = {p.name: p for p in sorted(root.iterdir()) if p.is_dir()
               and not p.name.startswith(".")}
    jobs = []
    for student in sorted(set(folders) | set(students)):
        found, unreadable = {name: [] for name in assignments}, []
        if student in folders:
            for path in sorted(folders[student].rglob("*.ipynb")):
                if ".ipynb_checkpoints" in path.parts:
                    continue
                nb = _read_notebook(path)
                name = match(nb, assignments) if nb is not None else None
                if nb is None:
                    unreadable.append(path)
                elif name:
                    found[name].append(path)
        for name in assignments:
            if found[name]:
                latest = max(found[name], key=lambda p: (p.stat().st_mtime, str(p)))
                note = (f"{len(found[name])} notebooks of this assignment; graded the latest, "
                        f"{latest.name}" if len(found[name]) > 1 else "")
                jobs.append(Job(student, name, str(latest), note=note))
                continue
            number = name.split("_", 1)[0]
            named = [p for p in unreadable if name in p.name or p.name.startswith(number)]
            if named or (unreadable and not any(found.values())):
                bad = named or unreadable
                jobs.append(Job(student, name, None, "unreadable",
                                f"{bad[0].name} is not a notebook (Jupyter JSON)"))
            else:
                jobs.append(Job(student, name, None, "not found",
                                "no notebook of this assignment"))
    return jobs


# --------------------------------------------------------------------------- one submission
@dataclasses.dataclass
class Result:
    """The outcome of one submission: points per graded task, status, feedback."""

    student: str
    assignment: str
    points: dict                    # grade_id -> points earned
    max_total: float
    status: str = "graded"
    note: str = ""
    messages: dict = dataclasses.field(default_factory=dict)   # grade_id -> why it failed
    answered: dict = dataclasses.field(default_factory=dict)   # written answer -> bool
    feedback: str | None = None     # the executed student version (JSON), no hidden tests
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return float(sum(self.points.values()))


def _kernel_env(scratch, fast, threads):
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    for var in ("HOME", "IPYTHONDIR", "MPLCONFIGDIR", "XDG_CACHE_HOME", "TMPDIR"):
        sub = {"HOME": "", "IPYTHONDIR": ".ipython", "MPLCONFIGDIR": ".config/matplotlib",
               "XDG_CACHE_HOME": ".cache", "TMPDIR": ".tmp"}[var]
        folder = os.path.join(scratch, sub) if sub else scratch
        os.makedirs(folder, exist_ok=True)
        env[var] = folder
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    if fast:
        env[FAST_ENV] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _copy_matplotlib_cache(target):
    """Reuse the grader's font list: building it again costs seconds per submission."""
    for folder in (os.environ.get("MPLCONFIGDIR"), os.path.expanduser("~/.cache/matplotlib"),
                   os.path.expanduser("~/.config/matplotlib")):
        if folder and os.path.isdir(folder):
            for item in pathlib.Path(folder).glob("fontlist*.json"):
                shutil.copy(item, target)


def _copy_submission(path, scratch):
    """Copy the submission's folder (notebook and modules, 50 MB at most) to ``scratch``."""
    folder, budget = pathlib.Path(path).parent, 50 * 2 ** 20
    for item in sorted(folder.rglob("*")):
        if (item.is_symlink() or not item.is_file()
                or ".ipynb_checkpoints" in item.relative_to(folder).parts):
            continue
        budget -= item.stat().st_size
        if budget < 0:
            break
        target = pathlib.Path(scratch) / item.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item, target)
    return pathlib.Path(scratch) / pathlib.Path(path).name


def _outputs(messages):
    """nbformat outputs from a cell's iopub messages."""
    outputs = []
    for msg in messages:
        kind = msg["msg_type"]
        if kind == "clear_output":
            outputs = []
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(nbformat.v4.output_from_msg(msg))
    return outputs


def _redact(nb, hidden):
    """Drop every output line that quotes a hidden test (e.g. a student printing ``In``)."""
    if not hidden:
        return

    def clean(text):
        lines = text.split("\n")
        kept = [line for line in lines if not any(h in _ANSI.sub("", line) for h in hidden)]
        if len(kept) < len(lines):
            kept.append("[grader: lines quoting the hidden tests were removed]")
        return "\n".join(kept)

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = clean(out["text"])
            for key, value in list(out.get("data", {}).items()):
                if key.startswith("text/") and isinstance(value, str):
                    out["data"][key] = clean(value)
            if "traceback" in out:
                out["traceback"] = [clean(line) for line in out["traceback"]]
                out["evalue"] = clean(out.get("evalue", ""))


def _summary_cell(result, assignment):
    def why(gid):
        text = result.messages.get(gid, "passed")
        if any(h in text for h in assignment.hidden):
            text = text.split(":", 1)[0] + " (in a hidden test)"
        return text.replace("|", "/").replace("\n", " ")

    rows = [f"| `{gid}` | {result.points.get(gid, 0):g} / {pts:g} | {why(gid)} |"
            for gid, pts in assignment.points.items()]
    text = (f"**Grading of {assignment.name}**: {result.total:g} / {result.max_total:g} points "
            f"for the tests (status: {result.status}{'; ' + result.note if result.note else ''})."
            "\n\n| test | points | |\n|---|---:|---|\n" + "\n".join(rows)
            + "\n\nWritten answers are marked by hand.")
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["feedback"]})


def grade_notebook(path, assignment, timeout=120, fast=True, deny=(), threads=1,
                   student="", keep_feedback=True):
    """Grade one notebook against ``assignment`` (an :class:`Assignment`) and clean up.

    Parameters
    ----------
    path : path
        The submitted notebook; its folder is copied to a scratch folder.
    assignment : Assignment
    timeout : float
        Seconds per cell: a cell over it has its kernel killed; status ``timeout``.
    fast : bool
        Run with ``CNNLIB_FAST=1`` (short training).
    deny : sequence of paths
        Folders the kernel may not read (besides ``/proc`` of other processes).
    threads : int
        Threads per kernel for NumPy and PyTorch.

    Returns
    -------
    Result
        Never raises because of the submission: an unreadable file, a crash, a dead
        kernel or a timeout are statuses and notes.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    start = time.perf_counter()
    result = Result(student, assignment.name, {gid: 0.0 for gid in assignment.points},
                    assignment.max_total)
    nb = _read_notebook(path)
    if nb is None:
        result.status, result.note = "unreadable", f"{pathlib.Path(path).name} is not a notebook"
        return result
    private = tempfile.mkdtemp(prefix="grader-")          # connection file, kernel spec
    scratch = tempfile.mkdtemp(prefix="submission-")
    km = None
    try:
        _copy_submission(path, scratch)
        env = _kernel_env(scratch, fast, threads)
        _copy_matplotlib_cache(env["MPLCONFIGDIR"])
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            if gid in assignment.locked:
                cell["cell_type"], cell["source"] = assignment.locked[gid]
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        denied = [str(pathlib.Path(d).resolve()) for d in deny] + [private] + [
            os.path.join(os.path.expanduser("~"), c) for c in CREDENTIALS]
        spec = pathlib.Path(private) / "kernels" / "grader"
        spec.mkdir(parents=True)
        argv = [sys.executable, str(KERNEL), "--scratch", scratch]
        for d in denied:
            argv += ["--deny", d]
        (spec / "kernel.json").write_text(json.dumps({
            "argv": argv + ["-f", "{connection_file}"], "display_name": "grader",
            "language": "python"}))
        km = KernelManager(kernel_name="grader",
                           kernel_spec_manager=KernelSpecManager(
                               kernel_dirs=[str(spec.parent)]),
                           connection_file=os.path.join(private, "connection.json"))
        km.start_kernel(env=env, cwd=scratch)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        _run(nb, kc, km, assignment, result, timeout)
    except Exception as exc:                 # the grader's own trouble: say so, go on
        result.note = (result.note + "; " if result.note else "") + (
            f"grader error: {type(exc).__name__}: {exc}")
    finally:
        if km is not None:
            try:
                km.shutdown_kernel(now=True)
            except Exception:
                pass
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
    for gid, points in assignment.manual.items():
        cells = [c for c in nb.cells if _meta(c).get("grade_id") == gid]
        text = cells[0].get("source", "").strip() if cells else ""
        result.answered[gid] = bool(text) and not text.endswith("YOUR ANSWER HERE")
    suspicious = sorted({word for c in nb.cells if c.get("cell_type") == "code"
                         and _meta(c).get("grade_id") not in assignment.locked
                         for word in SUSPICIOUS if word in c.get("source", "")})
    if suspicious:
        result.note = (result.note + "; " if result.note else "") + (
            "read this submission: its code uses " + ", ".join(suspicious))
    if keep_feedback:
        _redact(nb, assignment.hidden)
        nb.cells.insert(0, _summary_cell(result, assignment))
        result.feedback = nbformat.writes(nb)
    result.seconds = time.perf_counter() - start
    return result


class _KernelDied(Exception):
    pass


def _execute(kc, km, code, timeout, **kwargs):
    """Run ``code``; return (reply content, its iopub messages).

    Raises TimeoutError after ``timeout`` seconds and _KernelDied as soon as the kernel
    process is gone (a dead kernel sends no reply: waiting for one would cost the
    whole timeout).
    """
    msg_id = kc.execute(code, allow_stdin=False, stop_on_error=False, **kwargs)
    deadline = time.monotonic() + timeout
    messages, idle, reply = [], False, None
    while not idle or reply is None:
        if time.monotonic() > deadline:
            raise TimeoutError
        got = False
        if not idle:
            try:
                msg = kc.get_iopub_msg(timeout=0.2)
                got = True
                if msg["parent_header"].get("msg_id") == msg_id:
                    if (msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"):
                        idle = True
                    else:
                        messages.append(msg)
            except queue.Empty:
                pass
        if reply is None:
            try:
                msg = kc.get_shell_msg(timeout=0.2 if idle else 0)
                got = True
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
            except queue.Empty:
                pass
        if not got and not km.is_alive():
            raise _KernelDied
    return reply["content"], messages


def _run(nb, kc, km, assignment, result, timeout):
    """Execute the cells in order; run each graded test's full version after its cell."""
    # A test runs after the last copy of its cell (a copy the student made to try it
    # early must not make it run before the code it tests).
    last = {_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)
            if c.get("cell_type") == "code"}
    tested = set()
    for number, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not cell.get("source", "").strip():
            continue
        gid = _meta(cell).get("grade_id")
        try:
            reply, messages = _execute(kc, km, cell["source"], timeout)
            cell["outputs"] = _outputs(messages)
            cell["execution_count"] = reply.get("execution_count")
            if gid in assignment.tests and last[gid] == number:
                tested.add(gid)
                # The instructor's cell, run as a user expression: no input or AST
                # transformer and no custom exception handler sees it, and the verdict
                # is the reply's, not an output the notebook could hide.
                expression = (f"__import__('builtins').exec(__import__('builtins').compile("
                              f"{assignment.tests[gid]!r}, {'<graded test ' + gid + '>'!r}, "
                              f"'exec'), globals())")
                reply, _ = _execute(kc, km, "", timeout, silent=True, store_history=False,
                                    user_expressions={"verdict": expression})
                verdict = reply.get("user_expressions", {}).get("verdict", {})
                if reply.get("status") == "ok" and verdict.get("status") == "ok":
                    result.points[gid] = assignment.points[gid]
                else:
                    why = verdict or reply
                    first = str(why.get("evalue", "")).strip().split("\n")[0]
                    result.messages[gid] = (f"{why.get('ename', 'Error')}: {first}"[:200]
                                            if why else "the test did not run")
        except TimeoutError:
            km.shutdown_kernel(now=True)             # SIGKILL to the kernel's process group
            result.status = "timeout"
            result.note = (f"cell {number} ran longer than the limit of {timeout:g} s per cell "
                           f"and was stopped; the cells after it did not run")
            cell["outputs"] = [nbformat.v4.new_output(
                "stream", name="stderr", text=f"[grader] {result.note}\n")]
            break
        except _KernelDied:
            result.note = (f"the kernel died in cell {number} (out of memory, or the code "
                           f"ended the process); the cells after it did not run")
            break
    for gid in assignment.tests:
        if gid not in tested and gid not in result.messages:
            result.messages[gid] = ("not run: the test cell was deleted" if not any(
                _meta(c).get("grade_id") == gid for c in nb.cells) else "not run")


# --------------------------------------------------------------------------- the class
def _worker(job, assignment, options, conn):
    try:
        result = grade_notebook(job.path, assignment, student=job.student, **options)
        result.note = "; ".join(n for n in (job.note, result.note) if n)
        conn.send(result)
    finally:
        conn.close()


class _Marks:
    """``<out>/<assignment>.csv``, a row appended and flushed per finished submission."""

    def __init__(self, out, assignments, feedback=None):
        self.out, self.assignments, self.feedback = pathlib.Path(out), assignments, feedback
        self.out.mkdir(parents=True, exist_ok=True)
        for name, a in assignments.items():
            with open(self.out / f"{name}.csv", "w", newline="") as f:
                csv.writer(f).writerow(["student_id", *a.points, "total", "max_total",
                                        *a.manual, "status", "note"])

    def write(self, result):
        a = self.assignments[result.assignment]
        with open(self.out / f"{result.assignment}.csv", "a", newline="") as f:
            csv.writer(f).writerow([result.student, *(f"{result.points.get(g, 0):g}"
                                                      for g in a.points),
                                    f"{result.total:g}", f"{a.max_total:g}",
                                    *("" for _ in a.manual), result.status, result.note])
        if self.feedback and result.feedback:
            folder = pathlib.Path(self.feedback) / result.student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{result.assignment}.ipynb").write_text(result.feedback,
                                                               encoding="utf-8")


def grade_class(submissions, out, source_dir=SOURCES, workers=2, timeout=120, fast=True,
                feedback=None, students=(), on_result=None):
    """Grade every student's submission of every assignment in parallel.

    Parameters
    ----------
    submissions : path
        ``<student id>/**/*.ipynb`` below it.
    out : path
        Folder for ``<assignment>.csv``.
    source_dir : path
        The instructor sources (read once, into memory).
    workers : int
        Submissions graded at the same time, each in its own process and kernel.
    timeout : float
        Seconds per cell.
    feedback : path, optional
        Folder for ``<student>/<assignment>.ipynb`` feedback notebooks.
    students : iterable of str
        Student ids expected (rows ``not found`` for those without a folder).
    on_result : callable, optional
        Called with each :class:`Result` as it is written.

    Returns
    -------
    list of Result
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    assignments = load_assignments(source_dir)
    jobs = find_submissions(submissions, assignments, students)
    marks = _Marks(out, assignments, feedback)
    deny = [source_dir, SOURCES, submissions, out] + ([feedback] if feedback else [])
    threads = max(1, (os.cpu_count() or 1) // workers)
    options = dict(timeout=timeout, fast=fast, deny=deny, threads=threads)
    results, running, queue = [], {}, [j for j in jobs if j.path]
    for job in jobs:
        if not job.path:
            result = Result(job.student, job.assignment, {}, assignments[job.assignment].max_total,
                            job.status, job.note)
            marks.write(result)
            results.append(result)
    context = multiprocessing.get_context("spawn")

    def finish(result):
        marks.write(result)
        results.append(result)
        if on_result:
            on_result(result)

    while queue or running:
        while queue and len(running) < workers:
            job = queue.pop(0)
            parent, child = context.Pipe(duplex=False)
            process = context.Process(target=_worker, daemon=True,
                                      args=(job, assignments[job.assignment], options, child))
            process.start()
            child.close()
            running[process.sentinel] = (process, parent, job)
        ready = multiprocessing.connection.wait(
            [p.sentinel for p, _, _ in running.values()]
            + [c for _, c, _ in running.values()])
        for sentinel, (process, conn, job) in list(running.items()):
            if conn in ready or sentinel in ready:
                try:
                    result = conn.recv()
                except (EOFError, OSError):
                    result = Result(job.student, job.assignment,
                                    {g: 0.0 for g in assignments[job.assignment].points},
                                    assignments[job.assignment].max_total, "graded",
                                    "grader error: the grading process ended without a result")
                process.join()
                conn.close()
                del running[sentinel]
                finish(result)
    return results


# --------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    """Command-line entry point (see the module docstring); returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m course_admin.grade",
                                     description="Grade every submission of a class.")
    parser.add_argument("submissions", help="folder of <student id>/**/*.ipynb")
    parser.add_argument("--out", required=True, help="folder for <assignment>.csv")
    parser.add_argument("--source-dir", default=str(SOURCES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per cell")
    parser.add_argument("--feedback", default=None, help="folder for feedback notebooks")
    parser.add_argument("--students", default=None, help="file with one student id a line")
    parser.add_argument("--full", action="store_true", help="run without CNNLIB_FAST")
    args = parser.parse_args(argv)
    students = (pathlib.Path(args.students).read_text().split() if args.students else ())

    def report(r):
        print(f"{r.student:20s} {r.assignment:24s} {r.total:5g}/{r.max_total:g}  {r.status}"
              f"{'  ' + r.note if r.note else ''}  ({r.seconds:.0f} s)", flush=True)

    grade_class(args.submissions, args.out, args.source_dir, args.workers, args.timeout,
                not args.full, args.feedback, students, on_result=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
