"""The training loop of :func:`fit`: one function per step, one per epoch, one per run.

::

    for each epoch:
        for each batch (x, y):
            loss = loss_fn(model(x), y)      # forward
            optimizer.zero_grad()
            loss.backward()                  # backward: gradients of the loss
            optimizer.step()                 # update the parameters
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
import random
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import IterableDataset
from tqdm.auto import tqdm

from .._validate import check_positive_int
from ..device import default_device, default_workers, thread_count, threads
from .batches import as_dataset, epoch_order, index_batches, iterable_batches, split_pair
from .checkpoint import hyperparameters, resume_from, save_checkpoint
from .evaluation import evaluate
from .history import History, RunState, accuracy_count

__all__ = ["fit", "seed_everything"]

TRAIN_BATCH_SIZE = 128


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _make_optimizer(optimizer, model, lr):
    if optimizer is None:
        return torch.optim.Adam(model.parameters(), lr=lr)
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(model.parameters())
    raise TypeError(f"optimizer must be None, a torch.optim.Optimizer or a callable "
                    f"params -> Optimizer, got {type(optimizer).__name__}")


def _make_scheduler(scheduler, opt):
    return scheduler(opt) if callable(scheduler) and not hasattr(scheduler, "step") else scheduler


def _check_fit_arguments(model, epochs, batch_size, checkpoint, checkpoint_every):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if batch_size is not None:                 # None: the whole data set per step
        check_positive_int(batch_size, "batch_size")
    if checkpoint_every is not None:
        check_positive_int(checkpoint_every, "checkpoint_every (steps)")
    if checkpoint_every is not None and checkpoint is None:
        raise ValueError("checkpoint_every needs a checkpoint path to save to")


def fit(model: nn.Module, train_data, val_data=None, epochs: int = 1, optimizer=None,
        lr: float = 1e-3, batch_size: int | None = None, loss_fn=None, scheduler=None,
        device=None, seed: int | None = 0, checkpoint=None, checkpoint_every: int | None = None,
        resume: bool = True, num_workers: int | None = None, num_threads: int | None = None,
        progress: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data`` and return the history.

    Parameters
    ----------
    model : nn.Module
        Maps a batch ``(N, C, H, W)`` to scores ``(N, num_classes)`` (logits).
    train_data : Dataset, DataLoader or pair ``(X, y)``
        Training data (see the module docstring). A Dataset or pair is shuffled
        every epoch in an order fixed by ``seed`` and the epoch number.
    val_data : same forms, optional
        Evaluated with :func:`evaluate` at the end of each epoch.
    epochs : int
        Total number of epochs. A resumed run trains only the epochs still missing.
    optimizer : torch.optim.Optimizer or callable, optional
        An optimiser over ``model.parameters()``, or a callable ``params ->
        optimiser`` such as ``functools.partial(torch.optim.SGD, lr=0.1,
        momentum=0.9)``. Default ``Adam(lr=lr)``.
    lr : float
        Learning rate of the default Adam optimiser.
    batch_size : int, optional
        Batch size when ``train_data`` is not a DataLoader; default 128.
    loss_fn : callable, optional
        ``loss_fn(output, y)`` returning the mean loss of a batch; default
        ``nn.CrossEntropyLoss()``.
    scheduler : LRScheduler or callable, optional
        A learning-rate scheduler, or a callable ``optimizer -> scheduler``. It is
        stepped after every batch (so ``OneCycleLR`` takes ``total_steps =
        epochs * batches per epoch``).
    device : str or torch.device, optional
        Default :func:`default_device` (CUDA, then MPS, then CPU); ``"cpu"`` forces the CPU.
    seed : int or None
        Seeds Python, NumPy and torch before training (:func:`seed_everything`)
        and fixes the shuffling order. ``None`` leaves the random state alone.
    checkpoint : path, optional
        File for checkpoints. Holds the model, optimiser and scheduler, the random
        states, the epoch and step, the order of the current epoch and the history.
    checkpoint_every : int, optional
        Also save every this many training steps (batches, counted from the
        start of the run); without it a checkpoint is saved at the end of each
        epoch only.
    resume : bool
        If ``checkpoint`` exists, continue from it: the run goes on exactly as if
        it had not been interrupted (same batches, same random numbers, same history).
        The checkpoint's optimiser state wins, so a run resumed with another
        learning rate, optimiser, batch size or seed warns and keeps the old values.
    num_workers : int, optional
        DataLoader worker processes for a Dataset. Default 0 inside Jupyter and on
        the CPU (loading in the main process), else up to 4.
    num_threads : int, optional
        CPU threads for torch during the run (restored afterwards). Default: the
        cores this process may use (:func:`cpu_cores`), but 1 on a machine with
        two cores or fewer or one already busy (load average above the number of
        cores), where threads waiting for each other cost more than they gain.
    progress : bool
        Show a ``tqdm`` progress bar per epoch with the running loss and accuracy.

    Returns
    -------
    History
        ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, ``lr``,
        ``epoch_time``, one entry per epoch (including epochs of the run that was
        resumed). The model is left in eval mode, ready for :func:`evaluate`.

    Raises
    ------
    FloatingPointError
        When the loss becomes NaN or infinite (the model keeps the weights from
        before that batch), or the weights do before a checkpoint is saved (the
        file keeps the last finite state).
    ValueError
        When the checkpoint file cannot be read; the message names it.

    Notes
    -----
    ``seed`` fixes the training run, not the initial weights: the model was built
    before ``fit`` was called, so call :func:`seed_everything` before building it
    for a run that is reproducible from start to end.

    Examples
    --------
    >>> x, y = cnnlib.mnist_arrays()                              # doctest: +SKIP
    >>> history = fit(lenet5(), (x, y), epochs=2, lr=1e-3)         # doctest: +SKIP
    >>> history.train_acc[-1]                                      # doctest: +SKIP
    0.98...
    """
    _check_fit_arguments(model, epochs, batch_size, checkpoint, checkpoint_every)
    num_threads = thread_count(num_threads)
    with threads(num_threads):
        return _fit(model, train_data, val_data, epochs, optimizer, lr,
                    batch_size or TRAIN_BATCH_SIZE, loss_fn, scheduler, default_device(device),
                    seed, checkpoint, checkpoint_every, resume, num_workers, progress, num_threads)


@dataclasses.dataclass(frozen=True)
class _Setup:
    """What stays fixed during a run of :func:`fit`, its arguments checked and filled in."""

    model: nn.Module
    opt: torch.optim.Optimizer
    sched: object
    loss_fn: object
    device: torch.device
    epochs: int
    batch_size: int
    seed: int | None
    val_data: object
    num_workers: int
    num_threads: int
    progress: bool
    checkpoint_every: int | None
    save: object                   # save(run) writes a checkpoint, or None


def _train_step(model, x, y, loss_fn, opt, sched, where):
    """One step of gradient descent on the batch ``(x, y)``; returns the loss and the output."""
    output = model(x)                # forward
    loss = loss_fn(output, y)
    if not torch.isfinite(loss).all():
        # Stop before the update: the model keeps the weights of the last finite step.
        raise FloatingPointError(f"the training loss became {loss.item()} at {where}: "
                                 f"training diverged. The model keeps the weights before this "
                                 f"batch; try a smaller learning rate")
    opt.zero_grad()                  # gradients accumulate in .grad: clear the last step's
    loss.backward()                  # backward: d loss / d parameter for every parameter
    opt.step()                       # update the parameters
    if sched is not None:
        sched.step()
    return loss, output


def _epochindex_batches(s, dataset, loader, run):
    """The remaining batches of the current epoch and their total number (None if unknown)."""
    if isinstance(dataset, IterableDataset):
        if run.step:
            raise ValueError("an IterableDataset cannot be resumed in the middle of an epoch")
        return iterable_batches(dataset, loader, s.batch_size, s.num_workers), None
    if run.order is None:
        run.order = epoch_order(dataset, loader, s.batch_size, True, s.seed, run.epoch)
    return index_batches(dataset, loader, run.order[run.step:], s.num_workers), len(run.order)


def _train_epoch(s, dataset, loader, run, history):
    """One pass over the training data, from where ``run`` stands; appends to ``history``."""
    t0 = time.perf_counter()
    batches, total = _epochindex_batches(s, dataset, loader, run)
    s.model.train()
    # The bar is updated by hand (not wrapped around the batches) so that it
    # stays open for the validation figures after the last batch.
    bar = tqdm(total=total, initial=run.step, desc=f"epoch {run.epoch + 1}/{s.epochs}",
               disable=not s.progress, leave=True, dynamic_ncols=True)
    for batch in batches:
        x, y = split_pair(batch)
        x, y = x.to(s.device), y.to(s.device)
        where = f"epoch {run.epoch + 1}, step {run.step + 1}"
        loss, output = _train_step(s.model, x, y, s.loss_fn, s.opt, s.sched, where)
        run.step += 1
        run.global_step += 1
        run.sums.add(loss.item(), len(y), accuracy_count(output.detach(), y))
        bar.set_postfix(**run.sums.postfix(), refresh=False)
        bar.update(1)
        if (s.checkpoint_every and run.global_step % s.checkpoint_every == 0
                and run.step < (total or math.inf)):
            s.save(run)
    history.train_loss.append(run.sums.mean_loss)
    history.train_acc.append(run.sums.accuracy)
    if s.val_data is not None:
        val = evaluate(s.model, s.val_data, loss_fn=s.loss_fn, device=s.device,
                       num_workers=s.num_workers, num_threads=s.num_threads)
        history.val_loss.append(val["loss"])
        history.val_acc.append(val["acc"])
        bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", acc=f"{history.train_acc[-1]:.4f}",
                        val_loss=f"{val['loss']:.4f}", val_acc=f"{val['acc']:.4f}")
    bar.close()
    history.lr.append(s.opt.param_groups[0]["lr"])
    history.epoch_time.append(time.perf_counter() - t0)
    run.next_epoch()
    if s.save is not None:
        s.save(run)


def _fit(model, train_data, val_data, epochs, optimizer, lr, batch_size, loss_fn, scheduler,
         device, seed, checkpoint, checkpoint_every, resume, num_workers, progress, num_threads):
    """The loop of :func:`fit`: set up, resume from a checkpoint if any, train epoch by epoch."""
    dataset, loader = as_dataset(train_data, "train_data")
    if seed is not None:
        seed_everything(seed)
    model.to(device)
    opt = _make_optimizer(optimizer, model, lr)
    hparams = hyperparameters(opt, batch_size, seed)
    sched = _make_scheduler(scheduler, opt)
    history, run = History(), RunState()
    if checkpoint is not None and resume and pathlib.Path(checkpoint).exists():
        history, run, hparams = resume_from(checkpoint, device, model, opt, sched, hparams)

    def save(run):
        save_checkpoint(checkpoint, model, opt, sched, history, run, seed, hparams)

    s = _Setup(model, opt, sched, nn.CrossEntropyLoss() if loss_fn is None else loss_fn, device,
               epochs, batch_size, seed, val_data,
               default_workers(device) if num_workers is None else num_workers, num_threads,
               progress, checkpoint_every, None if checkpoint is None else save)
    while run.epoch < epochs:
        _train_epoch(s, dataset, loader, run, history)
    model.eval()
    return history
