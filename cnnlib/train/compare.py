"""Compare network designs fairly: each trained the same way, once per seed.

A difference between two networks means something only if it is larger than the spread
between runs of one network, and a run's seed sets both its initial weights and the order
of its batches. :func:`fit_designs` trains every design once per seed with the same data
and options (the seed set just before each network is built, and passed to :func:`fit`);
:func:`final_accuracies` collects the last epoch's accuracy of each design over the
seeds; :func:`spread_table` prints them as mean, standard deviation and range.
"""
from collections.abc import Callable, Iterable

import numpy as np
from tqdm.auto import tqdm

from .loop import fit, seed_everything

__all__ = ["fit_designs", "final_accuracies", "spread_table"]


def fit_designs(build: Callable, names: Iterable, train_data, val_data=None, seeds=(0,),
                progress=True, **fit_options):
    """Train ``build(name)`` once per seed for every name, each run seeded the same way.

    For each seed and name: :func:`seed_everything` (the initial weights), ``build(name)``,
    then :func:`fit` with ``seed=seed`` (the order of the batches) and ``fit_options``.

    Parameters
    ----------
    build : callable
        ``build(name)`` returns a new, untrained ``nn.Module`` mapping ``(N, C, H, W)`` to
        scores ``(N, num_classes)``.
    names : iterable of str
        The designs to train (e.g. the keys of a dict of designs).
    train_data, val_data
        Any data form :func:`fit` accepts, e.g. a pair ``(X, y)`` with ``X`` of shape
        ``(N, C, H, W)`` and ``y`` of shape ``(N,)``.
    seeds : iterable of int
        One run per seed and name.
    progress : bool
        One progress bar over all the runs (the per-epoch bars of :func:`fit` are off).
    **fit_options
        Passed to :func:`fit`: ``epochs``, ``batch_size``, ``lr`` ...

    Returns
    -------
    histories : dict
        ``{(name, seed): History}``.
    models : dict
        ``{(name, seed): nn.Module}``, the trained networks.

    Examples
    --------
    >>> import numpy as np, torch
    >>> x, y = np.zeros((8, 1, 4, 4), np.float32), np.arange(8) % 2
    >>> histories, models = fit_designs(
    ...     lambda name: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2)),
    ...     ["linear"], (x, y), seeds=(0, 1), epochs=1, progress=False, device="cpu")
    >>> sorted(histories), len(histories["linear", 1].train_acc)
    ([('linear', 0), ('linear', 1)], 1)
    """
    if not callable(build):
        raise TypeError(f"build must be a callable name -> nn.Module, got {type(build).__name__}")
    names, seeds = list(names), list(seeds)
    if not names or not seeds:
        raise ValueError(f"names and seeds must not be empty, got {len(names)} names and "
                         f"{len(seeds)} seeds")
    if "seed" in fit_options or "progress" in fit_options:
        raise TypeError("fit_designs sets fit's seed and progress itself: pass seeds=... and "
                        "progress=... instead")
    runs = [(name, seed) for seed in seeds for name in names]
    histories, models = {}, {}
    for name, seed in tqdm(runs, desc="runs", disable=not progress):
        seed_everything(seed)                            # the initial weights ...
        models[name, seed] = build(name)
        histories[name, seed] = fit(models[name, seed], train_data, val_data, seed=seed,
                                    progress=False, **fit_options)   # ... and the batches
    return histories, models


def final_accuracies(histories, key="train_acc"):
    """The last epoch's accuracy of every run, per name, in the order of the seeds.

    Parameters
    ----------
    histories : dict
        ``{(name, seed): History}`` as :func:`fit_designs` returns.
    key : str
        ``"train_acc"`` or ``"val_acc"`` (any list attribute of :class:`History`).

    Returns
    -------
    dict
        ``{name: ndarray of shape (seeds,)}``, seeds in increasing order.

    Examples
    --------
    >>> runs = {("a", 1): {"train_acc": [0.5, 0.7]}, ("a", 0): {"train_acc": [0.4, 0.6]}}
    >>> final_accuracies(runs)
    {'a': array([0.6, 0.7])}
    """
    by_name = {}
    for (name, seed), history in sorted(histories.items(), key=lambda kv: kv[0][1]):
        values = history[key]
        if not len(values):
            raise ValueError(f"run {(name, seed)!r} has no {key!r} entries")
        by_name.setdefault(name, []).append(values[-1])
    return {name: np.array(values) for name, values in by_name.items()}


def spread_table(accuracies):
    """Mean, standard deviation (ddof 1) and range over seeds, one line per name.

    Parameters
    ----------
    accuracies : dict
        ``{split: {name: ndarray of shape (seeds,)}}``, e.g. ``{"training":
        final_accuracies(h), "validation": final_accuracies(h, "val_acc")}``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(spread_table({"training": {"net": np.array([0.5, 0.6, 0.7])}}))
    mean ± standard deviation (min-max) over 3 seeds
    net           training 60.0% ± 10.0% (50.0%-70.0%)
    """
    lines, seeds = [], set()
    names = list(dict.fromkeys(name for split in accuracies.values() for name in split))
    for name in names:
        line = f"{name:<12}"
        for split, by_name in accuracies.items():
            acc = np.asarray(by_name[name], dtype=float)
            if acc.size < 2:
                raise ValueError(f"a spread needs at least 2 seeds, {name!r} has {acc.size}")
            seeds.add(acc.size)
            line += (f"  {split} {np.mean(acc):.1%} ± {np.std(acc, ddof=1):.1%} "
                     f"({acc.min():.1%}-{acc.max():.1%})")
        lines.append(line)
    count = seeds.pop() if len(seeds) == 1 else "several"
    return "\n".join([f"mean ± standard deviation (min-max) over {count} seeds", *lines])
