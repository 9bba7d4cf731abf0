"""Old cnnlib against new cnnlib, layer by layer: paired, interleaved, one thread.

``bench_layers.py`` times cnnlib against PyTorch; this script answers "did a change make
cnnlib slower?".  It imports two copies of the library into one process, the old one
from another checkout (``--base``, e.g. a ``git worktree`` of main) under the name
``cnnlib_base`` and the new one from this checkout, and times the rows of
``bench_layers.py`` (same shapes, float32) for both in interleaved rounds, alternating
who goes first.  The table gives, per row, the median over rounds of new time / old
time: on a shared, noisy machine only such paired ratios mean anything.  With
``--repeats`` the whole table is measured that many times and the spread of the row
medians is printed beside them, as the noise to compare a ratio with.

Run from the repository root:
    python benchmarks/bench_layers_paired.py --base ../wt-base [--rounds 15] [--repeats 3]
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"            # one thread, set before NumPy loads its BLAS

import argparse                       # noqa: E402
import importlib.util                 # noqa: E402
import sys                            # noqa: E402
from pathlib import Path              # noqa: E402

import numpy as np                    # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_layers import CONVS, POOLS, batch_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def load_base(base):
    """Import the cnnlib of checkout ``base`` as the package ``cnnlib_base``."""
    init = Path(base).resolve() / "cnnlib" / "__init__.py"
    spec = importlib.util.spec_from_file_location("cnnlib_base", init,
                                                  submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["cnnlib_base"] = module
    spec.loader.exec_module(module)
    return module


def paired(new, old, rounds, min_seconds):
    """Median over interleaved rounds of new time / old time.

    Both sides run the same number of calls per batch (enough for ``min_seconds`` of the
    faster one), so both pay the same warm-up share.
    """
    one = []
    for f in (new, old):
        f()                                          # warm up (allocations, caches)
        one.append(batch_seconds(f, 3))
    calls = [max(3, int(min_seconds / max(min(one), 1e-6)))] * 2
    ratios = []
    for r in range(rounds):
        if r % 2:
            b = batch_seconds(old, calls[1])
            a = batch_seconds(new, calls[0])
        else:
            a = batch_seconds(new, calls[0])
            b = batch_seconds(old, calls[1])
        ratios.append(a / b)
    return float(np.median(ratios))


def conv_cases(lib, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    for name, (n, c_in, size), (c_out, k, s, p, g, first) in CONVS:
        x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
        w = rng.standard_normal((c_out, c_in // g, k, k), dtype=np.float32) / k
        b = rng.standard_normal(c_out, dtype=np.float32)
        args = dict(stride=s, padding=p, groups=g)
        dout = np.zeros_like(lib.conv2d(x, w, b, **args)) + 0.5

        def forward(lib=lib, x=x, w=w, b=b, args=args):
            lib.conv2d(x, w, b, **args)

        def step(lib=lib, x=x, w=w, b=b, args=args, dout=dout, first=first):
            cache = {}
            lib.conv2d(x, w, b, **args, cache=cache)
            lib.conv2d_backward(dout, x, w, **args, input_grad=not first, cache=cache)
        yield name, forward, step


def pool_cases(lib):
    rng = np.random.default_rng(1)
    for name, (n, c, size), kind in POOLS:
        x = rng.standard_normal((n, c, size, size), dtype=np.float32)
        dout = rng.standard_normal((n, c, size // 2, size // 2), dtype=np.float32)
        if kind == "max":
            def forward(lib=lib, x=x):
                lib.max_pool2d(x, 2, return_indices=True)

            def step(lib=lib, x=x, dout=dout):
                _, indices = lib.max_pool2d(x, 2, return_indices=True)
                lib.max_pool2d_backward(dout, x, 2, indices=indices)
        else:
            def forward(lib=lib, x=x):
                lib.avg_pool2d(x, 2)

            def step(lib=lib, x=x, dout=dout):
                lib.avg_pool2d(x, 2)
                lib.avg_pool2d_backward(dout, x, 2)
        yield name, forward, step


def transpose_cases(lib):
    """conv_transpose2d, which now shares conv2d_backward's input gradient."""
    rng = np.random.default_rng(2)
    for name, shape, wshape, s in [
            ("conv_transpose2d (N=8, 64->32, 28x28, k4, s2)", (8, 64, 28, 28), (64, 32, 4, 4), 2),
            ("conv_transpose2d (N=128, 16->6, 10x10, k5)", (128, 16, 10, 10), (16, 6, 5, 5), 1)]:
        x = rng.standard_normal(shape, dtype=np.float32)
        w = rng.standard_normal(wshape, dtype=np.float32)

        def forward(lib=lib, x=x, w=w, s=s):
            lib.conv_transpose2d(x, w, stride=s, padding=1 if s == 2 else 0)
        yield name, forward, None


def table(new, old, rounds, min_seconds):
    rows = []
    for make in (conv_cases, pool_cases, transpose_cases):
        for (name, f_new, s_new), (_, f_old, s_old) in zip(make(new), make(old)):
            fwd = paired(f_new, f_old, rounds, min_seconds)
            step = paired(s_new, s_old, rounds, min_seconds) if s_new else float("nan")
            rows.append((name, fwd, step))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="checkout holding the old cnnlib")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--min-ms", type=float, default=25)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import cnnlib as new
    old = load_base(args.base)
    assert Path(new.__file__).resolve() != Path(old.__file__).resolve(), "same checkout twice"
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        runs = [table(new, old, args.rounds, args.min_ms / 1e3) for _ in range(args.repeats)]
    print(f"new = {Path(new.__file__).parent}, old = {Path(old.__file__).parent}, one thread, "
          f"{args.rounds} interleaved rounds x {args.repeats} repeat(s); load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| layer | forward, new / old | forward + backward, new / old |")
    print("|---|---|---|")
    for i, (name, _, _) in enumerate(runs[0]):
        cells = []
        for col in (1, 2):
            values = [run[i][col] for run in runs]
            if np.isnan(values[0]):
                cells.append("")
                continue
            spread = f" ({min(values):.2f}-{max(values):.2f})" if len(values) > 1 else ""
            cells.append(f"{np.median(values):.2f}{spread}")
        print(f"| {name} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
