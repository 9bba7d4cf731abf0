"""Pooling's fast path: the windows of ``max_pool2d_naive`` read one kernel tap at a time.

``cnnlib.pool`` checks the arguments and calls these functions; nothing else imports
this module.  Each function says what it saves over the loop of ``max_pool2d_naive`` /
``max_pool2d_backward_naive`` and why it gives the loop's numbers.  They all work on
checked ``PoolArgs`` ``a`` (``cnnlib.pool``): the batched input ``a.x`` (N, C, H, W), the
kernel size, stride, padding and dilation as pairs, and the output size ``a.out``.  The
common trick: kernel tap ``(u, v)`` reads one strided slice of the padded input at every
output position (``cnnlib.unfold.tap_slices``), so a window's maximum or sum is built
from kH*kW whole-array operations instead of a loop over positions.
"""
import numpy as np

from .unfold import tap_slices

__all__ = ["running_max", "first_winner", "taps_to_flat_index", "window_sums", "window_divisors",
           "windows_are_disjoint", "route_disjoint", "route_by_bincount", "spread_shares"]


# --------------------------------------------------------------------------------------
# Forward: running maximum and window sums over the taps
# --------------------------------------------------------------------------------------
def running_max(xp, a, with_taps, has_nan):
    """Maximum over each window, one kernel tap at a time, and which tap won.

    Saves: an argmax over a window view makes NumPy gather every window into a copy of
    kH*kW values per output; instead each tap's strided slice (``tap_slices``) is read
    as a whole array.  The winners are kept as tap numbers ``u * kW + v``, one byte per
    output for small kernels instead of an int64 index.  It equals the loop of
    ``max_pool2d_naive``: the maximum is the same whatever the order, and the winning
    tap is the first one (row-major) holding it, or the last NaN (see below).

    Returns
    -------
    best : ndarray, shape (N, C, H_out, W_out)
    taps : ndarray of small ints, same shape, or None without ``with_taps``
    """
    taps = [xp[:, :, r, s] for _, _, r, s in
            tap_slices(a.kernel_size, a.stride, a.dilation, a.out)]
    if with_taps and has_nan:
        return _running_max_with_nan(taps)
    best = taps[0].copy()
    for tap in taps[1:]:
        np.maximum(best, tap, out=best)      # NaN propagates: a NaN window gives NaN
    if not with_taps:
        return best, None
    return best, first_winner(taps, best)


def first_winner(taps, best):
    """The first tap (row-major) equal to the window's maximum ``best``, without NaNs.

    Saves the selections (``np.where`` or masked copies, one per tap, about 3x the time
    here): the first winner's number is how many taps in a row, from the first, are
    *not* the maximum, so it is a count: ``still`` stays True while no tap so far held
    the maximum, and adding it (as 0 or 1) after each tap but the last counts them.
    Ties go to the first maximum, as in torch.
    """
    winner = np.zeros(best.shape, np.min_scalar_type(len(taps) - 1))
    if len(taps) == 1:
        return winner
    still = np.not_equal(taps[0], best)
    differs = np.empty(best.shape, bool)
    winner += still.view(np.uint8)
    for tap in taps[1:-1]:
        np.not_equal(tap, best, out=differs)
        np.logical_and(still, differs, out=still)
        winner += still.view(np.uint8)
    return winner


def _running_max_with_nan(taps):
    """``running_max`` for inputs with NaNs: a later tap wins if larger or NaN, as torch.

    Row-major order, replacing the maximum only when strictly larger keeps the first
    maximum on ties; a NaN always replaces it, so the last NaN of a window wins.
    """
    best = taps[0].copy()
    winner = np.zeros(best.shape, np.min_scalar_type(len(taps) - 1))
    for t, tap in enumerate(taps[1:], start=1):
        better = (tap > best) | np.isnan(tap)
        np.copyto(best, tap, where=better)
        np.copyto(winner, t, where=better)
    return best, winner


def taps_to_flat_index(taps, a, pads):
    """Turn the winning tap of each window into the flat index ``h * W + w`` in the input.

    Saves integer arithmetic over every output: tap ``t = u * kW + v`` of window
    ``(i, j)`` is the cell ``(i*sH - pH + u*dH, j*sW - pW + v*dW)``, a per-window start
    plus a per-tap offset, so one lookup in a kH*kW table and one addition give all
    indices.  Only a padded input needs the correction below.
    """
    (h, w), (kh, kw), (sh, sw), (dh, dw) = a.x.shape[2:], a.kernel_size, a.stride, a.dilation
    (ph, pw), (ho, wo) = a.padding, a.out
    start_h = (np.arange(ho) * sh - ph)[:, None]
    start_w = (np.arange(wo) * sw - pw)[None, :]
    offsets = (np.arange(kh)[:, None] * (dh * w) + np.arange(kw) * dw).ravel()
    index = np.take(offsets, taps)                 # a lookup per output, int64
    index += start_h * w + start_w
    if pads == ((0, 0), (0, 0)):
        return index
    # A window whose input cells are all -inf "finds" its maximum in the padding; torch
    # reports the window's first input cell instead.
    row = start_h + (taps // kw) * dh
    col = start_w + (taps % kw) * dw
    first_row = start_h + dh * (-(-np.maximum(-start_h, 0) // dh))
    first_col = start_w + dw * (-(-np.maximum(-start_w, 0) // dw))
    in_padding = (row < 0) | (row >= h) | (col < 0) | (col >= w)
    return np.where(in_padding, first_row * w + first_col, index)


def window_sums(xp, a):
    """Sum over each window as a sum of kH*kW strided slices, one per kernel tap.

    Saves: summing a window view over its last two axes makes NumPy walk kH*kW tiny
    inner loops per output; adding whole slices (``tap_slices``) runs each addition over
    every output at once.  It is the same sum, only in the order of the taps.
    """
    slices = tap_slices(a.kernel_size, a.stride, a.dilation, a.out)
    _, _, r, s = next(slices)
    total = xp[:, :, r, s].copy()
    for _, _, r, s in slices:
        total += xp[:, :, r, s]
    return total


def window_divisors(a, count_include_pad, dtype):
    """(H_out, W_out) cells each window divides by (PyTorch's avg_pool2d rule)."""
    counts = [_window_counts(n, k, s, p, o, count_include_pad)
              for n, k, s, p, o in zip(a.x.shape[2:], a.kernel_size, a.stride, a.padding, a.out)]
    return np.multiply.outer(*counts).astype(dtype)


def _window_counts(n, k, s, p, out, count_include_pad):
    """Cells each window divides by along one axis (PyTorch's avg_pool2d rule)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)            # clipped to input + right padding
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return end - start


# --------------------------------------------------------------------------------------
# Backward: routing the gradient of max pooling
# --------------------------------------------------------------------------------------
def windows_are_disjoint(a):
    """True when no two windows share a cell (stride at least the dilated kernel's extent)."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(a.kernel_size, a.stride, a.dilation))


def route_disjoint(dout, indices, a):
    """Write each gradient at its window's winning cell: no two windows share a cell.

    Saves the summing scatter of ``route_by_bincount`` (and its float64 copy): with
    disjoint windows every cell wins at most one window, so writing equals adding.
    ``indices`` must come from ``max_pool2d`` with the same arguments.
    """
    n, c, h, w = a.x.shape
    dx = np.zeros((n * c, h * w), dout.dtype)
    positions = a.out[0] * a.out[1]
    np.put_along_axis(dx, indices.reshape(n * c, positions), dout.reshape(n * c, positions),
                      axis=1)
    return dx.reshape(n, c, h, w)


def route_by_bincount(dout, indices, a):
    """Route by index: add every gradient sent to the same cell (``bincount`` sums)."""
    n, c, h, w = a.x.shape
    # indices hold h*w positions within each (n, c) plane; offset them to positions in
    # the whole array.
    plane = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    dx = np.bincount((indices + plane).ravel(), weights=dout.ravel(), minlength=n * c * h * w)
    return dx.reshape(n, c, h, w)


def spread_shares(share, padded_size, a):
    """Average pooling's backward: every cell of a window gets the window's ``share``.

    ``share`` is (N, C, H_out, W_out); the result is the gradient of the padded input,
    (N, C, *padded_size).  One strided slice per tap, as in ``col2im`` (average pooling's
    backward is col2im with groups=C and every column equal to the share): within one
    tap no two windows share a cell, and overlapping windows sum over the taps.
    """
    dxp = np.zeros(share.shape[:2] + tuple(padded_size), share.dtype)
    for _, _, r, s in tap_slices(a.kernel_size, a.stride, a.dilation, a.out):
        dxp[:, :, r, s] += share
    return dxp
