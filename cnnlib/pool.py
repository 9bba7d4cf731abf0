"""Pooling layers on ``(N, C, H, W)``: max, average, Lp (power-average) and global average.

A pooling layer slides a window over every channel separately and summarises it by
one number: its maximum, its mean, or its Lp norm.  Arguments and the output size
follow ``torch.nn.functional`` (``max_pool2d``, ``avg_pool2d``, ``lp_pool2d``), so
PyTorch serves as the oracle in the tests.  The output size is ``conv_output_size``'s
formula: per axis, with ``eff = dilation * (kernel_size - 1) + 1``,

    floor((H + 2 * padding - eff) / stride) + 1            (ceil_mode=False)
    ceil((H + 2 * padding - eff) / stride) + 1             (ceil_mode=True)

and with ``ceil_mode=True`` a last window that would start in the right padding (it
would hold no input cell) is dropped, as PyTorch does.

The module reads in the order of the convolution's: first the loop,
``max_pool2d_naive`` and ``max_pool2d_backward_naive``, which spell max pooling out
window by window; then the layers, whose arithmetic loops over the kernel's taps, not
over positions (each tap reads one strided slice of the input,
``cnnlib.unfold.tap_slices``), in ``cnnlib._pool_fast``; the argument checks last.
"""
from typing import NamedTuple

import numpy as np

from . import _pool_fast
from ._validate import as_ints, batched, check_shape, compute_dtype, real_array, result_dtype
from ._validate import size_text
from .padding import conv_output_size, pad2d

__all__ = ["pool_output_size", "max_pool2d", "max_pool2d_naive", "avg_pool2d", "lp_pool2d",
           "global_avg_pool2d", "max_pool2d_backward", "max_pool2d_backward_naive",
           "avg_pool2d_backward", "lp_pool2d_backward"]


# --------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------
def max_pool2d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
    """``max_pool2d`` written as plain loops; same arguments, checks and result."""
    x, kernel_size, stride, padding, dilation, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    dtype = result_dtype(x.dtype)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    pooled = np.empty((n, c) + out, dtype=dtype)
    indices = np.empty((n, c) + out, dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(out[0]):
                for j in range(out[1]):
                    top, left = i * sh - ph, j * sw - pw      # window corner, may be < 0
                    bottom = min(top + dh * (kh - 1) + 1, h)
                    right = min(left + dw * (kw - 1) + 1, w)
                    while top < 0:                            # skip the padding rows/columns
                        top += dh
                    while left < 0:
                        left += dw
                    # -inf padding never wins; an all -inf window reports its first cell.
                    best, best_index = -np.inf, top * w + left
                    for r in range(top, bottom, dh):
                        for s in range(left, right, dw):
                            value = x[b, ch, r, s]
                            if value > best or np.isnan(value):    # NaN wins, as in torch
                                best, best_index = value, r * w + s
                    pooled[b, ch, i, j], indices[b, ch, i, j] = best, best_index
    if not return_indices:
        return pooled[0] if unbatched else pooled
    return (pooled[0], indices[0]) if unbatched else (pooled, indices)


def max_pool2d_backward_naive(dout, x, kernel_size, stride=None, padding=0, dilation=1,
                              ceil_mode=False, indices=None):
    """``max_pool2d_backward`` as plain loops; same arguments, checks and result.

    Every output value hands its gradient to the one input cell that won its window
    (``max_pool2d_naive`` finds it); a cell in several windows collects them all.
    """
    a = _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    if indices is None:
        _, indices = max_pool2d_naive(a.x, a.kernel_size, a.stride, a.padding, a.dilation,
                                      ceil_mode, return_indices=True)
    _, dout, indices = _check_max_pool_backward(dout, x, kernel_size, stride, padding,
                                                dilation, ceil_mode,
                                                indices[0] if a.unbatched else indices)
    n, c, h, w = a.x.shape
    dx = np.zeros((n, c, h * w), dtype=compute_dtype(a.x.dtype, dout.dtype))
    for b in range(n):
        for ch in range(c):
            for i in range(a.out[0]):
                for j in range(a.out[1]):
                    dx[b, ch, indices[b, ch, i, j]] += dout[b, ch, i, j]
    dx = dx.reshape(n, c, h, w).astype(result_dtype(a.x.dtype, dout.dtype), copy=False)
    return dx[0] if a.unbatched else dx


# --------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------
def pool_output_size(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Output length of a pooling window along one axis, with PyTorch's ``ceil_mode`` rule.

    Parameters
    ----------
    n : int
        Input length (H or W).
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int
        Implicit padding on both sides, at most ``kernel_size // 2``.
    dilation : int
    ceil_mode : bool
        Round up instead of down, so a partial last window is kept, unless it would
        start beyond the input and the left padding.

    Returns
    -------
    int

    Examples
    --------
    >>> pool_output_size(13, 3, stride=2)      # AlexNet's overlapping pooling
    6
    >>> pool_output_size(5, 2, ceil_mode=True)
    3
    """
    (n,) = as_ints(n, "n", 1, 1)
    (k,) = as_ints(kernel_size, "kernel_size", 1, 1)
    (s,) = as_ints(k if stride is None else stride, "stride", 1, 1)
    (p,) = as_ints(padding, "padding", 1, 0)
    (d,) = as_ints(dilation, "dilation", 1, 1)
    return _pool_length(n, k, s, p, d, ceil_mode)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2D max pooling, like ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        Implicit ``-inf`` padding on both sides, at most ``kernel_size // 2``.
    dilation : int or (int, int)
    ceil_mode : bool
        See ``pool_output_size``.
    return_indices : bool
        Also return where each maximum came from.

    Returns
    -------
    feature_map : ndarray, shape (N, C, H_out, W_out)
    indices : ndarray of int64, shape (N, C, H_out, W_out)
        Only with ``return_indices=True``: flat index ``h * W + w`` of the maximum in
        its ``H x W`` input plane (as PyTorch; the first maximum on ties, the last NaN
        if the window holds NaNs).  ``max_pool2d_backward`` routes gradients with them.
    """
    a = _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    pads = _pool_pads(a)
    xp = pad2d(a.x.astype(compute_dtype(a.x.dtype), copy=False), pads, "constant", -np.inf)
    # One sum finds NaNs without a boolean copy (an inf - inf also says "maybe": harmless).
    has_nan = return_indices and bool(np.isnan(a.x.sum()))
    pooled, taps = _pool_fast.running_max(xp, a, return_indices, has_nan)
    pooled = pooled.astype(result_dtype(a.x.dtype), copy=False)
    if not return_indices:
        return pooled[0] if a.unbatched else pooled
    indices = _pool_fast.taps_to_flat_index(taps, a, pads)
    return (pooled[0], indices[0]) if a.unbatched else (pooled, indices)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """2D average pooling, like ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        Implicit zero padding on both sides, at most ``kernel_size // 2``.
    ceil_mode : bool
        See ``pool_output_size``.
    count_include_pad : bool
        Divide by the window size including the zero padding cells (True) or by the
        number of input cells in the window (False).  A window that ``ceil_mode`` lets
        run past the padding is divided by its part inside input + padding, as torch.

    Returns
    -------
    feature_map : ndarray, shape (N, C, H_out, W_out)
    """
    a = _check_pool(x, kernel_size, stride, padding, 1, ceil_mode)
    dtype = compute_dtype(a.x.dtype)
    xp = pad2d(a.x.astype(dtype, copy=False), _pool_pads(a), "constant", 0.0)
    divisors = _pool_fast.window_divisors(a, count_include_pad, dtype)
    pooled = _pool_fast.window_sums(xp, a) / divisors
    pooled = pooled.astype(result_dtype(a.x.dtype), copy=False)
    return pooled[0] if a.unbatched else pooled


def lp_pool2d(x, p, kernel_size, stride=None, ceil_mode=False, mean=False):
    """Power-average (Lp) pooling, like ``torch.nn.functional.lp_pool2d``.

    With ``mean=False`` (PyTorch's definition) each window gives
    ``(sum of x ** p) ** (1 / p)``: p=1 is sum pooling, p=inf is max pooling (of ``|x|``).

    With ``mean=True`` it is the Hoelder (power) mean ``(mean of x ** p) ** (1 / p)``:
    p=1 is average pooling and large p approaches max pooling.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (C, H, W)
        Non-negative values (e.g. after a ReLU) unless ``p`` is an even integer:
        a negative base with a fractional power is NaN, as in PyTorch.
    p : float
        The power (``norm_type`` in PyTorch); not 0.  ``np.inf`` gives max pooling of ``|x|``.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    ceil_mode : bool
        As in ``avg_pool2d`` (no padding).  PyTorch computes Lp pooling as
        ``avg_pool2d(x ** p) * kH * kW``, so a partial last window is scaled as if it
        were full; this function does the same.
    mean : bool
        Divide by the window size (Hoelder mean) instead of summing.

    Returns
    -------
    feature_map : ndarray, shape (N, C, H_out, W_out)
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number, got {p!r}")
    if p == 0:
        raise ValueError("p must be non-zero (p=0 has no Lp norm)")
    x = real_array(x, "x")
    if np.isinf(p):
        # The limits of the power mean: p=+inf is the max of |x|, p=-inf its min.
        sign = 1 if p > 0 else -1
        return sign * max_pool2d(sign * np.abs(x), kernel_size, stride, ceil_mode=ceil_mode)
    dtype = compute_dtype(x.dtype)
    powered = avg_pool2d(x.astype(dtype, copy=False) ** dtype.type(p), kernel_size, stride,
                         ceil_mode=ceil_mode)
    if not mean:
        kh, kw = as_ints(kernel_size, "kernel_size", 2, 1)
        powered = powered * dtype.type(kh * kw)
    return powered ** dtype.type(1.0 / p)


def global_avg_pool2d(x):
    """Average each whole feature map to one number (``AdaptiveAvgPool2d(1)``).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)

    Returns
    -------
    ndarray, shape (N, C, 1, 1)
    """
    x = real_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.ndim} dimensions {x.shape}")
    x, _ = batched(x, "x", "(N, C, H, W)")
    mean = x.astype(compute_dtype(x.dtype), copy=False).mean(axis=(2, 3), keepdims=True)
    return mean.astype(result_dtype(x.dtype), copy=False)


# --------------------------------------------------------------------------------------
# Backward passes
# --------------------------------------------------------------------------------------
# A pooling layer has no weights, so its backward pass only routes the upstream gradient
# dout back to the input cells: max pooling sends each output's gradient to the one cell
# that won its window (the others did not influence the output, their derivative is 0);
# average pooling shares it equally among the cells of the window.  Where windows overlap,
# a cell collects the gradients of every window it belongs to.


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False, indices=None):
    """Gradient of ``max_pool2d``: each output's gradient goes to the position of its maximum.

    On ties the first maximum in the window (row-major order) gets the whole gradient,
    the others nothing, exactly as PyTorch; a window holding NaNs routes to its last NaN.

    Parameters
    ----------
    dout : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        Upstream gradient.
    x : array_like, shape (N, C, H, W) or (C, H, W)
        The forward's input.
    kernel_size, stride, padding, dilation, ceil_mode :
        The forward's arguments.
    indices : ndarray of int, shape of ``dout``, optional
        The ``indices`` from ``max_pool2d(..., return_indices=True)``; given, they are
        used instead of finding the maxima again.

    Returns
    -------
    dx : ndarray, shape of ``x``

    Examples
    --------
    A 1D example as a 1 x 7 image: window 3, stride 1, "same" padding 1.

    >>> x = np.array([[[3.0, 5, 6, 2, 2, 9, 4]]])
    >>> max_pool2d_backward(np.array([[[1.0, 2, 3, 4, 5, 6, 7]]]), x, (1, 3), 1, (0, 1))
    array([[[ 0.,  1.,  9.,  0.,  0., 18.,  0.]]])
    """
    a, dout, indices = _check_max_pool_backward(dout, x, kernel_size, stride, padding,
                                                dilation, ceil_mode, indices)
    dtype = compute_dtype(a.x.dtype, dout.dtype)
    if _pool_fast.windows_are_disjoint(a):
        dx = _pool_fast.route_disjoint(dout.astype(dtype, copy=False), indices, a)
    else:
        dx = _pool_fast.route_by_bincount(dout, indices, a).astype(dtype, copy=False)
    dx = dx.astype(result_dtype(a.x.dtype, dout.dtype), copy=False)
    return dx[0] if a.unbatched else dx


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    """Gradient of ``avg_pool2d``: each output's gradient is shared equally by its window.

    Every cell of a window receives ``dout / count``, the same divisor the forward used
    (see ``count_include_pad``); shares landing in the padding are dropped.

    Parameters
    ----------
    dout : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
    x : array_like, shape (N, C, H, W) or (C, H, W)
        The forward's input (only its shape matters: average pooling is linear).
    kernel_size, stride, padding, ceil_mode, count_include_pad :
        The forward's arguments.

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    a = _check_pool(x, kernel_size, stride, padding, 1, ceil_mode)
    dout = _pool_dout(dout, a, "avg_pool2d")
    n, c, h, w = a.x.shape
    dtype = compute_dtype(a.x.dtype, dout.dtype)
    share = dout.astype(dtype, copy=False) / _pool_fast.window_divisors(a, count_include_pad,
                                                                        dtype)
    pads = _pool_pads(a)
    dxp = _pool_fast.spread_shares(share, (h + sum(pads[0]), w + sum(pads[1])), a)
    dx = dxp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]
    dx = dx.astype(result_dtype(a.x.dtype, dout.dtype), copy=False)
    return dx[0] if a.unbatched else dx


def lp_pool2d_backward(dout, x, p, kernel_size, stride=None, ceil_mode=False, mean=False):
    """Gradient of ``lp_pool2d``, following PyTorch's composition step by step.

    With ``S = scale * avg_pool2d(x ** p)`` (``scale = kH * kW``, or 1 for the Hoelder
    mean) and ``out = S ** (1/p)``, the chain rule gives
    ``dS = dout * out / (p * S)``, then average pooling's backward, then
    ``dx = d(x ** p) * p * x ** (p - 1)``; for ``x > 0`` this is
    ``dout * (x / out) ** (p - 1)`` summed over the windows holding ``x``.  Where ``S``
    is 0 the gradient is 0, as in PyTorch.  ``p = inf`` is max pooling of ``|x|``.

    Parameters
    ----------
    dout : array_like, shape (N, C, H_out, W_out) or (C, H_out, W_out)
    x : array_like, shape (N, C, H, W) or (C, H, W)
    p, kernel_size, stride, ceil_mode, mean :
        The forward's arguments.

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number, got {p!r}")
    if p == 0:
        raise ValueError("p must be non-zero (p=0 has no Lp norm)")
    x = real_array(x, "x")
    dtype = compute_dtype(x.dtype, real_array(dout, "dout").dtype)
    x = x.astype(dtype, copy=False)
    if np.isinf(p):
        # out = sign * max_pool(sign * |x|): route to the winning cell, times d|x|/dx.
        sign = 1 if p > 0 else -1
        d_abs = sign * max_pool2d_backward(sign * np.asarray(dout, dtype), sign * np.abs(x),
                                           kernel_size, stride, ceil_mode=ceil_mode)
        return d_abs * np.sign(x)
    powered = x ** dtype.type(p)
    avg = avg_pool2d(powered, kernel_size, stride, ceil_mode=ceil_mode)
    kh, kw = as_ints(kernel_size, "kernel_size", 2, 1)
    scale = dtype.type(1 if mean else kh * kw)
    total = avg * scale
    dout = np.asarray(dout, dtype)
    if dout.shape != total.shape:
        raise ValueError(f"dout must have the shape of the lp_pool2d output (N, C, H_out, W_out) "
                         f"= {total.shape}, got {dout.shape}")
    nonzero = total != 0
    # d(S ** (1/p)) / dS = (1/p) S ** (1/p - 1); computed only where S != 0.
    safe = np.where(nonzero, total, 1)
    d_total = np.where(nonzero, dout * safe ** dtype.type(1 / p - 1) / dtype.type(p), 0)
    d_powered = avg_pool2d_backward(d_total * scale, x, kernel_size, stride,
                                    ceil_mode=ceil_mode)
    return d_powered * dtype.type(p) * x ** dtype.type(p - 1)


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------
def _pool_length(n, k, s, p, d, ceil_mode):
    if n + 2 * p < d * (k - 1) + 1:
        raise ValueError(f"pooling window ({k}, dilation {d}) is larger than the padded input "
                         f"({n + 2 * p})")
    out = conv_output_size(n, k, s, p, d, ceil_mode=ceil_mode)
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1            # that window would start inside the right padding: drop it
    return out


class PoolArgs(NamedTuple):
    """The checked arguments of a pooling layer, batched and normalised to pairs."""

    x: np.ndarray            # (N, C, H, W)
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out: tuple               # (H_out, W_out)
    unbatched: bool


def _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate pooling arguments; return them as ``PoolArgs``."""
    x, unbatched = batched(real_array(x, "x"), "x", "(N, C, H, W)")
    kernel_size = as_ints(kernel_size, "kernel_size", 2, 1)
    stride = kernel_size if stride is None else as_ints(stride, "stride", 2, 1)
    padding = as_ints(padding, "padding", 2, 0)
    dilation = as_ints(dilation, "dilation", 2, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel_size)):
        raise ValueError(f"padding must be at most half the kernel size (kernel_size // 2), "
                         f"got padding={padding} for kernel_size={kernel_size}")
    sizes = x.shape[2:]
    padded = tuple(n + 2 * p for n, p in zip(sizes, padding))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if any(e > n for e, n in zip(effective, padded)):
        d = dilation[0] if dilation[0] == dilation[1] else dilation
        raise ValueError(f"kernel ({size_text(kernel_size)}, dilation {d}) is larger "
                         f"than the padded input ({size_text(padded)})")
    out = tuple(_pool_length(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(sizes, kernel_size, stride, padding, dilation))
    return PoolArgs(x, kernel_size, stride, padding, dilation, out, unbatched)


def _pool_pads(a):
    """Padding ``((top, bottom), (left, right))`` of the windows, including ceil_mode's extra."""
    pads = []
    for n, k, s, p, d, o in zip(a.x.shape[2:], a.kernel_size, a.stride, a.padding, a.dilation,
                                a.out):
        # ceil_mode may let the last window run past the right padding: pad a bit more.
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        pads.append((p, p + extra))
    return tuple(pads)


def _pool_dout(dout, a, what):
    """Check ``dout`` against the forward's output shape; return it batched."""
    dout = real_array(dout, "dout")
    expected = a.x.shape[1:2] + a.out if a.unbatched else a.x.shape[:2] + a.out
    check_shape(dout, "dout", expected, f"the {what} output (N, C, H_out, W_out)")
    return dout[None] if a.unbatched else dout


def _check_max_pool_backward(dout, x, kernel_size, stride, padding, dilation, ceil_mode,
                             indices):
    """Checked ``PoolArgs``, ``dout`` and ``indices`` (batched; found again if not given)."""
    a = _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    dout = _pool_dout(dout, a, "max_pool2d")
    if indices is None:
        _, indices = max_pool2d(a.x, a.kernel_size, a.stride, a.padding, a.dilation,
                                ceil_mode, return_indices=True)
        return a, dout, indices
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must hold integers (from max_pool2d(..., "
                        f"return_indices=True)), got dtype {indices.dtype}")
    indices = indices[None] if a.unbatched else indices
    if indices.shape != dout.shape:
        raise ValueError(f"indices must have the shape of dout {dout.shape}, "
                         f"got {indices.shape}")
    h, w = a.x.shape[2:]
    if indices.size and (indices.min() < 0 or indices.max() >= h * w):
        raise ValueError(f"indices must be flat positions h * W + w inside the {h}x{w} input "
                         f"plane (0 to {h * w - 1}), got values from {indices.min()} to "
                         f"{indices.max()}")
    return a, dout, indices
