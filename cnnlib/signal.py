"""The signal-processing view of convolution: one channel, 1D and 2D, NumPy only.

These functions mirror ``numpy.correlate`` / ``numpy.convolve`` (1D) and
``scipy.signal.correlate2d`` / ``convolve2d`` (2D) argument for argument, so the
course can check them against those libraries and students can carry what they
learn over to them.

Cross-correlation slides the kernel ``w`` over the signal ``u`` as it is::

    y[i] = sum_n u[i + n] * w[n]                        (correlation)

convolution first flips the kernel::

    y[i] = sum_n u[i - n] * w[n] = sum_n u[i + n] * w[K - 1 - n] (up to a shift)

Deep-learning libraries call the first one "convolution"; the layer view in
:mod:`cnnlib.conv` follows them.  Here both are kept apart because only true
convolution is commutative and associative.

Every output is computed in two steps that the docstrings call by name:

1. *pad* the input according to ``mode`` (how far the kernel may hang over the
   edge) and ``boundary`` (what the signal is assumed to be out there);
2. take the *valid* correlation of the padded input: the kernel visits every
   position where it fits entirely, ``N + before + after - K + 1`` of them.

Modes (``N`` input length, ``K`` kernel length, per axis):

``"full"``   every position where kernel and input overlap: ``N + K - 1`` outputs;
``"same"``   as many outputs as inputs: ``N``;
``"valid"``  only positions where the kernel fits inside the input: ``N - K + 1``.

Boundaries (2D functions and :func:`correlation_matrix`), for the input ``a b c d``:

``"fill"``    zero padding, or ``fillvalue``:  ``0 0 | a b c d | 0 0``
``"wrap"``    periodic:                         ``c d | a b c d | a b``
``"symm"``    mirror, edge repeated:            ``b a | a b c d | d c``
``"extend"``  extension, edge replicated:       ``a a | a b c d | d d``
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import (check_choice, check_positive_int, check_real, real_array,
                        size_text)

__all__ = [
    "MODES",
    "BOUNDARIES",
    "correlate1d",
    "correlate1d_naive",
    "convolve1d",
    "correlate2d",
    "correlate2d_naive",
    "convolve2d",
    "correlation_matrix",
]

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm", "extend")

# The same boundary conditions under the names numpy.pad gives them.
_NP_PAD_MODE = {"fill": "constant", "wrap": "wrap", "symm": "symmetric", "extend": "edge"}


# --------------------------------------------------------------------------- validation
def _as_signal(a, name, ndim):
    """``a`` as an array of real numbers with ``ndim`` axes, or a clear error."""
    a = real_array(a, name)
    if a.ndim != ndim:
        layout = "(N,)" if ndim == 1 else "(H, W)"
        raise ValueError(f"{name} must be {ndim}-D with shape {layout}, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    return a


def _check_fits(input_shape, kernel_shape, mode):
    """In valid mode the kernel must fit inside the input.

    NumPy and SciPy swap the two arrays when the second one is longer, which
    silently turns the kernel into the signal.  Here the first argument is
    always the signal, so a kernel that does not fit is an error.
    """
    if mode == "valid" and any(k > n for n, k in zip(input_shape, kernel_shape)):
        raise ValueError(
            f"kernel ({size_text(kernel_shape)}) is larger than the input "
            f"({size_text(input_shape)}) in mode='valid', so it fits nowhere; "
            f"use mode='same' or 'full' (numpy/scipy would swap the two arrays instead)"
        )


# --------------------------------------------------------------------------- padding
def _pad_width(k, mode, same_before):
    """``(before, after)`` padding of one axis for a kernel of length ``k``.

    ``same_before`` is the padding before the input in "same" mode; the
    libraries disagree about it for even kernels (see :func:`correlate1d` and
    :func:`correlate2d`), so the caller says which convention it follows.
    """
    if mode == "full":
        return k - 1, k - 1
    if mode == "valid":
        return 0, 0
    return same_before, k - 1 - same_before


def _pad(x, pad_widths, boundary, fillvalue):
    if boundary == "fill":
        return np.pad(x, pad_widths, mode="constant", constant_values=fillvalue)
    return np.pad(x, pad_widths, mode=_NP_PAD_MODE[boundary])


def _valid_correlate(xp, w, stride=1):
    """Valid cross-correlation of an already padded input, vectorised.

    ``sliding_window_view`` gives a view of shape ``(*out_shape, *w.shape)`` whose
    entry ``[i, n]`` is ``xp[i + n]`` without copying anything, so contracting
    the window axes with ``w`` is exactly ``y[i] = sum_n xp[i + n] w[n]``.
    """
    windows = sliding_window_view(xp, w.shape)
    windows = windows[(slice(None, None, stride),) * w.ndim]
    letters = "abcd"[: w.ndim]
    return np.einsum(f"...{letters},{letters}->...", windows, w)


# --------------------------------------------------------------------------- 1D
def _prepare_1d(u, w, mode, stride):
    u = _as_signal(u, "u", 1)
    w = _as_signal(w, "w", 1)
    check_choice(mode, "mode", MODES)
    check_positive_int(stride, "stride", meaning="the positions the kernel moves per step")
    _check_fits(u.shape, w.shape, mode)
    return u, w


def _numpy_same_before(k):
    # numpy.correlate and numpy.convolve cut the "same" output out of the
    # "full" one starting at index (K - 1) // 2.  Full output i starts with the
    # kernel hanging K - 1 samples over the left edge, so this is a padding of
    # K - 1 - (K - 1) // 2 = K // 2 before the signal.  For an even K the kernel
    # tap w[K // 2], right of the middle, lies over the output sample.
    return k // 2


def correlate1d(u, w, mode="full", stride=1):
    """Cross-correlation of two 1-D signals, as ``numpy.correlate`` (plus a stride).

    ``y[i] = sum_n u[i * stride + n - p] * w[n]`` with zeros outside ``u``,
    where ``p`` is the padding before ``u`` set by ``mode``.

    Parameters
    ----------
    u : array_like, shape (N,)
        The signal (input).
    w : array_like, shape (K,)
        The kernel.  In mode "valid" it must not be longer than ``u``.
    mode : {"full", "same", "valid"}
        ``"full"`` gives ``N + K - 1`` outputs, ``"same"`` gives ``N``, ``"valid"``
        gives ``N - K + 1`` (see the module docstring).  For an even ``K``,
        ``"same"`` pads ``K // 2`` zeros before ``u`` and ``K // 2 - 1`` after it,
        as NumPy does.
    stride : int
        Positions the kernel moves per step; the result equals the stride-1
        result subsampled, ``correlate1d(u, w, mode)[::stride]``.

    Returns
    -------
    y : ndarray, shape (ceil(M / stride),) where M is the stride-1 length
        dtype of ``u * w`` (integers stay integers, as in NumPy).

    Notes
    -----
    Differences from ``numpy.correlate``: the default mode is "full" (NumPy's is
    "valid"); a kernel longer than the signal is an error in mode "valid" (NumPy
    swaps the arrays) and gives ``N`` outputs in mode "same" (NumPy gives
    ``max(N, K)``), as ``scipy.signal.correlate`` does.

    Examples
    --------
    >>> correlate1d([1, 2, 3], [0, 1, 0.5])
    array([0.5, 2. , 3.5, 3. , 0. ])
    >>> correlate1d([3, 5, 6, 2, 2, 9, 4, 5], [1], mode="valid", stride=2)
    array([3, 6, 2, 4])
    """
    u, w = _prepare_1d(u, w, mode, stride)
    padded = np.pad(u, _pad_width(len(w), mode, _numpy_same_before(len(w))))
    return _valid_correlate(padded, w, stride)


def correlate1d_naive(u, w, mode="full", stride=1):
    """:func:`correlate1d` written as two plain loops, to read next to the formula.

    Same parameters and result as :func:`correlate1d`; slow, for teaching and
    for testing the vectorised version.
    """
    u, w = _prepare_1d(u, w, mode, stride)
    before, after = _pad_width(len(w), mode, _numpy_same_before(len(w)))
    n_out = (len(u) + before + after - len(w)) // stride + 1
    y = np.zeros(n_out, dtype=np.result_type(u, w))
    for i in range(n_out):
        total = 0
        for n in range(len(w)):
            j = i * stride + n - before     # the sample of u under kernel tap n
            if 0 <= j < len(u):             # outside u the signal is zero
                total += u[j] * w[n]
        y[i] = total
    return y


def convolve1d(u, w, mode="full", stride=1):
    """Convolution of two 1-D signals, as ``numpy.convolve`` (plus a stride).

    ``y[i] = sum_n u[i - n] * w[n]``: the kernel is flipped before it slides,
    which makes convolution commutative and associative.  It equals
    ``correlate1d(u, w[::-1], mode, stride)`` for every mode, because NumPy cuts
    the "same" output the same way for both.

    Parameters
    ----------
    u : array_like, shape (N,)
        The signal.
    w : array_like, shape (K,)
        The kernel (not longer than ``u`` in mode "valid").
    mode : {"full", "same", "valid"}
        As in :func:`correlate1d`.
    stride : int
        Positions the kernel moves per step (subsamples the output).

    Returns
    -------
    y : ndarray, shape as in :func:`correlate1d`

    Examples
    --------
    >>> convolve1d([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    u, w = _prepare_1d(u, w, mode, stride)
    return correlate1d(u, w[::-1], mode, stride)


# --------------------------------------------------------------------------- 2D
def _prepare_2d(x, k, mode, boundary, fillvalue):
    x = _as_signal(x, "x", 2)
    k = _as_signal(k, "kernel", 2)
    check_choice(mode, "mode", MODES)
    check_choice(boundary, "boundary", BOUNDARIES)
    check_real(fillvalue, "fillvalue")
    _check_fits(x.shape, k.shape, mode)
    # Integers stay integers unless the fill value needs a float (as in NumPy).
    return x.astype(np.result_type(x, k, fillvalue), copy=False), k


def _scipy_correlate2d_same_before(k):
    # scipy.signal.correlate2d is convolve2d with the kernel flipped, and in
    # "same" mode both put the same tap, k[(K - 1) // 2], over the output pixel:
    # that is (K - 1) // 2 rows/columns of padding before the input and K // 2
    # after it.  For odd K this is the centre tap, as everywhere.  For even K
    # it is the tap left of (above) the middle, one sample off from
    # numpy.correlate and scipy.signal.correlate, which use k[K // 2]; it is
    # also how torch.nn.functional.conv2d(padding="same") pads even kernels.
    return (k - 1) // 2


def correlate2d(x, k, mode="full", boundary="fill", fillvalue=0):
    """2-D cross-correlation, as ``scipy.signal.correlate2d`` (plus ``"extend"``).

    ``y[i, j] = sum_{a, b} xp[i + a, j + b] * k[a, b]`` where ``xp`` is the input
    padded according to ``mode`` and ``boundary``.  This is what a CNN layer
    computes on one channel.

    Parameters
    ----------
    x : array_like, shape (H, W)
        The input image.
    k : array_like, shape (kH, kW)
        The kernel (filter); in mode "valid" it must fit inside ``x``.
    mode : {"full", "same", "valid"}
        Output shape ``(H + kH - 1, W + kW - 1)``, ``(H, W)`` or
        ``(H - kH + 1, W - kW + 1)``.  For an even kernel side, "same" pads
        ``(K - 1) // 2`` before and ``K // 2`` after, as SciPy's correlate2d does.
    boundary : {"fill", "wrap", "symm", "extend"}
        What the image is taken to be outside its edges: ``fillvalue`` (zero
        padding), periodic, mirrored with the edge repeated, or the edge pixel
        replicated ("extension" in image processing; not in SciPy, whose name for it
        in ``scipy.ndimage`` is "nearest").
    fillvalue : float
        The value outside the image when ``boundary="fill"``.

    Returns
    -------
    y : ndarray, shape as given by ``mode``

    Examples
    --------
    >>> correlate2d([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]], mode="valid")
    array([[19, 25],
           [37, 43]])
    """
    x, k = _prepare_2d(x, k, mode, boundary, fillvalue)
    pads = [_pad_width(n, mode, _scipy_correlate2d_same_before(n)) for n in k.shape]
    return _valid_correlate(_pad(x, pads, boundary, fillvalue), k)


def _boundary_index(j, n, boundary):
    """Where sample ``j`` of an extended axis of length ``n`` comes from, or None (fill)."""
    if 0 <= j < n:
        return j
    if boundary == "wrap":
        return j % n
    if boundary == "extend":
        return min(max(j, 0), n - 1)
    if boundary == "symm":
        j = j % (2 * n)                 # mirroring twice is a shift by 2n
        return j if j < n else 2 * n - 1 - j
    return None


def correlate2d_naive(x, k, mode="full", boundary="fill", fillvalue=0):
    """:func:`correlate2d` as four plain loops, with the boundary rule spelled out.

    Same parameters and result as :func:`correlate2d`; slow, for teaching and
    for testing the vectorised version.
    """
    x, k = _prepare_2d(x, k, mode, boundary, fillvalue)
    (H, W), (kH, kW) = x.shape, k.shape
    (top, bottom), (left, right) = [_pad_width(n, mode, _scipy_correlate2d_same_before(n))
                                    for n in k.shape]
    y = np.zeros((H + top + bottom - kH + 1, W + left + right - kW + 1), dtype=x.dtype)
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            total = 0
            for a in range(kH):
                for b in range(kW):
                    r = _boundary_index(i + a - top, H, boundary)
                    c = _boundary_index(j + b - left, W, boundary)
                    pixel = fillvalue if r is None or c is None else x[r, c]
                    total += pixel * k[a, b]
            y[i, j] = total
    return y


def convolve2d(x, k, mode="full", boundary="fill", fillvalue=0):
    """2-D convolution, as ``scipy.signal.convolve2d`` (plus ``"extend"``).

    ``y[i, j] = sum_{a, b} x[i - a, j - b] * k[a, b]``: correlation with the
    kernel flipped in both axes, ``k[::-1, ::-1]``.

    Parameters
    ----------
    x : array_like, shape (H, W)
        The input image.
    k : array_like, shape (kH, kW)
        The kernel; in mode "valid" it must fit inside ``x``.
    mode : {"full", "same", "valid"}
        As in :func:`correlate2d`.  For an even kernel side, "same" pads the
        input with ``K // 2`` rows/columns before and ``(K - 1) // 2`` after and
        then slides the flipped kernel, as SciPy does; so
        ``convolve2d(x, k, "same")`` equals ``correlate2d(x, k[::-1, ::-1], "same")``
        only for odd kernels.
    boundary : {"fill", "wrap", "symm", "extend"}
        As in :func:`correlate2d`.
    fillvalue : float
        The value outside the image when ``boundary="fill"``.

    Returns
    -------
    y : ndarray, shape as given by ``mode``

    Examples
    --------
    >>> convolve2d([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]], mode="valid")
    array([[ 5, 11],
           [23, 29]])
    """
    x, k = _prepare_2d(x, k, mode, boundary, fillvalue)
    # SciPy's convolve2d cuts "same" out of "full" starting at (K - 1) // 2, as
    # NumPy does in 1D (see _numpy_same_before).
    pads = [_pad_width(n, mode, _numpy_same_before(n)) for n in k.shape]
    return _valid_correlate(_pad(x, pads, boundary, fillvalue), k[::-1, ::-1])


# --------------------------------------------------------------------------- matrix form
def correlation_matrix(kernel, input_shape, mode="valid", boundary="fill"):
    """The matrix ``W`` of a correlation: ``W @ x.ravel() == correlate(x).ravel()``.

    A correlation is linear in its input, so it is a matrix product.  The matrix
    is sparse (each row holds at most ``kernel.size`` taps) and its entries are
    shared (every row holds the same kernel, shifted): band Toeplitz in 1D,
    doubly block Toeplitz in 2D, circulant when the boundary is periodic.

    It is the matrix of a *correlation*, not of a convolution: the matrix of
    ``scipy.linalg.convolution_matrix(k, n, mode)`` is
    ``correlation_matrix(k[::-1], n, mode)``, the kernel flipped.

    Parameters
    ----------
    kernel : array_like, shape (K,) or (kH, kW)
    input_shape : int or tuple of int
        ``N`` (or ``(N,)``) for a 1-D kernel, ``(H, W)`` for a 2-D one.
    mode : {"full", "same", "valid"}
    boundary : {"fill", "wrap", "symm", "extend"}
        ``"fill"`` means zero padding (a non-zero fill would make the map affine).

    Returns
    -------
    W : ndarray, shape (output size, N) or (output size, H * W), kernel's dtype
        For a 2-D kernel ``W @ x.ravel()`` equals
        ``correlate2d(x, kernel, mode, boundary).ravel()``.  For a 1-D kernel
        ``W @ x`` equals ``correlate1d(x, kernel, mode)`` when ``boundary="fill"``
        (same centring as NumPy); the other boundaries extend ``x`` as
        ``numpy.pad`` does (``"wrap"``, ``"symmetric"``, ``"edge"``).  Dense, so keep the
        input small: the matrix has ``(H * W)**2`` entries for mode "same".

    Examples
    --------
    >>> correlation_matrix([1, 2, 3], 5)
    array([[1, 2, 3, 0, 0],
           [0, 1, 2, 3, 0],
           [0, 0, 1, 2, 3]])
    """
    kernel = np.asarray(kernel)
    if kernel.ndim not in (1, 2):
        raise ValueError(f"kernel must be 1-D (K,) or 2-D (kH, kW), got shape {kernel.shape}")
    kernel = _as_signal(kernel, "kernel", kernel.ndim)
    if isinstance(input_shape, numbers.Integral):
        input_shape = (input_shape,)
    input_shape = tuple(input_shape)
    if len(input_shape) != kernel.ndim or not all(
            isinstance(n, numbers.Integral) and n >= 1 for n in input_shape):
        raise ValueError(f"input_shape must be {kernel.ndim} positive integer(s) to match "
                         f"the {kernel.ndim}-D kernel, got {input_shape!r}")
    check_choice(mode, "mode", MODES)
    check_choice(boundary, "boundary", BOUNDARIES)
    _check_fits(input_shape, kernel.shape, mode)

    same_before = _numpy_same_before if kernel.ndim == 1 else _scipy_correlate2d_same_before
    pads = [_pad_width(n, mode, same_before(n)) for n in kernel.shape]
    # Pad an image of pixel *numbers* exactly as the input would be padded
    # (-1 marks the zero fill) and slide the kernel over it: output r, tap t
    # reads input pixel taps[r, t] with weight kernel[t].
    pixel = np.arange(int(np.prod(input_shape))).reshape(input_shape)
    if boundary == "fill":
        padded = np.pad(pixel, pads, mode="constant", constant_values=-1)
    else:
        padded = np.pad(pixel, pads, mode=_NP_PAD_MODE[boundary])
    taps = sliding_window_view(padded, kernel.shape).reshape(-1, kernel.size)
    rows = np.broadcast_to(np.arange(len(taps))[:, None], taps.shape)
    weights = np.broadcast_to(kernel.ravel(), taps.shape)
    inside = taps >= 0
    W = np.zeros((len(taps), pixel.size), dtype=kernel.dtype)
    # add.at, not assignment: with "wrap", "symm" or "extend" several taps of
    # one output can read the same input pixel, and their weights add up.
    np.add.at(W, (rows[inside], taps[inside]), weights[inside])
    return W
