"""Grading a class: seconds per submission with course_admin.grade, both assignments.

    python benchmarks/bench_grading.py [--per-assignment 20] [--workers 2] [--timeout 300]
        [--modes sandbox trusted]

Makes ``2 x per-assignment`` fake submissions from the student versions (the cases of
tests/test_assignments.py in turn: solved, untouched, partly solved, with a bug,
hostile; solved ones are the slowest, they train), grades them with ``--workers``
processes, and prints the wall time per submission, each submission's own time by
assignment, and what that means for a class of 200 (400 notebooks), for each mode in
turn: ``sandbox`` (each kernel in its bubblewrap sandbox, the default) and ``trusted``
(``--trusted``: no sandbox); the ratio of the two is the sandbox's cost, measured on the
same machine minutes apart (the load average at the start of each is recorded). The
figures are written to ``benchmarks/bench_grading.json``.
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from course_admin.grade import grade_class  # noqa: E402
from test_assignments import CASES, _submission  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-assignment", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--modes", nargs="+", default=["sandbox", "trusted"],
                        choices=["sandbox", "trusted"])
    args = parser.parse_args()
    figures = {"submissions_per_mode": 2 * args.per_assignment, "workers": args.workers,
               "cores": os.cpu_count(), "modes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        submitted = pathlib.Path(tmp) / "submitted"
        for name, cases in CASES.items():
            kinds = list(cases)
            for i in range(args.per_assignment):
                kind = kinds[i % len(kinds)]
                solved, replaced, _ = cases[kind]
                folder = submitted / f"student{i:03d}"
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(_submission(f"{name}.ipynb", solved, replaced),
                               folder / f"{kind}-{name}.ipynb")
        for mode in args.modes:
            load = os.getloadavg()[0]
            start = time.perf_counter()
            results = grade_class(submitted, pathlib.Path(tmp) / f"marks-{mode}",
                                  workers=args.workers, timeout=args.timeout,
                                  trusted=mode == "trusted")
            wall = time.perf_counter() - start
            graded = [r for r in results if r.status != "not found"]
            per_submission = wall / len(graded)
            by_assignment = {name: sorted(r.seconds for r in graded if r.assignment == name)
                             for name in CASES}
            figures["modes"][mode] = {
                "submissions": len(graded), "wall_seconds": round(wall, 1),
                "wall_seconds_per_submission": round(per_submission, 2),
                "class_of_200_minutes": round(400 * per_submission / 60, 1),
                "load_average_at_start": round(load, 1),
                "load_average_at_end": round(os.getloadavg()[0], 1),
                "own_seconds": {name: {"median": round(statistics.median(t), 1),
                                       "max": round(max(t), 1)}
                                for name, t in by_assignment.items()},
            }
            print(f"{mode}: {len(graded)} submissions, {args.workers} workers on "
                  f"{os.cpu_count()} cores (load average {load:.1f} at the start): {wall:.0f} s, "
                  f"{per_submission:.1f} s per submission; a class of 200 (400 notebooks): "
                  f"{400 * per_submission / 60:.0f} minutes", flush=True)
            for name, t in by_assignment.items():
                print(f"  {name}: each submission's own time, median "
                      f"{statistics.median(t):.1f} s, longest {max(t):.1f} s")
    modes = figures["modes"]
    if "sandbox" in modes and "trusted" in modes:
        ratio = (modes["sandbox"]["wall_seconds_per_submission"]
                 / modes["trusted"]["wall_seconds_per_submission"])
        figures["sandbox_over_trusted"] = round(ratio, 2)
        print(f"sandbox / trusted: {ratio:.2f}")
    (ROOT / "benchmarks" / "bench_grading.json").write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
