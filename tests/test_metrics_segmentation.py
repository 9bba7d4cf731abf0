"""Pixel accuracy and intersection over union, against hand counts and scikit-learn."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics as skm

from cnnlib.metrics import iou_per_class, iou_per_class_naive, mean_iou, pixel_accuracy

# A 3x4 map with classes 0 (background), 1 and 2, counted by hand:
#   class 0: true at 6 pixels, predicted at 6, both at 5 -> IoU 5 / 7
#   class 1: true at 4, predicted at 3, both at 3           -> IoU 3 / 4
#   class 2: true at 2, predicted at 3, both at 2           -> IoU 2 / 3
TRUE = np.array([[0, 0, 1, 1],
                 [0, 0, 1, 1],
                 [0, 0, 2, 2]])
PRED = np.array([[0, 0, 1, 1],
                 [0, 0, 1, 0],
                 [0, 2, 2, 2]])


def test_hand_count():
    assert pixel_accuracy(TRUE, PRED) == 10 / 12
    np.testing.assert_allclose(iou_per_class(TRUE, PRED), [5 / 7, 3 / 4, 2 / 3])
    assert mean_iou(TRUE, PRED) == pytest.approx((5 / 7 + 3 / 4 + 2 / 3) / 3)


label_maps = st.integers(1, 6).flatmap(lambda c: st.tuples(
    st.just(c),
    hnp.arrays(np.int64, (2, 5, 6), elements=st.integers(0, c - 1)),
    hnp.arrays(np.int64, (2, 5, 6), elements=st.integers(0, c - 1))))


@pytest.mark.filterwarnings("ignore:A single label was found")   # scikit-learn, c = 1
@given(label_maps)
def test_against_sklearn(case):
    c, y_true, y_pred = case
    t, p = y_true.ravel(), y_pred.ravel()
    cm = skm.confusion_matrix(t, p, labels=np.arange(c))
    union = cm.sum(0) + cm.sum(1) - np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(union > 0, np.diag(cm) / union, np.nan)
    ours = iou_per_class(y_true, y_pred, num_classes=c)
    np.testing.assert_allclose(ours, expected)
    np.testing.assert_allclose(iou_per_class_naive(y_true, y_pred, num_classes=c), expected)
    # jaccard_score is the same number, with 0 where the class is nowhere.
    jaccard = skm.jaccard_score(t, p, labels=np.arange(c), average=None, zero_division=0)
    np.testing.assert_allclose(np.nan_to_num(ours), jaccard)
    present = np.union1d(t, p)
    assert mean_iou(y_true, y_pred, c) == pytest.approx(
        skm.jaccard_score(t, p, labels=present, average="macro"))
    assert pixel_accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(t, p))


def test_absent_class_is_nan_and_left_out_of_the_mean():
    iou = iou_per_class(TRUE, PRED, num_classes=4)
    assert np.isnan(iou[3])
    assert mean_iou(TRUE, PRED, num_classes=4) == pytest.approx(mean_iou(TRUE, PRED))


def test_single_map_equals_batch_of_one():
    assert mean_iou(TRUE, PRED) == mean_iou(TRUE[None], PRED[None])


@pytest.mark.parametrize("y_true, y_pred, error, words", [
    (TRUE, PRED[:, :3], ValueError, "same shape"),
    (TRUE.ravel(), PRED.ravel(), ValueError, "(H, W) or (N, H, W)"),
    (TRUE[None, None], PRED[None, None], ValueError, "(H, W) or (N, H, W)"),
    (TRUE, PRED.astype(float), TypeError, "integer class labels"),
    (TRUE - 1, PRED, ValueError, "labels must be 0..C-1"),
])
def test_bad_input(y_true, y_pred, error, words):
    for f in (pixel_accuracy, iou_per_class, mean_iou):
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            f(y_true, y_pred)


def test_label_out_of_range():
    with pytest.raises(ValueError, match="num_classes=2 allows only 0..1"):
        iou_per_class(TRUE, PRED, num_classes=2)
    with pytest.raises(ValueError, match="num_classes must be >= 1, got 0"):
        mean_iou(TRUE, PRED, num_classes=0)


def test_a_huge_label_is_refused_before_any_allocation():
    # 10**7 classes would make a (C, C) pixel confusion matrix of 10**14 int64 cells (728 TiB).
    truth = np.zeros((4, 4), dtype=np.int64)
    guess = truth.copy()
    guess[0, 0] = 10**7
    for metric in (mean_iou, iou_per_class, iou_per_class_naive):
        with pytest.raises(ValueError, match="y_pred holds the label 10000000: class labels "
                                             "must be 0..C-1 with at most C = 4096"):
            metric(truth, guess)
    with pytest.raises(ValueError, match="y_pred holds the label 10000000, but num_classes=3"):
        mean_iou(truth, guess, num_classes=3)
    with pytest.raises(ValueError, match="num_classes must be at most 4096"):
        mean_iou(truth, guess, num_classes=10**7 + 1)
