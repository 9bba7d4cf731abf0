"""Classification scores: the confusion matrix and what is counted from it.

For one class ``c`` every sample is either *present* (its true label is ``c``) or
absent, and either *detected* (predicted as ``c``) or not; TP, FP, FN and TN count
the four cases (see :mod:`cnnlib.metrics`), and each score here is a ratio of them.
Names, arguments and numbers follow ``sklearn.metrics``.
"""
from __future__ import annotations

import numpy as np

from ._checks import check_classification, check_label_pair

__all__ = ["confusion_matrix", "confusion_matrix_naive", "one_vs_rest_counts",
           "accuracy_score", "precision_score", "recall_score", "f1_score", "specificity",
           "classification_report"]


def confusion_matrix_naive(y_true, y_pred, num_classes=None):
    """The confusion matrix with an explicit loop: one vote per sample.

    Same arguments and result as :func:`confusion_matrix` (without ``normalize``).
    """
    y_true, y_pred, num_classes = check_label_pair(y_true, y_pred, num_classes)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def confusion_matrix(y_true, y_pred, num_classes=None, *, normalize=None):
    """Count how often class ``i`` was predicted as class ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
        True and predicted class labels in ``0 .. C-1``.
    num_classes : int, optional
        ``C``; default ``max(y_true.max(), y_pred.max()) + 1``.
    normalize : None, "true", "pred" or "all"
        Divide by the row sums (each row is then the recall picture of one
        true class), the column sums, or ``N``.  Empty rows/columns give 0,
        as in scikit-learn.

    Returns
    -------
    cm : ndarray, shape (C, C)
        Rows are true classes, columns predicted classes; the diagonal holds
        the correct predictions.  int64 counts, or float64 when normalised.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true, y_pred, num_classes = check_label_pair(y_true, y_pred, num_classes)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    # Cell (t, p) gets flat index t*C + p, so one bincount counts all pairs at
    # once -- the same votes as the loop in confusion_matrix_naive.
    cm = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    cm = cm.reshape(num_classes, num_classes).astype(np.int64)
    if normalize is None:
        return cm
    total = {"true": cm.sum(axis=1, keepdims=True),
             "pred": cm.sum(axis=0, keepdims=True),
             "all": cm.sum()}[normalize]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(cm / total)


def one_vs_rest_counts(y_true, y_pred, num_classes=None):
    """The table of counts for every class: TP, FP, FN and TN, one class against the rest.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
    num_classes : int, optional

    Returns
    -------
    tp, fp, fn, tn : ndarray of int64, shape (C,) each
        ``tp[c]``: samples of class ``c`` predicted as ``c``; ``fp[c]``: other
        samples predicted as ``c``; ``fn[c]``: samples of ``c`` predicted as
        something else; ``tn[c]``: the rest.  ``tp + fp + fn + tn == N``.
    """
    y_true, y_pred, num_classes = check_label_pair(y_true, y_pred, num_classes)
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp        # column c: everything predicted as c
    fn = cm.sum(axis=1) - tp        # row c: everything that truly is c
    tn = cm.sum() - tp - fp - fn
    return tp, fp, fn, tn


def accuracy_score(y_true, y_pred):
    """Fraction of samples whose predicted label equals the true label.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)

    Returns
    -------
    float in [0, 1], ``trace(confusion_matrix) / N``.
    """
    y_true, y_pred, _ = check_label_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


# --------------------------------------------------------------------------- per-class scores
def _divide(numerator, denominator, zero_division):
    """``numerator / denominator`` with ``zero_division`` wherever the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(numerator.shape, zero_division)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _nan_average(values, weights=None):
    """Average ignoring NaN entries (scikit-learn's rule for ``zero_division=np.nan``)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is not None and np.sum(weights[keep]) > 0:
        return float(np.average(values[keep], weights=weights[keep]))
    # All weights zero (no true samples at all): fall back to the plain mean.
    return float(np.mean(values[keep]))


def _score(kind, y_true, y_pred, num_classes, average, pos_label, zero_division):
    """Shared body of precision, recall, f1_score and specificity, on checked arguments."""
    tp, fp, fn, tn = one_vs_rest_counts(y_true, y_pred, num_classes)
    support = tp + fn
    if average == "micro":
        # Pool the counts of all classes first, then divide once.
        tp, fp, fn, tn = (np.array([x.sum()]) for x in (tp, fp, fn, tn))
    numerator, denominator = {
        "precision": (tp, tp + fp),
        "recall": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "f1": (2 * tp, 2 * tp + fp + fn),
    }[kind]
    per_class = _divide(numerator, denominator, zero_division)
    if average is None:
        return per_class
    if average == "binary":
        return float(per_class[pos_label])
    if average == "micro":
        return float(per_class[0])
    return _nan_average(per_class, support if average == "weighted" else None)


def precision_score(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
                    zero_division=0):
    """Precision TP / (TP + FP): of the samples predicted as a class, the fraction that are.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
        True and predicted class labels in ``0 .. C-1``.
    num_classes : int, optional
        ``C``; default ``max label + 1``.
    average : "binary", None, "macro", "micro" or "weighted"
        ``"binary"`` (the default, as in scikit-learn): the score of class
        ``pos_label`` in a two-class problem.  ``None``: one score per class,
        shape (C,).  ``"macro"``: their plain mean, every class counts the
        same.  ``"weighted"``: their mean weighted by support (the number of
        true samples of each class).  ``"micro"``: pool TP, FP, FN and TN
        over all classes, then divide once.
    pos_label : 0 or 1
        The positive class for ``average="binary"``.
    zero_division : 0, 1 or np.nan
        The score of a class whose denominator is zero (e.g. the precision of
        a class that is never predicted).  ``np.nan`` entries are left out of
        the averages, as in scikit-learn.

    Returns
    -------
    float, or ndarray of float64 with shape (C,) when ``average=None``.

    Examples
    --------
    >>> precision_score([0, 1, 1, 2], [0, 1, 2, 2], average=None)
    array([1. , 1. , 0.5])
    """
    y_true, y_pred, num_classes, zero_division = check_classification(
        y_true, y_pred, num_classes, average, pos_label, zero_division)
    return _score("precision", y_true, y_pred, num_classes, average, pos_label, zero_division)


def recall_score(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
                 zero_division=0):
    """Recall (sensitivity) TP / (TP + FN): of the samples of a class, the fraction found.

    Parameters and return value as in :func:`precision_score`.
    """
    y_true, y_pred, num_classes, zero_division = check_classification(
        y_true, y_pred, num_classes, average, pos_label, zero_division)
    return _score("recall", y_true, y_pred, num_classes, average, pos_label, zero_division)


def f1_score(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
             zero_division=0):
    """F1 score 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    Parameters and return value as in :func:`precision_score`; ``zero_division`` is
    used when TP + FP + FN = 0 (a class neither present nor predicted).
    """
    y_true, y_pred, num_classes, zero_division = check_classification(
        y_true, y_pred, num_classes, average, pos_label, zero_division)
    return _score("f1", y_true, y_pred, num_classes, average, pos_label, zero_division)


def specificity(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
                zero_division=0):
    """Specificity TN / (TN + FP): of the samples not of a class, the fraction left alone.

    Parameters and return value as in :func:`precision_score`; ``"weighted"`` also
    weights by the support of each class.  scikit-learn has no specificity
    function: in a two-class problem it is the recall of the other class,
    ``recall_score(y_true, y_pred, pos_label=0)``.
    """
    y_true, y_pred, num_classes, zero_division = check_classification(
        y_true, y_pred, num_classes, average, pos_label, zero_division)
    return _score("specificity", y_true, y_pred, num_classes, average, pos_label, zero_division)


def classification_report(y_true, y_pred, num_classes=None, *, target_names=None, digits=2,
                          zero_division=0):
    """A text table of per-class precision, recall, F1 and support.

    The layout is that of ``sklearn.metrics.classification_report`` (called
    with ``labels=range(C)``): one row per class, then accuracy and the macro
    and weighted averages.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
    num_classes : int, optional
    target_names : sequence of str, optional
        One name per class (e.g. ``FASHION_MNIST_CLASSES``); default the labels.
    digits : int
        Decimal places.
    zero_division : 0, 1 or np.nan

    Returns
    -------
    str
    """
    y_true, y_pred, num_classes, _ = check_classification(y_true, y_pred, num_classes, None, 1,
                                                          zero_division)
    if target_names is None:
        target_names = [str(c) for c in range(num_classes)]
    if len(target_names) != num_classes:
        raise ValueError(f"target_names has {len(target_names)} names for {num_classes} classes")
    args = (y_true, y_pred, num_classes)
    columns = [precision_score(*args, average=None, zero_division=zero_division),
               recall_score(*args, average=None, zero_division=zero_division),
               f1_score(*args, average=None, zero_division=zero_division),
               np.bincount(y_true, minlength=num_classes)]
    width = max(max(len(name) for name in target_names), len("weighted avg"), digits)
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = ("{:>{width}s} " + " {:>9}" * 4).format(
        "", "precision", "recall", "f1-score", "support", width=width) + "\n\n"
    for name, *values in zip(target_names, *columns):
        text += row.format(name, *values, width=width, digits=digits)
    text += "\n"
    n = len(y_true)
    text += ("{:>{width}s} " + " {:>9}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
        "accuracy", "", "", accuracy_score(y_true, y_pred), n, width=width, digits=digits)
    for average in ("macro", "weighted"):
        values = [f(*args, average=average, zero_division=zero_division)
                  for f in (precision_score, recall_score, f1_score)]
        text += row.format(f"{average} avg", *values, n, width=width, digits=digits)
    return text


