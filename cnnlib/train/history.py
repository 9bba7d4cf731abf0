"""What a run of :func:`~cnnlib.train.fit` records: the history, and where the run stands."""
from __future__ import annotations

import dataclasses

import torch

__all__ = ["History", "EpochSums", "RunState", "accuracy_count"]


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
class EpochSums:
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
class RunState:
    """Where a run of :func:`fit` stands: all a checkpoint needs to resume it exactly."""

    epoch: int = 0                 # epochs completed
    step: int = 0                  # batches done in the current epoch
    global_step: int = 0           # batches done since the start of the run
    sums: EpochSums = dataclasses.field(default_factory=EpochSums)
    order: list | None = None      # index batches of the current epoch, once drawn

    def next_epoch(self) -> None:
        self.epoch, self.step, self.sums, self.order = self.epoch + 1, 0, EpochSums(), None


def accuracy_count(output, y):
    """Number of correct predictions in a batch, or None for non-classification targets."""
    if output.ndim != 2 or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        return None
    return (output.argmax(dim=1) == y).sum().item()
