"""Exercises of lesson 05 (metrics) and their checks: an ROC point, IoU, F1."""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_roc_point", "check_iou"]


# --------------------------------------------------------------------------- 05.1
def _roc_point(y_true, y_score, threshold):
    y_true = np.asarray(y_true).astype(bool)
    pred = np.asarray(y_score) >= threshold
    return np.array([(pred & ~y_true).sum() / (~y_true).sum(),
                     (pred & y_true).sum() / y_true.sum()])


_ROC_CASES = [
    ("4 people, threshold between the scores",
     (np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), 0.3)),
    ("a score equal to the threshold counts as positive",
     (np.array([1, 0, 1, 0, 0, 1]), np.array([0.9, 0.5, 0.5, 0.2, 0.7, 0.1]), 0.5)),
    ("10 people, 3 positive",
     (np.array([0, 1, 0, 0, 1, 0, 0, 1, 0, 0]),
      np.array([0.05, 0.9, 0.3, 0.6, 0.4, 0.2, 0.65, 0.7, 0.1, 0.8]), 0.6)),
]


def check_roc_point(roc_point, quiet=False):
    """Check ``roc_point(y_true, y_score, threshold)``: one point of the ROC curve.

    Parameters
    ----------
    roc_point : callable
        Labels ``y_true`` ``(N,)`` of 0 and 1, scores ``y_score`` ``(N,)`` and a threshold
        (a score ``>= threshold`` says positive, as scikit-learn's ``roc_curve``) to
        ``(fpr, tpr)``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def strict(y, s, t):
        return _roc_point(y, np.asarray(s) - 1e-12 * (np.asarray(s) == t), t)

    def over_all(y, s, t):
        y = np.asarray(y).astype(bool)
        pred = np.asarray(s) >= t
        return np.array([(pred & ~y).sum() / len(y), (pred & y).sum() / len(y)])

    mistakes = (
        M("swapped", lambda y, s, t: _roc_point(y, s, t)[::-1],
          "(tpr, fpr) is swapped: the ROC curve's x is the false positive rate."),
        M("strict", strict,
          "a score equal to the threshold is counted negative: use >=, as roc_curve does."),
        M("over everybody", over_all,
          "the rates are divided by everybody: FPR = FP / negatives, TPR = TP / positives."),
        M("precision", lambda y, s, t: np.array([
            _roc_point(y, s, t)[0], (np.asarray(y)[np.asarray(s) >= t]).mean()]),
          "the second number is precision, TP / (TP + FP); the ROC curve uses recall."),
    )
    return check_function("Exercise 05.1 (roc_point)", roc_point, _ROC_CASES, _roc_point,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 05.2
def _overlap(a, b):
    """Width and height of the overlap of two boxes (negative when they are apart)."""
    return min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])


def _areas(a, b):
    return (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])


def _iou(a, b):
    w, h = _overlap(a, b)
    inter = max(0.0, w) * max(0.0, h)
    return inter / (_areas(a, b) - inter)


_IOU_CASES = [("half overlap", ((0, 0, 2, 2), (1, 0, 3, 2))),
              ("one inside the other", ((0, 0, 4, 4), (1, 1, 3, 3))),
              ("disjoint diagonally", ((0, 0, 1, 1), (2, 3, 4, 5))),
              ("corner overlap", ((0.5, 0.5, 3.0, 2.0), (2.0, 1.0, 5.0, 4.0)))]


def check_iou(iou, quiet=False):
    """Check ``iou(box_a, box_b)``: intersection over union of two boxes.

    Parameters
    ----------
    iou : callable
        Two boxes ``(x1, y1, x2, y2)`` with ``x1 < x2`` and ``y1 < y2`` (continuous
        coordinates, as torchvision's ``box_iou``) to their IoU, a float.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def unclamped(a, b):
        w, h = _overlap(a, b)
        return w * h / (_areas(a, b) - w * h)

    def plus_one(a, b):
        return _iou((a[0], a[1], a[2] + 1, a[3] + 1), (b[0], b[1], b[2] + 1, b[3] + 1))

    def sum_of_areas(a, b):
        w, h = _overlap(a, b)
        return max(0.0, w) * max(0.0, h) / _areas(a, b)

    mistakes = (
        M("intersection not subtracted", sum_of_areas,
          "the union counts the intersection twice: area_a + area_b - intersection."),
        M("not clamped", unclamped,
          "disjoint boxes give a negative width or height: clamp each at 0."),
        M("plus one", plus_one,
          "the + 1 of pixel-index boxes: with continuous coordinates the width is x2 - x1."),
    )
    return check_function("Exercise 05.2 (iou)", iou, _IOU_CASES, _iou, mistakes, quiet)


EXERCISES = {
    "05.1": Exercise(
        "a point of the ROC curve",
        "Write `roc_point(y_true, y_score, threshold)` that returns `(fpr, tpr)` when every "
        "score at or above the threshold says 'positive'. Check with "
        "`check_exercise('05.1', roc_point)`, then find your point among the ones "
        "`sklearn.metrics.roc_curve` returns.",
        check=check_roc_point),
    "05.2": Exercise(
        "intersection over union",
        "Write `iou(box_a, box_b)` for boxes `(x1, y1, x2, y2)` in continuous coordinates: "
        "the area of the intersection divided by the area of the union. Check with "
        "`check_exercise('05.2', iou)`, then against `torchvision.ops.box_iou`.",
        check=check_iou),
    "05.3": Exercise(
        "predict F1",
        "A detector finds every shirt (recall 1) but half of its alarms are false "
        "(precision 0.5). Predict its F1 score (`f1`) before computing it, and the F1 of a "
        "detector with precision 0.9 and recall 0.1 (`f1_low_recall`). Check with "
        "`check_exercise('05.3', f1=..., f1_low_recall=...)`, then with "
        "`sklearn.metrics.f1_score` on labels you make up.",
        parts={
            "f1": Part(2 / 3, (
                M("arithmetic mean", 0.75, "F1 is the harmonic mean, 2PR / (P + R), not "
                                           "(P + R)/2."),
                M("product", 0.5, "P x R is not F1: 2PR / (P + R).")), rtol=0.01),
            "f1_low_recall": Part(0.18, (
                M("arithmetic mean", 0.5, "the harmonic mean stays near the smaller value: "
                                          "2 x 0.9 x 0.1 / 1.0."),
                M("product", 0.09, "2PR / (P + R) = 0.18, twice the product here.")),
                rtol=0.01)}),
}
