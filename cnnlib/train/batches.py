"""The data forms :func:`~cnnlib.train.fit` accepts, and the order of the batches of an epoch.

The data may be given as a ``Dataset`` of ``(x, y)`` items, a ``DataLoader``
(its sampler, batch size and collate function are kept), or a pair of arrays or
tensors ``(X, y)``.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler,
                              SequentialSampler, TensorDataset)

__all__ = ["as_dataset", "epoch_order", "index_batches", "iterable_batches", "split_pair"]


def as_dataset(data, name: str):
    """``(dataset, loader)``: the map-style or iterable data set, and the loader if given."""
    if isinstance(data, DataLoader):
        return data.dataset, data
    if isinstance(data, Dataset):
        return data, None
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = (torch.as_tensor(np.asarray(a)) if not isinstance(a, torch.Tensor) else a
                for a in data)
        if len(x) != len(y):
            raise ValueError(f"{name}: X has {len(x)} samples but y has {len(y)}; "
                             f"they must have the same length")
        return TensorDataset(x, y), None
    raise TypeError(f"{name} must be a Dataset, a DataLoader or a pair (X, y) of arrays, "
                    f"got {type(data).__name__}")


def epoch_order(dataset, loader, batch_size, shuffle, seed, epoch):
    """The index batches of one epoch, as a list of lists of int.

    The order is drawn from a generator seeded by ``(seed, epoch)`` and not from
    the global random state, so it is the same on a resumed run.
    """
    if loader is not None:
        batches = loader.batch_sampler
    else:
        sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        batches = BatchSampler(sampler, batch_size, drop_last=False)
    # A sampler without a generator of its own draws from torch's global state:
    # fork it so the order depends on (seed, epoch) only and the global state
    # (used by dropout and augmentation) is left exactly as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed((0 if seed is None else seed) * 100_003 + epoch)
        return [list(b) for b in batches]


def index_batches(dataset, loader, order, num_workers):
    """Yield ``(x, y)`` batches for the given index batches."""
    if isinstance(dataset, TensorDataset) and loader is None:
        # A TensorDataset is indexed with a whole batch of indices at once: one
        # gather per tensor instead of one __getitem__ per image and a stack.
        for idx in order:
            idx = torch.as_tensor(idx)
            yield tuple(t[idx] for t in dataset.tensors)
        return
    kwargs = dict(num_workers=num_workers)
    if loader is not None:
        kwargs = dict(num_workers=loader.num_workers, collate_fn=loader.collate_fn,
                      pin_memory=loader.pin_memory, worker_init_fn=loader.worker_init_fn)
    # Starting a DataLoader draws a seed for its workers from torch's global
    # generator; fork it so the random numbers of training (dropout) are the same
    # whichever form the data came in, and on a resumed run.
    with torch.random.fork_rng(devices=[]):
        batches = iter(DataLoader(dataset, batch_sampler=order, **kwargs))
    yield from batches


def iterable_batches(dataset, loader, batch_size, num_workers):
    """Yield the batches of an ``IterableDataset`` (its own order; it cannot be shuffled here)."""
    if loader is None:
        loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    yield from loader


def split_pair(batch):
    """``(x, y)`` of a batch, or a ValueError for data without labels."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("each item of the data must be a pair (x, y); "
                         "use predict() for data without labels")
    return batch[0], batch[1]
