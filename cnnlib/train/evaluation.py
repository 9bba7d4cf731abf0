"""Evaluating a trained model: mean loss and accuracy, or its scores as NumPy arrays."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.utils.data import IterableDataset, TensorDataset
from tqdm.auto import tqdm

from ..device import default_device, threads
from .batches import as_dataset, epoch_order, index_batches, iterable_batches
from .history import accuracy_count

__all__ = ["evaluate", "predict", "Predictions"]

EVAL_BATCH_SIZE = 1000


def _outputs(model, data, batch_size, device, num_workers, num_threads, progress, desc):
    """Yield ``(output, y_or_None)`` for every batch of ``data`` with the model in eval mode."""
    device = default_device(device)
    dataset, loader = as_dataset(data, "data")
    if isinstance(dataset, IterableDataset):
        batches = iterable_batches(dataset, loader, batch_size, num_workers or 0)
        total = None
    else:
        order = epoch_order(dataset, loader, batch_size, False, 0, 0)
        batches, total = index_batches(dataset, loader, order, num_workers or 0), len(order)
    was_training = model.training
    model.eval()
    model.to(device)
    try:
        with torch.no_grad(), threads(num_threads):
            for batch in tqdm(batches, total=total, desc=desc, disable=not progress, leave=False):
                if isinstance(batch, (tuple, list)):
                    x, y = batch[0], (batch[1] if len(batch) > 1 else None)
                else:
                    x, y = batch, None
                yield model(x.to(device)), (None if y is None else y.to(device))
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, data, loss_fn=None, batch_size: int | None = None, device=None,
             num_workers: int | None = None, num_threads: int | None = None,
             progress: bool = False) -> dict:
    """Mean loss and accuracy of ``model`` on ``data``, in eval mode and without gradients.

    Parameters
    ----------
    model : nn.Module
    data : Dataset, DataLoader or pair ``(X, y)``
    loss_fn : callable, optional
        Default ``nn.CrossEntropyLoss()``; must return the batch mean.
    batch_size : int, optional
        Default 1000 (no gradients are kept, so batches can be large).
    device : str or torch.device, optional
        Default :func:`default_device`.
    num_workers, num_threads : int, optional
        As in :func:`fit`.
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict with ``loss`` (float), ``acc`` (float, fraction correct; NaN for
    non-classification targets), ``correct`` (int) and ``n`` (int, samples).
    """
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    loss_sum, correct, seen, counted = 0.0, 0, 0, 0
    for output, y in _outputs(model, data, batch_size or EVAL_BATCH_SIZE, device, num_workers,
                              num_threads, progress, "evaluate"):
        if y is None:
            raise ValueError("data has no labels: evaluate needs pairs (x, y); use predict()")
        n = len(y)
        loss_sum += loss_fn(output, y).item() * n
        seen += n
        hits = accuracy_count(output, y)
        if hits is not None:
            correct += hits
            counted += n
    if seen == 0:
        raise ValueError("data is empty")
    return {"loss": loss_sum / seen, "acc": correct / counted if counted else float("nan"),
            "correct": correct, "n": seen}


class Predictions(NamedTuple):
    """What :func:`predict` returns; unpacks as ``logits, probs, labels``."""

    logits: np.ndarray
    """``(N, num_classes)`` float32, the model's scores."""
    probs: np.ndarray
    """``(N, num_classes)`` float32, softmax of the logits (rows sum to 1)."""
    labels: np.ndarray | None
    """``(N,)`` true labels from the data, or None if the data has none."""


def predict(model: nn.Module, data, batch_size: int | None = None, device=None,
            num_workers: int | None = None, num_threads: int | None = None,
            progress: bool = False) -> Predictions:
    """Scores, class probabilities and true labels of ``data`` as NumPy arrays.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, C, H, W)`` to logits ``(N, num_classes)``.
    data : Dataset, DataLoader, pair ``(X, y)``, or a single array/tensor ``X``
        Taken in its stored order (a DataLoader in its own sampler's order).
    batch_size : int, optional
        Default 1000.
    device, num_workers, num_threads, progress
        As in :func:`evaluate`.

    Returns
    -------
    Predictions
        ``logits`` and ``probs`` of shape ``(N, num_classes)``, ``labels`` of
        shape ``(N,)`` (None when the data has no labels). The predicted class is
        ``probs.argmax(1)``.

    Examples
    --------
    >>> logits, probs, labels = predict(model, (x_test, y_test))   # doctest: +SKIP
    >>> (probs.argmax(1) == labels).mean()                          # doctest: +SKIP
    """
    if isinstance(data, (np.ndarray, torch.Tensor)):
        data = TensorDataset(torch.as_tensor(data))
    logits, labels = [], []
    for output, y in _outputs(model, data, batch_size or EVAL_BATCH_SIZE, device, num_workers,
                              num_threads, progress, "predict"):
        logits.append(output.float().cpu())
        if y is not None:
            labels.append(y.cpu())
    if not logits:
        raise ValueError("data is empty")
    logits = torch.cat(logits)
    probs = torch.softmax(logits, dim=1) if logits.ndim == 2 else logits
    return Predictions(logits.numpy(), probs.numpy(),
                       torch.cat(labels).numpy() if labels else None)
