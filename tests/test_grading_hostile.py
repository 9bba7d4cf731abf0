"""Hostile submissions against the sandboxed grader: one per attack class of issue 23.

A tiny assignment (``square`` and a NumPy-only ``correlate2d``, 2 points each, judged by
the grader-side checks in ``tests/hostile/hw.checks.py``) is handed in by two honest
students and one student per attack; the whole class is graded in one run (a
module-scoped fixture) with two workers, then one late student is regraded into the
same folder.  Each attack must earn no point it did not earn, change no other row,
write nothing outside its sandbox, leave no process behind, and the honest students
keep their marks.
"""
import csv
import hashlib
import pathlib
import shutil
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_admin.generate import generate
from course_admin.grade import grade_class, main as grade_main
from course_admin.sandbox import bwrap_works

pytestmark = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot sandbox here")
HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
HIDDEN = "assert square(-3.5) == 12.25"
MARKER = "hostile-4242"            # in the command line of every process an attack starts


def _meta(grade_id, **flags):
    meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3,
            "grade_id": grade_id}
    meta.update(flags)
    return {"nbgrader": meta}


def source_notebook():
    cells = [
        new_code_cell("import numpy as np\nimport cnnlib", id="setup",
                      metadata=_meta("setup", locked=True)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION hint: multiply x by itself\n"
                      "    return x * x\n    ### END SOLUTION", id="square",
                      metadata=_meta("square", solution=True)),
        new_code_cell(f"assert square(2) == 4\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n"
                      "### END HIDDEN TESTS", id="test_square",
                      metadata=_meta("test_square", grade=True, locked=True, points=2)),
        new_code_cell("def correlate2d(x, k):\n    ### BEGIN SOLUTION hint: sum of windows\n"
                      "    from numpy.lib.stride_tricks import sliding_window_view\n"
                      "    return np.einsum('ijuv,uv->ij', sliding_window_view(x, k.shape), k)\n"
                      "    ### END SOLUTION", id="correlate2d",
                      metadata=_meta("correlate2d", solution=True)),
        new_code_cell("assert correlate2d(np.ones((3, 3)), np.ones((2, 2))).shape == (2, 2)",
                      id="test_corr", metadata=_meta("test_corr", grade=True, locked=True,
                                                     points=2)),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", id="why",
                          metadata=_meta("why", grade=True, solution=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


SOLVED_SQUARE = "def square(x):\n    return x * x"
SOLVED_CORR = ("def correlate2d(x, k):\n    H, W = x.shape[0] - k.shape[0] + 1, "
               "x.shape[1] - k.shape[1] + 1\n"
               "    return np.array([[np.sum(x[i:i + k.shape[0], j:j + k.shape[1]] * k)"
               " for j in range(W)] for i in range(H)])")


def _student(course, square=None, corr=None, before=(), after=()):
    nb = nbformat.read(course / "hw.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "square" and square:
            cell.source = square
        if gid == "correlate2d" and corr:
            cell.source = corr
    for i, code in enumerate(before):
        nb.cells.insert(1 + i, new_code_cell(code, id=f"before-{i}"))
    for i, code in enumerate(after):
        nb.cells.append(new_code_cell(code, id=f"after-{i}"))
    return nb


def _digest(folder, skip=()):
    folder = pathlib.Path(folder)
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()
            and not any(part in skip for part in p.relative_to(folder).parts)}


def _attacks(course, tmp):
    """{student: (notebook, extra files, expected points {task: points}, expected status)}."""
    source = course / "source" / "hw.ipynb"
    marks = tmp / "marks" / "hw.csv"
    host_marker = tmp / "written-by-a-submission"
    full = {"test_square": 2, "test_corr": 2}
    none = {"test_square": 0, "test_corr": 0}
    popen = "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.popen.restype = ctypes.c_void_p\n"
    a = {
        "honest_a": (_student(course, SOLVED_SQUARE, SOLVED_CORR), {}, full, "graded"),
        "honest_b": (_student(course, SOLVED_SQUARE, SOLVED_CORR), {}, full, "graded"),
        "stubs": (_student(course), {}, none, "graded"),
        # The verdict used to run in the student's globals: without exec, it ran nothing.
        "builtins": (_student(course, before=[
            "import builtins\nbuiltins.exec = lambda *a, **k: None\n"
            "builtins.compile = lambda *a, **k: None\n"
            "globals()['__builtins__'] = {'print': print}"]), {}, none, ("graded", "timeout")),
        # Asserts that always pass, with wrong code.
        "asserts": (_student(course, "def square(x):\n    return 2 * x",
                             "def correlate2d(x, k):\n    return x[:2, :2]", before=[
                                 "import numpy.testing as t, unittest\n"
                                 "t.assert_allclose = t.assert_array_equal = lambda *a, **k: None\n"
                                 "get_ipython().set_custom_exc((BaseException,), "
                                 "lambda *a, **k: None)"]), {}, none, "graded"),
        # A reply forged for every user expression: it cannot know the fresh inputs.
        "forged_reply": (_student(course, before=[
            "import json\nshell = get_ipython()\n"
            "fake = json.dumps({'ok': {'__array__': True, 'dtype': '<f8', 'shape': [1], "
            "'data': 'AAAAAAAA8D8='}})\n"
            "shell.user_expressions = lambda expressions: {k: {'status': 'ok', 'data': "
            "{'text/plain': repr(fake)}, 'metadata': {}} for k in expressions}"]), {}, none,
            "graded"),
        # Another kernel's connection file, anywhere it could be.
        "peer_kernel": (_student(course, after=[
            "import glob, os\npeers = []\nfor pattern in ('/tmp/**/*.json', '/run/**/*.json', "
            "'/home/**/*.json', '/proc/*/root/run/**/*.json', '/root/**/*.json'):\n"
            "    try:\n        peers += [p for p in glob.glob(pattern, recursive=True)\n"
            "                  if 'connection' in p or 'kernel' in p]\n"
            "    except OSError:\n        pass\n"
            "own = '/run/kernel/connection.json'\n"
            "peers = [p for p in peers if not os.path.samefile(p, own)]\n"
            "print('PEERS', len(peers), peers)"]), {}, none, "graded"),
        # Native reads and writes: torch.from_file, torch.save, ctypes.
        "native_io": (_student(course, after=[
            f"import torch\ntry:\n    t = torch.from_file({str(marks)!r}, shared=True, size=64, "
            f"dtype=torch.uint8)\n    t.fill_(48)\nexcept Exception as e:\n    print('no', e)",
            f"import torch\ntry:\n    print(bytes(torch.from_file({str(source)!r}, size=2000, "
            f"dtype=torch.uint8).tolist()))\nexcept Exception as e:\n    print('no', e)",
            f"import torch\ntry:\n    torch.save({{}}, {str(host_marker)!r})\n"
            f"except Exception as e:\n    print('no', e)",
            popen + f"libc.popen(b'echo forged >> {marks}; cat {source} > /dev/null', b'r')",
        ]), {}, none, "graded"),
        # The repository's history (the hidden tests of the shipped assignments are in it).
        "git": (_student(course, after=[
            f"import os, zlib\nfor root in ({str(REPO)!r}, '/work/main', '/work'):\n"
            f"    for name in ('.git/HEAD', '.git'):\n"
            f"        p = os.path.join(root, name)\n"
            f"        if os.path.exists(p):\n"
            f"            print('FO' + 'UND', p)\n"
            f"if os.path.exists({str(source)!r}):\n    print('FO' + 'UND source')"]), {}, none,
            "graded"),
        # Code that runs before the grader: IPython start-up files, a module named like
        # one of ipykernel's imports; both try to forge a row and to read the source.
        "preguard": (_student(course), {
            "comm.py": f"open({str(marks)!r}, 'a').write('preguard,2,2,4,4,,graded,\\n')\n"
                       f"open({str(host_marker)!r}, 'w').write(open({str(source)!r}).read())\n"
                       "import builtins\nbuiltins.exec = lambda *a, **k: None\n",
            ".ipython/profile_default/startup/00-forge.py":
                f"open({str(host_marker)!r}, 'w').write('startup ran')\n",
            "ipython_config.py": f"open({str(host_marker)!r}, 'w').write('config ran')\n",
        }, none, "graded"),
        # A detached process in a session of its own, meant to outlive grading.
        "detached": (_student(course, SOLVED_SQUARE, after=[
            popen + f"libc.popen(b'setsid sh -c \"sleep 300; echo {MARKER} >> {marks}\" "
                    f"> /dev/null 2>&1 &', b'r')\nimport time\ntime.sleep(1)"]), {},
            {"test_square": 2, "test_corr": 0}, "graded"),
        # Memory: 3 GB touched; the kernel dies, a new one replays, the rest is graded.
        "memory_bomb": (_student(course, SOLVED_SQUARE, SOLVED_CORR, after=[
            "import numpy as np\nx = np.ones(3 * 2 ** 30 // 8)\nprint(x.sum())"]), {}, full,
            "graded"),
        # Processes: 500 sleepers started from native code.
        "fork_bomb": (_student(course, SOLVED_SQUARE, SOLVED_CORR, after=[
            popen + f"libc.popen(b'for i in $(seq 500); do sh -c \"sleep 300 {MARKER}\" & "
                    f"done; wait', b'r')\nimport time\ntime.sleep(2)"]), {}, full, "graded"),
        # Disk: 1 GB written to the scratch folder and to /tmp.
        "disk_fill": (_student(course, SOLVED_SQUARE, SOLVED_CORR, after=[
            "import os\nfor path in ('big', '/tmp/big', '/dev/shm/big'):\n    try:\n"
            "        with open(path, 'wb') as f:\n            for _ in range(1024):\n"
            "                f.write(b'0' * 2 ** 20)\n    except OSError as e:\n"
            "        print('stopped', path, type(e).__name__)"]), {}, full, "graded"),
        # The NumPy-only task handed to the library.
        "delegation": (_student(course, SOLVED_SQUARE,
                                "correlate2d = lambda x, k: cnnlib.conv2d(x[None, None], "
                                "k[None, None])[0, 0]"), {},
                       {"test_square": 2, "test_corr": 0}, "graded"),
        # The first task loops for ever; the second is right and must keep its points.
        "endless_first_task": (_student(course, "def square(x):\n    while True:\n"
                                        "        pass", SOLVED_CORR), {},
                               {"test_square": 0, "test_corr": 2}, "timeout"),
    }
    # Metadata of the wrong types: every grade_id a list, or the nbgrader field a string.
    lists = _student(course, SOLVED_SQUARE, SOLVED_CORR)
    for cell in lists.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["grade_id"] = [meta["grade_id"]]
    a["grade_id_list"] = (lists, {}, None, "malformed")
    one_bad = _student(course, SOLVED_SQUARE, SOLVED_CORR)
    one_bad.cells[2].metadata["nbgrader"] = "test_square"
    a["one_cell_malformed"] = (one_bad, {}, {"test_square": 0, "test_corr": 2}, "graded")
    return a


def _write(root, student, nb, files):
    folder = root / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hw.ipynb"
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _leftovers():
    """Processes an attack started (their command line names the marker)."""
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if MARKER in " ".join(p.info["cmdline"] or [])]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    nbformat.write(source_notebook(), course / "source" / "hw.ipynb")
    shutil.copy(HERE / "hostile" / "hw.checks.py", course / "source" / "hw.checks.py")
    # A second assignment nobody hands in: its marks file must stay as it is.
    other = source_notebook()
    for cell in other.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["grade_id"] = "b_" + meta["grade_id"]
    nbformat.write(other, course / "source" / "hw2.ipynb")
    generate(course / "source")
    attacks = _attacks(course, tmp)
    submitted = tmp / "submitted"
    for student, (nb, files, _, _) in attacks.items():
        _write(submitted, student, nb, files)
    _write(submitted, "not_a_notebook", "[1, 2, 3]", {})
    (tmp / "marks").mkdir()
    (tmp / "marks" / "hw2.csv").write_text("student_id,b_test_square,total\nann,2,2\n")
    before = _digest(tmp, skip=("marks", "feedback"))
    start = time.monotonic()
    results = grade_class(submitted, tmp / "marks", course / "source", workers=2, timeout=15,
                          feedback=tmp / "feedback", limits={"memory_mb": 1024,
                                                             "scratch_mb": 64})
    seconds = time.monotonic() - start
    after = _digest(tmp, skip=("marks", "feedback"))
    leftovers = _leftovers()
    with open(tmp / "marks" / "hw.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return dict(tmp=tmp, course=course, attacks=attacks, results=results, rows=rows,
                before=before, after=after, leftovers=leftovers, seconds=seconds)


def _attack_names():
    return ["honest_a", "honest_b", "stubs", "builtins", "asserts", "forged_reply",
            "peer_kernel", "native_io", "git", "preguard", "detached", "memory_bomb",
            "fork_bomb", "disk_fill", "delegation", "endless_first_task", "grade_id_list",
            "one_cell_malformed"]


@pytest.mark.parametrize("student", _attack_names())
def test_each_submission_gets_exactly_the_points_it_earned(graded, student):
    _, _, expected, status = graded["attacks"][student]
    row = graded["rows"][student]
    assert row["status"] in ((status,) if isinstance(status, str) else status), row
    if expected is None:
        assert row["total"] == "0", row
    else:
        assert {t: float(row[t]) for t in expected} == {t: float(v) for t, v in
                                                        expected.items()}, row
        assert float(row["total"]) == sum(expected.values()), row


def test_honest_students_keep_their_marks_and_the_csv_has_one_row_each(graded):
    rows = graded["rows"]
    assert rows["honest_a"]["total"] == rows["honest_b"]["total"] == "4"
    assert sorted(rows) == sorted(_attack_names() + ["not_a_notebook"])
    assert rows["not_a_notebook"]["status"] == "unreadable"
    text = (graded["tmp"] / "marks" / "hw.csv").read_text()
    assert "forged" not in text.splitlines() and "preguard,2,2" not in text
    assert MARKER not in text


def test_nothing_is_written_outside_the_sandboxes(graded):
    assert graded["after"] == graded["before"]
    assert not (graded["tmp"] / "written-by-a-submission").exists()


def test_no_process_is_left_behind(graded):
    assert graded["leftovers"] == []
    time.sleep(1)
    assert _leftovers() == []
    groups = [p for p in pathlib.Path("/sys/fs/cgroup").glob("*/course-grader/*") if p.is_dir()]
    groups += [p for p in pathlib.Path("/sys/fs/cgroup").glob("course-grader/*") if p.is_dir()]
    # Other people's grading may run on the same machine: a process whose sandbox is
    # still served by a live grader (a python ancestor) is theirs; one of ours left
    # behind would have lost its grader (every worker of this run has ended).
    assert [g for g in groups if any(_orphaned(int(pid)) for pid in
                                     (g / "cgroup.procs").read_text().split())] == []


def _orphaned(pid):
    try:
        parents = psutil.Process(pid).parents()
    except psutil.Error:                   # gone meanwhile
        return False
    return not any(p.name().startswith("python") for p in parents)


def _feedback(graded, student):
    return (graded["tmp"] / "feedback" / student / "hw.ipynb").read_text()


def test_no_peer_kernel_no_repository_no_instructor_source_is_reachable(graded):
    assert "PEERS 0 []" in _feedback(graded, "peer_kernel")
    assert "FOUND" not in _feedback(graded, "git")
    for student in ("native_io", "git", "preguard", "peer_kernel"):
        text = _feedback(graded, student)
        assert HIDDEN not in text and "BEGIN HIDDEN" not in text


def test_the_resource_bombs_are_bounded_and_cost_only_their_cell(graded):
    rows = graded["rows"]
    assert "kernel died" in rows["memory_bomb"]["note"]
    disk = _feedback(graded, "disk_fill")
    for path in ("big", "/tmp/big", "/dev/shm/big"):
        assert f"stopped {path} " in disk
    assert "ran longer than the limit of 15 s" in rows["endless_first_task"]["note"]


def test_delegation_scores_zero_with_a_note(graded):
    fb = _feedback(graded, "delegation")
    assert "must be written with NumPy only" in fb and "uses cnnlib" in fb


def test_feedback_holds_no_hidden_test(graded):
    for student in _attack_names():
        text = _feedback(graded, student) if student != "grade_id_list" else ""
        assert HIDDEN not in text and "-3.5" not in text


def test_malformed_metadata_gets_its_own_row_and_status(graded):
    rows = graded["rows"]
    assert rows["grade_id_list"]["status"] == "malformed"
    assert "grade_id is a list" in rows["grade_id_list"]["note"]
    assert "wrong type" in rows["one_cell_malformed"]["note"]


def test_an_assignment_nobody_handed_in_keeps_its_marks_file(graded):
    assert (graded["tmp"] / "marks" / "hw2.csv").read_text() == (
        "student_id,b_test_square,total\nann,2,2\n")


def test_regrading_one_student_into_the_same_out_changes_that_row_only(graded, tmp_path):
    marks = graded["tmp"] / "marks"
    rows_before = graded["rows"]
    late = tmp_path / "late"
    _write(late, "stubs", _student(graded["course"], SOLVED_SQUARE), {})
    code = grade_main([str(late), "--out", str(marks), "--source-dir",
                       str(graded["course"] / "source"), "--workers", "1", "--timeout", "15"])
    assert code == 0
    with open(marks / "hw.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(rows_before)
    assert rows["stubs"]["total"] == "2"
    assert {s: r for s, r in rows.items() if s != "stubs"} == {
        s: r for s, r in rows_before.items() if s != "stubs"}
    assert (marks / "hw.csv.bak").exists()
    log = (marks / "grading.log").read_text().splitlines()
    assert log[-1].endswith("hw stubs: 0 (graded) -> 2 (graded)")


def test_without_bubblewrap_untrusted_grading_is_refused(tmp_path, monkeypatch, capsys):
    import course_admin.sandbox as sandbox
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    (tmp_path / "sub").mkdir()
    code = grade_main([str(tmp_path / "sub"), "--out", str(tmp_path / "marks")])
    assert code == 2
    err = capsys.readouterr().err
    assert "refusing to grade" in err and "--trusted" in err and "bubblewrap" in err
    assert not (tmp_path / "marks").exists()


def test_the_class_is_graded_in_a_few_minutes(graded):
    # 19 submissions, 2 workers; about 4.5 minutes at a load average of 10 on 2 cores
    assert graded["seconds"] < 420, graded["seconds"]
