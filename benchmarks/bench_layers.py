"""cnnlib's NumPy layers against PyTorch on the CPU: every row of the speed table, one script.

For each layer (float32, issue 12's shapes) the script times cnnlib and PyTorch in paired,
interleaved rounds: in every round each contender runs a batch of calls lasting at least
``--min-ms`` (alternating who goes first), and the round's ratio is cnnlib's time over
PyTorch's.  The table gives the median of those paired ratios, so load from other jobs on
a shared machine hits both sides of a pair alike.  "forward + backward" is the forward and
every gradient a training step needs (no input gradient for a network's first layer, as
PyTorch skips it there too); cnnlib reuses the forward's im2col columns through
``conv2d(..., cache=...)`` where the layer allows it.

The share of the matmul peak is the convolution's multiply-adds (2 * N * C_out * H_out *
W_out * C_in/groups * kH * kW floating-point operations) per second over the speed of a
large float32 NumPy matrix product in the same process, the most this machine's BLAS
delivers.

Each thread count runs in its own process (NumPy's BLAS and torch both limited to it):
mixing thread counts in one process skews the one-thread figures.  The results go to
``benchmarks/bench_layers.json`` under ``--label`` (other labels are kept, so a run of the
old code labelled "before" and one of the new code labelled "after" sit side by side), and
the table between the markers in ``benchmarks/README.md`` is regenerated from that file.

The peak memory of one large convolution (1x64x512x512, 64 kernels 3x3, padding 1) is
measured too, each contender in a fresh process (the growth of the peak resident set
size over the process after imports and inputs).

Run from the repository root:
    python benchmarks/bench_layers.py [--label after] [--threads 1 2] [--rounds 21]
"""
import argparse
import datetime
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
JSON_PATH = HERE / "bench_layers.json"
README = HERE / "README.md"
BEGIN, END = "<!-- bench_layers: begin -->", "<!-- bench_layers: end -->"

# name, (N, C_in, H = W), conv: (C_out, kernel, stride, padding, groups, first layer)
CONVS = [
    ("LeNet conv1 (N=128, 1->6, 28x28, k5, pad 2)", (128, 1, 28), (6, 5, 1, 2, 1, True)),
    ("LeNet conv2 (N=128, 6->16, 14x14, k5)", (128, 6, 14), (16, 5, 1, 0, 1, False)),
    ("VGG block (N=8, 64->64, 56x56, k3, pad 1)", (8, 64, 56), (64, 3, 1, 1, 1, False)),
    ("ResNet stem (N=8, 3->64, 224x224, k7, s2, pad 3)", (8, 3, 224), (64, 7, 2, 3, 1, True)),
    ("depthwise 3x3 (N=8, 64 ch, 56x56, groups=64)", (8, 64, 56), (64, 3, 1, 1, 64, False)),
]
# name, (N, C, H = W), kind; 2x2 windows, stride 2
POOLS = [
    ("max pool 2x2, LeNet (N=128, 6 ch, 28x28)", (128, 6, 28), "max"),
    ("max pool 2x2, VGG (N=8, 64 ch, 112x112)", (8, 64, 112), "max"),
    ("average pool 2x2, LeNet (N=128, 6 ch, 28x28)", (128, 6, 28), "avg"),
    ("average pool 2x2, VGG (N=8, 64 ch, 112x112)", (8, 64, 112), "avg"),
]
# Goals of issue 12 for one thread (cnnlib time / PyTorch time).
GOALS = {"conv": 1.3, "depthwise": 2.0, "pool": 1.0}


def batch_seconds(function, calls):
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def paired_ratio(ours, theirs, rounds, min_seconds):
    """Median over interleaved rounds of ours/theirs, and each side's median time (ms)."""
    calls = []
    for f in (ours, theirs):
        f()                                          # warm up (allocations, caches)
        one = batch_seconds(f, 1)
        calls.append(max(1, int(min_seconds / max(one, 1e-6))))
    ratios, t_ours, t_theirs = [], [], []
    for r in range(rounds):
        if r % 2:
            b = batch_seconds(theirs, calls[1])
            a = batch_seconds(ours, calls[0])
        else:
            a = batch_seconds(ours, calls[0])
            b = batch_seconds(theirs, calls[1])
        ratios.append(a / b)
        t_ours.append(a)
        t_theirs.append(b)
    return (float(np.median(ratios)), 1e3 * float(np.median(t_ours)),
            1e3 * float(np.median(t_theirs)))


def matmul_peak():
    """GFLOP/s of a large float32 NumPy matrix product (best of a few calls)."""
    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    np.matmul(a, a)
    best = min(batch_seconds(lambda: np.matmul(a, a), 3) for _ in range(5))
    return 2 * 1024 ** 3 / best / 1e9


def conv_rows(rounds, min_seconds, peak):
    import torch
    import torch.nn.functional as F

    from cnnlib import conv2d, conv2d_backward
    has_cache = "cache" in inspect.signature(conv2d).parameters
    rng = np.random.default_rng(0)
    rows = []
    for name, (n, c_in, size), (c_out, k, s, p, g, first) in CONVS:
        x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
        w = rng.standard_normal((c_out, c_in // g, k, k), dtype=np.float32) / k
        b = rng.standard_normal(c_out, dtype=np.float32)
        args = dict(stride=s, padding=p, groups=g)
        ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **args)
        dout = rng.standard_normal(ref.shape, dtype=np.float32)
        error = float(np.abs(conv2d(x, w, b, **args) - ref.numpy()).max()
                      / np.abs(ref.numpy()).max())
        tx = torch.from_numpy(x).requires_grad_(not first)
        tw = torch.from_numpy(w).requires_grad_()
        tb = torch.from_numpy(b).requires_grad_()
        tdout = torch.from_numpy(dout)

        def ours_forward():
            conv2d(x, w, b, **args)

        def torch_forward():
            with torch.no_grad():
                F.conv2d(tx, tw, tb, **args)

        def ours_step():
            cache = {} if has_cache else None
            extra = {"cache": cache} if has_cache else {}
            conv2d(x, w, b, **args, **extra)
            conv2d_backward(dout, x, w, **args, input_grad=not first, **extra)

        def torch_step():
            tw.grad = tb.grad = tx.grad = None
            F.conv2d(tx, tw, tb, **args).backward(tdout)

        flops = 2 * ref.numel() * (c_in // g) * k * k
        fwd = paired_ratio(ours_forward, torch_forward, rounds, min_seconds)
        step = paired_ratio(ours_step, torch_step, rounds, min_seconds)
        rows.append(dict(layer=name, kind="depthwise" if g > 1 else "conv", error=error,
                         forward=fwd[0], forward_ms=fwd[1:], step=step[0], step_ms=step[1:],
                         share=[flops / (t * 1e-3) / 1e9 / peak for t in fwd[1:]]))
    return rows


def pool_rows(rounds, min_seconds):
    import torch
    import torch.nn.functional as F

    from cnnlib import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
    rng = np.random.default_rng(1)
    rows = []
    for name, (n, c, size), kind in POOLS:
        x = rng.standard_normal((n, c, size, size), dtype=np.float32)
        dout = rng.standard_normal((n, c, size // 2, size // 2), dtype=np.float32)
        tx = torch.from_numpy(x).requires_grad_()
        tdout = torch.from_numpy(dout)
        if kind == "max":
            def ours_forward():
                max_pool2d(x, 2, return_indices=True)

            def ours_step():
                _, indices = max_pool2d(x, 2, return_indices=True)
                max_pool2d_backward(dout, x, 2, indices=indices)
            torch_pool = F.max_pool2d
        else:
            def ours_forward():
                avg_pool2d(x, 2)

            def ours_step():
                avg_pool2d(x, 2)
                avg_pool2d_backward(dout, x, 2)
            torch_pool = F.avg_pool2d

        def torch_forward():
            with torch.no_grad():
                torch_pool(tx, 2)

        def torch_step():
            tx.grad = None
            torch_pool(tx, 2).backward(tdout)

        fwd = paired_ratio(ours_forward, torch_forward, rounds, min_seconds)
        step = paired_ratio(ours_step, torch_step, rounds, min_seconds)
        rows.append(dict(layer=name, kind="pool", forward=fwd[0], forward_ms=fwd[1:],
                         step=step[0], step_ms=step[1:]))
    return rows


def worker(threads, rounds, min_seconds):
    """One thread count, in this process only; prints the rows as JSON."""
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads, user_api="blas"):
        first_peak = matmul_peak()
        rows = conv_rows(rounds, min_seconds, first_peak) + pool_rows(rounds, min_seconds)
        peak = max(first_peak, matmul_peak())
    for row in rows:               # shares of the larger of the two peak measurements
        if "share" in row:
            row["share"] = [s * first_peak / peak for s in row["share"]]
    print(json.dumps({"matmul_gflops": peak, "rows": rows,
                      "load_average": os.getloadavg()}))


MEMORY_SHAPE = dict(x=(1, 64, 512, 512), weight=(64, 64, 3, 3), padding=1)


def memory_worker(contender, backward):
    """Peak RSS growth (MB) of one 1x64x512x512 convolution, forward or forward + backward."""
    import torch
    import torch.nn.functional as F

    from cnnlib import conv2d, conv2d_backward
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(MEMORY_SHAPE["x"], dtype=np.float32)
    w = rng.standard_normal(MEMORY_SHAPE["weight"], dtype=np.float32)
    dout = rng.standard_normal(MEMORY_SHAPE["x"], dtype=np.float32)
    pad = MEMORY_SHAPE["padding"]
    tx, tw, tdout = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(dout)
    if contender == "torch":
        conv = F.conv2d(tx[:, :, :8, :8], tw, padding=pad)          # load torch's kernels
        del conv
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if contender == "cnnlib":
        conv2d(x, w, padding=pad)
        if backward:
            conv2d_backward(dout, x, w, padding=pad)
    else:
        tx.requires_grad_(backward)
        tw.requires_grad_(backward)
        out = F.conv2d(tx, tw, padding=pad)
        if backward:
            out.backward(tdout)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps((after - before) / 1024))


def run_worker(arguments, threads=1):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, __file__, *arguments], env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine():
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()}; numpy {np.__version__}, "
            f"torch {torch.__version__}")


def times(value):
    return f"{value:.2f}x"


def table(results):
    """Markdown for the README from the JSON results (all labels, one and two threads)."""
    labels = list(results)
    lines = []
    for threads in ("1", "2"):
        present = [lab for lab in labels if threads in results[lab]["threads"]]
        if not present:
            continue
        first = results[present[-1]]["threads"][threads]
        head = "One thread (the goals)" if threads == "1" else (
            "Two threads (reported only: on a shared 2-core machine these swing several-fold "
            "with the load of other jobs, so they are not goals)")
        lines += [f"**{head}.**", ""]
        cols = ["layer"]
        for lab in present:
            cols += [f"forward, {lab}", f"forward + backward, {lab}"]
        cols += [f"share of matmul peak, forward, {present[-1]} (PyTorch)"]
        if threads == "1":
            cols.append("goal")
        lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for i, row in enumerate(first["rows"]):
            cells = [row["layer"]]
            for lab in present:
                other = results[lab]["threads"][threads]["rows"][i]
                cells += [times(other["forward"]), times(other["step"])]
            share = row.get("share")
            cells.append(f"{share[0]:.0%} ({share[1]:.0%})" if share else "")
            if threads == "1":
                cells.append(f"<= {GOALS[row['kind']]}x")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        for lab in present:
            run = results[lab]["threads"][threads]
            lines.append(f"- {lab}: measured {results[lab]['date']} on {results[lab]['machine']}; "
                         f"matmul peak {run['matmul_gflops']:.0f} GFLOP/s; load average "
                         f"{run['load_average'][0]:.1f} at the end.")
        lines.append("")
    for lab in labels:
        memory = results[lab].get("memory")
        if memory:
            ours, theirs = memory["cnnlib"], memory["torch"]
            lines.append(f"Peak memory of one 1x64x512x512 convolution (64 kernels 3x3, "
                         f"padding 1), growth of the peak resident set, {lab}: forward "
                         f"{ours[0]:.0f} MB (PyTorch {theirs[0]:.0f} MB, "
                         f"{ours[0] / theirs[0]:.1f}x), forward + backward {ours[1]:.0f} MB "
                         f"(PyTorch {theirs[1]:.0f} MB, {ours[1] / theirs[1]:.1f}x).")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_readme(results):
    text = README.read_text()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + table(results) + text[stop:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--min-ms", type=float, default=25)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--table-only", action="store_true",
                        help="regenerate the README table from the JSON without measuring")
    parser.add_argument("--show", nargs="+", metavar="LABEL",
                        help="labels the README table shows, in this order (default: all; "
                             "the JSON keeps every label)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.rounds, args.min_ms / 1e3)
    if args.memory_worker:
        return memory_worker(args.memory_worker[0], args.memory_worker[1] == "backward")
    results = json.loads(JSON_PATH.read_text()) if JSON_PATH.exists() else {}
    if not args.table_only:
        run = {"date": datetime.date.today().isoformat(), "machine": machine(), "threads": {}}
        for threads in args.threads:
            run["threads"][str(threads)] = run_worker(
                ["--worker", str(threads), "--rounds", str(args.rounds),
                 "--min-ms", str(args.min_ms)], threads)
            print(f"{threads} thread(s) done", flush=True)
        if not args.no_memory:
            run["memory"] = {c: [run_worker(["--memory-worker", c, step])
                                 for step in ("forward", "backward")]
                             for c in ("cnnlib", "torch")}
        results[args.label] = run
        JSON_PATH.write_text(json.dumps(results, indent=1) + "\n")
    if args.show:
        missing = [lab for lab in args.show if lab not in results]
        if missing:
            raise ValueError(f"--show: no results labelled {missing} in {JSON_PATH.name}")
        results = {lab: results[lab] for lab in args.show}
    write_readme(results)
    print(table(results))


if __name__ == "__main__":
    main()
