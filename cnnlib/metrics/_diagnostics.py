"""Comparing models and finding their mistakes: accuracy per parameter, confusions.

These are the course's own helpers (scikit-learn has no counterpart): one number
to compare architectures of different sizes, and the two lists a student reads
to see *what* a classifier gets wrong.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_positive_int
from ._checks import check_class_scores

__all__ = ["accuracy_per_mparam", "most_confused", "confident_mistakes"]


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
    check_positive_int(k, "k")
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
    y_true, y_score = check_class_scores(y_true, y_score)
    check_positive_int(k, "k")
    y_pred = y_score.argmax(axis=1)
    confidence = y_score.max(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:k]


