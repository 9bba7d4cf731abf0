"""Grading a class: seconds per submission with course_admin.grade, both assignments.

    python benchmarks/bench_grading.py [--per-assignment 20] [--workers 2] [--timeout 300]
        [--modes sandbox trusted] [--rounds 1] [--against OTHER_CHECKOUT] [--json PATH]

Makes ``2 x per-assignment`` fake submissions from the student versions (the cases of
tests/test_assignments.py in turn: solved, untouched, partly solved, with a bug,
hostile; solved ones are the slowest, they train), grades them with ``--workers``
workers, and prints the wall time per submission, each submission's own time by
assignment, and what that means for a class of 200 (400 notebooks), for each mode in
turn: ``sandbox`` (each kernel in its bubblewrap sandbox, the default) and ``trusted``
(``--trusted``: no sandbox); the ratio of the two is the sandbox's cost.

Every run is a fresh ``python`` process calling ``grade_class`` of a checkout (its own
imports included, as with ``python -m course_admin.grade``).  With ``--against`` (another
checkout of the course, e.g. ``git worktree add ../old <commit>``), the same
submissions are also graded by that checkout's grader, in paired runs whose order
alternates from round to round (old, new, then new, old, ...), so that a busy spell of
the shared machine falls on each in turn; printed: each run's seconds per submission
with the load average at its start, and the per-round ratios new / old and sandbox /
trusted with their medians.  The figures go to ``--json`` (default
``benchmarks/bench_grading.json``).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_assignments import CASES, _submission  # noqa: E402

RUN = """
import json, sys, time
from course_admin.grade import grade_class
submitted, out, workers, timeout, trusted = sys.argv[1:6]
start = time.perf_counter()
results = grade_class(submitted, out, workers=int(workers), timeout=float(timeout),
                      trusted=trusted == "1")
wall = time.perf_counter() - start
graded = [r for r in results if r.status != "not found"]
print("RESULT " + json.dumps({"wall": wall, "graded": len(graded),
                              "seconds": [[r.assignment, r.seconds] for r in graded],
                              "totals": sorted([r.student, r.assignment, r.total]
                                               for r in graded)}))
"""


def run(checkout, submitted, out, mode, args):
    """Grade ``submitted`` with the grader of ``checkout`` in a new process: figures."""
    load = os.getloadavg()[0]
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, "-c", RUN, str(submitted), str(out),
                           str(args.workers), str(args.timeout), "1" if mode == "trusted" else "0"],
                          cwd=checkout, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"grading with {checkout} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    per_submission = result["wall"] / result["graded"]
    by_assignment = {name: sorted(s for a, s in result["seconds"] if a == name) for name in CASES}
    return {"submissions": result["graded"], "wall_seconds": round(result["wall"], 1),
            "wall_seconds_per_submission": round(per_submission, 2),
            "class_of_200_minutes": round(400 * per_submission / 60, 1),
            "load_average_at_start": round(load, 1),
            "load_average_at_end": round(os.getloadavg()[0], 1),
            "own_seconds": {name: {"median": round(statistics.median(t), 1),
                                   "max": round(max(t), 1)}
                            for name, t in by_assignment.items() if t},
            "totals": result["totals"]}


def main():
    """Make the submissions, grade them in every run asked for, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-assignment", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--modes", nargs="+", default=["sandbox", "trusted"],
                        choices=["sandbox", "trusted"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", default=None,
                        help="another checkout whose grader grades the same submissions")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "bench_grading.json"))
    args = parser.parse_args()
    graders = {"new": ROOT}
    if args.against:
        graders = {"old": pathlib.Path(args.against).resolve(), "new": ROOT}
    figures = {"submissions_per_run": 2 * args.per_assignment, "workers": args.workers,
               "cores": os.cpu_count(), "graders": {k: str(v) for k, v in graders.items()},
               "runs": []}
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
        for r in range(args.rounds):
            for mode in args.modes:
                order = list(graders) if r % 2 == 0 else list(graders)[::-1]
                for label in order:
                    out = pathlib.Path(tmp) / f"marks-{r}-{mode}-{label}"
                    fig = run(graders[label], submitted, out, mode, args)
                    fig.update(round=r + 1, mode=mode, grader=label)
                    figures["runs"].append(fig)
                    print(f"round {r + 1}, {mode}, {label}: {fig['submissions']} submissions, "
                          f"{args.workers} workers on {os.cpu_count()} cores (load average "
                          f"{fig['load_average_at_start']:.1f} at the start): "
                          f"{fig['wall_seconds']:.0f} s, {fig['wall_seconds_per_submission']:.2f}"
                          f" s per submission; a class of 200 (400 notebooks): "
                          f"{fig['class_of_200_minutes']:.0f} minutes", flush=True)
                    for name, own in fig["own_seconds"].items():
                        print(f"  {name}: each submission's own time, median {own['median']} s,"
                              f" longest {own['max']} s")
    runs = figures["runs"]

    def per(r, mode, label):
        (fig,) = [f for f in runs if (f["round"], f["mode"], f["grader"]) == (r, mode, label)]
        return fig["wall_seconds_per_submission"]

    rounds = range(1, args.rounds + 1)
    summary = {}
    if args.against:
        for mode in args.modes:
            ratios = [per(r, mode, "new") / per(r, mode, "old") for r in rounds]
            summary[f"new_over_old_{mode}"] = [round(x, 2) for x in ratios]
            print(f"new / old, {mode}: " + ", ".join(f"{x:.2f}" for x in ratios)
                  + f" (median {statistics.median(ratios):.2f})")
    if {"sandbox", "trusted"} <= set(args.modes):
        for label in graders:
            ratios = [per(r, "sandbox", label) / per(r, "trusted", label) for r in rounds]
            summary[f"sandbox_over_trusted_{label}"] = [round(x, 2) for x in ratios]
            print(f"sandbox / trusted, {label}: " + ", ".join(f"{x:.2f}" for x in ratios)
                  + f" (median {statistics.median(ratios):.2f})")
    for mode in args.modes:
        for label in graders:
            quiet = min((f for f in runs if (f["mode"], f["grader"]) == (mode, label)),
                        key=lambda f: f["load_average_at_start"])
            summary[f"least_loaded_{mode}_{label}"] = {
                k: quiet[k] for k in ("wall_seconds_per_submission", "class_of_200_minutes",
                                      "load_average_at_start", "load_average_at_end")}
            print(f"least loaded run, {mode}, {label}: {quiet['wall_seconds_per_submission']:.2f}"
                  f" s per submission at a load average of {quiet['load_average_at_start']:.1f}"
                  f": a class of 200 in {quiet['class_of_200_minutes']:.0f} minutes")
    figures["summary"] = summary
    pathlib.Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
