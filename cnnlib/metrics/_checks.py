"""The argument checks every public metric opens with: one rule, one message, one place.

As in scikit-learn's metrics, each public function starts by calling one checker
from here, which returns its arguments validated and converted (labels as int64
arrays, scores as float arrays), so the arithmetic that follows can trust them.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validate import check_positive_int

__all__ = ["MAX_CLASSES", "AVERAGES", "check_labels", "check_num_classes", "check_label_pair",
           "check_classification", "check_class_scores", "check_binary_scores",
           "check_label_maps"]

# A (C, C) confusion matrix of int64 counts: 4096 classes take 128 MiB.  A larger
# label is nearly always a pixel value, a score or a void marker, not a class.
MAX_CLASSES = 4096

AVERAGES = (None, "binary", "macro", "micro", "weighted")


def check_labels(y, name):
    """``y`` as a 1-D int64 array of class labels ``>= 0``, or a clear error."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty; metrics need at least one sample")
    if y.dtype.kind not in "biu":
        raise TypeError(f"{name} must hold integer class labels 0..C-1, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError(f"{name} holds the label {y.min()}; class labels must be 0..C-1")
    return y


def check_num_classes(num_classes, *ys):
    """Check ``num_classes`` against the labels ``(y, name)``, or infer it as max label + 1.

    Either way the number of classes is at most :data:`MAX_CLASSES`, so that no
    confusion matrix of absurd size is ever allocated.
    """
    if num_classes is not None:
        check_positive_int(num_classes, "num_classes")
        for y, name in ys:
            if y.max() >= num_classes:
                raise ValueError(f"{name} holds the label {y.max()}, but "
                                 f"num_classes={num_classes} allows only 0..{num_classes - 1}")
        if num_classes > MAX_CLASSES:
            raise ValueError(f"num_classes must be at most {MAX_CLASSES} (a (C, C) confusion "
                             f"matrix is counted), got {num_classes}")
        return int(num_classes)
    y, name = max(ys, key=lambda pair: pair[0].max())
    if y.max() >= MAX_CLASSES:
        raise ValueError(f"{name} holds the label {y.max()}: class labels must be 0..C-1 with "
                         f"at most C = {MAX_CLASSES} classes (a (C, C) confusion matrix is "
                         f"counted); map pixel values, void markers or scores to class "
                         f"labels first")
    return int(y.max()) + 1


def check_label_pair(y_true, y_pred, num_classes=None):
    """Validate true and predicted labels together; return them and ``C``."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, "
                         f"got {len(y_true)} and {len(y_pred)}")
    return y_true, y_pred, check_num_classes(num_classes, (y_true, "y_true"), (y_pred, "y_pred"))


def check_classification(y_true, y_pred, num_classes, average, pos_label, zero_division):
    """The checks of precision, recall, F1 and specificity, all at once.

    Returns ``y_true, y_pred, num_classes, zero_division`` (the last as a float);
    ``num_classes`` is 2 for ``average="binary"``.
    """
    if not (average is None or (isinstance(average, str) and average in AVERAGES)):
        raise ValueError(f"average must be one of None, 'binary', 'macro', 'micro', "
                         f"'weighted', got {average!r}")
    if not (isinstance(zero_division, numbers.Real)
            and (zero_division in (0, 1) or np.isnan(zero_division))):
        raise ValueError(f"zero_division must be 0, 1 or np.nan, got {zero_division!r}")
    y_true, y_pred, num_classes = check_label_pair(y_true, y_pred, num_classes)
    if average == "binary":
        if num_classes > 2:
            raise ValueError(
                f"average='binary' scores one positive class against the other, but there are "
                f"{num_classes} classes; choose average=None (one score per class), 'macro', "
                f"'micro' or 'weighted'")
        if pos_label not in (0, 1):
            raise ValueError(f"pos_label must be 0 or 1 for average='binary', got {pos_label!r}")
        num_classes = 2
    return y_true, y_pred, num_classes, float(zero_division)


def _check_scores(y_true, y_score):
    """The checks shared by every score array: numbers, one per sample, all finite."""
    if y_score.dtype.kind not in "iuf":
        raise TypeError(f"y_score must be numbers, got dtype {y_score.dtype}")
    if len(y_score) != len(y_true):
        raise ValueError(f"y_true and y_score must have the same length, "
                         f"got {len(y_true)} and {len(y_score)}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score holds NaN or infinite values")


def check_class_scores(y_true, y_score):
    """Validate labels ``(N,)`` with a ``(N, C)`` score matrix (one column per class)."""
    y_true = check_labels(y_true, "y_true")
    y_score = np.asarray(y_score)
    if y_score.ndim != 2:
        raise ValueError(f"y_score must have shape (N, C), one column per class, "
                         f"got shape {y_score.shape}")
    _check_scores(y_true, y_score)
    num_classes = y_score.shape[1]
    if y_true.max() >= num_classes:
        raise ValueError(f"y_true holds the label {y_true.max()}, but y_score has only "
                         f"{num_classes} columns (classes 0..{num_classes - 1})")
    return y_true, y_score


def check_binary_scores(y_true, y_score, pos_label, *,
                        hint="for a column of class scores pass y_score[:, c] with pos_label=c"):
    """Validate a detection problem: labels ``(N,)`` and positive-class scores ``(N,)``.

    Returns the boolean array "sample is positive" and the scores.  ``hint``
    ends the message for a score array of the wrong shape.
    """
    y_true = check_labels(y_true, "y_true")
    y_score = np.asarray(y_score)
    if y_score.ndim != 1:
        raise ValueError(f"y_score must have shape (N,), the score of the positive class for "
                         f"each sample, got shape {y_score.shape}; {hint}")
    _check_scores(y_true, y_score)
    if pos_label is None:
        # As in scikit-learn: without pos_label the labels must already be 0/1.
        if y_true.max() > 1:
            raise ValueError(f"y_true holds the labels {np.unique(y_true).tolist()}, not just "
                             f"0 and 1; pass pos_label=c (or y_true == c) to score class c "
                             f"against the rest")
        pos_label = 1
    return y_true == pos_label, y_score


def check_label_maps(y_true, y_pred, num_classes):
    """Check two label maps of the same shape, ``(H, W)`` or ``(N, H, W)``.

    Returns them flattened to int64 and the number of classes ``C`` (given, or
    the largest label + 1; at most :data:`MAX_CLASSES` either way).
    """
    maps = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        y = np.asarray(y)
        if y.ndim not in (2, 3):
            raise ValueError(f"{name} must be a label map of shape (H, W) or (N, H, W), "
                             f"got shape {y.shape} (ndim {y.ndim}); pass class labels, "
                             f"not scores: take scores.argmax(axis=1) first")
        if y.dtype.kind not in "biu":
            raise TypeError(f"{name} must hold integer class labels 0..C-1, got dtype {y.dtype}")
        if y.size == 0:
            raise ValueError(f"{name} is empty; metrics need at least one pixel")
        maps.append(y)
    if maps[0].shape != maps[1].shape:
        raise ValueError(f"y_true and y_pred must have the same shape, "
                         f"got {maps[0].shape} and {maps[1].shape}")
    flat = []
    for name, y in zip(("y_true", "y_pred"), maps):
        if y.min() < 0:
            raise ValueError(f"{name} holds the label {y.min()}; class labels must be 0..C-1")
        flat.append(y.ravel().astype(np.int64))
    num_classes = check_num_classes(num_classes, (flat[0], "y_true"), (flat[1], "y_pred"))
    return flat[0], flat[1], num_classes
