"""Training and evaluating PyTorch models: ``fit``, ``evaluate``, ``predict``.

One loop for every notebook of the course, written out so it can be read in
:mod:`cnnlib.train.loop`: forward, loss, backward, update, batch after batch.
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

One module per idea: :mod:`~cnnlib.train.loop` (``fit``: step, epoch, run),
:mod:`~cnnlib.train.evaluation` (``evaluate``, ``predict``),
:mod:`~cnnlib.train.batches` (data forms and batch orders),
:mod:`~cnnlib.train.history` (``History`` and the run state),
:mod:`~cnnlib.train.checkpoint` (save and resume),
:mod:`~cnnlib.train.recipes` (``holdout_split``, ``fit_one_cycle``: lesson 04a's run),
:mod:`~cnnlib.train.side_by_side` (a NumPy and a PyTorch network trained on the same
batches: lesson 03), :mod:`~cnnlib.train.compare` (designs trained alike over several
seeds: lesson 04c).
"""
from ..device import cpu_cores, default_device
from .evaluation import Predictions, evaluate, predict
from .history import History
from .loop import FitConfig, fit, seed_everything
from .compare import final_accuracies, fit_designs, spread_table
from .recipes import fit_one_cycle, holdout_split
from .side_by_side import batched_accuracy, train_side_by_side

__all__ = ["FitConfig", "History", "Predictions", "fit", "evaluate", "predict", "default_device",
           "seed_everything", "cpu_cores", "fit_one_cycle", "holdout_split", "batched_accuracy",
           "train_side_by_side", "fit_designs", "final_accuracies", "spread_table"]
