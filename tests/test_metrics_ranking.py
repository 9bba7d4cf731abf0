"""cnnlib.metrics' ROC curve and ROC AUC against scikit-learn (the oracle)."""
import inspect
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

from cnnlib import metrics

# Few distinct score values, so that ties are common.
TIED_SCORES = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0])


@st.composite
def detections(draw, min_size=1):
    """Random 0/1 labels with tied positive-class scores ``(y_true, scores)``."""
    n = draw(st.integers(min_size, 40))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    return y_true, draw(hnp.arrays(np.float64, n, elements=TIED_SCORES))


@given(detections(), st.booleans())
def test_roc_curve_equals_sklearn_with_ties(case, drop_intermediate):
    y_true, scores = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # one-class cases: NaN rates, as in sklearn
        expected = skm.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
        ours = metrics.roc_curve(y_true, scores, drop_intermediate=drop_intermediate)
    for got, want in zip(ours, expected):
        np.testing.assert_array_equal(got, want)


@given(detections(min_size=2))
def test_roc_auc_score_equals_sklearn_binary(case):
    y_true, scores = case
    assume(0 < y_true.sum() < len(y_true))
    assert metrics.roc_auc_score(y_true, scores) == pytest.approx(
        skm.roc_auc_score(y_true, scores), abs=1e-12)


@given(st.integers(3, 5), st.integers(0, 2**32 - 1), st.sampled_from(["macro", "weighted"]))
def test_roc_auc_score_equals_sklearn_one_vs_rest(num_classes, seed, average):
    rng = np.random.default_rng(seed)
    y_true = np.concatenate([np.arange(num_classes), rng.integers(0, num_classes, 20)])
    logits = rng.normal(size=(len(y_true), num_classes)).round(1)     # ties too
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = skm.roc_auc_score(y_true, probs, multi_class="ovr", average=average)
    assert metrics.roc_auc_score(y_true, probs, multi_class="ovr", average=average) == \
        pytest.approx(expected, abs=1e-12)


def test_roc_hand_counted():
    # Scores 0.8 (pos) > 0.4 (neg) > 0.35 (pos) > 0.1 (neg): of the 4 pairs
    # (positive, negative), 3 are ordered right.
    assert metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert metrics.roc_auc_score([0, 1], [0.5, 0.5]) == 0.5          # a tie counts half


def test_roc_signatures_are_scikit_learns():
    for name in ("roc_curve", "roc_auc_score"):
        ours = inspect.signature(getattr(metrics, name)).parameters
        theirs = inspect.signature(getattr(skm, name)).parameters
        assert list(ours)[:2] == list(theirs)[:2]
        for option, parameter in ours.items():
            assert option in theirs
            assert parameter.kind == theirs[option].kind
            assert parameter.default == theirs[option].default


def test_options_are_keyword_only_where_scikit_learn_has_them():
    for name in ("confusion_matrix", "classification_report", "top_k_accuracy_score",
                 "precision_score", "recall_score", "f1_score", "precision_recall_curve",
                 "average_precision_score", "roc_curve", "roc_auc_score"):
        ours = inspect.signature(getattr(metrics, name)).parameters
        theirs = inspect.signature(getattr(skm, name)).parameters
        shared = [option for option in ours if option in theirs]
        assert [ours[o].kind for o in shared] == [theirs[o].kind for o in shared], name


def test_roc_errors_name_the_rule():
    with pytest.raises(ValueError, match="only one class"):
        metrics.roc_auc_score([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="multi_class='ovr'"):
        metrics.roc_auc_score([0, 1, 2], np.eye(3))
    with pytest.raises(ValueError, match="no sample of the classes \\[2\\]"):
        metrics.roc_auc_score([0, 1, 1], np.eye(3), multi_class="ovr")
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.roc_auc_score([0, 1, 2], 2 * np.eye(3), multi_class="ovr")
    with pytest.raises(ValueError, match="average must be 'macro' or 'weighted'"):
        metrics.roc_auc_score([0, 1], [0.2, 0.3], average="micro")
    with pytest.raises(ValueError, match=r"y_score must have shape \(N,\)"):
        metrics.roc_curve([0, 1], np.eye(2))
    with pytest.warns(UserWarning, match="No negative samples"):
        fpr, _, _ = metrics.roc_curve([1, 1], [0.2, 0.3])
    assert np.isnan(fpr).all()
