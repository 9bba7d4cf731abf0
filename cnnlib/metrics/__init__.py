"""Evaluation metrics for classifiers and segmenters (NumPy), with scikit-learn's names.

Classification metrics start from detection theory: for one class ``c`` every sample is
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

One module per family, as in ``sklearn.metrics``:

* ``cnnlib.metrics._classification``: the confusion matrix and the scores counted
  from it (accuracy, precision, recall, F1, specificity, the report);
* ``cnnlib.metrics._ranking``: scores ranked at every threshold (top-k accuracy,
  precision-recall and ROC curves, average precision, mAP, ROC AUC);
* ``cnnlib.metrics._calibration``: whether predicted probabilities match observed
  frequencies (reliability diagram, expected calibration error, temperature scaling);
* ``cnnlib.metrics._segmentation``: pixel accuracy and intersection over union;
* ``cnnlib.metrics._diagnostics``: comparing models and finding their mistakes;
* ``cnnlib.metrics._checks``: the checks every public function opens with.
"""
from ._calibration import calibration_curve, expected_calibration_error, fit_temperature
from ._classification import (accuracy_score, classification_report, confusion_matrix,
                              confusion_matrix_naive, f1_score, one_vs_rest_counts,
                              precision_score, recall_score, specificity)
from ._diagnostics import accuracy_per_mparam, confident_mistakes, most_confused
from ._ranking import (average_precision_score, mean_average_precision, precision_recall_curve,
                       precision_recall_curve_naive, roc_auc_score, roc_curve,
                       top_k_accuracy_score, top_k_error)
from ._segmentation import iou_per_class, iou_per_class_naive, mean_iou, pixel_accuracy

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
    "roc_curve",
    "roc_auc_score",
    "calibration_curve",
    "expected_calibration_error",
    "fit_temperature",
    "accuracy_per_mparam",
    "most_confused",
    "confident_mistakes",
    "pixel_accuracy",
    "iou_per_class",
    "iou_per_class_naive",
    "mean_iou",
]
