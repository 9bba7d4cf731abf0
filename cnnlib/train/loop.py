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
import warnings

import numpy as np
import torch
from torch import nn
from torch.utils.data import IterableDataset
from tqdm.auto import tqdm

from .._validate import check_positive_int, check_real
from ..device import default_device, default_workers, thread_count, threads
from .batches import as_dataset, epoch_order, index_batches, iterable_batches, split_pair
from .checkpoint import hyperparameters, resume_from, save_checkpoint
from .evaluation import evaluate
from .history import History, RunState, accuracy_count

__all__ = ["FitConfig", "fit", "seed_everything"]

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


@dataclasses.dataclass
class FitConfig:
    """Every option of :func:`fit`, with its default: one object instead of a long signature.

    ``fit(model, data, epochs=3, lr=1e-2)`` fills one in from its keyword
    arguments; ``fit(model, data, config=FitConfig(epochs=3), lr=1e-2)`` starts
    from a given one (the keywords win).
    """

    epochs: int = 1                      # passes over the data; a resumed run trains the rest
    optimizer: object = None             # an Optimizer, or params -> Optimizer; None: Adam(lr)
    lr: float = 1e-3                     # learning rate of the default Adam
    batch_size: int | None = None        # None: 128 (a DataLoader keeps its own)
    loss_fn: object = None               # loss_fn(output, y) -> mean loss; None: cross-entropy
    scheduler: object = None             # an LRScheduler or optimizer -> scheduler; every batch
    device: object = None                # None: CUDA, then Apple MPS, then the CPU
    seed: int | None = 0                 # seeds everything and the shuffling; None: leave alone
    checkpoint: object = None            # path of the checkpoint file; None: no checkpoints
    checkpoint_every: int | None = None  # also save every this many steps (else each epoch)
    resume: bool = True                  # continue from an existing checkpoint
    num_workers: int | None = None       # DataLoader workers; None: 0 in Jupyter or on the CPU
    num_threads: int | None = None       # torch CPU threads during the run; None: see fit
    progress: bool = True                # a progress bar per epoch
    divergence: float = 1e4              # warn once a batch loss exceeds this times the first

    def check(self, model) -> None:
        """Raise a TypeError or ValueError naming the first option that breaks its rule."""
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 0:
            raise ValueError(f"epochs must be a non-negative int, got {self.epochs!r}")
        if self.batch_size is not None:                # None: the default batch size
            check_positive_int(self.batch_size, "batch_size")
        if self.checkpoint_every is not None:
            check_positive_int(self.checkpoint_every, "checkpoint_every (steps)")
        if self.checkpoint_every is not None and self.checkpoint is None:
            raise ValueError("checkpoint_every needs a checkpoint path to save to")
        check_real(self.divergence, "divergence")
        if not self.divergence > 1:
            raise ValueError(f"divergence must be a factor > 1, got {self.divergence}")


def _config(config, options) -> FitConfig:
    """``config`` (default :class:`FitConfig`) with ``options`` replacing its fields."""
    if config is None:
        config = FitConfig()
    if not isinstance(config, FitConfig):
        raise TypeError(f"config must be a FitConfig, got {type(config).__name__}")
    fields = [field.name for field in dataclasses.fields(FitConfig)]
    unknown = [name for name in options if name not in fields]
    if unknown:
        raise TypeError(f"fit() got the unknown option(s) {unknown}; the options are the "
                        f"fields of FitConfig: {', '.join(fields)}")
    return dataclasses.replace(config, **options)


def fit(model: nn.Module, train_data, val_data=None, config: FitConfig | None = None,
        **options) -> History:
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
    config : FitConfig, optional
        All options at once; the keyword options below replace its fields.
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
        states, the epoch and step, the order of the current epoch and the history,
        as tensors and plain data only: it is read back with
        ``torch.load(weights_only=True)``, which runs no code from the file.
    checkpoint_every : int, optional
        Also save every this many training steps (batches, counted from the
        start of the run); without it a checkpoint is saved at the end of each
        epoch only.
    resume : bool
        If ``checkpoint`` exists, continue from it: the run goes on exactly as if
        it had not been interrupted (same batches, same random numbers, same history).
        The checkpoint's optimiser state wins, so a run resumed with another
        learning rate, batch size or seed warns and keeps the old values; another
        kind of optimiser (SGD for a run saved with Adam) is refused.
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
    divergence : float
        Warn (once) when a batch loss exceeds this many times the first batch's
        loss: the run is diverging long before the loss overflows to infinity.

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
        When the checkpoint file cannot be read, holds anything but a checkpoint
        of ``fit``, or was saved with another kind of optimiser; the message names it.

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
    config = _config(config, options)
    config.check(model)
    num_threads = thread_count(config.num_threads)
    with threads(num_threads):
        return _fit(model, train_data, val_data, config, num_threads)


@dataclasses.dataclass(frozen=True)
class _Setup:
    """What stays fixed during a run of :func:`fit`: the options and the objects built from them."""

    config: FitConfig
    model: nn.Module
    opt: torch.optim.Optimizer
    sched: object
    loss_fn: object
    device: torch.device
    batch_size: int
    val_data: object
    num_workers: int
    num_threads: int
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
        run.order = epoch_order(dataset, loader, s.batch_size, True, s.config.seed, run.epoch)
    return index_batches(dataset, loader, run.order[run.step:], s.num_workers), len(run.order)


class _DivergenceWatch:
    """Warns once when a batch loss exceeds ``factor`` times the run's first batch loss."""

    def __init__(self, factor):
        self.factor, self.first, self.warned = factor, None, False

    def __call__(self, loss, where):
        if self.first is None:
            self.first = loss
        elif not self.warned and self.first > 0 and loss > self.factor * self.first:
            self.warned = True
            # stacklevel 5: the warning points at the caller of fit.
            warnings.warn(f"the training loss grew from {self.first:.4g} at the first step to "
                          f"{loss:.4g} at {where}, more than {self.factor:g} times: training "
                          f"is diverging. Try a smaller learning rate", RuntimeWarning,
                          stacklevel=5)


def _train_epoch(s, dataset, loader, run, history, watch):
    """One pass over the training data, from where ``run`` stands; appends to ``history``."""
    t0 = time.perf_counter()
    batches, total = _epochindex_batches(s, dataset, loader, run)
    s.model.train()
    # The bar is updated by hand (not wrapped around the batches) so that it
    # stays open for the validation figures after the last batch.
    bar = tqdm(total=total, initial=run.step, desc=f"epoch {run.epoch + 1}/{s.config.epochs}",
               disable=not s.config.progress, leave=True, dynamic_ncols=True)
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
        watch(loss.item(), where)
        if (s.config.checkpoint_every and run.global_step % s.config.checkpoint_every == 0
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


def _fit(model, train_data, val_data, config, num_threads):
    """The loop of :func:`fit`: set up, resume from a checkpoint if any, train epoch by epoch."""
    dataset, loader = as_dataset(train_data, "train_data")
    if config.seed is not None:
        seed_everything(config.seed)
    device = default_device(config.device)
    model.to(device)
    opt = _make_optimizer(config.optimizer, model, config.lr)
    batch_size = config.batch_size or TRAIN_BATCH_SIZE
    hparams = hyperparameters(opt, batch_size, config.seed)
    sched = _make_scheduler(config.scheduler, opt)
    history, run = History(), RunState()
    checkpoint = config.checkpoint
    if checkpoint is not None and config.resume and pathlib.Path(checkpoint).exists():
        history, run, hparams = resume_from(checkpoint, device, model, opt, sched, hparams)

    def save(run):
        save_checkpoint(checkpoint, model, opt, sched, history, run, config.seed, hparams)

    s = _Setup(config, model, opt, sched,
               nn.CrossEntropyLoss() if config.loss_fn is None else config.loss_fn, device,
               batch_size, val_data,
               default_workers(device) if config.num_workers is None else config.num_workers,
               num_threads, None if checkpoint is None else save)
    watch = _DivergenceWatch(config.divergence)
    while run.epoch < config.epochs:
        _train_epoch(s, dataset, loader, run, history, watch)
    model.eval()
    return history
