"""Forward time of cnnlib.conv2d (im2col) vs conv2d_naive (loops) vs torch on the CPU.

Targets (issue 3): the fast path is at least 100x faster than the loops and within 3x of
torch.nn.functional.conv2d, on LeNet-5 and VGG-block shapes, in float32.

The loop version is timed on a smaller batch and scaled linearly to the full batch (its
cost is exactly proportional to N: one identical loop body per image).  A time is the
mean over a batch of calls lasting at least 50 ms; the table gives the median over
repeated batches, conv2d and torch interleaved so both see the same machine load.

Run from the repository root:  python benchmarks/bench_conv.py [--repeats 20] [--threads 1]
(--threads limits NumPy's BLAS and torch to the same number of threads; on a shared,
busy machine one thread each gives steadier figures).
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from cnnlib import conv2d, conv2d_naive

# name, batch, naive batch, C_in, C_out, kernel, H (= W), padding
SHAPES = [
    ("LeNet C1", 64, 2, 1, 6, 5, 28, 2),
    ("LeNet C3", 64, 2, 6, 16, 5, 14, 0),
    ("VGG block", 8, 1, 64, 64, 3, 56, 1),
]


def per_call_ms(function, repeats=1, min_seconds=0.05):
    """Median over ``repeats`` of the mean time of a batch of calls lasting >= min_seconds.

    Timing one 1 ms call on a busy machine mostly measures the scheduler; a batch of calls
    shares the interruptions out in proportion to the work.
    """
    start = time.perf_counter()
    function()
    calls = max(1, int(min_seconds / max(time.perf_counter() - start, 1e-6)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - start) / calls)
    return 1e3 * float(np.median(times))


def measure(repeats):
    rng = np.random.default_rng(0)
    rows = []
    for name, n, n_naive, c_in, c_out, k, size, pad in SHAPES:
        x = rng.normal(size=(n, c_in, size, size)).astype(np.float32)
        w = rng.normal(size=(c_out, c_in, k, k)).astype(np.float32)
        b = rng.normal(size=c_out).astype(np.float32)
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        ours, theirs = conv2d(x, w, b, padding=pad), F.conv2d(tx, tw, tb, padding=pad).numpy()
        error = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
        naive = per_call_ms(lambda: conv2d_naive(x[:n_naive], w, b, padding=pad), 3) * n / n_naive
        fast, torch_ms = [], []
        with torch.no_grad():
            for _ in range(repeats):          # interleaved: both see the same load
                fast.append(per_call_ms(lambda: conv2d(x, w, b, padding=pad)))
                torch_ms.append(per_call_ms(lambda: F.conv2d(tx, tw, tb, padding=pad)))
        fast, torch_ms = float(np.median(fast)), float(np.median(torch_ms))
        shape = f"{n}x{c_in}x{size}x{size}, {c_out}x{c_in}x{k}x{k}, pad {pad}"
        rows.append((name, shape, naive, n_naive, fast, torch_ms, error))
    return rows


def report(rows):
    print("| layer | x, weight | naive ms (scaled from N) | conv2d ms | torch ms "
          "| naive / conv2d | conv2d / torch | max rel. error |")
    print("|---|---|---|---|---|---|---|---|")
    for name, shape, naive, n_naive, fast, torch_ms, error in rows:
        print(f"| {name} | {shape} | {naive:,.0f} (N={n_naive}) | {fast:.2f} | {torch_ms:.2f} "
              f"| {naive / fast:,.0f}x | {fast / torch_ms:.2f}x | {error:.1e} |")
    speedup_ok = all(naive / fast >= 100 for _, _, naive, _, fast, _, _ in rows)
    torch_ok = all(fast / t <= 3 for *_, fast, t, _ in rows)
    print(f"\ntarget >= 100x faster than naive: {'met' if speedup_ok else 'NOT met'}; "
          f"target within 3x of torch: {'met' if torch_ok else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        rows = measure(args.repeats)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"float32, {args.threads} thread(s) for NumPy's BLAS and torch, torch "
          f"{torch.__version__}, median of {args.repeats} batches, load average {load}\n")
    report(rows)


if __name__ == "__main__":
    main()
