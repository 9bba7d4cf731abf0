"""Pooling layers on ``(N, C, H, W)``: max, average, Lp (power-average) and global average.

A pooling layer slides a window over every channel separately and summarises it by
one number: its maximum, its mean, or its Lp norm.  Arguments and the output size
follow ``torch.nn.functional`` (``max_pool2d``, ``avg_pool2d``, ``lp_pool2d``), so
PyTorch serves as the oracle in the tests.  The window sums use the same sliding
windows as ``cnnlib.conv``; ``max_pool2d_naive`` spells max pooling out with loops.

Output size per axis, with ``eff = dilation * (kernel_size - 1) + 1``:

    floor((H + 2 * padding - eff) / stride) + 1            (ceil_mode=False)
    ceil((H + 2 * padding - eff) / stride) + 1             (ceil_mode=True)

and with ``ceil_mode=True`` a last window that would start in the right padding (it
would hold no input cell) is dropped, as PyTorch does.
"""
import numpy as np

from .conv import _as_ints, _as_real_array, _float_dtype, col2im, pad2d, sliding_windows


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
    (n,) = _as_ints(n, "n", 1, 1)
    (k,) = _as_ints(kernel_size, "kernel_size", 1, 1)
    (s,) = _as_ints(k if stride is None else stride, "stride", 1, 1)
    (p,) = _as_ints(padding, "padding", 1, 0)
    (d,) = _as_ints(dilation, "dilation", 1, 1)
    return _pool_length(n, k, s, p, d, ceil_mode)


def _pool_length(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise ValueError(f"pooling window ({k}, dilation {d}) is larger than the padded input "
                         f"({n + 2 * p})")
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1            # that window would start inside the right padding: drop it
    return out


def _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate pooling arguments; return x as (N, C, H, W) and normalised pairs."""
    x = _as_real_array(x, "x")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (N, C, H, W) (or unbatched (C, H, W)), "
                         f"got {x.ndim} dimensions {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    kernel_size = _as_ints(kernel_size, "kernel_size", 2, 1)
    stride = kernel_size if stride is None else _as_ints(stride, "stride", 2, 1)
    padding = _as_ints(padding, "padding", 2, 0)
    dilation = _as_ints(dilation, "dilation", 2, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel_size)):
        raise ValueError(f"padding must be at most half the kernel size (kernel_size // 2), "
                         f"got padding={padding} for kernel_size={kernel_size}")
    sizes = x.shape[2:]
    padded = tuple(n + 2 * p for n, p in zip(sizes, padding))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if any(e > n for e, n in zip(effective, padded)):
        d = dilation[0] if dilation[0] == dilation[1] else dilation
        raise ValueError(f"kernel ({kernel_size[0]}x{kernel_size[1]}, dilation {d}) is larger "
                         f"than the padded input ({padded[0]}x{padded[1]})")
    out = tuple(_pool_length(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(sizes, kernel_size, stride, padding, dilation))
    return x, kernel_size, stride, padding, dilation, out, unbatched


def _padded_windows(x, kernel_size, stride, padding, dilation, out, value):
    """Pad with ``value`` (and more at the end if ceil_mode needs it); return windows."""
    pads = []
    for n, k, s, p, d, o in zip(x.shape[2:], kernel_size, stride, padding, dilation, out):
        # ceil_mode may let the last window run past the right padding: pad a bit more.
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        pads.append((p, p + extra))
    xp = pad2d(x, tuple(pads), "constant", value)
    windows = sliding_windows(xp, kernel_size, stride, dilation)
    return windows[:, :, :out[0], :out[1]]


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
    x, kernel_size, stride, padding, dilation, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    dtype = _float_dtype(x.dtype)
    windows = _padded_windows(x.astype(dtype, copy=False), kernel_size, stride, padding,
                              dilation, out, -np.inf)
    flat = windows.reshape(windows.shape[:4] + (-1,))           # (N, C, Ho, Wo, kH*kW)
    arg = np.argmax(flat, axis=-1)         # first maximum in row-major order, as torch
    if np.isnan(x).any():
        # torch keeps the last NaN of a window; argmax found the first.
        is_nan = np.isnan(flat)
        last_nan = flat.shape[-1] - 1 - np.argmax(is_nan[..., ::-1], axis=-1)
        arg = np.where(is_nan.any(axis=-1), last_nan, arg)
    pooled = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    if not return_indices:
        return pooled[0] if unbatched else pooled
    indices = _window_argmax_to_flat_index(arg, x.shape[2:], kernel_size, stride, padding,
                                           dilation)
    return (pooled[0], indices[0]) if unbatched else (pooled, indices)


def _window_argmax_to_flat_index(arg, size, kernel_size, stride, padding, dilation):
    """Turn a position inside each window into the flat index h * W + w in the input."""
    (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = size, kernel_size, stride, padding, dilation
    ho, wo = arg.shape[-2:]
    start_h = (np.arange(ho) * sh - ph)[:, None]
    start_w = (np.arange(wo) * sw - pw)[None, :]
    row = start_h + (arg // kw) * dh
    col = start_w + (arg % kw) * dw
    # A window whose input cells are all -inf "finds" its maximum in the padding; torch
    # reports the window's first input cell instead.
    first_row = start_h + dh * (-(-np.maximum(-start_h, 0) // dh))
    first_col = start_w + dw * (-(-np.maximum(-start_w, 0) // dw))
    in_padding = (row < 0) | (row >= h) | (col < 0) | (col >= w)
    row = np.where(in_padding, first_row, row)
    col = np.where(in_padding, first_col, col)
    return (row * w + col).astype(np.int64)


def max_pool2d_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=False):
    """``max_pool2d`` written as plain loops; same arguments, checks and result."""
    x, kernel_size, stride, padding, dilation, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    dtype = _float_dtype(x.dtype)
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
    x, kernel_size, stride, padding, _, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, 1, ceil_mode)
    dtype = _float_dtype(x.dtype)
    windows = _padded_windows(x.astype(dtype, copy=False), kernel_size, stride, padding,
                              (1, 1), out, 0.0)
    sums = windows.sum(axis=(-2, -1))
    counts = [_window_counts(n, k, s, p, o, count_include_pad)
              for n, k, s, p, o in zip(x.shape[2:], kernel_size, stride, padding, out)]
    pooled = sums / np.multiply.outer(*counts).astype(dtype)
    return pooled[0] if unbatched else pooled


def _window_counts(n, k, s, p, out, count_include_pad):
    """Cells each window divides by along one axis (PyTorch's avg_pool2d rule)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)            # clipped to input + right padding
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return end - start


def lp_pool2d(x, p, kernel_size, stride=None, ceil_mode=False, mean=False):
    """Power-average (Lp) pooling, like ``torch.nn.functional.lp_pool2d``.

    With ``mean=False`` (PyTorch's definition) each window gives
    ``(sum of x ** p) ** (1 / p)``: p=1 is sum pooling, p=inf is max pooling (of ``|x|``).

    With ``mean=True`` it is the lecture's Hoelder mean ``(mean of x ** p) ** (1 / p)``:
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
    x = _as_real_array(x, "x")
    if np.isinf(p):
        # The limits of the power mean: p=+inf is the max of |x|, p=-inf its min.
        sign = 1 if p > 0 else -1
        return sign * max_pool2d(sign * np.abs(x), kernel_size, stride, ceil_mode=ceil_mode)
    dtype = _float_dtype(x.dtype)
    powered = avg_pool2d(x.astype(dtype, copy=False) ** dtype.type(p), kernel_size, stride,
                         ceil_mode=ceil_mode)
    if not mean:
        kh, kw = _as_ints(kernel_size, "kernel_size", 2, 1)
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
    x = _as_real_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.ndim} dimensions {x.shape}")
    return x.astype(_float_dtype(x.dtype), copy=False).mean(axis=(2, 3), keepdims=True)


# --------------------------------------------------------------------------------------
# Backward passes
# --------------------------------------------------------------------------------------
# A pooling layer has no weights, so its backward pass only routes the upstream gradient
# dout back to the input cells: max pooling sends each output's gradient to the one cell
# that won its window (the others did not influence the output, their derivative is 0);
# average pooling shares it equally among the cells of the window.  Where windows overlap,
# a cell collects the gradients of every window it belongs to.

def _pool_dout(dout, x_shape, out, unbatched, what):
    """Check ``dout`` against the forward's output shape; return it batched."""
    dout = _as_real_array(dout, "dout")
    expected = x_shape[1:2] + out if unbatched else x_shape[:2] + out
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the {what} output (N, C, H_out, W_out) "
                         f"= {expected}, got {dout.shape}")
    return dout[None] if unbatched else dout


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
    The lecture's 1D example as a 1 x 7 image: window 3, stride 1, "same" padding 1.

    >>> x = np.array([[[3.0, 5, 6, 2, 2, 9, 4]]])
    >>> max_pool2d_backward(np.array([[[1.0, 2, 3, 4, 5, 6, 7]]]), x, (1, 3), 1, (0, 1))
    array([[[ 0.,  1.,  9.,  0.,  0., 18.,  0.]]])
    """
    xb, kernel_size, stride, padding, dilation, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    dout = _pool_dout(dout, xb.shape, out, unbatched, "max_pool2d")
    if indices is None:
        _, indices = max_pool2d(xb, kernel_size, stride, padding, dilation, ceil_mode,
                                return_indices=True)
    else:
        indices = np.asarray(indices)
        indices = indices[None] if unbatched else indices
        if indices.shape != dout.shape:
            raise ValueError(f"indices must have the shape of dout {dout.shape}, "
                             f"got {indices.shape}")
    n, c, h, w = xb.shape
    dtype = _float_dtype(xb.dtype, dout.dtype)
    # indices hold h*w positions within each (n, c) plane; offset them to positions in
    # the whole array and add up every gradient sent to the same cell (bincount sums).
    plane = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    dx = np.bincount((indices + plane).ravel(), weights=dout.ravel(), minlength=n * c * h * w)
    dx = dx.astype(dtype, copy=False).reshape(n, c, h, w)
    return dx[0] if unbatched else dx


def _pool_pads(size, kernel_size, stride, padding, dilation, out):
    """Padding ``((top, bottom), (left, right))`` of the windows, including ceil_mode's extra."""
    pads = []
    for n, k, s, p, d, o in zip(size, kernel_size, stride, padding, dilation, out):
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        pads.append((p, p + extra))
    return tuple(pads)


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
    xb, kernel_size, stride, padding, dilation, out, unbatched = _check_pool(
        x, kernel_size, stride, padding, 1, ceil_mode)
    dout = _pool_dout(dout, xb.shape, out, unbatched, "avg_pool2d")
    n, c, h, w = xb.shape
    dtype = _float_dtype(xb.dtype, dout.dtype)
    counts = [_window_counts(size, k, s, p, o, count_include_pad)
              for size, k, s, p, o in zip(xb.shape[2:], kernel_size, stride, padding, out)]
    share = dout.astype(dtype, copy=False) / np.multiply.outer(*counts).astype(dtype)
    pads = _pool_pads(xb.shape[2:], kernel_size, stride, padding, dilation, out)
    padded = (n, c, h + sum(pads[0]), w + sum(pads[1]))
    # Pooling is a depthwise operation: the windows of one channel, as im2col columns with
    # groups=C, each filled with its share; col2im adds them onto the cells.
    kh, kw = kernel_size
    cols = np.broadcast_to(share.reshape(n, c, 1, -1), (n, c, kh * kw, out[0] * out[1]))
    dxp = col2im(cols, padded, kernel_size, stride)
    dx = dxp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]
    return dx[0] if unbatched else dx


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
    x = _as_real_array(x, "x")
    dtype = _float_dtype(x.dtype, _as_real_array(dout, "dout").dtype)
    x = x.astype(dtype, copy=False)
    if np.isinf(p):
        # out = sign * max_pool(sign * |x|): route to the winning cell, times d|x|/dx.
        sign = 1 if p > 0 else -1
        d_abs = sign * max_pool2d_backward(sign * np.asarray(dout, dtype), sign * np.abs(x),
                                           kernel_size, stride, ceil_mode=ceil_mode)
        return d_abs * np.sign(x)
    powered = x ** dtype.type(p)
    avg = avg_pool2d(powered, kernel_size, stride, ceil_mode=ceil_mode)
    kh, kw = _as_ints(kernel_size, "kernel_size", 2, 1)
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
