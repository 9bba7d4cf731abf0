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
exactly where it stopped. On a CPU it loads the data in the main process (which
also works inside Jupyter) and uses as many threads as the process has cores,
or one thread on a small (two-core) or busy machine.

The data may be given in three forms:

* a ``torch.utils.data.Dataset`` whose items are ``(x, y)``;
* a ``torch.utils.data.DataLoader`` (its sampler, batch size and collate function
  are kept);
* a pair of arrays or tensors ``(X, y)`` with ``X`` of shape ``(N, C, H, W)`` and
  ``y`` of shape ``(N,)``, e.g. from :func:`cnnlib.mnist_arrays`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import pathlib
import random
import sys
import time
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, TensorDataset)
from tqdm.auto import tqdm

__all__ = ["History", "Predictions", "fit", "evaluate", "predict", "default_device",
           "seed_everything", "cpu_cores"]

TRAIN_BATCH_SIZE = 128
EVAL_BATCH_SIZE = 1000


# --------------------------------------------------------------------------- set-up
def default_device(device=None) -> torch.device:
    """The device to compute on: ``device`` if given, else CUDA, else Apple MPS, else CPU.

    Parameters
    ----------
    device : str or torch.device, optional
        Force a device, e.g. ``"cpu"`` to compare with a GPU run.
    """
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _in_jupyter() -> bool:
    return "ipykernel" in sys.modules


def _default_workers(device: torch.device) -> int:
    # Worker processes cannot pickle classes defined in a notebook on macOS and
    # Windows (spawn start method), and on a CPU they compete with the training
    # threads for the same cores: load in the main process there.
    if _in_jupyter() or device.type == "cpu":
        return 0
    return min(4, os.cpu_count() or 1)


def cpu_cores() -> int:
    """Number of CPU cores this process may use.

    ``os.cpu_count()`` reports the cores of the whole machine, but a container
    (Binder, Colab, a CI runner) is often allowed only a few: this reads the CPU
    affinity and the container's CPU quota (cgroup ``cpu.max``) as well.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = pathlib.Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores or 1)


def _thread_count(num_threads) -> int:
    if num_threads is not None:
        if not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
        return num_threads
    cores = cpu_cores()
    # torch's threads wait for each other at every operation: when another
    # process takes one of the cores they stall (LeNet-5's training steps ran
    # 10x slower with two threads on a shared 2-core machine), while a second
    # thread gains little on the course's small networks (about 20% for LeNet-5).
    # So: one thread on two cores or fewer, or when the machine is already busy.
    busy = hasattr(os, "getloadavg") and os.getloadavg()[0] > cores + 0.5
    return 1 if cores <= 2 or busy else cores


@contextlib.contextmanager
def _threads(num_threads):
    """Run torch's CPU operations with ``num_threads`` threads, then restore the setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(_thread_count(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------- data
def _as_dataset(data, name: str):
    """``(dataset, loader)``: the map-style or iterable data set, and the loader if one was given."""
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


def _save(path, state):
    # Write to a temporary file and rename: an interruption during the write
    # leaves the previous checkpoint intact.
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
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
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if checkpoint_every is not None and (not isinstance(checkpoint_every, int)
                                         or checkpoint_every < 1):
        raise ValueError(f"checkpoint_every must be a positive int (steps), got {checkpoint_every!r}")
    if checkpoint_every is not None and checkpoint is None:
        raise ValueError("checkpoint_every needs a checkpoint path to save to")

    threads = _thread_count(num_threads)
    with _threads(threads):
        return _fit(model, train_data, val_data, epochs, optimizer, lr,
                    batch_size or TRAIN_BATCH_SIZE, loss_fn, scheduler, default_device(device),
                    seed, checkpoint, checkpoint_every, resume, num_workers, progress, threads)


def _train_step(model, x, y, loss_fn, opt, sched):
    """One step of gradient descent on the batch ``(x, y)``; returns the loss and the output."""
    output = model(x)                # forward
    loss = loss_fn(output, y)
    opt.zero_grad()                  # gradients accumulate in .grad: clear the last step's
    loss.backward()                  # backward: d loss / d parameter for every parameter
    opt.step()                       # update the parameters
    if sched is not None:
        sched.step()
    return loss, output


def _fit(model, train_data, val_data, epochs, optimizer, lr, batch_size, loss_fn, scheduler,
         device, seed, checkpoint, checkpoint_every, resume, num_workers, progress, threads):
    """The loop of :func:`fit`, with its arguments checked and defaults filled in."""
    num_workers = _default_workers(device) if num_workers is None else num_workers
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    dataset, loader = _as_dataset(train_data, "train_data")
    iterable = isinstance(dataset, IterableDataset)

    if seed is not None:
        seed_everything(seed)
    model.to(device)
    opt = _make_optimizer(optimizer, model, lr)
    sched = scheduler(opt) if callable(scheduler) and not hasattr(scheduler, "step") else scheduler

    history = History()
    start_epoch, start_step, global_step, sums, order = 0, 0, 0, (0.0, 0, 0, 0), None
    if checkpoint is not None and resume and pathlib.Path(checkpoint).exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None and state["scheduler"] is not None:
            sched.load_state_dict(state["scheduler"])
        history = History(**state["history"])
        start_epoch, start_step, sums = state["epoch"], state["step"], state["sums"]
        global_step = state["global_step"]
        order = state["order"]
        _set_rng_states(state["rng"])

    def save(epoch, step, sums, order):
        _save(checkpoint, {
            "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": None if sched is None else sched.state_dict(),
            "history": history.to_dict(), "epoch": epoch, "step": step,
            "global_step": global_step, "sums": sums, "order": order,
            "rng": _rng_states(), "seed": seed,
        })

    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        if iterable:
            if start_step:
                raise ValueError("an IterableDataset cannot be resumed in the middle of an epoch")
            batches = _iterable_batches(dataset, loader, batch_size, num_workers)
            total, order = None, None
        else:
            if order is None:
                order = _epoch_order(dataset, loader, batch_size, True, seed, epoch)
            batches = _batches(dataset, loader, order[start_step:], num_workers)
            total = len(order)
        # Running sums of the epoch: loss * n, correct predictions, samples, samples with accuracy.
        loss_sum, correct, seen, counted = sums
        model.train()
        # The bar is updated by hand (not wrapped around the batches) so that it
        # stays open for the validation figures after the last batch.
        bar = tqdm(total=total, initial=start_step, desc=f"epoch {epoch + 1}/{epochs}",
                   disable=not progress, leave=True, dynamic_ncols=True)
        step = start_step
        for batch in batches:
            x, y = _split(batch)
            x, y = x.to(device), y.to(device)
            loss, output = _train_step(model, x, y, loss_fn, opt, sched)
            step += 1
            global_step += 1
            n = len(y)
            loss_sum += loss.item() * n
            seen += n
            hits = _accuracy_count(output.detach(), y)
            if hits is not None:
                correct += hits
                counted += n
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}",
                            acc=f"{correct / counted:.4f}" if counted else "n/a",
                            refresh=False)
            bar.update(1)
            if (checkpoint_every and global_step % checkpoint_every == 0
                    and step < (total or math.inf)):
                save(epoch, step, (loss_sum, correct, seen, counted), order)

        history.train_loss.append(loss_sum / max(seen, 1))
        history.train_acc.append(correct / counted if counted else float("nan"))
        if val_data is not None:
            val = evaluate(model, val_data, loss_fn=loss_fn, device=device,
                           num_workers=num_workers, num_threads=threads)
            history.val_loss.append(val["loss"])
            history.val_acc.append(val["acc"])
            bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}",
                            acc=f"{history.train_acc[-1]:.4f}",
                            val_loss=f"{val['loss']:.4f}", val_acc=f"{val['acc']:.4f}")
        bar.close()
        history.lr.append(opt.param_groups[0]["lr"])
        history.epoch_time.append(time.perf_counter() - t0)
        start_step, sums, order = 0, (0.0, 0, 0, 0), None
        if checkpoint is not None:
            save(epoch + 1, 0, sums, None)
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
        with torch.no_grad(), _threads(num_threads):
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
