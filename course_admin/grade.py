"""Grade a class: every submission in its own operating-system sandbox, verdicts outside it.

Layout of the submissions (nbgrader's ``submitted/`` folder has it)::

    SUBMISSIONS/<student id>/**/*.ipynb      (any file names, any sub-folders)

Each notebook is matched to an assignment by its cells (the ``grade_id`` of the
nbgrader metadata), not by its file name, so "Save As" under one's own name is fine.
For each student and assignment the latest matching notebook is graded:

1. the instructor source is read once, before any student code runs, and kept in
   memory; the locked cells (set-up, self-checks, graded tests) are put back as the
   students see them, without the hidden tests;
2. the submission's folder (its notebook and any module beside it) is copied to a new
   folder and a kernel starts in a bubblewrap sandbox (:mod:`course_admin.sandbox`):
   no network, its own processes, a private ``/tmp``, the Python environment and
   ``cnnlib`` read-only, the submission's files copied into a size-capped scratch
   folder, nothing of the repository, the instructor sources, the marks or the other
   submissions mounted, limits on memory, processes, CPU time and file size.  It
   starts in an empty folder with an empty ``HOME`` and ``IPYTHONDIR``, so nothing
   handed in (a ``comm.py``, an IPython startup file) runs while ipykernel starts;
3. the cells run one by one with a hard per-cell timeout.  A cell over the limit
   costs only itself: the sandbox is killed, a new one replays the cells that ran
   before (set-up and the student's definitions) and grading goes on with the next
   cell (at most ``MAX_RESTARTS`` times and ``budget`` seconds per submission);
4. right after each graded cell, its :class:`~course_admin.checks.Check` judges it in
   the grader's process: fresh random inputs (and fixed hard cases, their values
   fresh too) go to the kernel as plain data, the student's outputs come back as
   plain data (never pickle) and are compared with a reference the grader computes
   itself; the kernel only computes.  Tasks that must
   be written in NumPy score 0 with a note when their solution cells reach cnnlib's,
   PyTorch's or SciPy's layers (read from the code, outside the sandbox:
   :mod:`cnnlib.selfcheck.numpy_only`).  An assignment without checks (a lecturer's
   own) falls back to running its hidden tests in the kernel, and says so in the note;
5. the feedback notebook is the executed student version with a summary cell: no
   hidden test and no expected value in it.

The marks: one CSV per assignment, ``<out>/<assignment>.csv``, one row per student
(``student_id``, points per graded task, ``total``, ``max_total``, written answers,
``status``, ``note``).  Only the grader's process writes them.  A run *merges* its
rows into the existing file by student id (the file is replaced atomically, the
previous one kept as ``<assignment>.csv.bak``, and ``<out>/grading.log`` gets a line
per changed row), so regrading one student changes that row only; a ``not found``
never replaces a mark, and an assignment nobody handed in leaves its file as it is.
``status`` is one of ``STATUSES``.  Written answers are marked by hand (their columns
are left empty).

Without a working bubblewrap the grader refuses to grade (see
:data:`course_admin.sandbox.NO_BWRAP_MESSAGE`) unless ``--trusted`` is given, for a
lecturer's own notebooks: then the kernel runs behind the old in-process file guard
(``_kernel.py``), which native code can get around.

Command line::

    python -m course_admin.grade SUBMISSIONS --out marks/ [--workers 2] [--timeout 120]
        [--feedback feedback/] [--source-dir notebooks/assignments/source] [--students ids.txt]
        [--trusted]
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import pathlib
import queue
import re
import secrets
import shutil
import sys
import tempfile
import time

import nbformat

from .generate import FAST_ENV, SOURCES, hidden_lines, student_notebook

__all__ = ["STATUSES", "Assignment", "Result", "load_assignments", "find_submissions",
           "grade_notebook", "grade_class", "main", "SandboxUnavailable"]

STATUSES = ("graded", "timeout", "unreadable", "malformed", "no graded cells", "not found")
MAX_RESTARTS = 6                 # sandboxes started again after a timeout, per submission
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")        # colour codes in tracebacks
KERNEL = pathlib.Path(__file__).resolve().with_name("_kernel.py")
# What a trusted kernel may see of the grader's environment: nothing secret, only what
# finds Python, the course library and its data.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "CNNLIB_DATA")
CREDENTIALS = (".ssh", ".aws", ".gnupg", ".netrc", ".git-credentials", ".docker", ".kube",
               ".config/gh", ".kaggle", ".jupyter", ".local/share/jupyter/runtime")
# Code that reaches into IPython or the test functions is listed in the "note" column
# for the lecturer to read (it is not penalised: the grader does not depend on it).
SUSPICIOUS = ("get_ipython", "set_custom_exc", "input_transformers", "ast_transformers",
              "sys.modules", "np.testing.", "builtins", "__import__", "ctypes", "/proc/")


class SandboxUnavailable(RuntimeError):
    """Untrusted grading was asked for where bubblewrap cannot isolate the kernel."""


# --------------------------------------------------------------------------- assignments
def _meta(cell) -> dict:
    """``metadata.nbgrader`` of a cell, or {} when missing or not a dict (a tampered file)."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def _gid(cell):
    """The cell's ``grade_id`` if it is a string, else None (a list, a number: tampered)."""
    gid = _meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _malformed(nb):
    """Cells whose grader metadata has the wrong types (a short description), or []."""
    bad = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
        raw = meta.get("nbgrader") if isinstance(meta, dict) else None
        if raw is None:
            continue
        if not isinstance(raw, dict):
            bad.append(f"cell {i}: nbgrader metadata is a {type(raw).__name__}")
            continue
        gid = raw.get("grade_id")
        if gid is not None and not (isinstance(gid, str) and gid):
            bad.append(f"cell {i}: grade_id is a {type(gid).__name__}")
        for key in ("grade", "solution", "locked"):
            if key in raw and not isinstance(raw[key], bool):
                bad.append(f"cell {i}: {key} is a {type(raw[key]).__name__}")
    return bad


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
    checks: dict | None = None      # grade_id -> Check judged by the grader (None: none)
    source_dir: str | None = None   # where the checks were found (to load them again)

    def __getstate__(self):             # to a worker process: checks are loaded there again
        state = dict(self.__dict__)
        state["checks"] = state["checks"] is not None
        return state

    def __setstate__(self, state):
        if state["checks"] is True:
            from .checks import load_checks
            state["checks"] = load_checks(state["name"], state["source_dir"])
        elif state["checks"] is False:
            state["checks"] = None
        self.__dict__.update(state)

    @property
    def max_total(self) -> float:
        return float(sum(self.points.values()))

    @classmethod
    def from_notebook(cls, name, nb, checks=None, source_dir=None):
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
        if checks is not None and set(checks) != set(points):
            raise ValueError(f"{name}: the checks judge {sorted(checks)} but the graded cells "
                             f"are {sorted(points)}")
        return cls(name, student, tests, points, manual, locked, sorted(hidden), checks,
                   None if source_dir is None else str(source_dir))


def load_assignments(source_dir=SOURCES) -> dict:
    """``{name: Assignment}`` for every ``*.ipynb`` in ``source_dir``."""
    from .checks import load_checks
    sources = sorted(pathlib.Path(source_dir).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no instructor notebooks (*.ipynb) in {source_dir}")
    return {p.stem: Assignment.from_notebook(p.stem, nbformat.read(p, as_version=4),
                                             load_checks(p.stem, source_dir), source_dir)
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
    ids = {_gid(c) for c in nb.cells} - {None}
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
    """One :class:`Job` per student and assignment (to grade, or with its status).

    A notebook that matches no assignment is reported under the assignment its file
    name suggests (or under every assignment when the student handed in nothing else):
    ``unreadable`` (not a notebook), ``malformed`` (grader metadata of the wrong types)
    or ``no graded cells``.
    """
    root = pathlib.Path(root)
    folders = {p.name: p for p in sorted(root.iterdir()) if p.is_dir()
               and not p.name.startswith(".")}
    jobs = []
    for student in sorted(set(folders) | set(students)):
        found, bad = {name: [] for name in assignments}, []
        if student in folders:
            for path in sorted(folders[student].rglob("*.ipynb")):
                if ".ipynb_checkpoints" in path.parts:
                    continue
                nb = _read_notebook(path)
                if nb is None:
                    bad.append((path, "unreadable", f"{path.name} is not a notebook "
                                                    f"(Jupyter JSON)"))
                    continue
                name = match(nb, assignments)
                broken = _malformed(nb)
                if name:
                    found[name].append((path, broken))
                elif broken:
                    bad.append((path, "malformed", f"{path.name}: grader metadata of the "
                                                   f"wrong type ({'; '.join(broken[:3])})"))
                else:
                    bad.append((path, "no graded cells", f"{path.name} has none of the "
                                                         f"assignment's graded cells"))
        for name in assignments:
            if found[name]:
                latest, broken = max(found[name], key=lambda pb: (pb[0].stat().st_mtime,
                                                                  str(pb[0])))
                notes = []
                if len(found[name]) > 1:
                    notes.append(f"{len(found[name])} notebooks of this assignment; graded "
                                 f"the latest, {latest.name}")
                if broken:
                    notes.append("grader metadata of the wrong type, those cells count as "
                                 "missing: " + "; ".join(broken[:3]))
                jobs.append(Job(student, name, str(latest), note="; ".join(notes)))
                continue
            number = name.split("_", 1)[0]
            named = [b for b in bad if name in b[0].name or b[0].name.startswith(number)]
            if named or (bad and not any(found.values())):
                _, status, note = (named or bad)[0]
                jobs.append(Job(student, name, None, status, note))
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
    # (kind, id, part) -> (correct, mistake name): a lesson's exercises and quizzes
    verdicts: dict = dataclasses.field(default_factory=dict)
    leaderboard: dict | None = None  # a task judged from the files handed in (its record)

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
        if any(h in text for h in assignment.hidden if len(h) > 8):
            text = text.split(":", 1)[0] + " (in a hidden test)"
        return text.replace("|", "/").replace("\n", " ")

    rows = [f"| `{gid}` | {result.points.get(gid, 0):g} / {pts:g} | {why(gid)} |"
            for gid, pts in assignment.points.items()]
    text = (f"**Grading of {assignment.name}**: {result.total:g} / {result.max_total:g} points "
            f"for the tests (status: {result.status}{'; ' + result.note if result.note else ''})."
            "\n\n| test | points | |\n|---|---:|---|\n" + "\n".join(rows)
            + "\n\nWritten answers are marked by hand.")
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["feedback"]})


def _sandbox_env(fast, threads):
    """The sandboxed kernel's whole environment (paths inside the sandbox)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "HOME": "/home/student", "IPYTHONDIR": "/home/student/.ipython",
           "MPLCONFIGDIR": "/home/student/.config/matplotlib",
           "XDG_CACHE_HOME": "/home/student/.cache", "TMPDIR": "/tmp",
           "JUPYTER_RUNTIME_DIR": "/home/student/.runtime",
           "PYTHONDONTWRITEBYTECODE": "1", "CNNLIB_OFFLINE": "1"}
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    if fast:
        env[FAST_ENV] = "1"
    return env


class _SandboxedKernel:
    """A kernel in a bubblewrap sandbox (:class:`course_admin.sandbox.Sandbox`)."""

    def __init__(self, folder, fast, threads, limits):
        from .sandbox import Sandbox
        self.sandbox = Sandbox(folder, _sandbox_env(fast, threads), **limits)
        self.client = None

    def start(self):
        from jupyter_client.blocking import BlockingKernelClient
        info = self.sandbox.start()
        self.client = BlockingKernelClient()
        self.client.load_connection_info(info)
        self.client.start_channels()
        # Not client.wait_for_ready: without a kernel manager it takes a heartbeat not
        # yet beating (the sockets appear a moment after the sandbox starts) for death.
        deadline = time.monotonic() + 90
        while True:
            if not self.sandbox.is_alive():
                raise RuntimeError("the sandboxed kernel did not start: "
                                   + self.sandbox.stderr()[-500:])
            if time.monotonic() > deadline:
                raise RuntimeError("the sandboxed kernel did not answer in 90 s")
            msg_id = self.client.kernel_info()
            try:
                end = time.monotonic() + 2
                while time.monotonic() < end:
                    msg = self.client.get_shell_msg(timeout=max(0.01, end - time.monotonic()))
                    if msg["parent_header"].get("msg_id") == msg_id:
                        break
                else:
                    continue
                break
            except queue.Empty:
                continue
        while True:                                  # drop the start-up's iopub messages
            try:
                self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                break

    def is_alive(self):
        return self.sandbox.is_alive()

    def stop(self):
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:
                pass
            self.client = None
        self.sandbox.stop()


class _TrustedKernel:
    """The kernel as a plain process behind ``_kernel.py``'s file guard (``--trusted``)."""

    def __init__(self, folder, fast, threads, deny):
        self.folder, self.fast, self.threads, self.deny = folder, fast, threads, deny
        self.km = self.client = self.private = None

    def start(self):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
        self.private = tempfile.mkdtemp(prefix="grader-")      # connection file, kernel spec
        scratch = tempfile.mkdtemp(prefix="submission-")
        self.scratch = scratch
        shutil.copytree(self.folder, scratch, dirs_exist_ok=True)
        env = _kernel_env(scratch, self.fast, self.threads)
        _copy_matplotlib_cache(env["MPLCONFIGDIR"])
        denied = [str(pathlib.Path(d).resolve()) for d in self.deny] + [self.private] + [
            os.path.join(os.path.expanduser("~"), c) for c in CREDENTIALS]
        spec = pathlib.Path(self.private) / "kernels" / "grader"
        spec.mkdir(parents=True)
        argv = [sys.executable, str(KERNEL), "--scratch", scratch]
        for d in denied:
            argv += ["--deny", d]
        (spec / "kernel.json").write_text(json.dumps({
            "argv": argv + ["-f", "{connection_file}"], "display_name": "grader",
            "language": "python"}))
        self.km = KernelManager(kernel_name="grader",
                                kernel_spec_manager=KernelSpecManager(
                                    kernel_dirs=[str(spec.parent)]),
                                connection_file=os.path.join(self.private, "connection.json"))
        self.km.start_kernel(env=env, cwd=scratch)
        self.client = self.km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def is_alive(self):
        return self.km is not None and self.km.is_alive()

    def stop(self):
        if self.client is not None:                    # its sockets and thread (a worker
            try:                                       # grades many submissions)
                self.client.stop_channels()
            except Exception:
                pass
            self.client = None
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)      # SIGKILL to the kernel's process group
            except Exception:
                pass
            self.km = None
        for folder in (self.private, getattr(self, "scratch", None)):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)


def grade_notebook(path, assignment, timeout=120, fast=True, deny=(), threads=1,
                   student="", keep_feedback=True, trusted=False, budget=None, limits=None):
    """Grade one notebook against ``assignment`` (an :class:`Assignment`) and clean up.

    Parameters
    ----------
    path : path
        The submitted notebook (its folder's other files are copied beside it).
    assignment : Assignment
    timeout : float
        Seconds per cell (and per check).
    fast : bool
        Set ``CNNLIB_FAST=1`` in the kernel (short training).
    deny : sequence of path
        With ``trusted`` only: folders the in-process guard refuses to read.
    threads : int
        Threads per kernel for NumPy and PyTorch.
    student : str
    keep_feedback : bool
        Keep the executed notebook (with a summary cell) as ``Result.feedback``.
    trusted : bool
        Run the kernel without the bubblewrap sandbox (a lecturer's own notebooks only).
    budget : float, optional
        Seconds for the whole submission (default: 8 timeouts).
    limits : dict, optional
        Sandbox limits (see :class:`course_admin.sandbox.Sandbox`).

    Returns
    -------
    Result
        Never raises because of the submission: an unreadable file, a crash, a dead
        kernel or a timeout are statuses and notes.

    Raises
    ------
    SandboxUnavailable
        If ``trusted`` is False and bubblewrap cannot isolate the kernel here.
    """
    from .sandbox import bwrap_works, NO_BWRAP_MESSAGE
    if not trusted and not bwrap_works():
        raise SandboxUnavailable(NO_BWRAP_MESSAGE)
    start = time.perf_counter()
    result = Result(student, assignment.name, {gid: 0.0 for gid in assignment.points},
                    assignment.max_total)
    nb = _read_notebook(path)
    if nb is None:
        result.status, result.note = "unreadable", f"{pathlib.Path(path).name} is not a notebook"
        return result
    _judge_files(assignment, path, result)        # the files handed in, before any code runs
    copy = tempfile.mkdtemp(prefix="submission-")
    try:
        _copy_submission(path, copy)
        for cell in nb.cells:
            gid = _gid(cell)
            if gid in assignment.locked:
                cell["cell_type"], cell["source"] = assignment.locked[gid]
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        if trusted:
            make = lambda: _TrustedKernel(copy, fast, threads, deny)  # noqa: E731
        else:
            make = lambda: _SandboxedKernel(copy, fast, threads, limits or {})  # noqa: E731
        runner = _Runner(nb, make, assignment, result, timeout,
                         budget if budget is not None else 8 * timeout + 120)
        try:
            runner.run()
        except Exception as exc:                 # the grader's own trouble: say so, go on
            result.note = (result.note + "; " if result.note else "") + (
                f"grader error: {type(exc).__name__}: {exc}")
        finally:
            runner.stop()
        from .checks.lessons import quiz_verdicts      # read from the text, never run
        result.verdicts.update(quiz_verdicts(nb))
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    for gid, points in assignment.manual.items():
        cells = [c for c in nb.cells if _gid(c) == gid]
        text = cells[0].get("source", "").strip() if cells else ""
        result.answered[gid] = bool(text) and not text.endswith("YOUR ANSWER HERE")
    suspicious = sorted({word for c in nb.cells if c.get("cell_type") == "code"
                         and _gid(c) not in assignment.locked
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


def _judge_files(assignment, path, result):
    """Tasks judged from the files beside the notebook (:mod:`course_admin.checks.open_ended`).

    They read the submission's own folder, which no sandbox mounts, in this process.
    """
    for gid, check in (assignment.checks or {}).items():
        judge = getattr(check, "judge_folder", None)
        if judge is not None:
            score = judge(pathlib.Path(path).parent)
            result.points[gid] = min(float(score.points), assignment.points[gid])
            result.messages[gid] = score.message or "passed"
            result.leaderboard = score.record()


class _KernelDied(Exception):
    pass


def _execute(kc, kernel, code, timeout, **kwargs):
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
                    elif len(messages) < 2000:
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
        if not got and not kernel.is_alive():
            raise _KernelDied
    return reply["content"], messages


class _Runner:
    """Executes a submission's cells, judges each graded cell, survives timeouts."""

    def __init__(self, nb, make_kernel, assignment, result, timeout, budget):
        self.nb, self.make_kernel, self.assignment = nb, make_kernel, assignment
        self.result, self.timeout = result, timeout
        self.deadline = time.monotonic() + budget
        self.kernel, self.ran, self.restarts, self.notes = None, [], 0, []
        self.rng = __import__("numpy").random.default_rng(secrets.randbits(128))

    def stop(self):
        if self.kernel is not None:
            self.kernel.stop()
            self.kernel = None
        self.result.note = "; ".join(n for n in [self.result.note] + self.notes if n)

    def _start(self):
        self.kernel = self.make_kernel()
        self.kernel.start()

    def _exec(self, code, **kwargs):
        timeout = max(1.0, min(self.timeout, self.deadline - time.monotonic()))
        return _execute(self.kernel.client, self.kernel, code, timeout, **kwargs)

    def _restart(self, why):
        """A new kernel with the cells that ran before replayed; False when out of budget."""
        self.kernel.stop()
        self.kernel = None
        if self.restarts >= MAX_RESTARTS or time.monotonic() > self.deadline:
            self.notes.append(f"{why}; no time left for the cells after it "
                              f"({self.restarts} restarts)")
            return False
        self.restarts += 1
        self._start()
        for number in self.ran:
            try:
                self._exec(self.nb.cells[number]["source"])
            except (TimeoutError, _KernelDied):
                self.notes.append(f"{why}; replaying cell {number} failed, the cells after "
                                  f"it did not run")
                return False
        self.notes.append(why)
        return True

    def run(self):
        nb, assignment, result = self.nb, self.assignment, self.result
        # A test runs after the last copy of its cell (a copy the student made to try it
        # early must not make it run before the code it tests).
        last = {_gid(c): i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"}
        tested = set()
        self._start()
        for number, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code" or not cell.get("source", "").strip():
                continue
            gid = _gid(cell)
            if time.monotonic() > self.deadline:
                self.notes.append(f"the submission's time ran out before cell {number}")
                break
            try:
                reply, messages = self._exec(cell["source"])
                cell["outputs"] = _outputs(messages)
                cell["execution_count"] = reply.get("execution_count")
                self.ran.append(number)
            except TimeoutError:
                result.status = "timeout"
                why = (f"cell {number} ran longer than the limit of {self.timeout:g} s per "
                       f"cell and was stopped")
                cell["outputs"] = [nbformat.v4.new_output(
                    "stream", name="stderr", text=f"[grader] {why}\n")]
                if gid in assignment.points:
                    result.messages[gid] = "timeout: the test cell ran over the time limit"
                    tested.add(gid)
                if not self._restart(why):
                    break
                continue
            except _KernelDied:
                why = (f"the kernel died in cell {number} (out of memory, too many "
                       f"processes, or the code ended the process)")
                if gid in assignment.points:
                    result.messages[gid] = "the kernel died in the test cell"
                    tested.add(gid)
                if not self._restart(why):
                    break
                continue
            if gid in assignment.points and last[gid] == number:
                tested.add(gid)
                if not self._judge(gid):
                    break
        for gid in assignment.points:
            if gid not in tested and gid not in result.messages:
                result.messages[gid] = ("not run: the test cell was deleted" if not any(
                    _gid(c) == gid for c in nb.cells) else "not run")

    def _judge(self, gid):
        """Judge graded cell ``gid``; False when grading cannot go on."""
        assignment, result = self.assignment, self.result
        checks = assignment.checks
        if checks is None:
            return self._judge_in_kernel(gid)
        from cnnlib.selfcheck.numpy_only import forbidden_uses
        from .checks import decode_reply, request
        check = checks[gid]
        if getattr(check, "judge_folder", None) is not None:
            return True                          # judged from the files (_judge_files)
        for task in check.numpy_only:
            reasons = self._numpy_only(task, forbidden_uses)
            if reasons:
                result.messages[gid] = (f"0 points: {task} must be written with NumPy only "
                                        f"({'; '.join(reasons[:3])})")
                return True
        try:
            inputs = check.inputs(self.rng)
            expression = request(check, inputs)
        except Exception as exc:                 # the grader's own trouble: this task only
            why = f"grader error: {type(exc).__name__}: {exc}"[:200]
            result.messages[gid] = why
            self.notes.append(f"{why} (the tests of {gid})")
            return True
        reply, go_on = self._evaluate(gid, expression,
                                      "timeout: the code ran over the time limit on the tests")
        if reply is None:
            return go_on
        verdict = reply.get("user_expressions", {}).get("verdict", {})
        try:
            if verdict.get("status") != "ok":
                raise RuntimeError(f"{verdict.get('ename', 'Error')}: "
                                   f"{str(verdict.get('evalue', ''))[:200]}")
            outputs = decode_reply(verdict.get("data", {}).get("text/plain"))
        except RuntimeError as exc:
            result.messages[gid] = str(exc).split("\n")[0][:200]
            return True
        except (ValueError, SyntaxError, TypeError, KeyError, AttributeError):
            result.messages[gid] = "the tests' results did not come back as data"
            return True
        try:
            outcome = check.verify(inputs, outputs)
        except AssertionError as exc:
            result.verdicts.update(getattr(exc, "verdicts", {}))   # a lesson's diagnosis
            result.messages[gid] = f"AssertionError: {str(exc)[:200]}"
            return True
        except Exception as exc:
            result.messages[gid] = (f"wrong result ({type(exc).__name__} while comparing "
                                    f"it with the reference)")
            return True
        if isinstance(outcome, dict):
            result.verdicts.update(outcome)
        result.points[gid] = assignment.points[gid]
        return True

    def _evaluate(self, gid, expression, timed_out):
        """Evaluate the tests' user expression in the kernel.

        Returns (reply, None), or (None, whether grading goes on) when the kernel ran
        over the time limit or died (it is then restarted, budget allowing).
        """
        try:
            reply, _ = self._exec("", silent=True, store_history=False,
                                  user_expressions={"verdict": expression})
        except TimeoutError:
            self.result.messages[gid] = timed_out
            self.result.status = "timeout"
            return None, self._restart(f"the tests of {gid} ran longer than {self.timeout:g} s")
        except _KernelDied:
            self.result.messages[gid] = "the kernel died while the tests ran"
            return None, self._restart(f"the kernel died in the tests of {gid}")
        return reply, None

    def _numpy_only(self, task, forbidden_uses):
        """Why solution cell ``task`` breaks the NumPy-only rule ([] if it does not)."""
        cells = [c for c in self.nb.cells if c.get("cell_type") == "code"]
        solution = [c["source"] for c in cells if _gid(c) == task]
        if not solution:
            return []
        own = [c["source"] for c in cells if _gid(c) not in self.assignment.locked
               and _gid(c) != task]
        context = [c["source"] for c in cells if _gid(c) in self.assignment.locked]
        return forbidden_uses("\n".join(solution), own, context)

    def _judge_in_kernel(self, gid):
        """No checks: the instructor's cell as a user expression in the kernel.

        The verdict is then the kernel's, which the student's code could forge: the
        note says so.
        """
        assignment, result = self.assignment, self.result
        if not any("hidden tests ran inside" in n for n in self.notes):
            self.notes.append("this assignment has no grader-side checks: its hidden tests "
                              "ran inside the sandbox")
        expression = (f"__import__('builtins').exec(__import__('builtins').compile("
                      f"{assignment.tests[gid]!r}, {'<graded test ' + gid + '>'!r}, "
                      f"'exec'), globals())")
        reply, go_on = self._evaluate(gid, expression,
                                      "timeout: the hidden tests ran over the time limit")
        if reply is None:
            return go_on
        verdict = reply.get("user_expressions", {}).get("verdict", {})
        if reply.get("status") == "ok" and verdict.get("status") == "ok":
            result.points[gid] = assignment.points[gid]
        else:
            why = verdict or reply
            first = str(why.get("evalue", "")).strip().split("\n")[0]
            result.messages[gid] = (f"{why.get('ename', 'Error')}: {first}"[:200]
                                    if why else "the test did not run")
        return True


# --------------------------------------------------------------------------- the class
def _worker(assignments, options, conn):
    """A grading process: grades the jobs it is sent, one after the other, until ``None``.

    It lives for the whole run, so the grader's own imports (PyTorch, nbformat, the
    checks) are paid once per worker, not once per submission; each submission still
    gets its own sandbox, kernel and scratch folder (nothing of a submission runs here).
    """
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            try:
                result = grade_notebook(job.path, assignments[job.assignment],
                                        student=job.student, **options)
            except Exception as exc:             # the grader's own trouble: say so, go on
                result = Result(job.student, job.assignment,
                                {g: 0.0 for g in assignments[job.assignment].points},
                                assignments[job.assignment].max_total, "graded",
                                f"grader error: {type(exc).__name__}: {exc}")
            result.note = "; ".join(n for n in (job.note, result.note) if n)
            conn.send(result)
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


class _Marks:
    """``<out>/<assignment>.csv``: rows merged by student id, replaced atomically.

    The file as it was before this run is kept as ``<assignment>.csv.bak`` and every row
    that changes gets a line in ``<out>/grading.log``.  A ``not found`` never replaces
    an existing row of another status.
    """

    def __init__(self, out, assignments, feedback=None):
        self.out, self.assignments, self.feedback = pathlib.Path(out), assignments, feedback
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows, self.backed_up = {}, set()
        for name in assignments:
            self.rows[name] = self._read(name)

    def columns(self, name):
        a = self.assignments[name]
        return ["student_id", *a.points, "total", "max_total", *a.manual, "status", "note"]

    def _read(self, name):
        path = self.out / f"{name}.csv"
        if not path.exists():
            return {}
        with open(path, newline="", encoding="utf-8") as f:
            return {row["student_id"]: row for row in csv.DictReader(f)
                    if row.get("student_id")}

    def _log(self, text):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with open(self.out / "grading.log", "a", encoding="utf-8") as f:
            f.write(f"{stamp} {text}\n")

    def write(self, result):
        name = result.assignment
        a = self.assignments[name]
        row = dict(zip(self.columns(name), [
            result.student, *(f"{result.points.get(g, 0):g}" for g in a.points),
            f"{result.total:g}", f"{a.max_total:g}", *("" for _ in a.manual),
            result.status, result.note]))
        old = self.rows[name].get(result.student)
        if old is not None and result.status == "not found" and old.get("status") != "not found":
            self._log(f"{name} {result.student}: kept {old.get('total')} "
                      f"({old.get('status')}): no notebook in this run")
        elif old != row:
            for gid in a.manual:               # marks written by hand are kept
                if old is not None and old.get(gid):
                    row[gid] = old[gid]
            if old != row:
                before = (f"{old.get('total')} ({old.get('status')})" if old is not None
                          else "no row")
                self._log(f"{name} {result.student}: {before} -> {row['total']} "
                          f"({row['status']})")
                self.rows[name][result.student] = row
                self._save(name)
        if self.feedback and result.feedback:
            folder = pathlib.Path(self.feedback) / result.student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{result.assignment}.ipynb").write_text(result.feedback,
                                                               encoding="utf-8")

    def _save(self, name):
        path = self.out / f"{name}.csv"
        if name not in self.backed_up:
            if path.exists():
                shutil.copy2(path, path.with_name(path.name + ".bak"))
            self.backed_up.add(name)
        columns = self.columns(name)
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, columns, extrasaction="ignore", restval="")
        writer.writeheader()
        for student in sorted(self.rows[name]):
            writer.writerow(self.rows[name][student])
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{name}.", suffix=".csv")
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            f.write(text.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def grade_class(submissions, out, source_dir=SOURCES, workers=2, timeout=120, fast=True,
                feedback=None, students=(), on_result=None, trusted=False, limits=None,
                budget=None):
    """Grade every student's submission of every assignment in parallel.

    Parameters
    ----------
    submissions : path
        ``<student id>/**/*.ipynb`` below it.
    out : path
        Folder for ``<assignment>.csv`` (merged into if it exists).
    source_dir : path
        The instructor sources (read once, into memory).
    workers : int
        Submissions graded at the same time, each in its own sandbox, by as many
        worker processes that live for the whole run (the grader's imports are paid
        once per worker).
    timeout : float
        Seconds per cell.
    feedback : path, optional
        Folder for ``<student>/<assignment>.ipynb`` feedback notebooks.
    students : iterable of str
        Student ids expected (rows ``not found`` for those without a folder).
    on_result : callable, optional
        Called with each :class:`Result` as it is written.
    trusted : bool
        Grade without the bubblewrap sandbox (a lecturer's own notebooks only).
    limits : dict, optional
        Sandbox limits (see :class:`course_admin.sandbox.Sandbox`).
    budget : float, optional
        Seconds per submission (see :func:`grade_notebook`).

    Returns
    -------
    list of Result

    Raises
    ------
    SandboxUnavailable
        Before grading anyone, if ``trusted`` is False and bubblewrap cannot isolate.
    """
    from .sandbox import bwrap_works, NO_BWRAP_MESSAGE
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if not trusted and not bwrap_works():
        raise SandboxUnavailable(NO_BWRAP_MESSAGE)
    assignments = load_assignments(source_dir)
    jobs = find_submissions(submissions, assignments, students)
    handed_in = {j.assignment for j in jobs if j.path}
    for name in sorted(set(assignments) - handed_in):
        print(f"nobody handed in {name}: its marks file is left as it is", file=sys.stderr)
    jobs = [j for j in jobs if j.assignment in handed_in]
    marks = _Marks(out, assignments, feedback)
    deny = [source_dir, SOURCES, submissions, out] + ([feedback] if feedback else [])
    threads = max(1, (os.cpu_count() or 1) // workers)
    options = dict(timeout=timeout, fast=fast, deny=deny, threads=threads, trusted=trusted,
                   limits=limits, budget=budget)
    results, pending = [], [j for j in jobs if j.path]
    for job in jobs:
        if not job.path:
            result = Result(job.student, job.assignment, {}, assignments[job.assignment].max_total,
                            job.status, job.note)
            marks.write(result)
            results.append(result)
    context = multiprocessing.get_context("spawn")

    def finish(result):
        marks.write(result)
        from .checks.lessons import record             # <lesson>.verdicts.csv
        record(out, source_dir, result)
        if result.leaderboard is not None:
            from .leaderboard import record as record_leaderboard
            record_leaderboard(out, result)
        results.append(result)
        if on_result:
            on_result(result)

    def lost(job):
        return Result(job.student, job.assignment,
                      {g: 0.0 for g in assignments[job.assignment].points},
                      assignments[job.assignment].max_total, "graded",
                      "grader error: the grading process ended without a result")

    # Long-lived worker processes, each grading one submission after the other; one that
    # dies (its submission gets a "grader error" row) is replaced while work is left.
    needed = {j.assignment for j in pending}
    shipped = {name: a for name, a in assignments.items() if name in needed}
    idle, busy = [], {}                      # busy: connection -> (process, job)
    try:
        while pending or busy:
            while pending and len(idle) + len(busy) < workers:
                parent, child = context.Pipe()
                process = context.Process(target=_worker, daemon=True,
                                          args=(shipped, options, child))
                process.start()
                child.close()
                idle.append((process, parent))
            while pending and idle:
                process, conn = idle.pop()
                job = pending.pop(0)
                try:
                    conn.send(job)
                except (OSError, ValueError):
                    process.kill()
                    process.join()
                    conn.close()
                    finish(lost(job))
                    continue
                busy[conn] = (process, job)
            if not busy:
                continue
            ready = multiprocessing.connection.wait(
                list(busy) + [p.sentinel for p, _ in busy.values()])
            for conn, (process, job) in list(busy.items()):
                if conn not in ready and process.sentinel not in ready:
                    continue
                del busy[conn]
                try:
                    result = conn.recv()
                except (EOFError, OSError):
                    process.join(timeout=5)
                    conn.close()
                    finish(lost(job))
                    continue
                idle.append((process, conn))
                finish(result)
    finally:
        for process, conn in idle + [(p, c) for c, (p, _) in busy.items()]:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for process, conn in idle + [(p, c) for c, (p, _) in busy.items()]:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
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
    parser.add_argument("--trusted", action="store_true",
                        help="grade without the bubblewrap sandbox: only for notebooks you "
                             "wrote yourself")
    args = parser.parse_args(argv)
    students = (pathlib.Path(args.students).read_text().split() if args.students else ())

    def report(r):
        print(f"{r.student:20s} {r.assignment:24s} {r.total:5g}/{r.max_total:g}  {r.status}"
              f"{'  ' + r.note if r.note else ''}  ({r.seconds:.0f} s)", flush=True)

    try:
        grade_class(args.submissions, args.out, args.source_dir, args.workers, args.timeout,
                    not args.full, args.feedback, students, on_result=report,
                    trusted=args.trusted)
    except SandboxUnavailable as exc:
        print(f"refusing to grade: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
