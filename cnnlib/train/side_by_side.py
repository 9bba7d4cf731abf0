"""Two training runs in lock step: the same batches, one step of each in turn, timed.

Lesson 03 trains LeNet-5 written in NumPy next to the same network in PyTorch; the step
functions stay in the notebook, where they teach, and this module feeds them the batches,
times them and records their losses. It needs neither torch nor a particular library:
a step is any function ``step(xb, yb) -> loss``.
"""
from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

__all__ = ["batch_order", "train_side_by_side", "batched_accuracy"]


def batch_order(n, steps, batch_size, seed=0):
    """Indices of ``steps`` mini-batches drawn from ``n`` examples without replacement.

    The examples are shuffled, and shuffled again each time they run out, so a small
    data set gives as many batches as a large one.

    Parameters
    ----------
    n : int
        Number of examples.
    steps, batch_size : int
        Number and size of the batches.
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (steps * batch_size,), int64
        Batch ``s`` is ``order[s * batch_size:(s + 1) * batch_size]``.

    Examples
    --------
    >>> order = batch_order(5, steps=3, batch_size=4)
    >>> order.shape, sorted(order[:5].tolist())
    ((12,), [0, 1, 2, 3, 4])
    """
    for name, value in (("n", n), ("steps", steps), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    rounds = -(-steps * batch_size // n)
    return np.concatenate([rng.permutation(n) for _ in range(rounds)])[:steps * batch_size]


def train_side_by_side(train_steps, x, y, steps, batch_size, seed=0, desc="training"):
    """Run several training-step functions on the same mini-batches, one after the other.

    For each of ``steps`` batches (drawn by ``batch_order`` of this module), every function in
    ``train_steps`` is called in turn on that batch; its returned loss is recorded and
    the time it took is added to its total. A progress bar shows the batches.

    Parameters
    ----------
    train_steps : dict of str to callable
        ``step(xb, yb) -> float``: one forward pass, backward pass and update on the
        batch ``xb`` of shape ``(B, ...)`` with labels ``yb`` of shape ``(B,)``,
        returning the batch's loss.
    x : ndarray, shape (N, ...)
        The training examples, e.g. images (N, C, H, W).
    y : ndarray, shape (N,)
        Their labels.
    steps, batch_size : int
        Number and size of the mini-batches.
    seed : int
        Seed of the batch order.
    desc : str
        Label of the progress bar.

    Returns
    -------
    curves : dict of str to list of float
        The loss of each step, per function (``steps`` values each).
    seconds : dict of str to float
        The time each function took in total.

    Examples
    --------
    >>> x, y = np.arange(8.0)[:, None], np.arange(8) % 2
    >>> curves, seconds = train_side_by_side({"mean": lambda xb, yb: float(xb.mean())},
    ...                                      x, y, steps=2, batch_size=4, desc=None)
    >>> len(curves["mean"]), sorted(seconds)
    (2, ['mean'])
    """
    if not train_steps:
        raise ValueError("train_steps must hold at least one step function")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} "
                         f"and {len(y)}")
    order = batch_order(len(x), steps, batch_size, seed)
    curves = {name: [] for name in train_steps}
    seconds = {name: 0.0 for name in train_steps}
    for step in tqdm(range(steps), desc=desc, disable=desc is None):
        batch = order[step * batch_size:(step + 1) * batch_size]
        xb, yb = x[batch], y[batch]
        for name, train_step in train_steps.items():
            start = time.perf_counter()
            loss = train_step(xb, yb)
            seconds[name] += time.perf_counter() - start
            curves[name].append(float(loss))
    return curves, seconds


def batched_accuracy(predict, x, y, batch_size=500):
    """The fraction of examples whose highest score is their label, in batches.

    Parameters
    ----------
    predict : callable
        ``predict(xb)`` gives the scores of shape ``(B, classes)`` of a batch ``xb`` of
        shape ``(B, ...)`` (a NumPy array, or anything with ``.numpy()``).
    x : ndarray, shape (N, ...)
    y : ndarray, shape (N,)
    batch_size : int
        Examples per call of ``predict``.

    Returns
    -------
    float

    Examples
    --------
    >>> batched_accuracy(lambda xb: np.hstack([xb, -xb]), np.array([[1.0], [-2.0], [3.0]]),
    ...                  np.array([0, 1, 1]), batch_size=2)
    0.6666666666666666
    """
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same, non-zero number of examples, got "
                         f"{len(x)} and {len(y)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    predicted = []
    for i in range(0, len(x), batch_size):
        scores = predict(x[i:i + batch_size])
        scores = scores.numpy() if hasattr(scores, "numpy") else np.asarray(scores)
        predicted.append(scores.argmax(axis=1))
    return float(np.mean(np.concatenate(predicted) == np.asarray(y)))
