"""Short training recipes built on :func:`~cnnlib.train.fit`: a held-out split and a one-cycle run.

Lesson 04a trains LeNet-5 with them: a twelfth of MNIST's training images held out for
validation, then Adam with a one-cycle learning-rate schedule (Smith & Topin, 2019),
which gets a lot out of a run of a few epochs.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from .loop import fit

__all__ = ["holdout_split", "fit_one_cycle"]


def holdout_split(x, y, fraction=1 / 12, seed=0):
    """Hold out a random ``fraction`` of the samples for validation.

    Parameters
    ----------
    x : array-like, shape (N, C, H, W)
        Images (NumPy array or torch tensor; any shape whose first axis is N).
    y : array-like, shape (N,)
        Labels.
    fraction : float
        Share of the N samples held out, in (0, 1): ``int(N * fraction)`` of them.
    seed : int
        Seeds the permutation (``np.random.default_rng(seed)``).

    Returns
    -------
    (x_fit, y_fit), (x_val, y_val)
        The kept samples, shapes ``(N - n_val, ...)``, and the held-out ones,
        ``(n_val, ...)``, each in the order of the seeded permutation.

    Examples
    --------
    >>> (x_fit, y_fit), (x_val, y_val) = holdout_split(np.zeros((24, 1, 2, 2)), np.arange(24))
    >>> x_fit.shape, x_val.shape, sorted(np.concatenate([y_fit, y_val])) == list(range(24))
    ((22, 1, 2, 2), (2, 1, 2, 2), True)
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1 (exclusive), got {fraction}")
    n_val = int(len(x) * fraction)
    if not 0 < n_val < len(x):
        raise ValueError(f"fraction {fraction} of {len(x)} samples leaves no validation or no "
                         f"training sample")
    order = np.random.default_rng(seed).permutation(len(x))
    return (x[order[n_val:]], y[order[n_val:]]), (x[order[:n_val]], y[order[:n_val]])


def fit_one_cycle(model, train_data, val_data=None, *, epochs, max_lr, batch_size=128,
                  **options):
    """Train with Adam and a one-cycle learning-rate schedule; return the history.

    The learning rate climbs from ``max_lr / 25`` to ``max_lr`` over the first 30% of
    the steps, then decays to almost zero (``torch.optim.lr_scheduler.OneCycleLR``,
    stepped once per batch over the whole run).

    Parameters
    ----------
    model : nn.Module
        Maps a batch ``(N, C, H, W)`` to scores ``(N, num_classes)``.
    train_data : pair ``(X, y)`` or Dataset
        As for :func:`~cnnlib.train.fit`; ``X`` of shape ``(N, C, H, W)``, ``y`` of
        shape ``(N,)``.
    val_data : same forms, optional
        Evaluated after each epoch.
    epochs : int
        Passes over ``train_data`` (>= 1).
    max_lr : float
        The peak learning rate (> 0).
    batch_size : int
        Images per step.
    **options
        Passed on to :func:`~cnnlib.train.fit` (``seed``, ``device``, ``checkpoint``...).

    Returns
    -------
    cnnlib.train.History
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not max_lr > 0:
        raise ValueError(f"max_lr must be positive, got {max_lr!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(train_data, torch.utils.data.DataLoader):
        raise TypeError("train_data must be a pair (X, y) or a Dataset (fit_one_cycle counts "
                        "the steps from batch_size), got a DataLoader")
    n = len(train_data[0]) if isinstance(train_data, (tuple, list)) else len(train_data)
    steps = epochs * math.ceil(n / batch_size)      # batches in the whole run
    return fit(model, train_data, val_data=val_data, epochs=epochs, batch_size=batch_size,
               optimizer=functools.partial(torch.optim.Adam, lr=max_lr),
               scheduler=lambda opt: torch.optim.lr_scheduler.OneCycleLR(
                   opt, max_lr, total_steps=steps),
               **options)
