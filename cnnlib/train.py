"""Training and evaluating PyTorch models: ``fit``, ``evaluate``, ``predict``.

One loop for every notebook of the course, written out so it can be read:

    for each epoch:
        for each batch (x, y):
            loss = loss_fn(model(x), y)      # forward
            optimizer.zero_grad()
            loss.backward()                  # backward: gradients of the loss
            optimizer.step()                 # update the parameters

Around that core ``fit`` adds what a real run needs: a progress bar per epoch, the
history of loss and accuracy as data, a device chosen automatically (CUDA, Apple
MPS or the CPU), seeding, and checkpoints from which an interrupted run resumes
exactly where it stopped, and a stop with a clear message when the loss
becomes NaN or infinite. The device and thread policy lives in
:mod:`cnnlib.device`.

The data may be given in three forms:

* a ``torch.utils.data.Dataset`` whose items are ``(x, y)``;
* a ``torch.utils.data.DataLoader`` (its sampler, batch size and collate function
  are kept);
* a pair of arrays or tensors ``(X, y)`` with ``X`` of shape ``(N, C, H, W)`` and
  ``y`` of shape ``(N,)``, e.g. from :func:`cnnlib.mnist_arrays`.
"""
from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import random
import time
import warnings
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, TensorDataset)
from tqdm.auto import tqdm

from .device import cpu_cores, default_device, default_workers, thread_count, threads

__all__ = ["History", "Predictions", "fit", "evaluate", "predict", "default_device",
           "seed_everything", "cpu_cores"]

TRAIN_BATCH_SIZE = 128
EVAL_BATCH_SIZE = 1000


# --------------------------------------------------------------------------- set-up
def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------- data
def _as_dataset(data, name: str):
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


def _epoch_order(dataset, loader, batch_size, shuffle, seed, epoch):
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


def _batches(dataset, loader, order, num_workers):
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


def _iterable_batches(dataset, loader, batch_size, num_workers):
    if loader is None:
        loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    yield from loader


def _split(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("each item of the data must be a pair (x, y); "
                         "use predict() for data without labels")
    return batch[0], batch[1]


# --------------------------------------------------------------------------- history
@dataclasses.dataclass
class History:
    """Per-epoch figures of a run of :func:`fit`.

    Attributes
    ----------
    train_loss, train_acc : list of float
        Mean loss and accuracy over the training batches of each epoch, measured
        while the parameters change (as the progress bar shows them).
    val_loss, val_acc : list of float
        Loss and accuracy on the validation data at the end of each epoch
        (empty without validation data).
    lr : list of float
        Learning rate of the first parameter group at the end of each epoch.
    epoch_time : list of float
        Wall time of each epoch in seconds (training and validation).

    ``history["train_loss"]`` works as well as ``history.train_loss``.
    """

    train_loss: list = dataclasses.field(default_factory=list)
    train_acc: list = dataclasses.field(default_factory=list)
    val_loss: list = dataclasses.field(default_factory=list)
    val_acc: list = dataclasses.field(default_factory=list)
    lr: list = dataclasses.field(default_factory=list)
    epoch_time: list = dataclasses.field(default_factory=list)

    def __getitem__(self, key):
        return getattr(self, key)

    def __len__(self):
        return len(self.train_loss)

    def to_dict(self) -> dict:
        """The history as a plain dict of lists."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _EpochSums:
    """Running sums over the batches of one epoch, for its mean loss and accuracy."""

    loss: float = 0.0      # sum of batch loss * batch size
    correct: int = 0       # correct predictions
    seen: int = 0          # samples
    counted: int = 0       # samples with an accuracy (classification targets)

    def add(self, loss: float, n: int, hits) -> None:
        self.loss += loss * n
        self.seen += n
        if hits is not None:
            self.correct += hits
            self.counted += n

    @property
    def mean_loss(self) -> float:
        return self.loss / max(self.seen, 1)

    @property
    def accuracy(self) -> float:
        return self.correct / self.counted if self.counted else float("nan")

    def postfix(self) -> dict:
        """The progress bar's running figures."""
        return {"loss": f"{self.mean_loss:.4f}",
                "acc": f"{self.accuracy:.4f}" if self.counted else "n/a"}


@dataclasses.dataclass
class _RunState:
    """Where a run of :func:`fit` stands: all a checkpoint needs to resume it exactly."""

    epoch: int = 0                 # epochs completed
    step: int = 0                  # batches done in the current epoch
    global_step: int = 0           # batches done since the start of the run
    sums: _EpochSums = dataclasses.field(default_factory=_EpochSums)
    order: list | None = None      # index batches of the current epoch, once drawn

    def next_epoch(self) -> None:
        self.epoch, self.step, self.sums, self.order = self.epoch + 1, 0, _EpochSums(), None


def _accuracy_count(output, y):
    """Number of correct predictions in a batch, or None for non-classification targets."""
    if output.ndim != 2 or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        return None
    return (output.argmax(dim=1) == y).sum().item()


# --------------------------------------------------------------------------- checkpoints
def _rng_states():
    states = {"python": random.getstate(), "numpy": np.random.get_state(),
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states):
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _hyperparameters(opt, batch_size, seed) -> dict:
    """What a resumed run should share with the run that saved the checkpoint."""
    simple = (int, float, str, bool, tuple, type(None))
    groups = [{k: v for k, v in group.items() if k != "params" and isinstance(v, simple)}
              for group in opt.param_groups]
    return {"optimizer": type(opt).__name__, "param_groups": groups,
            "batch_size": batch_size, "seed": seed}


def _changed(saved: dict, now: dict) -> list:
    """``"name: saved -> now"`` for every hyper-parameter that differs."""
    changes = [f"{key}: {saved[key]!r} -> {now[key]!r}"
               for key in ("optimizer", "batch_size", "seed") if saved.get(key) != now[key]]
    for i, (old, new) in enumerate(zip(saved.get("param_groups", []), now["param_groups"])):
        prefix = f"param_groups[{i}]." if len(now["param_groups"]) > 1 else ""
        changes += [f"{prefix}{key}: {old[key]!r} -> {new[key]!r}"
                    for key in new if key in old and old[key] != new[key]]
    return changes


_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "history", "epoch", "step",
                    "global_step", "sums", "order", "rng")


def _load_checkpoint(path, device):
    """The checkpoint dict at ``path``, or a ValueError that names the file."""
    try:
        state = torch.load(path, map_location=device, weights_only=False)
    except Exception as exc:     # truncated, not a torch file, unpicklable: all one answer
        raise ValueError(f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); "
                         f"delete it, or pass resume=False to start afresh") from exc
    missing = [k for k in _CHECKPOINT_KEYS if k not in state] if isinstance(state, dict) else ["*"]
    if missing:
        raise ValueError(f"checkpoint {path} is not a checkpoint of cnnlib.train.fit (missing "
                         f"{missing}); delete it, or pass resume=False to start afresh")
    return state


def _resume(path, device, model, opt, sched, hparams):
    """Restore model, optimiser, scheduler and random states.

    Returns the history, the run state and the hyper-parameters of the run,
    which are the checkpoint's: its optimiser state replaces the new one.
    """
    state = _load_checkpoint(path, device)
    changes = _changed(state["hparams"], hparams) if "hparams" in state else []
    if changes:
        warnings.warn(f"resuming from {path}, saved with other hyper-parameters ("
                      f"{'; '.join(changes)}); the run continues with the checkpoint's "
                      f"optimiser state and shuffling. Pass resume=False (or another "
                      f"checkpoint path) to start a new run with the new values.",
                      UserWarning, stacklevel=4)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    if sched is not None and state["scheduler"] is not None:
        sched.load_state_dict(state["scheduler"])
    _set_rng_states(state["rng"])
    run = _RunState(state["epoch"], state["step"], state["global_step"],
                    _EpochSums(*state["sums"]), state["order"])
    return History(**state["history"]), run, state.get("hparams", hparams)


def _non_finite(model) -> list:
    return [name for name, t in model.state_dict().items()
            if t.is_floating_point() and not torch.isfinite(t).all()]


def _save_checkpoint(path, model, opt, sched, history, run, seed, hparams):
    """Save the run; refuse to save weights that hold NaN or infinity."""
    bad = _non_finite(model)
    if bad:
        raise FloatingPointError(f"the weights {bad[:3]} hold NaN or infinite values at epoch "
                                 f"{run.epoch + 1}, step {run.step}; they are not saved, so "
                                 f"{path} keeps the last finite state")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename: an interruption during the write
    # leaves the previous checkpoint intact.
    tmp = path.with_name(path.name + ".tmp")
    torch.save({
        "model": model.state_dict(), "optimizer": opt.state_dict(),
        "scheduler": None if sched is None else sched.state_dict(),
        "history": history.to_dict(), "epoch": run.epoch, "step": run.step,
        "global_step": run.global_step, "sums": dataclasses.astuple(run.sums),
        "order": run.order, "rng": _rng_states(), "seed": seed, "hparams": hparams,
    }, tmp)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- fit
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


def _check_positive_int(value, name, what=""):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive int{what}, got {value!r}")


def _check_fit_arguments(model, epochs, batch_size, checkpoint, checkpoint_every):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    _check_positive_int(batch_size, "batch_size")
    _check_positive_int(checkpoint_every, "checkpoint_every", " (steps)")
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


def _epoch_batches(s, dataset, loader, run):
    """The remaining batches of the current epoch and their total number (None if unknown)."""
    if isinstance(dataset, IterableDataset):
        if run.step:
            raise ValueError("an IterableDataset cannot be resumed in the middle of an epoch")
        return _iterable_batches(dataset, loader, s.batch_size, s.num_workers), None
    if run.order is None:
        run.order = _epoch_order(dataset, loader, s.batch_size, True, s.seed, run.epoch)
    return _batches(dataset, loader, run.order[run.step:], s.num_workers), len(run.order)


def _train_epoch(s, dataset, loader, run, history):
    """One pass over the training data, from where ``run`` stands; appends to ``history``."""
    t0 = time.perf_counter()
    batches, total = _epoch_batches(s, dataset, loader, run)
    s.model.train()
    # The bar is updated by hand (not wrapped around the batches) so that it
    # stays open for the validation figures after the last batch.
    bar = tqdm(total=total, initial=run.step, desc=f"epoch {run.epoch + 1}/{s.epochs}",
               disable=not s.progress, leave=True, dynamic_ncols=True)
    for batch in batches:
        x, y = _split(batch)
        x, y = x.to(s.device), y.to(s.device)
        where = f"epoch {run.epoch + 1}, step {run.step + 1}"
        loss, output = _train_step(s.model, x, y, s.loss_fn, s.opt, s.sched, where)
        run.step += 1
        run.global_step += 1
        run.sums.add(loss.item(), len(y), _accuracy_count(output.detach(), y))
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
    dataset, loader = _as_dataset(train_data, "train_data")
    if seed is not None:
        seed_everything(seed)
    model.to(device)
    opt = _make_optimizer(optimizer, model, lr)
    hparams = _hyperparameters(opt, batch_size, seed)
    sched = _make_scheduler(scheduler, opt)
    history, run = History(), _RunState()
    if checkpoint is not None and resume and pathlib.Path(checkpoint).exists():
        history, run, hparams = _resume(checkpoint, device, model, opt, sched, hparams)

    def save(run):
        _save_checkpoint(checkpoint, model, opt, sched, history, run, seed, hparams)

    s = _Setup(model, opt, sched, nn.CrossEntropyLoss() if loss_fn is None else loss_fn, device,
               epochs, batch_size, seed, val_data,
               default_workers(device) if num_workers is None else num_workers, num_threads,
               progress, checkpoint_every, None if checkpoint is None else save)
    while run.epoch < epochs:
        _train_epoch(s, dataset, loader, run, history)
    model.eval()
    return history


# --------------------------------------------------------------------------- evaluate / predict
def _outputs(model, data, batch_size, device, num_workers, num_threads, progress, desc):
    """Yield ``(output, y_or_None)`` for every batch of ``data`` with the model in eval mode."""
    device = default_device(device)
    dataset, loader = _as_dataset(data, "data")
    if isinstance(dataset, IterableDataset):
        batches = _iterable_batches(dataset, loader, batch_size, num_workers or 0)
        total = None
    else:
        order = _epoch_order(dataset, loader, batch_size, False, 0, 0)
        batches, total = _batches(dataset, loader, order, num_workers or 0), len(order)
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
        hits = _accuracy_count(output, y)
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

