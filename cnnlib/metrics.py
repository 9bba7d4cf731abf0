"""Evaluation metrics for classifiers (NumPy).

The lecture starts from detection theory: for one class ``c`` every sample is
either *present* (its true label is ``c``) or absent, and either *detected*
(the model predicts ``c``) or not::

                        detected (pred = c)    not detected (pred != c)
    present (y = c)     TP  true positive      FN  false negative (a miss)
    absent  (y != c)    FP  false positive     TN  true negative
                            (a false alarm)

    precision   = TP / (TP + FP)   of the detections, how many are right
    recall      = TP / (TP + FN)   of the present, how many are found (sensitivity)
    specificity = TN / (TN + FP)   of the absent, how many are left alone
    accuracy    = (TP + TN) / N    for one class; over C classes: trace(cm) / N
    F1          = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall

A C-class problem is C such detection problems, one class against the rest
(one-vs-rest); the per-class numbers are then averaged (``average=``).

Names and conventions follow scikit-learn (``sklearn.metrics``) so that the
numbers here can be checked against it and what students learn transfers.  One
difference: class labels are always the integers ``0 .. C-1`` (as in PyTorch),
and per-class arrays have one entry per class, also for a class that occurs in
neither ``y_true`` nor ``y_pred``.  scikit-learn gives the same numbers when
called with ``labels=np.arange(C)``.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._validate import check_positive_int

__all__ = [
    "confusion_matrix",
    "confusion_matrix_naive",
    "one_vs_rest_counts",
    "accuracy_score",
    "precision_score",
    "recall_score",
    "f1_score",
    "specificity",
    "classification_report",
    "top_k_accuracy_score",
    "top_k_error",
    "precision_recall_curve",
    "precision_recall_curve_naive",
    "average_precision_score",
    "mean_average_precision",
    "accuracy_per_mparam",
    "most_confused",
    "confident_mistakes",
]

_AVERAGES = (None, "binary", "macro", "micro", "weighted")


# --------------------------------------------------------------------------- validation
def _labels(y, name):
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


def _num_classes(num_classes, *ys):
    """Check ``num_classes`` against the labels, or infer it as ``max label + 1``."""
    largest = max(int(y.max()) for y, _ in ys)
    if num_classes is None:
        return largest + 1
    check_positive_int(num_classes, "num_classes")
    for y, name in ys:
        if y.max() >= num_classes:
            raise ValueError(f"{name} holds the label {y.max()}, but num_classes={num_classes} "
                             f"allows only 0..{num_classes - 1}")
    return int(num_classes)


def _pair(y_true, y_pred, num_classes):
    """Validate true and predicted labels together; return them and C."""
    y_true = _labels(y_true, "y_true")
    y_pred = _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, "
                         f"got {len(y_true)} and {len(y_pred)}")
    return y_true, y_pred, _num_classes(num_classes, (y_true, "y_true"), (y_pred, "y_pred"))


def _check_scores(y_true, y_score):
    """The checks shared by every score array: numbers, one per sample, all finite."""
    if y_score.dtype.kind not in "iuf":
        raise TypeError(f"y_score must be numbers, got dtype {y_score.dtype}")
    if len(y_score) != len(y_true):
        raise ValueError(f"y_true and y_score must have the same length, "
                         f"got {len(y_true)} and {len(y_score)}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score holds NaN or infinite values")


def _class_scores(y_true, y_score):
    """Validate labels with a ``(N, C)`` score matrix (one column per class)."""
    y_true = _labels(y_true, "y_true")
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


def _binary_scores(y_true, y_score, pos_label):
    """Validate a detection problem: labels ``(N,)`` and positive-class scores ``(N,)``.

    Returns the boolean array "sample is positive" and the scores.
    """
    y_true = _labels(y_true, "y_true")
    y_score = np.asarray(y_score)
    if y_score.ndim != 1:
        raise ValueError(f"y_score must have shape (N,), the score of the positive class for "
                         f"each sample, got shape {y_score.shape}; for a column of class "
                         f"scores pass y_score[:, c] with pos_label=c")
    _check_scores(y_true, y_score)
    if pos_label is None:
        # As in scikit-learn: without pos_label the labels must already be 0/1.
        if y_true.max() > 1:
            raise ValueError(f"y_true holds the labels {np.unique(y_true).tolist()}, not just "
                             f"0 and 1; pass pos_label=c to score class c against the rest")
        pos_label = 1
    return y_true == pos_label, y_score


def _check_average(average):
    if not (average is None or (isinstance(average, str) and average in _AVERAGES)):
        raise ValueError(f"average must be one of None, 'binary', 'macro', 'micro', "
                         f"'weighted', got {average!r}")


def _check_zero_division(zero_division):
    if not (isinstance(zero_division, numbers.Real)
            and (zero_division in (0, 1) or np.isnan(zero_division))):
        raise ValueError(f"zero_division must be 0, 1 or np.nan, got {zero_division!r}")
    return float(zero_division)


# --------------------------------------------------------------------------- confusion matrix
def confusion_matrix_naive(y_true, y_pred, num_classes=None):
    """The confusion matrix with an explicit loop: one vote per sample.

    Same arguments and result as :func:`confusion_matrix` (without ``normalize``).
    """
    y_true, y_pred, num_classes = _pair(y_true, y_pred, num_classes)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def confusion_matrix(y_true, y_pred, num_classes=None, normalize=None):
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
    y_true, y_pred, num_classes = _pair(y_true, y_pred, num_classes)
    # Cell (t, p) gets flat index t*C + p, so one bincount counts all pairs at
    # once -- the same votes as the loop in confusion_matrix_naive.
    cm = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    cm = cm.reshape(num_classes, num_classes).astype(np.int64)
    if normalize is None:
        return cm
    if normalize not in ("true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    total = {"true": cm.sum(axis=1, keepdims=True),
             "pred": cm.sum(axis=0, keepdims=True),
             "all": cm.sum()}[normalize]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(cm / total)


def one_vs_rest_counts(y_true, y_pred, num_classes=None):
    """The lecture's table for every class: TP, FP, FN and TN, one class against the rest.

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
    y_true, y_pred, _ = _pair(y_true, y_pred, None)
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
    """Shared body of precision, recall, f1_score and specificity."""
    _check_average(average)
    zero_division = _check_zero_division(zero_division)
    y_true, y_pred, num_classes = _pair(y_true, y_pred, num_classes)
    if average == "binary":
        if num_classes > 2:
            raise ValueError(
                f"average='binary' scores one positive class against the other, but there are "
                f"{num_classes} classes; choose average=None (one score per class), 'macro', "
                f"'micro' or 'weighted'")
        if pos_label not in (0, 1):
            raise ValueError(f"pos_label must be 0 or 1 for average='binary', got {pos_label!r}")
        num_classes = 2
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
    return _score("precision", y_true, y_pred, num_classes, average, pos_label, zero_division)


def recall_score(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
           zero_division=0):
    """Recall (sensitivity) TP / (TP + FN): of the samples of a class, the fraction found.

    Parameters and return value as in :func:`precision_score`.
    """
    return _score("recall", y_true, y_pred, num_classes, average, pos_label, zero_division)


def f1_score(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
             zero_division=0):
    """F1 score 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    Parameters and return value as in :func:`precision_score`; ``zero_division`` is
    used when TP + FP + FN = 0 (a class neither present nor predicted).
    """
    return _score("f1", y_true, y_pred, num_classes, average, pos_label, zero_division)


def specificity(y_true, y_pred, num_classes=None, *, average="binary", pos_label=1,
                zero_division=0):
    """Specificity TN / (TN + FP): of the samples not of a class, the fraction left alone.

    Parameters and return value as in :func:`precision_score`; ``"weighted"`` also
    weights by the support of each class.  scikit-learn has no specificity
    function: in a two-class problem it is the recall of the other class,
    ``recall_score(y_true, y_pred, pos_label=0)``.
    """
    return _score("specificity", y_true, y_pred, num_classes, average, pos_label,
                  zero_division)


def classification_report(y_true, y_pred, num_classes=None, target_names=None, digits=2,
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
    y_true, y_pred, num_classes = _pair(y_true, y_pred, num_classes)
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


# --------------------------------------------------------------------------- top-k
def top_k_accuracy_score(y_true, y_score, k=5):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    ImageNet's classic "top-5" number: many photos hold several objects or
    have near-synonymous labels, so five guesses are allowed.

    Parameters
    ----------
    y_true : array-like of int, shape (N,)
        True labels in ``0 .. C-1``.
    y_score : array-like, shape (N, C)
        One score per class (logits or probabilities: only their order counts).
    k : int
        Number of guesses, ``1 <= k <= C``.  (scikit-learn's default is 2;
        the course's is ImageNet's 5.)

    Returns
    -------
    float in [0, 1]

    Notes
    -----
    Ties are broken as in ``sklearn.metrics.top_k_accuracy_score``: among equal
    scores the class with the *larger* index ranks first.  ``np.argmax`` picks
    the smaller index, so with ties ``top_k_accuracy_score(..., k=1)`` can differ
    from ``accuracy_score(y_true, y_score.argmax(1))``.
    """
    y_true, y_score = _class_scores(y_true, y_score)
    check_positive_int(k, "k")
    if k > y_score.shape[1]:
        raise ValueError(f"k={k} is larger than the number of classes in y_score "
                         f"(C={y_score.shape[1]}); top-k needs at least k classes")
    # Stable ascending sort, reversed: tied classes end up largest index first,
    # exactly as scikit-learn ranks them.
    ranking = np.argsort(y_score, axis=1, kind="stable")[:, ::-1]
    hits = (ranking[:, :k] == y_true[:, None]).any(axis=1)
    return float(np.mean(hits))


def top_k_error(y_true, y_score, k=5):
    """``1 - top_k_accuracy_score``: the fraction of samples whose true class is not in the top k.

    Arguments as in :func:`top_k_accuracy_score`.
    """
    return 1.0 - top_k_accuracy_score(y_true, y_score, k)


# --------------------------------------------------------------------------- ranking
def precision_recall_curve_naive(y_true, y_score, *, pos_label=None):
    """Precision and recall at every threshold, by counting TP and FP threshold by threshold.

    Same arguments and result as :func:`precision_recall_curve` (without
    ``drop_intermediate``).
    """
    positive, y_score = _binary_scores(y_true, y_score, pos_label)
    n_positive = positive.sum()
    thresholds = np.unique(y_score)          # increasing
    precisions, recalls = [], []
    for t in thresholds:
        detected = y_score >= t              # never empty: t is one of the scores
        tp = np.sum(detected & positive)
        fp = np.sum(detected & ~positive)
        precisions.append(tp / (tp + fp))
        recalls.append(tp / n_positive if n_positive else 1.0)
    if n_positive == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=2)
    return (np.append(np.array(precisions, dtype=np.float64), 1.0),
            np.append(np.array(recalls, dtype=np.float64), 0.0), thresholds)


def precision_recall_curve(y_true, y_score, *, pos_label=None, drop_intermediate=False):
    """Precision and recall of the detector "score >= threshold" for every threshold.

    Parameters
    ----------
    y_true : array-like of int or bool, shape (N,)
        0/1 labels, or class labels together with ``pos_label``.
    y_score : array-like, shape (N,)
        Score of the positive class for each sample (e.g. ``probs[:, c]``).
    pos_label : int, optional
        The positive class; required unless ``y_true`` holds only 0 and 1
        (then it is 1).  Every other label counts as negative (one-vs-rest).
    drop_intermediate : bool
        Drop thresholds where the number of true positives does not change,
        keeping the first and last point of each such vertical run (a lighter
        plot, same area).  Off by default, as in scikit-learn 1.9.

    Returns
    -------
    precision : ndarray of float64, shape (T + 1,)
    recall : ndarray of float64, shape (T + 1,)
        ``precision[i]``, ``recall[i]`` belong to ``thresholds[i]``; the last
        point (precision 1, recall 0) has no threshold and anchors the curve.
        Recall decreases along the arrays.
    thresholds : ndarray, shape (T,)
        The distinct scores, increasing.

    Notes
    -----
    Identical to ``sklearn.metrics.precision_recall_curve``, also for tied
    scores: samples with equal scores are detected together, so each distinct
    score gives one point.  When ``y_true`` has no positive, recall is set to 1
    with a warning.
    """
    positive, y_score = _binary_scores(y_true, y_score, pos_label)
    # Sort by decreasing score; the order inside a run of ties does not matter
    # because only the last index of each run is read below.
    order = np.argsort(y_score, kind="stable")[::-1]
    y_score, positive = y_score[order], positive[order]
    # The last index of each run of equal scores, i.e. of each threshold.
    last = np.append(np.flatnonzero(np.diff(y_score)), len(y_score) - 1)
    tps = np.cumsum(positive, dtype=np.float64)[last]   # detected positives at each threshold
    fps = 1 + last - tps                                # detected samples minus tps
    thresholds = y_score[last]
    if drop_intermediate and len(fps) > 2:
        # Keep a point if tps changes just before or just after it.
        middle = (np.diff(tps[:-1]) != 0) | (np.diff(tps[1:]) != 0)
        keep = np.concatenate([[True], middle, [True]])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    # Never 0/0: every threshold detects at least the sample that set it.
    precision = tps / (tps + fps)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=2)
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]
    # Reverse so thresholds increase, then append the (precision 1, recall 0) end.
    return (np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0), thresholds[::-1])


def average_precision_score(y_true, y_score, *, pos_label=None):
    """Average precision (AP): the area under the step-wise precision-recall curve.

    ``AP = sum_n (R_n - R_{n-1}) P_n`` over the thresholds, from high to low:
    each gain in recall is weighted by the precision at which it was reached.
    No interpolation, as in ``sklearn.metrics.average_precision_score``.

    Parameters
    ----------
    y_true : array-like of int or bool, shape (N,)
    y_score : array-like, shape (N,)
    pos_label : int, optional
        As in :func:`precision_recall_curve`.

    Returns
    -------
    float in [0, 1]; 0 when ``y_true`` has no positive.
    """
    if np.ndim(y_score) == 2:
        raise ValueError(f"y_score must have shape (N,), got {np.shape(y_score)}; for one "
                         f"column per class use mean_average_precision(y_true, y_score)")
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label)
    # recall decreases along the arrays, so -diff is the recall gained at each step;
    # max(0, .) turns a rounding -0.0 into 0.0.
    return max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))


def mean_average_precision(y_true, y_score):
    """Mean over classes of the one-vs-rest average precision (mAP).

    Parameters
    ----------
    y_true : array-like of int, shape (N,)
        True labels in ``0 .. C-1``.
    y_score : array-like, shape (N, C)
        One score per class.

    Returns
    -------
    float
        The mean of ``average_precision_score(y_true, y_score[:, c], pos_label=c)``
        over the classes ``c`` present in ``y_true`` (a class without samples
        has no defined AP), as scikit-learn's macro ``average_precision_score``.
    """
    y_true, y_score = _class_scores(y_true, y_score)
    present = np.unique(y_true)
    return float(np.mean([average_precision_score(y_true, y_score[:, c], pos_label=c)
                          for c in present]))


# --------------------------------------------------------------------------- model comparison
def accuracy_per_mparam(accuracy, num_params):
    """Accuracy density: accuracy per million parameters.

    Canziani, Paszke and Culurciello (2016), "An Analysis of Deep Neural Network
    Models for Practical Applications", plot top-1 accuracy divided by the
    parameter count in millions to show how efficiently an architecture uses
    its parameters (their Fig. "accuracy per parameter").

    Parameters
    ----------
    accuracy : float or array-like
        Accuracy, in whatever unit you pass (percent gives %/M-params).
    num_params : int or array-like
        Number of parameters, same shape as ``accuracy``.

    Returns
    -------
    float or ndarray: ``accuracy / (num_params / 1e6)``.
    """
    accuracy_ = np.asarray(accuracy, dtype=np.float64)
    num_params_ = np.asarray(num_params, dtype=np.float64)
    if accuracy_.shape != num_params_.shape:
        raise ValueError(f"accuracy and num_params must have the same shape, "
                         f"got {accuracy_.shape} and {num_params_.shape}")
    if np.any(num_params_ <= 0):
        raise ValueError("num_params must be positive")
    density = accuracy_ / (num_params_ / 1e6)
    return float(density) if density.ndim == 0 else density


def most_confused(cm, k=5):
    """The ``k`` largest off-diagonal cells of a confusion matrix.

    Parameters
    ----------
    cm : array-like, shape (C, C)
        Rows true classes, columns predicted classes.
    k : int
        How many pairs; fewer are returned if fewer cells are non-zero.

    Returns
    -------
    list of (true, predicted, count) tuples, largest count first (ties in
    row-major order).
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (C, C) confusion matrix, got shape {cm.shape}")
    off = cm.copy()
    np.fill_diagonal(off, 0)
    flat = off.ravel().astype(np.float64)
    order = np.argsort(-flat, kind="stable")[:k]
    size = cm.shape[0]
    return [(int(i // size), int(i % size), cm.flat[i].item()) for i in order if flat[i] > 0]


def confident_mistakes(y_true, y_score, k=16):
    """Indices of the ``k`` wrong predictions made with the highest score.

    Parameters
    ----------
    y_true : array-like of int, shape (N,)
    y_score : array-like, shape (N, C)
        Class scores, typically softmax probabilities; the prediction is the
        arg-max and its score the confidence.
    k : int

    Returns
    -------
    ndarray of int64, shape (<= k,)
        Sample indices, most confident mistake first.
    """
    y_true, y_score = _class_scores(y_true, y_score)
    y_pred = y_score.argmax(axis=1)
    confidence = y_score.max(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:k]


# --------------------------------------------------------------------------- segmentation
# A segmentation network labels every pixel, so its metrics count pixels instead of images.
# Pixel accuracy is plain accuracy over all pixels; it flatters a model that paints
# everything background when the background covers most of the image.  The intersection
# over union of class c,
#
#     IoU_c = |true c AND predicted c| / |true c OR predicted c| = TP / (TP + FP + FN),
#
# punishes both misses and false alarms of c, whatever its area; the mean over the classes
# (mIoU) gives each class one vote.  With cm the confusion matrix of all pixels,
# TP = cm[c, c], TP + FN = row c, TP + FP = column c.  scikit-learn calls IoU the Jaccard
# index (``sklearn.metrics.jaccard_score(..., average=None)``).

__all__ += ["pixel_accuracy", "iou_per_class", "iou_per_class_naive", "mean_iou"]


def _label_maps(y_true, y_pred, num_classes):
    """Check two label maps of the same shape, ``(H, W)`` or ``(N, H, W)``; flatten them."""
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
    if num_classes is not None:
        check_positive_int(num_classes, "num_classes")
    for name, y in zip(("y_true", "y_pred"), maps):
        if y.min() < 0:
            raise ValueError(f"{name} holds the label {y.min()}; class labels must be 0..C-1")
        if num_classes is not None and y.max() >= num_classes:
            raise ValueError(f"{name} holds the label {y.max()}, but num_classes={num_classes} "
                             f"allows only 0..{num_classes - 1}")
    return maps[0].ravel().astype(np.int64), maps[1].ravel().astype(np.int64)


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
    y_true, y_pred = _label_maps(y_true, y_pred, None)
    return float(np.mean(y_true == y_pred))


def iou_per_class_naive(y_true, y_pred, num_classes=None):
    """:func:`iou_per_class` by counting the two pixel sets of each class with a loop."""
    y_true, y_pred = _label_maps(y_true, y_pred, num_classes)
    num_classes = num_classes or int(max(y_true.max(), y_pred.max())) + 1
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
    y_true, y_pred = _label_maps(y_true, y_pred, num_classes)
    num_classes = num_classes or int(max(y_true.max(), y_pred.max())) + 1
    # The confusion matrix of all pixels, counted with one bincount as in confusion_matrix.
    cm = np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2)
    cm = cm.reshape(num_classes, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


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
    return float(np.nanmean(iou_per_class(y_true, y_pred, num_classes)))
