"""Exercises of lesson 01 (01a convolution, 01b convolution theory) and their checks.

Each exercise is an :class:`~cnnlib.selfcheck.answers.Exercise` in :data:`EXERCISES`: the
statement a notebook shows, and either parts with right values and known mistakes or a
``check_*`` function that runs the student's function on a few cases.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_correlate1d", "check_correlation_matrix"]


# --------------------------------------------------------------------------- 01a.1
def _correlate_valid(x, kernel):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    k = len(kernel)
    return np.array([x[i:i + k] @ kernel for i in range(len(x) - k + 1)])


_SIGNALS = [("5 samples, 3 taps", (np.array([1.0, 2, 0, -1, 3]), np.array([1.0, 0, -1]))),
            ("8 samples, 4 taps, not symmetric",
             (np.arange(8.0) ** 2 - 3, np.array([0.5, -1.0, 2.0, 0.25]))),
            ("a kernel as long as the signal", (np.array([1.0, -2, 3]), np.array([2.0, 1, 1])))]


def check_correlate1d(correlate1d, quiet=False):
    """Check ``correlate1d(x, kernel)``: the valid cross-correlation, ``(N - K + 1,)``.

    Parameters
    ----------
    correlate1d : callable
        ``x`` of shape ``(N,)`` and ``kernel`` of shape ``(K,)`` to ``(N - K + 1,)``,
        ``out[i] = sum_j x[i + j] * kernel[j]``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("flipped", lambda x, k: _correlate_valid(x, k[::-1]),
          "the kernel is flipped: that is a convolution. Cross-correlation multiplies "
          "x[i + j] by kernel[j], no flip."),
        M("last position lost", lambda x, k: _correlate_valid(x, k)[:-1],
          "the last position is missing: the kernel fits N - K + 1 times, so "
          "range(len(x) - len(kernel) + 1)."),
        M("same", lambda x, k: np.correlate(x, k, "same"),
          "that is 'same' mode (zero padding, N outputs); valid keeps only positions where "
          "the kernel lies inside x."),
    )
    return check_function("Exercise 01a.1 (correlate1d)", correlate1d, _SIGNALS,
                          _correlate_valid, mistakes, quiet)


# --------------------------------------------------------------------------- 01b.1
def _matrix(kernel, n):
    kernel = np.asarray(kernel, float)
    k = len(kernel)
    m = np.zeros((n - k + 1, n))
    for i in range(n - k + 1):
        m[i, i:i + k] = kernel
    return m


_MATRIX_CASES = [("3 taps, 5 samples", (np.array([1.0, 2.0, 3.0]), 5)),
                 ("2 taps, 4 samples", (np.array([-1.0, 1.0]), 4)),
                 ("4 taps, 9 samples", (np.array([0.5, -2.0, 1.0, 3.0]), 9))]


def check_correlation_matrix(correlation_matrix, quiet=False):
    """Check ``correlation_matrix(kernel, n)``: valid correlation as a matrix.

    Parameters
    ----------
    correlation_matrix : callable
        ``kernel`` of shape ``(K,)`` and an int ``n`` to the matrix ``M`` of shape
        ``(n - K + 1, n)`` with ``M @ x`` the valid cross-correlation of ``x`` ``(n,)``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("flipped", lambda k, n: _matrix(k[::-1], n),
          "each row holds the flipped kernel: that is the matrix of a convolution. Row i "
          "holds kernel[0], ..., kernel[K-1] in columns i, ..., i + K - 1."),
        M("transposed", lambda k, n: _matrix(k, n).T,
          "the matrix is transposed: it maps n inputs to n - K + 1 outputs, so it has "
          "n - K + 1 rows and n columns."),
        M("square", lambda k, n: np.pad(_matrix(k, n), ((0, k.size - 1), (0, 0))),
          "the matrix is n x n, with zero rows at the bottom; valid mode has n - K + 1 rows."),
    )
    return check_function("Exercise 01b.1 (correlation_matrix)", correlation_matrix,
                          _MATRIX_CASES, _matrix, mistakes, quiet)


EXERCISES = {
    "01a.1": Exercise(
        "cross-correlation by hand",
        "Write `correlate1d(x, kernel)`, the *valid* cross-correlation of a 1D signal `x` "
        "of length N with a kernel of K taps: `out[i] = sum_j x[i + j] * kernel[j]` for "
        "every position where the kernel lies inside `x`. Use one loop over `i` (and a dot "
        "product), not `np.correlate`. Then run `check_exercise('01a.1', correlate1d)`.",
        check=check_correlate1d),
    "01a.2": Exercise(
        "spot the bug: how many taps?",
        "A published lecture slide writes the convolution with a kernel of M taps as "
        "`y[n] = sum_{m = -M/2}^{M/2} h[m] x[n - m]`. For M = 4, how many terms (`taps`) "
        "does that sum have? For M = 5 taps centred on 0, what `last` index makes the sum "
        "over `m = -last ... last` have exactly M terms? Check with "
        "`check_exercise('01a.2', taps=..., last=...)`.",
        parts={
            "taps": Part(5, (
                M("M taps", 4, "it has M + 1 terms: -2, -1, 0, 1, 2 is five, so for even M "
                               "the sum has one tap too many (the published slip)."),
                M("both ends left out", 3, "both ends are included: -2 and 2 count."))),
            "last": Part(2, (
                M("M/2", 2.5, "M/2 = 2.5 is not an index: the range is -(M-1)/2 ... (M-1)/2."),
                M("M", 5, "m runs over M values centred on 0: -2 ... 2.")))}),
    "01a.3": Exercise(
        "averaging or derivative?",
        "The Laplacian kernel `[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`: is it an averaging "
        "kernel or a derivative (`kind`)? Compute its output (`flat`) on a 3x3 patch where "
        "every pixel is 7. Check with `check_exercise('01a.3', kind=..., flat=...)`.",
        parts={
            "kind": Part("derivative", (
                M("averaging", "averaging", "an averaging kernel has non-negative weights "
                                           "summing to 1; these sum to 0, so a flat patch "
                                           "gives 0: it is a second derivative."),
                M("both", "both", "its weights sum to 0, not 1: it cannot keep a flat "
                                  "region's brightness, as an average must."))),
            "flat": Part(0, (
                M("centre only", -28, "the four neighbours (+7 each) count too."),
                M("neighbours only", 28, "the centre weight, -4, counts too."),
                M("average", 7, "an average would keep 7; these weights sum to 0.")))}),
    "01b.1": Exercise(
        "correlation as a matrix",
        "A valid cross-correlation is linear, so it is a matrix product `M @ x`. Write "
        "`correlation_matrix(kernel, n)` that builds `M` for a kernel of K taps and a "
        "signal of n samples (row i holds the kernel in columns i to i + K - 1), and "
        "compare `M @ x` with `np.correlate(x, kernel, 'valid')`. Check with "
        "`check_exercise('01b.1', correlation_matrix)`.",
        check=check_correlation_matrix),
    "01b.2": Exercise(
        "spot the bug: the channel sum",
        "A published lecture slide writes a multi-channel convolution as a sum over the "
        "input channels `sum_{i=0}^{c_i} X_i * K_i` for an input of c_i channels. For "
        "c_i = 3 (RGB), how many `terms` does that sum have, and what is the `last` index "
        "of the right sum? Check with `check_exercise('01b.2', terms=..., last=...)`.",
        parts={
            "terms": Part(4, (
                M("channels", 3, "count the indices as written: i = 0, 1, 2, 3 is four "
                                 "terms, one more than there are channels: that is the slip."),
                M("from one", 2, "i = 0 ... 3 includes both ends."))),
            "last": Part(2, (
                M("as written", 3, "channels are numbered 0, 1, 2: the last is c_i - 1."),
                M("one based", 4, "counting from 0, the last of three is 2.")))}),
    "01b.3": Exercise(
        "the Haar layer with stride 1",
        "The Haar layer has four 2x2 filters. On a 28x28 image, how many coefficients does "
        "it give with stride 2 (`stride_2`) and with stride 1, no padding (`stride_1`)? "
        "Check with `check_exercise('01b.3', stride_2=..., stride_1=...)`.",
        parts={
            "stride_2": Part(784, (
                M("one filter", 196, "there are four filters, each 14 x 14."),
                M("stride ignored", 2916, "that is stride 1."))),
            "stride_1": Part(2916, (
                M("same size", 3136, "without padding a 2x2 window fits 27 times, not 28."),
                M("one filter", 729, "there are four filters, each 27 x 27."),
                M("stride 2", 784, "that is stride 2.")))}),
}
