"""cnnlib.metrics against scikit-learn (the oracle) and small hand-counted cases."""
import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import cnnlib
from cnnlib import metrics

AVERAGES = (None, "macro", "micro", "weighted")
ZERO_DIVISIONS = (0, 1, np.nan)
# Few distinct score values, so that ties are common.
TIED_SCORES = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0])


@st.composite
def predictions(draw, min_classes=2, max_classes=6):
    """Random multi-class labels ``(y_true, y_pred, C)``; some classes may be missing."""
    num_classes = draw(st.integers(min_classes, max_classes))
    n = draw(st.integers(1, 40))
    labels = hnp.arrays(np.int64, n, elements=st.integers(0, num_classes - 1))
    return draw(labels), draw(labels), num_classes


@st.composite
def scored(draw, min_classes=3, max_classes=6):
    """Random labels with a tied ``(N, C)`` score matrix ``(y_true, scores)``."""
    num_classes = draw(st.integers(min_classes, max_classes))
    n = draw(st.integers(1, 40))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, num_classes - 1)))
    scores = draw(hnp.arrays(np.float64, (n, num_classes), elements=TIED_SCORES))
    return y_true, scores


@st.composite
def detections(draw):
    """Random 0/1 labels with tied positive-class scores ``(y_true, scores)``."""
    n = draw(st.integers(1, 40))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    return y_true, draw(hnp.arrays(np.float64, n, elements=TIED_SCORES))


def quiet(f, *args, **kwargs):
    """Call a scikit-learn function without its undefined-metric warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


# --------------------------------------------------------------------------- confusion matrix
@given(predictions())
def test_confusion_matrix_equals_sklearn(case):
    y_true, y_pred, c = case
    expected = skm.confusion_matrix(y_true, y_pred, labels=np.arange(c))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, c), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix_naive(y_true, y_pred, c), expected)
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(
            metrics.confusion_matrix(y_true, y_pred, c, normalize=normalize),
            quiet(skm.confusion_matrix, y_true, y_pred, labels=np.arange(c),
                  normalize=normalize))


def test_confusion_matrix_default_size_is_largest_label_plus_one():
    y_true, y_pred = [0, 2, 2, 4], [0, 2, 1, 4]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred, labels=range(5)))


@given(predictions())
def test_one_vs_rest_counts_equal_sklearn_multilabel_confusion_matrix(case):
    y_true, y_pred, c = case
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred, labels=np.arange(c))
    tp, fp, fn, tn = metrics.one_vs_rest_counts(y_true, y_pred, c)
    np.testing.assert_array_equal(tp, mcm[:, 1, 1])
    np.testing.assert_array_equal(fp, mcm[:, 0, 1])
    np.testing.assert_array_equal(fn, mcm[:, 1, 0])
    np.testing.assert_array_equal(tn, mcm[:, 0, 0])


# --------------------------------------------------------------------------- per-class scores
@given(predictions())
def test_accuracy_equals_sklearn(case):
    y_true, y_pred, _ = case
    assert metrics.accuracy_score(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize("ours, theirs", [
    (metrics.precision_score, skm.precision_score),
    (metrics.recall_score, skm.recall_score),
    (metrics.f1_score, skm.f1_score),
])
@given(case=predictions())
def test_precision_recall_f1_equal_sklearn(ours, theirs, case):
    y_true, y_pred, c = case
    for average in AVERAGES:
        for zero_division in ZERO_DIVISIONS:
            np.testing.assert_allclose(
                ours(y_true, y_pred, c, average=average, zero_division=zero_division),
                quiet(theirs, y_true, y_pred, labels=np.arange(c), average=average,
                      zero_division=zero_division),
                rtol=1e-12, err_msg=f"average={average}, zero_division={zero_division}")


def sklearn_specificities(y_true, y_pred, c, zero_division):
    """Specificity of class k is the recall of "not k" in the one-vs-rest problem.

    Returns the per-class array and its macro, weighted and micro averages.
    """
    per_class = np.array([
        quiet(skm.recall_score, y_true != k, y_pred != k, zero_division=zero_division)
        for k in range(c)])
    # Micro: pool the C one-vs-rest problems into one long detection problem.
    pooled_true = np.concatenate([y_true != k for k in range(c)])
    pooled_pred = np.concatenate([y_pred != k for k in range(c)])
    micro = quiet(skm.recall_score, pooled_true, pooled_pred, zero_division=zero_division)
    keep = ~np.isnan(per_class)
    support = np.bincount(y_true, minlength=c)[keep]
    macro = np.mean(per_class[keep]) if keep.any() else np.nan
    weighted = np.average(per_class[keep], weights=support) if support.sum() > 0 else macro
    return {None: per_class, "macro": macro, "weighted": weighted, "micro": micro}


@given(predictions())
def test_specificity_equals_recall_of_the_rest(case):
    y_true, y_pred, c = case
    for zero_division in ZERO_DIVISIONS:
        expected = sklearn_specificities(y_true, y_pred, c, zero_division)
        for average in AVERAGES:
            np.testing.assert_allclose(
                metrics.specificity(y_true, y_pred, c, average=average,
                                    zero_division=zero_division),
                expected[average],
                rtol=1e-12, err_msg=f"average={average}, zero_division={zero_division}")


@pytest.mark.parametrize("pos_label", [0, 1])
@given(case=predictions(max_classes=2))
def test_binary_average_equals_sklearn(pos_label, case):
    y_true, y_pred, _ = case
    for ours, theirs in [(metrics.precision_score, skm.precision_score),
                         (metrics.recall_score, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)]:
        assert ours(y_true, y_pred, pos_label=pos_label) == pytest.approx(
            quiet(theirs, y_true, y_pred, pos_label=pos_label, zero_division=0), rel=1e-12)
    # Specificity of the positive class is the recall of the other one.
    assert metrics.specificity(y_true, y_pred, pos_label=pos_label) == pytest.approx(
        quiet(skm.recall_score, y_true, y_pred, pos_label=1 - pos_label, zero_division=0),
        rel=1e-12)


def test_class_never_predicted():
    # Class 2 occurs in y_true but is never predicted: its precision is 0/0.
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 1, 0])
    labels = np.arange(3)
    for ours, theirs in [(metrics.precision_score, skm.precision_score),
                         (metrics.recall_score, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)]:
        for average in AVERAGES:
            np.testing.assert_allclose(
                ours(y_true, y_pred, average=average),
                quiet(theirs, y_true, y_pred, labels=labels, average=average,
                      zero_division=0))
    assert metrics.precision_score(y_true, y_pred, average=None)[2] == 0.0
    assert np.isnan(metrics.precision_score(y_true, y_pred, average=None, zero_division=np.nan)[2])
    # With NaN the class drops out of the macro mean: (1/3 + 2/4) / 2.
    assert metrics.precision_score(y_true, y_pred, average="macro", zero_division=np.nan) == \
        pytest.approx((1 / 3 + 2 / 4) / 2)
    assert metrics.classification_report(y_true, y_pred) == skm.classification_report(
        y_true, y_pred, labels=labels, zero_division=0)


def test_class_absent_from_y_true():
    # Class 3 never occurs but is predicted once: its recall is 0/0, its precision 0.
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 1, 2, 3, 1, 1])
    labels = np.arange(4)
    for ours, theirs in [(metrics.precision_score, skm.precision_score),
                         (metrics.recall_score, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)]:
        for average in AVERAGES:
            for zero_division in ZERO_DIVISIONS:
                np.testing.assert_allclose(
                    ours(y_true, y_pred, average=average, zero_division=zero_division),
                    quiet(theirs, y_true, y_pred, labels=labels, average=average,
                          zero_division=zero_division))
    assert metrics.recall_score(y_true, y_pred, average=None, zero_division=1)[3] == 1.0
    # mAP averages only over the classes that occur in y_true (0, 1, 2).
    scores = np.eye(4)[y_pred] * 0.7 + 0.1
    expected = np.mean([skm.average_precision_score(y_true == c, scores[:, c])
                        for c in range(3)])
    assert metrics.mean_average_precision(y_true, scores) == pytest.approx(expected)


@given(predictions(), st.integers(0, 3))
def test_classification_report_equals_sklearn(case, digits):
    y_true, y_pred, c = case
    # Without a single correct prediction scikit-learn prints the support as a
    # float ("1.0"), an artefact of its zero-filled counts; compare the rest.
    assume(np.any(y_true == y_pred))
    names = [f"class {k}" for k in range(c)]
    assert metrics.classification_report(y_true, y_pred, c, target_names=names,
                                         digits=digits) == \
        skm.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names,
                                  digits=digits, zero_division=0)


# --------------------------------------------------------------------------- a deck's table
def test_hand_counted_detection_table():
    # 10 samples, 4 present: 3 detected (TP), 1 missed (FN); of the 6 absent,
    # 1 false alarm (FP) and 5 correctly left alone (TN).
    present = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    detected = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    tp, fp, fn, tn = metrics.one_vs_rest_counts(present, detected)
    assert (tp[1], fp[1], fn[1], tn[1]) == (3, 1, 1, 5)
    assert metrics.precision_score(present, detected) == 3 / 4
    assert metrics.recall_score(present, detected) == 3 / 4
    assert metrics.specificity(present, detected) == 5 / 6
    assert metrics.f1_score(present, detected) == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert metrics.accuracy_score(present, detected) == (3 + 5) / 10


def test_accuracy_misleads_under_class_imbalance():
    # 990 healthy, 10 ill; a "classifier" that always says healthy.
    y_true = np.array([0] * 990 + [1] * 10)
    y_pred = np.zeros(1000, dtype=int)
    assert metrics.accuracy_score(y_true, y_pred) == 0.99
    assert metrics.recall_score(y_true, y_pred) == 0.0
    assert metrics.precision_score(y_true, y_pred) == 0.0        # 0/0, zero_division=0
    assert metrics.specificity(y_true, y_pred) == 1.0
    assert metrics.recall_score(y_true, y_pred, average="macro") == 0.5


def test_hand_counted_multiclass():
    # cm = [[2, 1, 0],   precision: 2/3, 1/2, 2/2     recall: 2/3, 1/1, 2/3
    #       [0, 1, 0],   micro precision = trace / N = 5/7
    #       [1, 0, 2]]
    y_true = [0, 0, 0, 1, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 2, 2, 0]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  [[2, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(metrics.precision_score(y_true, y_pred, average=None),
                               [2 / 3, 1 / 2, 1])
    np.testing.assert_allclose(metrics.recall_score(y_true, y_pred, average=None),
                               [2 / 3, 1, 2 / 3])
    assert metrics.precision_score(y_true, y_pred, average="micro") == pytest.approx(5 / 7)
    assert metrics.recall_score(y_true, y_pred, average="weighted") == pytest.approx(
        (3 * 2 / 3 + 1 * 1 + 3 * 2 / 3) / 7)
    # Specificity of class 0: 4 samples are not 0, one of them predicted 0.
    assert metrics.specificity(y_true, y_pred, average=None)[0] == pytest.approx(3 / 4)


# --------------------------------------------------------------------------- top-k
@given(scored(), st.integers(1, 6))
def test_top_k_accuracy_equals_sklearn_with_ties(case, k):
    y_true, scores = case
    k = min(k, scores.shape[1])
    expected = quiet(skm.top_k_accuracy_score, y_true, scores, k=k,
                     labels=np.arange(scores.shape[1]))
    assert metrics.top_k_accuracy_score(y_true, scores, k=k) == expected
    assert metrics.top_k_error(y_true, scores, k=k) == pytest.approx(1 - expected)


def test_top_k_hand_counted():
    scores = np.array([[0.1, 0.5, 0.4],     # true 2: second guess
                       [0.7, 0.2, 0.1],     # true 0: first guess
                       [0.2, 0.3, 0.5]])    # true 0: third guess
    y_true = [2, 0, 0]
    assert metrics.top_k_accuracy_score(y_true, scores, k=1) == pytest.approx(1 / 3)
    assert metrics.top_k_accuracy_score(y_true, scores, k=2) == pytest.approx(2 / 3)
    assert metrics.top_k_error(y_true, scores, k=3) == 0.0


def test_top_k_ties_rank_the_larger_class_index_first():
    scores = np.array([[0.5, 0.5, 0.0]])
    # scikit-learn ranks class 1 before class 0, unlike argmax.
    assert metrics.top_k_accuracy_score([1], scores, k=1) == 1.0
    assert metrics.top_k_accuracy_score([0], scores, k=1) == 0.0
    assert skm.top_k_accuracy_score([1], scores, k=1, labels=[0, 1, 2]) == 1.0


# --------------------------------------------------------------------------- ranking
@given(detections(), st.booleans())
def test_precision_recall_curve_equals_sklearn_with_ties(case, drop_intermediate):
    y_true, scores = case
    ours = quiet(metrics.precision_recall_curve, y_true, scores,
                 drop_intermediate=drop_intermediate)
    theirs = quiet(skm.precision_recall_curve, y_true, scores,
                   drop_intermediate=drop_intermediate)
    for mine, oracle in zip(ours, theirs):
        np.testing.assert_array_equal(mine, oracle)


@given(detections())
def test_naive_precision_recall_curve_equals_sklearn(case):
    y_true, scores = case
    ours = quiet(metrics.precision_recall_curve_naive, y_true, scores)
    theirs = quiet(skm.precision_recall_curve, y_true, scores)
    for mine, oracle in zip(ours, theirs):
        np.testing.assert_allclose(mine, oracle, rtol=1e-12)


@given(scored())
def test_one_vs_rest_curves_and_ap_equal_sklearn(case):
    y_true, scores = case
    for c in range(scores.shape[1]):
        ours = quiet(metrics.precision_recall_curve, y_true, scores[:, c], pos_label=c)
        theirs = quiet(skm.precision_recall_curve, y_true, scores[:, c], pos_label=c)
        for mine, oracle in zip(ours, theirs):
            np.testing.assert_array_equal(mine, oracle)
        assert quiet(metrics.average_precision_score, y_true, scores[:, c], pos_label=c) == \
            pytest.approx(quiet(skm.average_precision_score, y_true == c, scores[:, c]),
                          rel=1e-12, abs=1e-15)


@given(detections())
def test_average_precision_equals_sklearn(case):
    y_true, scores = case
    assert quiet(metrics.average_precision_score, y_true, scores) == pytest.approx(
        quiet(skm.average_precision_score, y_true, scores), rel=1e-12, abs=1e-15)


@given(scored())
def test_mean_average_precision_equals_sklearn(case):
    y_true, scores = case
    expected = np.mean([skm.average_precision_score(y_true == c, scores[:, c])
                        for c in np.unique(y_true)])
    assert metrics.mean_average_precision(y_true, scores) == pytest.approx(expected, rel=1e-12)


def test_mean_average_precision_equals_sklearn_macro_when_all_classes_present():
    rng = np.random.default_rng(0)
    y_true = np.arange(200) % 5
    scores = np.round(rng.random((200, 5)) + 0.3 * np.eye(5)[y_true], 1)   # many ties
    assert metrics.mean_average_precision(y_true, scores) == pytest.approx(
        skm.average_precision_score(y_true, scores, average="macro"), rel=1e-12)


def test_average_precision_hand_counted():
    # Ranked by score: +, -, +, -.  Recall 1/2 at precision 1, recall 1 at precision 2/3.
    y_true = [1, 0, 1, 0]
    scores = [0.9, 0.8, 0.7, 0.6]
    assert metrics.average_precision_score(y_true, scores) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    precision, recall, thresholds = metrics.precision_recall_curve(y_true, scores)
    np.testing.assert_allclose(precision, [2 / 4, 2 / 3, 1 / 2, 1, 1])
    np.testing.assert_allclose(recall, [1, 1, 1 / 2, 1 / 2, 0])
    np.testing.assert_array_equal(thresholds, [0.6, 0.7, 0.8, 0.9])


def test_tied_scores_are_detected_together():
    # Two samples share the top score: one threshold, both detected at once.
    precision, recall, thresholds = metrics.precision_recall_curve([1, 0, 1], [0.5, 0.5, 0.2])
    np.testing.assert_allclose(precision, [2 / 3, 1 / 2, 1])
    np.testing.assert_allclose(recall, [1, 1 / 2, 0])
    np.testing.assert_array_equal(thresholds, [0.2, 0.5])
    assert metrics.average_precision_score([1, 0, 1], [0.5, 0.5, 0.2]) == pytest.approx(
        0.5 * 1 / 2 + 0.5 * 2 / 3)


def test_no_positive_warns_like_sklearn():
    with pytest.warns(UserWarning, match="No positive class"):
        ours = metrics.precision_recall_curve([0, 0, 0], [0.1, 0.4, 0.3])
    theirs = quiet(skm.precision_recall_curve, [0, 0, 0], [0.1, 0.4, 0.3])
    for mine, oracle in zip(ours, theirs):
        np.testing.assert_array_equal(mine, oracle)
    with pytest.warns(UserWarning, match="No positive class"):
        assert metrics.average_precision_score([0, 0, 0], [0.1, 0.4, 0.3]) == 0.0


# --------------------------------------------------------------------------- helpers
def test_accuracy_per_mparam_from_torchvision_metadata():
    torchvision = pytest.importorskip("torchvision")
    meta = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta
    acc, params = meta["_metrics"]["ImageNet-1K"]["acc@1"], meta["num_params"]
    assert (acc, params) == (69.758, 11689512)
    assert metrics.accuracy_per_mparam(acc, params) == pytest.approx(69.758 / 11.689512)
    np.testing.assert_allclose(metrics.accuracy_per_mparam([50.0, 80.0], [5e6, 2e7]), [10, 4])


def test_most_confused_hand_counted():
    cm = np.array([[50, 3, 9],
                   [7, 40, 0],
                   [9, 1, 30]])
    assert metrics.most_confused(cm, k=3) == [(0, 2, 9), (2, 0, 9), (1, 0, 7)]
    assert len(metrics.most_confused(np.diag([5, 5]), k=3)) == 0


def test_confident_mistakes_hand_counted():
    scores = np.array([[0.9, 0.1],    # right
                       [0.6, 0.4],    # wrong, 0.6
                       [0.05, 0.95],  # wrong, 0.95
                       [0.2, 0.8],    # right
                       [0.3, 0.7]])   # wrong, 0.7
    y_true = [0, 1, 0, 1, 0]
    np.testing.assert_array_equal(metrics.confident_mistakes(y_true, scores, k=2), [2, 4])
    np.testing.assert_array_equal(metrics.confident_mistakes(y_true, scores), [2, 4, 1])


def test_cnnlib_never_imports_sklearn():
    code = "import sys, cnnlib, cnnlib.metrics; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- errors
def test_error_mismatched_lengths():
    with pytest.raises(ValueError,
                       match="y_true and y_pred must have the same length, got 3 and 2"):
        metrics.confusion_matrix([0, 1, 1], [0, 1])


def test_error_scores_length():
    with pytest.raises(ValueError, match="y_true and y_score must have the same length"):
        metrics.top_k_accuracy_score([0, 1, 2], np.zeros((2, 3)), k=1)


def test_error_negative_label():
    with pytest.raises(ValueError, match="y_pred holds the label -1"):
        metrics.accuracy_score([0, 1], [0, -1])


def test_error_label_not_below_num_classes():
    with pytest.raises(ValueError, match="y_true holds the label 3, but num_classes=3"):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=3)


def test_error_label_beyond_score_columns():
    with pytest.raises(ValueError, match="y_true holds the label 4, but y_score has only 3"):
        metrics.mean_average_precision([0, 4], np.zeros((2, 3)))


def test_error_non_integer_labels():
    with pytest.raises(TypeError, match="y_true must hold integer class labels"):
        metrics.accuracy_score([0.5, 1.0], [0, 1])


def test_error_labels_not_1d():
    with pytest.raises(ValueError, match="y_pred must be a 1-D array"):
        metrics.accuracy_score([0, 1], [[0, 1]])


def test_error_empty():
    with pytest.raises(ValueError, match="y_true is empty"):
        metrics.accuracy_score([], [])


def test_error_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes must be >= 1, got 0"):
        metrics.confusion_matrix([0], [0], num_classes=0)
    with pytest.raises(TypeError, match="num_classes must be an int, got float 2.0"):
        metrics.confusion_matrix([0], [0], num_classes=2.0)


def test_error_class_scores_need_two_dimensions():
    with pytest.raises(ValueError, match=r"y_score must have shape \(N, C\).*got shape \(3,\)"):
        metrics.top_k_accuracy_score([0, 1, 1], np.array([0.2, 0.5, 0.9]), k=1)


def test_error_k_larger_than_classes():
    with pytest.raises(ValueError, match=r"k=5 is larger than the number of classes.*C=3"):
        metrics.top_k_accuracy_score([0, 1, 2], np.eye(3), k=5)


def test_error_k_not_positive():
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        metrics.top_k_error([0, 1, 2], np.eye(3), k=0)
    with pytest.raises(TypeError, match="k must be an int, got bool True"):
        metrics.top_k_accuracy_score([0, 1, 2], np.eye(3), k=True)


def test_error_binary_scores_need_one_dimension():
    with pytest.raises(ValueError, match=r"y_score must have shape \(N,\).*pos_label=c"):
        metrics.precision_recall_curve([0, 1], np.eye(2))


def test_error_average_precision_of_a_score_matrix():
    with pytest.raises(ValueError, match="mean_average_precision"):
        metrics.average_precision_score([0, 1, 2], np.eye(3))


def test_error_multiclass_curve_without_pos_label():
    with pytest.raises(ValueError, match=r"not just 0 and 1; pass pos_label"):
        metrics.precision_recall_curve([0, 1, 2], [0.1, 0.2, 0.3])


def test_error_nan_scores():
    with pytest.raises(ValueError, match="y_score holds NaN"):
        metrics.average_precision_score([0, 1], [0.3, np.nan])


def test_error_unknown_average():
    with pytest.raises(ValueError, match="average must be one of .* got 'mean'"):
        metrics.precision_score([0, 1], [0, 1], average="mean")


def test_error_binary_average_on_multiclass():
    with pytest.raises(ValueError, match="average='binary'.*3 classes"):
        metrics.recall_score([0, 1, 2], [0, 1, 2])


def test_error_bad_pos_label():
    with pytest.raises(ValueError, match="pos_label must be 0 or 1"):
        metrics.f1_score([0, 1], [0, 1], pos_label=2)


def test_error_bad_zero_division():
    with pytest.raises(ValueError, match="zero_division must be 0, 1 or np.nan"):
        metrics.specificity([0, 1], [0, 1], zero_division=0.5)


def test_error_bad_normalize():
    with pytest.raises(ValueError, match="normalize must be None, 'true', 'pred' or 'all'"):
        metrics.confusion_matrix([0, 1], [0, 1], normalize="rows")


def test_error_target_names_length():
    with pytest.raises(ValueError, match="target_names has 2 names for 3 classes"):
        metrics.classification_report([0, 1, 2], [0, 1, 2], target_names=["a", "b"])


def test_error_accuracy_per_mparam():
    with pytest.raises(ValueError, match="num_params must be positive"):
        metrics.accuracy_per_mparam(70.0, 0)
    with pytest.raises(ValueError, match="accuracy and num_params must have the same shape"):
        metrics.accuracy_per_mparam([70.0, 80.0], [1e6])


def test_error_most_confused_not_square():
    with pytest.raises(ValueError, match=r"cm must be a square \(C, C\)"):
        metrics.most_confused(np.zeros((2, 3)))


@pytest.mark.parametrize("name", ["accuracy_score", "precision_score", "recall_score", "f1_score",
                                  "top_k_accuracy_score", "average_precision_score",
                                  "precision_recall_curve", "confusion_matrix"])
def test_names_and_leading_arguments_are_scikit_learns(name):
    ours, theirs = getattr(metrics, name), getattr(skm, name)
    leading = list(inspect.signature(theirs).parameters)[:2]
    assert list(inspect.signature(ours).parameters)[:2] == leading
    assert name in metrics.__all__


def test_old_metric_names_are_gone():
    for old in ["accuracy", "precision", "recall", "top_k_accuracy", "average_precision"]:
        assert not hasattr(metrics, old) and not hasattr(cnnlib, old)


def test_error_a_huge_label_is_refused_before_any_allocation():
    with pytest.raises(ValueError, match="y_true holds the label 10000000: class labels must "
                                         "be 0..C-1 with at most C = 4096"):
        metrics.confusion_matrix([10**7, 0], [0, 1])
    with pytest.raises(ValueError, match="num_classes must be at most 4096"):
        metrics.precision_score([0, 1], [0, 1], 10**9, average=None)
