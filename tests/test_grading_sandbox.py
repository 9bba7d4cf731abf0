"""The grader's sandbox and marks file, quickly: each property on a one-line command.

``course_admin.sandbox.Sandbox`` runs a short Python command instead of the kernel (same
mounts, namespaces and limits), so each isolation property costs a second; the marks
file's merge is tested without any kernel.  The whole story, with real kernels and one
hostile submission per attack, is tests/test_grading_hostile.py.
"""
import csv
import os
import pathlib
import sys
import time

import psutil
import pytest

from course_admin.grade import Assignment, Result, _Marks
from course_admin.sandbox import Sandbox, bwrap_works

REPO = pathlib.Path(__file__).resolve().parent.parent
needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap cannot sandbox here")


def _run(tmp_path, code, timeout=60, **limits):
    """Run ``code`` in a sandbox over ``tmp_path/sub``; return (exit code, stdout)."""
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "mine.txt").write_text("handed in")
    box = Sandbox(sub, {"PATH": "/usr/bin:/bin", "HOME": "/home/student"}, **limits)
    box.start([sys.executable, "-I", "-c", code])
    try:
        out, _ = box.process.communicate(timeout=timeout)
        return box.process.returncode, out.decode()
    finally:
        box.stop()


NAMESPACES = ("net", "pid", "ipc", "user", "uts", "mnt")


@needs_bwrap
def test_own_namespaces_so_no_network_and_no_other_process(tmp_path):
    code, out = _run(tmp_path, "import os\nprint(' '.join(os.readlink('/proc/self/ns/' + n) "
                               f"for n in {NAMESPACES!r}))\n"
                               "print(sorted(l.split(':')[0].strip() for l in "
                               "open('/proc/net/dev').readlines()[2:]))")
    inside, interfaces = out.split("\n")[:2]
    outside = [os.readlink(f"/proc/self/ns/{n}") for n in NAMESPACES]
    assert code == 0 and interfaces == "['lo']"
    assert [a == b for a, b in zip(inside.split(), outside)] == [False] * len(NAMESPACES)


@needs_bwrap
def test_nothing_of_the_repository_or_the_machine_is_mounted(tmp_path):
    # (the virtual environment's own folder is mounted, and so its parents exist)
    paths = [str(REPO / ".git"), str(REPO / "course_admin"), str(REPO / "notebooks"),
             os.path.expanduser("~/.ssh"), str(tmp_path),
             "/etc/passwd", "/home/student/.ipython"]
    code, out = _run(tmp_path, f"import os\nprint([p for p in {paths!r} if os.path.exists(p)])\n"
                               "print(sorted(os.listdir('/submission')))")
    assert code == 0 and out.split("\n")[:2] == ["[]", "['mine.txt']"]


@needs_bwrap
def test_own_pid_and_user_namespace_and_read_only_library(tmp_path):
    code, out = _run(tmp_path, "import os\nprint(len([p for p in os.listdir('/proc') "
                               "if p.isdigit()]), open('/proc/self/uid_map').read().split())\n"
                               "try:\n    open('/opt/course/cnnlib/x', 'w')\n"
                               "except OSError as e:\n    print(type(e).__name__)\n"
                               "print(os.path.exists('/opt/course/cnnlib/conv.py'))")
    lines = out.split("\n")
    assert code == 0 and int(lines[0].split()[0]) <= 3 and "'1']" in lines[0]
    assert lines[1] == "OSError" and lines[2] == "True"


@needs_bwrap
def test_scratch_and_files_are_size_capped(tmp_path):
    code, out = _run(tmp_path, "import os\nfor path in ('/scratch/big', '/tmp/big'):\n"
                               "    try:\n        with open(path, 'wb') as f:\n"
                               "            for _ in range(64):\n"
                               "                f.write(b'0' * 2 ** 20)\n"
                               "        print('wrote', path)\n"
                               "    except OSError as e:\n        print('stopped', path)",
                     scratch_mb=16, file_mb=128)
    assert code == 0 and out.split() == ["stopped", "/scratch/big", "stopped", "/tmp/big"]


@needs_bwrap
def test_stop_kills_a_detached_process_and_processes_are_limited(tmp_path):
    marker = f"sleep {4000 + os.getpid() % 1000}"
    sub = tmp_path / "sub"
    sub.mkdir()
    box = Sandbox(sub, {"PATH": "/usr/bin:/bin"}, processes=20)
    box.start([sys.executable, "-I", "-c",
               "import subprocess, time\n"
               f"subprocess.Popen(['setsid', 'sh', '-c', '{marker}; true'])\n"
               "started = 0\nfor _ in range(60):\n    try:\n"
               "        subprocess.Popen(['sleep', '100'])\n        started += 1\n"
               "    except OSError:\n        pass\n"
               "print(started, flush=True)\ntime.sleep(100)"])
    try:
        started = int(box.process.stdout.readline())
        assert 10 < started < 20
        if box.cgroup is not None:
            assert len(box.cgroup.pids()) <= 20
        assert any(marker in " ".join(p.info["cmdline"] or [])
                   for p in psutil.process_iter(["cmdline"]))
    finally:
        box.stop()
    time.sleep(0.5)
    assert not any(marker in " ".join(p.info["cmdline"] or [])
                   for p in psutil.process_iter(["cmdline"]))


# --------------------------------------------------------------------------- the marks file
def _assignment():
    return Assignment("hw", None, {"t1": ""}, {"t1": 2.0}, {"why": 1.0}, {}, [])


def _rows(path):
    with open(path, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_marks_are_merged_by_student_id_with_a_backup_and_a_log(tmp_path):
    a = _assignment()
    marks = _Marks(tmp_path, {"hw": a})
    for student, points in (("ann", 2.0), ("bob", 0.0)):
        marks.write(Result(student, "hw", {"t1": points}, 2.0))
    first = (tmp_path / "hw.csv").read_text()
    # a later run: one student regraded, one not found, a written answer marked by hand
    rows = _rows(tmp_path / "hw.csv")
    rows["ann"]["why"] = "1"
    with open(tmp_path / "hw.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows["ann"]))
        writer.writeheader()
        writer.writerows(rows.values())
    marks = _Marks(tmp_path, {"hw": a})
    marks.write(Result("bob", "hw", {"t1": 2.0}, 2.0))
    marks.write(Result("ann", "hw", {}, 2.0, "not found", "no notebook"))
    marks.write(Result("ann", "hw", {"t1": 2.0}, 2.0))
    after = _rows(tmp_path / "hw.csv")
    assert {s: (r["total"], r["status"], r["why"]) for s, r in after.items()} == {
        "ann": ("2", "graded", "1"), "bob": ("2", "graded", "")}
    assert (tmp_path / "hw.csv.bak").read_text() != first        # the file as this run found it
    assert _rows(tmp_path / "hw.csv.bak")["bob"]["total"] == "0"
    log = (tmp_path / "grading.log").read_text().splitlines()
    assert log[-2].endswith("hw bob: 0 (graded) -> 2 (graded)")
    assert log[-1].endswith("hw ann: kept 2 (graded): no notebook in this run")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hw.")]   # no temp file
