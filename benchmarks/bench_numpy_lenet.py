"""Train LeNet-5 on MNIST with cnnlib.nn (NumPy) and with PyTorch on the CPU, side by side.

Targets (issue 4): a NumPy training epoch within 3x of the same PyTorch model at the same
batch size, and at least 98% test accuracy after 2 epochs.

Both networks start from the same weights (PyTorch's default initialisation, copied into
the NumPy model), see the same mini-batches in the same order and use the same optimiser
(SGD with momentum), in float32.  The two are stepped alternately, batch by batch, and
only the training step is timed, so both see the same machine load; an epoch's time is
the sum of its steps.  NumPy's BLAS and PyTorch get the same number of threads.

Run from the repository root:
    python benchmarks/bench_numpy_lenet.py [--epochs 2] [--batch-size 64] [--threads 1]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from cnnlib import mnist_arrays, nn
from cnnlib.data import data_source
from cnnlib.models import lenet5


def numpy_step(net, opt, x, y):
    loss, dscores = nn.cross_entropy(net(x), y)
    opt.zero_grad()
    net.backward(dscores)
    opt.step()
    return loss


def torch_step(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def accuracies(net, model, x, y, batch=1000):
    net.eval()
    model.eval()
    correct_np = correct_torch = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            correct_np += int((net(xb).argmax(axis=1) == yb).sum())
            correct_torch += int((model(torch.from_numpy(xb)).argmax(1).numpy() == yb).sum())
    net.train()
    model.train()
    return correct_np / len(x), correct_torch / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for PyTorch and for NumPy's BLAS (same for both)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = mnist_arrays(train=True)
    x_test, y_test = mnist_arrays(train=False)
    model = lenet5()
    net = nn.lenet5().load_state_dict(model.state_dict())
    opt_np = nn.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    opt_torch = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    rng = np.random.default_rng(args.seed)
    b = args.batch_size

    rows = []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            t_np = t_torch = 0.0
            loss_np = loss_torch = 0.0
            for i in range(0, len(order), b):
                idx = order[i:i + b]
                xb, yb = x_train[idx], y_train[idx]
                xt, yt = torch.from_numpy(xb), torch.from_numpy(yb)
                start = time.perf_counter()
                loss_np += numpy_step(net, opt_np, xb, yb) * len(idx)
                middle = time.perf_counter()
                loss_torch += torch_step(model, opt_torch, xt, yt) * len(idx)
                t_np += middle - start
                t_torch += time.perf_counter() - middle
            acc_np, acc_torch = accuracies(net, model, x_test, y_test)
            rows.append((epoch, t_np, t_torch, loss_np / len(order), loss_torch / len(order),
                         acc_np, acc_torch))
            print(f"epoch {epoch}: NumPy {t_np:.1f} s, PyTorch {t_torch:.1f} s, "
                  f"test accuracy {acc_np:.2%} / {acc_torch:.2%}", flush=True)

    load = os.getloadavg()
    print(f"\nMNIST from {data_source('MNIST')}: {len(x_train):,} training, {len(x_test):,} test "
          f"images; batch {b}, SGD lr {args.lr} momentum {args.momentum}, float32, "
          f"{args.threads} thread(s) each; torch {torch.__version__}, numpy {np.__version__}; "
          f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"(1/5/15 min) on {os.cpu_count()} CPUs\n")
    print("| epoch | NumPy s | PyTorch s | NumPy / PyTorch | train loss NumPy / PyTorch "
          "| test accuracy NumPy / PyTorch |")
    print("|---|---|---|---|---|---|")
    for epoch, t_np, t_torch, l_np, l_torch, a_np, a_torch in rows:
        print(f"| {epoch} | {t_np:.1f} | {t_torch:.1f} | {t_np / t_torch:.2f}x "
              f"| {l_np:.4f} / {l_torch:.4f} | {a_np:.2%} / {a_torch:.2%} |")
    ratio = max(r[1] / r[2] for r in rows)
    final = rows[-1][5]
    print(f"\ntarget NumPy epoch within 3x of PyTorch: {'met' if ratio <= 3 else 'NOT met'} "
          f"(worst epoch {ratio:.2f}x); target >= 98% test accuracy after {args.epochs} epochs: "
          f"{'met' if final >= 0.98 else 'NOT met'} ({final:.2%})")


if __name__ == "__main__":
    main()
