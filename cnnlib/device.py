"""Where and how wide torch computes: the device, the CPU threads, the data-loading workers.

The policy of :func:`cnnlib.train.fit` and :func:`cnnlib.train.evaluate`, in one place:

* the device is CUDA if there is one, else Apple MPS, else the CPU;
* on a CPU torch uses as many threads as the process has cores, but one
  thread on a small (two-core) or already busy machine, where threads waiting
  for each other cost more than they gain;
* data is loaded in the main process inside Jupyter and on the CPU, else by up
  to four worker processes.

Examples
--------
>>> default_device("cpu")
device(type='cpu')
>>> cpu_cores() >= 1
True
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import sys

import torch

from ._validate import check_positive_int

__all__ = ["default_device", "cpu_cores", "thread_count", "threads", "default_workers"]


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


def thread_count(num_threads=None) -> int:
    """The number of torch CPU threads to use: ``num_threads`` if given, else the policy above.

    Parameters
    ----------
    num_threads : int, optional
        A positive int forces that many threads.
    """
    if num_threads is not None:
        return check_positive_int(num_threads, "num_threads")
    cores = cpu_cores()
    # torch's threads wait for each other at every operation: when another
    # process takes one of the cores they stall (LeNet-5's training steps ran
    # 10x slower with two threads on a shared 2-core machine), while a second
    # thread gains little on the course's small networks (about 20% for LeNet-5).
    busy = hasattr(os, "getloadavg") and os.getloadavg()[0] > cores + 0.5
    return 1 if cores <= 2 or busy else cores


@contextlib.contextmanager
def threads(num_threads=None):
    """Run torch's CPU operations with :func:`thread_count` threads, then restore the setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(thread_count(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _in_jupyter() -> bool:
    return "ipykernel" in sys.modules


def default_workers(device: torch.device) -> int:
    """DataLoader worker processes for ``device``: 0 in Jupyter and on the CPU, else up to 4."""
    # Worker processes cannot pickle classes defined in a notebook on macOS and
    # Windows (spawn start method), and on a CPU they compete with the training
    # threads for the same cores: load in the main process there.
    if _in_jupyter() or device.type == "cpu":
        return 0
    return min(4, os.cpu_count() or 1)
