"""Exercises of lessons 05a and 05b (metrics) and their checks.

05a (classification metrics): predict F1, the rates of one class from a confusion matrix,
macro against micro F1. 05b (curves and calibration): the average precision of a ranked
list, a point of the ROC curve, intersection over union.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_class_rates", "check_roc_point", "check_iou"]


def _numbers(fn):
    """``fn`` with a list or tuple of one-element arrays in its result read as numbers.

    A function that returns ``(fpr, tpr)`` as NumPy scalars reaches the course grader's
    check as a tuple of one-element arrays (the grader sends NumPy scalars back that way);
    read both as the same numbers. Any other result is passed on as it is.
    """
    def numbers(*args):
        out = fn(*args)
        if isinstance(out, (list, tuple)) and all(
                isinstance(v, np.ndarray) and v.size == 1 for v in out):
            return [v.item() for v in out]
        return out

    return numbers


# --------------------------------------------------------------------------- 05b.2
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
    if not callable(roc_point):
        raise TypeError(f"roc_point must be your function, got {type(roc_point).__name__}")
    return check_function("Exercise 05b.2 (roc_point)", _numbers(roc_point), _ROC_CASES,
                          _roc_point, mistakes, quiet)


# --------------------------------------------------------------------------- 05b.3
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
    return check_function("Exercise 05b.3 (iou)", iou, _IOU_CASES, _iou, mistakes, quiet)


# --------------------------------------------------------------------------- 05a.2
def _class_rates(cm, c, transposed=False, specificity="right"):
    """Precision, recall and specificity of class ``c`` from a confusion matrix (C, C)."""
    cm = np.asarray(cm, dtype=float)
    if transposed:
        cm = cm.T
    tp = cm[c, c]
    fp = cm[:, c].sum() - tp
    fn = cm[c, :].sum() - tp
    tn = cm.sum() - tp - fp - fn
    if specificity == "diagonal only":
        tn = np.trace(cm) - tp
    negatives = {"right": tn + fp, "diagonal only": tn + fp, "npv": tn + fn}[specificity]
    return np.array([tp / (tp + fp), tp / (tp + fn), tn / negatives])


_RATES_CASES = [
    ("two classes: the screening test of section 1, class 1 = present",
     (np.array([[11, 3], [2, 4]]), 1)),
    ("three animals, class 1 (dog)", (np.array([[3, 1, 1], [1, 3, 0], [0, 1, 2]]), 1)),
    ("four classes, the last one", (np.array([[20, 2, 3, 1], [4, 15, 1, 2], [2, 6, 25, 3],
                                              [1, 3, 2, 10]]), 3)),
    ("four classes, the first one", (np.array([[20, 2, 3, 1], [4, 15, 1, 2], [2, 6, 25, 3],
                                               [1, 3, 2, 10]]), 0)),
]


def check_class_rates(class_rates, quiet=False):
    """Check ``class_rates(cm, c)``: precision, recall and specificity of one class.

    Parameters
    ----------
    class_rates : callable
        A confusion matrix ``cm`` ``(C, C)`` (rows the true class, columns the predicted
        one, as ``sklearn.metrics.confusion_matrix``) and a class index ``c`` to
        ``(precision, recall, specificity)`` of class ``c`` against the rest.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("transposed", lambda cm, c: _class_rates(cm, c, transposed=True),
          "rows and columns are swapped: rows are the truth, so recall divides by the row "
          "sum and precision by the column sum."),
        M("diagonal only", lambda cm, c: _class_rates(cm, c, specificity="diagonal only"),
          "TN counts only the diagonal of the other classes; a cat taken for a fox is a true "
          "negative for 'dog' too: TN is everything outside row c and column c."),
        M("negative predictive value", lambda cm, c: _class_rates(cm, c, specificity="npv"),
          "specificity is TN / (TN + FP), over the cases absent (the rows of the other "
          "classes); TN / (TN + FN) is the negative predictive value."),
        M("false positive rate", lambda cm, c: _class_rates(cm, c) * [1, 1, -1] + [0, 0, 1],
          "that third number is the false positive rate FP / (FP + TN) = 1 - specificity."),
    )
    if not callable(class_rates):
        raise TypeError(f"class_rates must be your function, got {type(class_rates).__name__}")
    return check_function("Exercise 05a.2 (class_rates)", _numbers(class_rates), _RATES_CASES,
                          _class_rates, mistakes, quiet)


# The confusion matrix of Exercise 05a.3 (rows the true class, columns the prediction),
# and the ranked list of Exercise 05b.1 (1 = a shirt, best score first).
MACRO_MICRO_CM = ((38, 11, 6), (1, 10, 6), (0, 8, 10))
RANKED_LIST = (1, 0, 1, 1, 0, 0, 1, 0)


def _f1_table(cm):
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * tp / (2 * tp + fp + fn)
    support = cm.sum(axis=1)
    p, r = precision.mean(), recall.mean()
    return {"macro": float(f1.mean()), "micro": float(tp.sum() / cm.sum()),
            "weighted": float(np.sum(f1 * support) / support.sum()),
            "of the averages": float(2 * p * r / (p + r))}


def _ap_table(relevant):
    relevant = np.asarray(relevant, dtype=float)
    hits = np.cumsum(relevant)
    precision = hits / np.arange(1, len(relevant) + 1)
    at_hits = precision[relevant == 1]
    interpolated = np.maximum.accumulate(precision[::-1])[::-1][relevant == 1]
    return {"ap": float(at_hits.sum() / relevant.sum()),
            "interpolated": float(interpolated.mean()), "every rank": float(precision.mean()),
            "list length": float(at_hits.sum() / len(relevant))}


_F1 = _f1_table(MACRO_MICRO_CM)
_AP = _ap_table(RANKED_LIST)


EXERCISES = {
    "05a.1": Exercise(
        "predict F1",
        "A detector finds every shirt (recall 1) but half of its alarms are false "
        "(precision 0.5). Predict its F1 score (`f1`) before computing it, and the F1 of a "
        "detector with precision 0.9 and recall 0.1 (`f1_low_recall`). Check with "
        "`check_exercise('05a.1', f1=..., f1_low_recall=...)`, then with "
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
    "05a.2": Exercise(
        "the rates of one class from a confusion matrix",
        "Write `class_rates(cm, c)` that returns `(precision, recall, specificity)` of class "
        "`c` against the rest, from a confusion matrix `cm` (C, C) whose rows are the true "
        "classes and columns the predicted ones. Check with "
        "`check_exercise('05a.2', class_rates)`, then against `sklearn.metrics` "
        "(`recall_score` with `pos_label=0` on the yes/no labels is the specificity).",
        check=check_class_rates),
    "05a.3": Exercise(
        "macro against micro F1",
        "A classifier of cats, dogs and foxes has the confusion matrix (rows true, columns "
        "predicted) [[38, 11, 6], [1, 10, 6], [0, 8, 10]]. Compute its macro-averaged F1 "
        "(`macro`) and its micro-averaged F1 (`micro`), to 3 decimals. Check with "
        "`check_exercise('05a.3', macro=..., micro=...)`, then with "
        "`sklearn.metrics.f1_score(..., average=...)` on labels rebuilt from the matrix.",
        parts={
            "macro": Part(_F1["macro"], (
                M("F1 of the averages", _F1["of the averages"],
                  "that is the harmonic mean of macro precision and macro recall; macro F1 is "
                  "the mean of the three per-class F1 scores."),
                M("weighted", _F1["weighted"],
                  "that is the support-weighted mean; macro gives each class the same weight."),
                M("micro", _F1["micro"], "that is the micro average (= accuracy here): macro "
                                         "averages the per-class F1 scores.")), rtol=0.005),
            "micro": Part(_F1["micro"], (
                M("macro", _F1["macro"], "that is the macro average: micro adds TP, FP and FN "
                                         "over the classes first, which gives the accuracy."),
                M("weighted", _F1["weighted"],
                  "that is the support-weighted mean of the per-class F1 scores; micro "
                  "F1 is (38 + 10 + 10) / 90 here.")), rtol=0.005)}),
    "05b.1": Exercise(
        "the average precision of a ranked list",
        "A search for shirts returns 8 images, most confident first; the 1st, 3rd, 4th and "
        "7th are shirts, and the test set holds 4 shirts in all. Compute the average "
        "precision (`ap`) by hand, to 3 decimals, as scikit-learn does (no interpolation). "
        "Check with `check_exercise('05b.1', ap=...)`, then with "
        "`sklearn.metrics.average_precision_score` on those labels and decreasing scores.",
        parts={"ap": Part(_AP["ap"], (
            M("interpolated", _AP["interpolated"],
              "that is the interpolated AP of PASCAL VOC (the best precision at that recall "
              "or beyond); average_precision_score takes the precision at each shirt as it is."),
            M("every rank", _AP["every rank"],
              "that averages the precision at all 8 ranks; AP averages it at the ranks where "
              "a shirt is found (where recall rises)."),
            M("list length", _AP["list length"],
              "the sum of the precisions at the shirts is divided by the 8 images; divide by "
              "the 4 shirts.")), rtol=0.005)}),
    "05b.2": Exercise(
        "a point of the ROC curve",
        "Write `roc_point(y_true, y_score, threshold)` that returns `(fpr, tpr)` when every "
        "score at or above the threshold says 'positive'. Check with "
        "`check_exercise('05b.2', roc_point)`, then find your point among the ones "
        "`sklearn.metrics.roc_curve` returns.",
        check=check_roc_point),
    "05b.3": Exercise(
        "intersection over union",
        "Write `iou(box_a, box_b)` for boxes `(x1, y1, x2, y2)` in continuous coordinates: "
        "the area of the intersection divided by the area of the union. Check with "
        "`check_exercise('05b.3', iou)`, then against `torchvision.ops.box_iou`.",
        check=check_iou),
}
