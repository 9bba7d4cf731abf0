"""Segmentation metrics: pixel accuracy and intersection over union (IoU).

A segmentation network labels every pixel, so its metrics count pixels instead of images.
Pixel accuracy is plain accuracy over all pixels; it flatters a model that paints
everything background when the background covers most of the image.  The intersection
over union of class c,

    IoU_c = |true c AND predicted c| / |true c OR predicted c| = TP / (TP + FP + FN),

punishes both misses and false alarms of c, whatever its area; the mean over the classes
(mIoU) gives each class one vote.  With cm the confusion matrix of all pixels,
TP = cm[c, c], TP + FN = row c, TP + FP = column c.  scikit-learn calls IoU the Jaccard
index (``sklearn.metrics.jaccard_score(..., average=None)``).
"""
from __future__ import annotations

import numpy as np

from ._checks import check_label_maps

__all__ = ["pixel_accuracy", "iou_per_class", "iou_per_class_naive", "mean_iou"]


def _iou(y_true, y_pred, num_classes):
    """IoU per class of checked, flattened label maps."""
    # The confusion matrix of all pixels, counted with one bincount as in confusion_matrix.
    cm = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    cm = cm.reshape(num_classes, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def pixel_accuracy(y_true, y_pred):
    """Fraction of pixels whose predicted class is the true one.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (N, H, W)
        True and predicted label maps.

    Returns
    -------
    float

    Examples
    --------
    >>> pixel_accuracy([[0, 0], [1, 2]], [[0, 1], [1, 2]])
    0.75
    """
    y_true, y_pred, _ = check_label_maps(y_true, y_pred, None)
    return float(np.mean(y_true == y_pred))


def iou_per_class_naive(y_true, y_pred, num_classes=None):
    """:func:`iou_per_class` by counting the two pixel sets of each class with a loop."""
    y_true, y_pred, num_classes = check_label_maps(y_true, y_pred, num_classes)
    iou = np.full(num_classes, np.nan)
    for c in range(num_classes):
        union = np.sum((y_true == c) | (y_pred == c))
        if union:
            iou[c] = np.sum((y_true == c) & (y_pred == c)) / union
    return iou


def iou_per_class(y_true, y_pred, num_classes=None):
    """Intersection over union of every class: ``TP / (TP + FP + FN)`` over all pixels.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (N, H, W)
        True and predicted label maps, labels in ``0 .. C-1``.
    num_classes : int, optional
        ``C``; default ``max label + 1``.

    Returns
    -------
    ndarray of float64, shape (C,)
        NaN for a class that is neither present nor predicted (its IoU is 0/0);
        scikit-learn's ``jaccard_score`` gives 0 there instead.

    Examples
    --------
    >>> iou_per_class([[0, 0], [1, 1]], [[0, 1], [1, 1]])
    array([0.5       , 0.66666667])
    """
    y_true, y_pred, num_classes = check_label_maps(y_true, y_pred, num_classes)
    return _iou(y_true, y_pred, num_classes)


def mean_iou(y_true, y_pred, num_classes=None):
    """Mean intersection over union (mIoU) over the classes that occur.

    Classes absent from both maps (IoU NaN in :func:`iou_per_class`) are left out of
    the mean, so a class missing from an image neither helps nor hurts.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (N, H, W)
    num_classes : int, optional

    Returns
    -------
    float

    Examples
    --------
    >>> round(mean_iou([[0, 0], [1, 1]], [[0, 1], [1, 1]]), 4)
    0.5833
    """
    y_true, y_pred, num_classes = check_label_maps(y_true, y_pred, num_classes)
    return float(np.nanmean(_iou(y_true, y_pred, num_classes)))
