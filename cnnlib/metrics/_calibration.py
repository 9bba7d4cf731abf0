"""Calibration: whether the predicted probabilities mean what they say.

A classifier is *calibrated* when, of all the samples it gives probability 0.8,
80 % are right.  Accuracy and ROC AUC cannot see this (they only use the order
of the scores); the tools here can:

* :func:`calibration_curve`: the points of a reliability diagram (Niculescu-Mizil
  and Caruana, 2005), with the signature and numbers of
  ``sklearn.calibration.calibration_curve``;
* :func:`expected_calibration_error`: the gap between accuracy and confidence,
  averaged over confidence bins weighted by their size (Guo et al., 2017);
* :func:`fit_temperature`: temperature scaling (Guo et al., 2017), the one-number
  fix: divide every logit by ``T`` chosen to minimise the negative log-likelihood
  on held-out (validation) data.  The argmax, hence the accuracy, does not change.

Bins follow Guo et al. and scikit-learn: with edges ``e_0 < e_1 < ... < e_M``
bin ``m`` holds the probabilities in ``(e_{m-1}, e_m]`` (the first bin also
holds ``e_0``).
"""
from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_positive_int, real_array
from ._checks import check_labels

__all__ = ["calibration_curve", "expected_calibration_error", "fit_temperature"]


def _check_probabilities(y_prob, name, n):
    """``y_prob`` as a float64 array of ``n`` rows with every value in [0, 1]."""
    y_prob = real_array(y_prob, name).astype(np.float64)
    if len(y_prob) != n:
        raise ValueError(f"y_true and {name} must have the same length, "
                         f"got {n} and {len(y_prob)}")
    if not np.all(np.isfinite(y_prob)) or y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    return y_prob


def _bin_index(values, edges):
    """Bin of each value: the number of inner edges strictly below it, shape (N,).

    With ``edges`` of shape (M + 1,), bin ``m`` is ``(edges[m], edges[m + 1]]``;
    a value equal to an inner edge belongs to the bin below it.
    """
    inner = edges[1:-1]
    return (values[:, None] > inner[None, :]).sum(axis=1)


def calibration_curve(y_true, y_prob, *, n_bins=10, strategy="uniform"):
    """The points of a reliability diagram: observed frequency against predicted probability.

    Parameters
    ----------
    y_true : array-like of int, shape (N,)
        Binary labels, 0 or 1 (1 is the positive class).
    y_prob : array-like, shape (N,)
        Predicted probability of the positive class, in [0, 1].
    n_bins : int
        Number of bins (>= 1).
    strategy : {"uniform", "quantile"}
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: edges at
        the quantiles of ``y_prob``, so the bins hold about equally many samples.

    Returns
    -------
    prob_true : ndarray, shape (B,)
        Fraction of positives in each non-empty bin (``B <= n_bins``).
    prob_pred : ndarray, shape (B,)
        Mean predicted probability in each non-empty bin.  A calibrated model
        has ``prob_true ~= prob_pred``: its points lie on the diagonal.

    Notes
    -----
    Same order of outputs and same numbers as
    ``sklearn.calibration.calibration_curve`` (empty bins are left out).
    """
    y_true = check_labels(y_true, "y_true")
    if y_true.max() > 1:
        raise ValueError(f"y_true must hold binary labels 0 and 1, got "
                         f"{np.unique(y_true).tolist()}; pass y_true == c for class c")
    y_prob = _check_probabilities(y_prob, "y_prob", len(y_true))
    if y_prob.ndim != 1:
        raise ValueError(f"y_prob must have shape (N,), the probability of the positive "
                         f"class, got shape {y_prob.shape}")
    check_positive_int(n_bins, "n_bins")
    check_choice(strategy, "strategy", ("uniform", "quantile"))
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.percentile(y_prob, np.linspace(0.0, 100.0, n_bins + 1))
    bins = _bin_index(y_prob, edges)
    count = np.bincount(bins, minlength=n_bins)
    positives = np.bincount(bins, weights=y_true.astype(np.float64), minlength=n_bins)
    prob_sum = np.bincount(bins, weights=y_prob, minlength=n_bins)
    filled = count > 0
    return positives[filled] / count[filled], prob_sum[filled] / count[filled]


def expected_calibration_error(y_true, y_prob_or_probs, *, n_bins=15):
    """Expected calibration error (ECE): ``sum_m |B_m|/N * |acc(B_m) - conf(B_m)|``.

    Parameters
    ----------
    y_true : array-like of int, shape (N,)
        True labels: ``0 .. C-1`` with class probabilities, 0/1 with one probability.
    y_prob_or_probs : array-like, shape (N, C) or (N,)
        Shape (N, C): class probabilities (rows of a softmax).  Each sample's
        *confidence* is its largest probability, and it is *correct* when that
        class (the argmax) is the label (Guo et al., 2017).
        Shape (N,): the probability of the positive class; each bin compares
        the mean probability with the fraction of positives, the gap a
        reliability diagram (:func:`calibration_curve`) shows.
    n_bins : int
        Number of equal-width bins on [0, 1] (>= 1); Guo et al. use 15.

    Returns
    -------
    float in [0, 1]
        0 for a perfectly calibrated model (on these bins).
    """
    y_true = check_labels(y_true, "y_true")
    probs = _check_probabilities(y_prob_or_probs, "y_prob_or_probs", len(y_true))
    check_positive_int(n_bins, "n_bins")
    if probs.ndim == 2:
        if y_true.max() >= probs.shape[1]:
            raise ValueError(f"y_true holds the label {y_true.max()}, but y_prob_or_probs has "
                             f"only {probs.shape[1]} columns (classes)")
        confidence = probs.max(axis=1)
        outcome = (probs.argmax(axis=1) == y_true).astype(np.float64)
    elif probs.ndim == 1:
        if y_true.max() > 1:
            raise ValueError("with y_prob_or_probs of shape (N,) y_true must hold binary "
                             "labels 0 and 1; pass the (N, C) probabilities for C classes")
        confidence, outcome = probs, y_true.astype(np.float64)
    else:
        raise ValueError(f"y_prob_or_probs must have shape (N, C) or (N,), "
                         f"got shape {probs.shape}")
    bins = _bin_index(confidence, np.linspace(0.0, 1.0, n_bins + 1))
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, weights=outcome, minlength=n_bins)
                 - np.bincount(bins, weights=confidence, minlength=n_bins))
    # |sum(outcome) - sum(conf)| / N  ==  |B|/N * |acc(B) - conf(B)|
    return float(gap.sum() / count.sum())


def _log_softmax(z):
    """Row-wise log-softmax of ``z`` (N, C), shifted by the row maximum for stability."""
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fit_temperature(logits, y_true):
    """Temperature scaling: the ``T > 0`` minimising the NLL of ``softmax(logits / T)``.

    Parameters
    ----------
    logits : array-like, shape (N, C)
        Logits of a trained classifier on held-out data (the *validation*
        split: fitting ``T`` on the test split would let it see the test set).
    y_true : array-like of int, shape (N,)
        True labels in ``0 .. C-1``.

    Returns
    -------
    float
        The temperature ``T``, searched in ``[0.01, 100]``.  ``T > 1`` softens
        over-confident probabilities, ``T < 1`` sharpens under-confident ones;
        ``softmax(logits / T)`` has the same argmax for every ``T``.

    Notes
    -----
    The NLL of ``softmax(b * z)`` is convex in ``b = 1 / T`` (its second
    derivative is the variance of the logit under the softmax), so the 1-D
    search over ``log T`` (``scipy.optimize.minimize_scalar``, bounded) finds
    the single minimum.
    """
    from scipy.optimize import minimize_scalar

    y_true = check_labels(y_true, "y_true")
    logits = real_array(logits, "logits").astype(np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C), got shape {logits.shape}")
    if len(logits) != len(y_true):
        raise ValueError(f"logits and y_true must have the same length, "
                         f"got {len(logits)} and {len(y_true)}")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits holds NaN or infinite values")
    if y_true.max() >= logits.shape[1]:
        raise ValueError(f"y_true holds the label {y_true.max()}, but logits has only "
                         f"{logits.shape[1]} columns (classes)")
    rows = np.arange(len(y_true))

    def nll(log_t):
        return -_log_softmax(logits / np.exp(log_t))[rows, y_true].mean()

    result = minimize_scalar(nll, bounds=(np.log(0.01), np.log(100.0)), method="bounded",
                             options={"xatol": 1e-9})
    return float(np.exp(result.x))
