"""Wall time and peak memory of every course notebook, each in a fresh kernel.

Binder gives a session about 2 GB of memory and a shared CPU, so each notebook must
stay under 1.5 GB peak and the whole course under 10 minutes on 2 cores.

Wall times depend on the machine. Beside each time this records the machine's speed at the
course's typical work, a float32 matrix product of two 2048x2048 matrices on ONE thread
(GFLOP/s, best of 5, measured in a fresh process just before the notebook runs), and the
time scaled to a slow laptop doing 35 GFLOP/s: ``seconds * gflops / 35``. Every notebook
must stay under 90 s at 35 GFLOP/s (tests/test_binder.py checks the recorded values).

Each notebook is executed in its own child process, which starts a fresh kernel
with nbclient.  When that child ends, ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` in
it is the peak resident memory of the kernel it started and reaped: the exact
peak, with no sampling.

Usage, from the repository root::

    python benchmarks/notebook_resources.py            # all notebooks
    python benchmarks/notebook_resources.py notebooks/02a_padding_stride_channels.ipynb

It prints a Markdown table and writes ``benchmarks/notebook_resources.json``.
"""
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "notebook_resources.json"
LIMIT_MB = 1536
REFERENCE_GFLOPS = 35.0      # a slow 2-core laptop, float32 matrix product on one thread
LIMIT_SECONDS_AT_REFERENCE = 90
MATMUL_SIZE = 2048


def run_one(path: str) -> None:
    """Execute one notebook (in this child process) and print its figures as JSON."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(pathlib.Path(path).parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # On Linux ru_maxrss is in kilobytes.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 1), "peak_mb": round(peak_mb)}))


def matmul_gflops(size=MATMUL_SIZE, repeats=5) -> float:
    """This machine's float32 ``a @ b`` speed on one thread, in GFLOP/s (best of ``repeats``).

    Runs in a fresh process, so that the thread limits are set before NumPy loads its BLAS.
    """
    code = (f"import time, numpy as np; n = {size}; rng = np.random.default_rng(0); "
            "a = rng.standard_normal((n, n), dtype=np.float32); "
            "b = rng.standard_normal((n, n), dtype=np.float32); a @ b; best = 1e9\n"
            f"for _ in range({repeats}):\n"
            "    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)\n"
            "print(2 * n ** 3 / best / 1e9)")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.strip())


def at_reference(seconds, gflops):
    """``seconds`` measured on a machine of ``gflops`` GFLOP/s, scaled to REFERENCE_GFLOPS."""
    return seconds * gflops / REFERENCE_GFLOPS


def import_baseline_mb() -> int:
    """Peak memory of a process that only imports torch, torchvision and matplotlib.

    Part of every notebook's peak; it depends on the torch build (a CUDA build maps far
    more library code than the CPU-only build Binder installs).
    """
    code = ("import resource, torch, torchvision, matplotlib.pyplot; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(int(out.stdout) / 1024)


def is_student_version(path: pathlib.Path) -> bool:
    """Student versions of assignments stop at their first stub by design; their solved
    sources in notebooks/assignments/source/ are what is measured (and run by nbval)."""
    return path.parent.name == "assignments"


def is_lesson_source(path: pathlib.Path) -> bool:
    """The instructor source of a lesson (notebooks/source/): its generated student version,
    which runs to the end (its stubs raise only when called), is what is measured."""
    return path.resolve().parent == (REPO / "notebooks" / "source").resolve()


def all_notebooks():
    return sorted(p for p in (REPO / "notebooks").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and not is_student_version(p)
                  and not is_lesson_source(p))


def main(paths):
    paths = [pathlib.Path(p).resolve() for p in paths] or all_notebooks()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.pop("_machine", None)
    for path in paths:
        name = str(path.relative_to(REPO / "notebooks"))
        gflops = matmul_gflops()
        out = subprocess.run([sys.executable, __file__, "--one", str(path)],
                             capture_output=True, text=True, cwd=REPO)
        if out.returncode != 0:
            print(f"{name}: FAILED\n{out.stderr[-3000:]}", file=sys.stderr)
            results[name] = {"seconds": None, "peak_mb": None}
            continue
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        results[name]["matmul_gflops"] = round(gflops, 1)
        results[name]["seconds_at_35_gflops"] = round(at_reference(results[name]["seconds"],
                                                                   gflops), 1)
        print(f"{name}: {results[name]}", file=sys.stderr)
    total = sum(r["seconds"] or 0 for r in results.values())
    scaled = sum(r.get("seconds_at_35_gflops") or 0 for r in results.values())
    print("| notebook | wall time | matmul speed | time at 35 GFLOP/s | peak memory |")
    print("|---|---:|---:|---:|---:|")
    for name, r in sorted(results.items()):
        print(f"| `{name}` | {r['seconds']} s | {r.get('matmul_gflops', '?')} GFLOP/s "
              f"| {r.get('seconds_at_35_gflops', '?')} s | {r['peak_mb']} MB |")
    print(f"| **whole course** | **{total:.0f} s** | | **{scaled:.0f} s** "
          f"| max {max(r['peak_mb'] or 0 for r in results.values())} MB |")
    over = [n for n, r in results.items() if r["peak_mb"] is None or r["peak_mb"] > LIMIT_MB
            or (r.get("seconds_at_35_gflops") or 0) > LIMIT_SECONDS_AT_REFERENCE]
    results["_machine"] = {"cpu_cores": len(os.sched_getaffinity(0)),
                           "machine": platform.machine(), "python": platform.python_version(),
                           "torch_import_mb": import_baseline_mb()}
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    if over:
        sys.exit(f"over {LIMIT_MB} MB, over {LIMIT_SECONDS_AT_REFERENCE} s at "
                 f"{REFERENCE_GFLOPS:g} GFLOP/s, or failed: {', '.join(over)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        run_one(sys.argv[2])
    else:
        main(sys.argv[1:])
