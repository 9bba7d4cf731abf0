"""Ranking metrics: how well the scores order the samples, at every threshold at once.

A detector "score >= threshold" trades recall against precision (or false alarms)
as the threshold moves; the curves here list every trade-off, and average
precision and the ROC AUC sum each curve up in one number.  Top-k accuracy asks
the same of the ranking of classes for one sample.  Names, arguments and numbers
follow ``sklearn.metrics``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._validate import check_positive_int
from ._checks import check_binary_scores, check_class_scores

__all__ = ["top_k_accuracy_score", "top_k_error", "precision_recall_curve",
           "precision_recall_curve_naive", "average_precision_score", "mean_average_precision",
           "roc_curve", "roc_auc_score"]


def top_k_accuracy_score(y_true, y_score, *, k=5):
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
    y_true, y_score = check_class_scores(y_true, y_score)
    check_positive_int(k, "k")
    if k > y_score.shape[1]:
        raise ValueError(f"k={k} is larger than the number of classes in y_score "
                         f"(C={y_score.shape[1]}); top-k needs at least k classes")
    # Stable ascending sort, reversed: tied classes end up largest index first,
    # exactly as scikit-learn ranks them.
    ranking = np.argsort(y_score, axis=1, kind="stable")[:, ::-1]
    hits = (ranking[:, :k] == y_true[:, None]).any(axis=1)
    return float(np.mean(hits))


def top_k_error(y_true, y_score, *, k=5):
    """``1 - top_k_accuracy_score``: the fraction of samples whose true class is not in the top k.

    Arguments as in :func:`top_k_accuracy_score`.
    """
    y_true, y_score = check_class_scores(y_true, y_score)
    return 1.0 - top_k_accuracy_score(y_true, y_score, k=k)


def _counts_at_thresholds(positive, y_score):
    """TP and FP of the detector "score >= t" for every distinct score t, t decreasing.

    ``positive`` (N,) bool and ``y_score`` (N,) come checked; returns ``tps``,
    ``fps`` (float64) and the thresholds, each of shape (T,).
    """
    # Sort by decreasing score; the order inside a run of ties does not matter
    # because only the last index of each run is read below.
    order = np.argsort(y_score, kind="stable")[::-1]
    y_score, positive = y_score[order], positive[order]
    # The last index of each run of equal scores, i.e. of each threshold.
    last = np.append(np.flatnonzero(np.diff(y_score)), len(y_score) - 1)
    tps = np.cumsum(positive, dtype=np.float64)[last]   # detected positives at each threshold
    fps = 1 + last - tps                                # detected samples minus tps
    return tps, fps, y_score[last]


def precision_recall_curve_naive(y_true, y_score, *, pos_label=None):
    """Precision and recall at every threshold, by counting TP and FP threshold by threshold.

    Same arguments and result as :func:`precision_recall_curve` (without
    ``drop_intermediate``).
    """
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
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
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    tps, fps, thresholds = _counts_at_thresholds(positive, y_score)
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
    positive, y_score = check_binary_scores(
        y_true, y_score, pos_label,
        hint="for one column per class use mean_average_precision(y_true, y_score)")
    precision, recall, _ = precision_recall_curve(positive, y_score)
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
    y_true, y_score = check_class_scores(y_true, y_score)
    present = np.unique(y_true)
    return float(np.mean([average_precision_score(y_true, y_score[:, c], pos_label=c)
                          for c in present]))




def roc_curve(y_true, y_score, *, pos_label=None, drop_intermediate=True):
    """The receiver operating characteristic: true against false positive rate, every threshold.

    The detector "score >= threshold" finds a fraction ``TPR = TP / P`` of the
    positives (its recall) and raises a false alarm on a fraction ``FPR = FP / N``
    of the negatives.  Lowering the threshold from above the largest score to the
    smallest walks the curve from (0, 0) to (1, 1); a random ranking follows the
    diagonal.

    Parameters
    ----------
    y_true : array-like of int or bool, shape (N,)
        0/1 labels, or class labels together with ``pos_label``.
    y_score : array-like, shape (N,)
        Score of the positive class for each sample.
    pos_label : int, optional
        The positive class; required unless ``y_true`` holds only 0 and 1.
    drop_intermediate : bool
        Drop points on a straight segment between their neighbours (they change
        neither the plot nor the area), as scikit-learn does by default.

    Returns
    -------
    fpr, tpr : ndarray of float64, shape (T + 1,)
        Increasing; ``fpr[i]``, ``tpr[i]`` belong to ``thresholds[i]``.
    thresholds : ndarray of float64, shape (T + 1,)
        Decreasing; the first is ``inf`` (nothing detected: the point (0, 0)).

    Notes
    -----
    Identical to ``sklearn.metrics.roc_curve``.  Without negatives (positives)
    in ``y_true`` the FPR (TPR) is undefined: NaN, with a warning.

    Examples
    --------
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    positive, y_score = check_binary_scores(y_true, y_score, pos_label)
    tps, fps, thresholds = _counts_at_thresholds(positive, y_score)
    if drop_intermediate and len(fps) > 2:
        # A point with no bend in it (second differences zero) lies on the segment
        # between its neighbours: the same picture and the same area without it.
        bend = (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0)
        keep = np.concatenate([[True], bend, [True]])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tps, fps = np.append(0.0, tps), np.append(0.0, fps)
    thresholds = np.append(np.inf, thresholds.astype(np.float64))
    rates = []
    for count, what in ((fps, "negative"), (tps, "positive")):
        if count[-1] == 0:
            warnings.warn(f"No {what} samples in y_true, the {what[:3]}-rate is undefined "
                          f"(NaN)", UserWarning, stacklevel=2)
            rates.append(np.full(count.shape, np.nan))
        else:
            rates.append(count / count[-1])
    return rates[0], rates[1], thresholds


def _binary_auc(positive, y_score):
    """The area under the ROC curve of one detection problem with both classes present."""
    fpr, tpr, _ = roc_curve(positive, y_score)
    # The trapezoid rule: between two thresholds the curve is a straight segment
    # (tied scores move FPR and TPR together).
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc_score(y_true, y_score, *, average="macro", multi_class="raise"):
    """Area under the ROC curve (ROC AUC), one number for a whole ranking.

    It equals the chance that a random positive outscores a random negative
    (ties count half).

    Parameters
    ----------
    y_true : array-like of int or bool, shape (N,)
        0/1 labels for scores of shape (N,); labels ``0 .. C-1`` for (N, C).
    y_score : array-like, shape (N,) or (N, C)
        The positive class's score, or one probability per class (rows summing to 1).
    average : "macro" or "weighted"
        For (N, C) scores: the plain mean of the C one-vs-rest AUCs, or their mean
        weighted by the number of true samples of each class.
    multi_class : "raise" or "ovr"
        As in scikit-learn, (N, C) scores need ``multi_class="ovr"`` (each class
        against the rest); ``"raise"`` refuses them.

    Returns
    -------
    float in [0, 1]; 0.5 for a random ranking, 1 for a perfect one.

    Notes
    -----
    The same numbers as ``sklearn.metrics.roc_auc_score`` for these arguments;
    scikit-learn's ``sample_weight``, ``max_fpr``, ``labels`` and one-vs-one
    averaging are not offered.

    Examples
    --------
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y_score_ = np.asarray(y_score)
    if y_score_.ndim == 2:
        y_true, y_score = check_class_scores(y_true, y_score_)
    else:
        positive, y_score = check_binary_scores(y_true, y_score_, None)
    if average not in ("macro", "weighted"):
        raise ValueError(f"average must be 'macro' or 'weighted', got {average!r}")
    if multi_class not in ("raise", "ovr"):
        raise ValueError(f"multi_class must be 'raise' or 'ovr', got {multi_class!r}")
    if y_score.ndim == 1:
        if positive.all() or not positive.any():
            raise ValueError("y_true holds only one class: the ROC AUC needs positives and "
                             "negatives")
        return _binary_auc(positive, y_score)
    if multi_class == "raise":
        raise ValueError("y_score of shape (N, C) needs multi_class='ovr' (each class "
                         "against the rest); for two classes pass y_score[:, 1]")
    num_classes = y_score.shape[1]
    support = np.bincount(y_true, minlength=num_classes)
    if np.any(support == 0):
        raise ValueError(f"y_true has no sample of the classes "
                         f"{np.flatnonzero(support == 0).tolist()}: the one-vs-rest AUC of "
                         f"every column of y_score needs its class present")
    if not np.allclose(y_score.sum(axis=1), 1.0):
        raise ValueError("y_score's rows must be probabilities summing to 1 for multi-class "
                         "ROC AUC (take a softmax first)")
    aucs = [_binary_auc(y_true == c, y_score[:, c]) for c in range(num_classes)]
    return float(np.average(aucs, weights=support if average == "weighted" else None))
