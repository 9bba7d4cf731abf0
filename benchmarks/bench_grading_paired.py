"""The class grader against the grader it replaced: interleaved paired runs, ratios.

    python benchmarks/bench_grading_paired.py [--rounds 3] [--old-commit 8f81774]

The same submissions (per assignment: solved, untouched, partly solved) are graded in
each round by

* ``old``: the earlier ``cnnlib.grading.grade`` (taken from git at ``--old-commit``),
  one notebook after the other in the grader's own process;
* ``new x1``: ``course_admin.grade.grade_class`` with one worker;
* ``new x2``: the same with two workers;

in an order that rotates from round to round, so that a busy spell of the shared
machine falls on each of them in turn. Printed: the wall time per submission of each
run and the per-round ratios old / new x1 and new x1 / new x2, with their medians.
"""
import argparse
import importlib.util
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from course_admin.generate import SOURCES  # noqa: E402
from course_admin.grade import grade_class  # noqa: E402
from test_assignments import CASES, _submission  # noqa: E402

KINDS = ("solved", "untouched")


def _old_grader(commit, folder):
    path = pathlib.Path(folder) / "old_grading.py"
    path.write_text(subprocess.run(["git", "show", f"{commit}:cnnlib/grading.py"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout)
    spec = importlib.util.spec_from_file_location("old_grading", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_grading"] = module          # its dataclasses look themselves up here
    spec.loader.exec_module(module)
    return module.grade


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old-commit", default="8f81774")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        old_grade = _old_grader(args.old_commit, tmp)
        submitted, jobs = tmp / "submitted", []
        for name, cases in CASES.items():
            partly = [k for k in cases if k not in ("solved", "untouched", "hostile")][0]
            for kind in KINDS + (partly,):
                solved, replaced, _ = cases[kind]
                path = submitted / f"{name[:2]}-{kind}" / f"{name}.ipynb"
                path.parent.mkdir(parents=True)
                nbformat.write(_submission(f"{name}.ipynb", solved, replaced), path)
                jobs.append((path, SOURCES / f"{name}.ipynb"))

        def old():
            for path, source in jobs:
                old_grade(path, source, timeout=300)

        def new(workers):
            return lambda: grade_class(submitted, tmp / f"marks{workers}", workers=workers,
                                       timeout=300)

        runs = {"old": old, "new x1": new(1), "new x2": new(2)}
        names, times = list(runs), {name: [] for name in runs}
        for r in range(args.rounds):
            for name in names[r % 3:] + names[:r % 3]:
                start = time.perf_counter()
                runs[name]()
                times[name].append((time.perf_counter() - start) / len(jobs))
            print(f"round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.1f} s" for n in names)
                  + " per submission", flush=True)
    old_new = [o / n for o, n in zip(times["old"], times["new x1"])]
    one_two = [a / b for a, b in zip(times["new x1"], times["new x2"])]
    print(f"{len(jobs)} submissions a run, {args.rounds} rounds")
    print(f"old / new x1: {', '.join(f'{x:.2f}' for x in old_new)}; "
          f"median {statistics.median(old_new):.2f}")
    print(f"new x1 / new x2: {', '.join(f'{x:.2f}' for x in one_two)}; "
          f"median {statistics.median(one_two):.2f}")


if __name__ == "__main__":
    main()
