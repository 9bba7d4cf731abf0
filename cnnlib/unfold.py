"""Unfolding windows: every place a kernel visits, as a view, as slices or as columns.

A convolution or pooling layer reads its padded input window by window: the window of
output position ``(i, j)`` holds, at kernel tap ``(u, v)``, the cell

    x_padded[n, c, i*stride + u*dilation, j*stride + v*dilation]

This module lays those cells out in the three forms the layers use:

- ``sliding_windows``: all windows at once, a read-only view of shape
  ``(N, C, H_out, W_out, kH, kW)``; nothing is copied;
- ``tap_slices``: for each tap ``(u, v)``, the one strided slice of ``x_padded`` that it
  reads at every position, so a loop over the kH*kW taps replaces the loop over
  positions (pooling compares or sums whole slices, the depthwise convolution scales and
  adds them);
- ``im2col``: the windows copied into columns, shape
  ``(N, groups, C // groups * kH * kW, H_out * W_out)``, one column per output position,
  so that a convolution is one matrix product (per group) with
  ``weight.reshape(C_out, -1)``.
  ``col2im``, its adjoint, folds columns back onto the image, adding where windows
  overlap: the last step of the input gradient.

PyTorch calls im2col ``torch.nn.functional.unfold`` (and col2im ``fold``), hence this
module's name.  The second half is the fast path's version of the same columns, which
``cnnlib.conv`` uses: the input seen channels first (images last when the output rows
are shorter than ``SHORT_ROWS``), unfolded in blocks of output rows whose columns stay
within ``CHUNK_BYTES``; each helper says what it saves and why it gives the same
numbers.  The output sizes come from ``cnnlib.padding``.
"""
import numpy as np

from ._validate import as_ints
from .padding import _output_shape

__all__ = ["sliding_windows", "tap_slices", "im2col", "col2im"]


# --------------------------------------------------------------------------------------
# Windows, im2col and its adjoint col2im
# --------------------------------------------------------------------------------------
def sliding_windows(x, kernel_size, stride=1, dilation=1):
    """All kernel positions of an already padded input, as a read-only view.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        The padded input.
    kernel_size, stride, dilation : int or (int, int)

    Returns
    -------
    ndarray view, shape (N, C, H_out, W_out, kH, kW)
        ``windows[n, c, i, j, u, v] == x[n, c, i*sH + u*dH, j*sW + v*dW]``.  No data is
        copied: the view only sets strides over the memory of ``x``.
    """
    (kh, kw), (sh, sw), (dh, dw) = (as_ints(kernel_size, "kernel_size", 2, 1),
                                    as_ints(stride, "stride", 2, 1),
                                    as_ints(dilation, "dilation", 2, 1))
    # Every window of the dilated extent, then keep every stride-th start and every
    # dilation-th cell inside the window.
    view = np.lib.stride_tricks.sliding_window_view(
        x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(-2, -1))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def tap_slices(kernel_size, stride, dilation, output_size, rows=None):
    """For each kernel tap ``(u, v)``, the cells of the padded input it reads, as two slices.

    Tap ``(u, v)`` of the window at output position ``(i, j)`` reads the padded input at
    ``(i*sH + u*dH, j*sW + v*dW)``.  Over all positions these cells form one strided
    slice, ``[u*dH : ... : sH, v*dW : ... : sW]``, with the output's shape.  So a loop
    over the kH*kW taps, each handling every position at once, replaces the loop over
    positions: the layers below sum, compare or copy whole slices.

    Parameters
    ----------
    kernel_size, stride, dilation : (int, int)
    output_size : (int, int)
        ``(H_out, W_out)``.
    rows : slice, optional
        Only the output rows ``rows.start`` to ``rows.stop - 1`` (default: all).

    Yields
    ------
    u, v : int
    rows, cols : slice
        ``x_padded[..., rows, cols]`` has shape ``(len(rows), W_out)``.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
    first, stop = (0, ho) if rows is None else (rows.start, rows.stop)
    for u in range(kh):
        row_slice = slice(u * dh + first * sh, u * dh + (stop - 1) * sh + 1, sh)
        for v in range(kw):
            yield u, v, row_slice, slice(v * dw, v * dw + (wo - 1) * sw + 1, sw)


def im2col(x, kernel_size, stride=1, dilation=1, groups=1):
    """Unfold an already padded input into columns, one column per output position.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, dilation : int or (int, int)
    groups : int
        Split the channels into this many groups (as ``conv2d``'s ``groups``).

    Returns
    -------
    ndarray, shape (N, groups, C // groups * kH * kW, H_out * W_out)
        ``cols[n, g, (c, u, v), (i, j)] == x[n, g*C//groups + c, i*sH + u*dH, j*sW + v*dW]``
        with ``(c, u, v)`` and ``(i, j)`` flattened in C order, matching
        ``weight.reshape(C_out, -1)``.  Multiplying by that matrix is the convolution.
    """
    n, c = x.shape[:2]
    windows = sliding_windows(x, kernel_size, stride, dilation)   # (N, C, Ho, Wo, kH, kW)
    _, _, ho, wo, kh, kw = windows.shape
    windows = windows.reshape(n, groups, c // groups, ho, wo, kh, kw)
    # The reshape copies into (c, u, v) rows and (i, j) columns: row order matches the
    # weight's memory order, column order is the output's, so no transpose is needed later.
    return windows.transpose(0, 1, 2, 5, 6, 3, 4).reshape(n, groups, c // groups * kh * kw,
                                                         ho * wo)


def col2im(cols, input_shape, kernel_size, stride=1, dilation=1):
    """Fold columns back onto an image, adding where windows overlap: the adjoint of ``im2col``.

    ``im2col`` copies every cell once per window that covers it; ``col2im`` sends each
    column entry back to its cell and sums.  So for any ``x`` and ``cols``,
    ``sum(im2col(x) * cols) == sum(x * col2im(cols))``, which is exactly what makes
    ``col2im(W^T @ dout)`` the input gradient of a convolution.

    Parameters
    ----------
    cols : ndarray, shape (N, groups, C // groups * kH * kW, H_out * W_out)
        As returned by ``im2col`` (rows ``(c, u, v)``, columns ``(i, j)``).
    input_shape : tuple (N, C, H, W)
        Shape of the (padded) image the columns were taken from.
    kernel_size, stride, dilation : int or (int, int)

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    kernel_size, stride, dilation = (as_ints(kernel_size, "kernel_size", 2, 1),
                                     as_ints(stride, "stride", 2, 1),
                                     as_ints(dilation, "dilation", 2, 1))
    (kh, kw), (n, c, h, w) = kernel_size, input_shape
    ho, wo = _output_shape((h, w), kernel_size, stride, dilation)
    if (cols.ndim != 4 or cols.shape[0] != n or cols.shape[1] * cols.shape[2] != c * kh * kw
            or cols.shape[3] != ho * wo):
        raise ValueError(f"cols of shape {cols.shape} do not come from an input of shape "
                         f"{tuple(input_shape)} with a {kh}x{kw} kernel: expected "
                         f"(N, groups, C // groups * kH * kW, H_out * W_out) with "
                         f"C * kH * kW = {c * kh * kw} and H_out * W_out = {ho}*{wo}")
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    image = np.zeros((n, c, h, w), dtype=cols.dtype)
    # One strided slice per kernel tap (u, v): the cells x[i*s + u*d, j*s + v*d] over all
    # (i, j) never collide with each other, so a plain += is safe, and overlaps between
    # windows are summed across the kH*kW taps.  The loop is over the kernel, not pixels.
    for u, v, r, s in tap_slices(kernel_size, stride, dilation, (ho, wo)):
        image[:, :, r, s] += cols[:, :, u, v]
    return image


# --------------------------------------------------------------------------------------
# The fast path's layout: channels first, images last when rows are short
# --------------------------------------------------------------------------------------
# conv2d and conv2d_backward run im2col and its adjoint on the input seen channels first:
# (C, N, H, W), a free view, or, when the output rows are short, (C, H, W, N), one copy.
# The numbers are those of the (N, C, H, W) array; only their order differs.  The columns
# then come out as one (C * kH * kW, positions) matrix for all images, so one matrix
# product (per group) does the whole layer.  With the images last, one kernel tap of
# im2col copies runs of W_out * N contiguous numbers instead of rows of W_out (10 for
# LeNet's second layer), which pays when rows are short; for long rows the free view
# wins because the result needs no transpose back.

SHORT_ROWS = 16     # output rows shorter than this are unfolded with the images last
# im2col works in blocks of output rows whose columns take at most this many bytes, so a
# large image never needs its whole column matrix (kH*kW copies of the input) at once.
CHUNK_BYTES = 64 * 2**20


def _images_last_pays(output_size):
    return output_size[1] < SHORT_ROWS


def _channels_first(x, images_last):
    """(N, C, H, W) -> (C, H, W, N) contiguous (``images_last``), else the view (C, N, H, W)."""
    if images_last:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    return x.transpose(1, 0, 2, 3)


def _images_first(x, images_last):
    """The inverse of ``_channels_first``: back to (N, C, H, W), contiguous."""
    if images_last:
        return np.ascontiguousarray(x.transpose(3, 0, 1, 2))
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def _empty_channels_first(shape, dtype, images_last):
    """An empty (N, C, H, W) array of ``shape`` seen as ``_channels_first`` sees it."""
    if images_last:
        n, c, h, w = shape
        return np.empty((c, h, w, n), dtype)
    return np.empty(shape, dtype).transpose(1, 0, 2, 3)


def _at(images_last, rows, cols=slice(None)):
    """Index of the cells ``[rows, cols]`` in a ``_channels_first`` array."""
    return (slice(None), rows, cols) if images_last else (slice(None), slice(None), rows, cols)


def _row_blocks(output_size, bytes_per_row):
    """Split the output rows into blocks whose im2col columns fit in ``CHUNK_BYTES``.

    Saves memory: the column matrix holds every input cell kH*kW times (9x the input
    for a 3x3 kernel); block by block, only one block's columns exist at a time.  The
    result is the same because each output row depends only on its own columns.
    """
    ho = output_size[0]
    step = max(1, min(ho, CHUNK_BYTES // max(bytes_per_row, 1)))
    return [slice(i, min(i + step, ho)) for i in range(0, ho, step)]


def _columns(xc, kernel_size, stride, dilation, groups, output_size, rows, images_last):
    """im2col of the output rows ``rows`` of ``xc = _channels_first(x_padded)``.

    Shape (G, C/G * kH*kW, positions), the positions in ``xc``'s order of (rows, W_out)
    and N; ``cols[g, (c, u, v), p]`` is ``x_padded[n, g*C/G + c, i*sH + u*dH, j*sW + v*dW]``
    for position ``p = (n, i, j)``: the entries of ``im2col`` in another order.  Each tap
    is one strided slice copy.
    """
    kh, kw = kernel_size
    for u, v, r, s in tap_slices(kernel_size, stride, dilation, output_size, rows):
        tap = xc[_at(images_last, r, s)]
        if u == v == 0:
            cols = np.empty((tap.shape[0], kh, kw) + tap.shape[1:], xc.dtype)
        cols[:, u, v] = tap
    return cols.reshape(groups, cols.shape[0] // groups * kh * kw, -1)


def _fold_columns(dxc, dcols, kernel_size, stride, dilation, output_size, rows, images_last):
    """Add columns back onto the cells they were read from: the adjoint of ``_columns``.

    One strided slice per tap, as in ``col2im``: within one tap no two positions share a
    cell, so ``+=`` on the slice is exact, and overlapping windows sum over the taps.
    (``np.add.at`` does the same per element and is several times slower.)
    """
    kh, kw = kernel_size
    for u, v, r, s in tap_slices(kernel_size, stride, dilation, output_size, rows):
        target = dxc[_at(images_last, r, s)]
        target += dcols.reshape((target.shape[0], kh, kw) + target.shape[1:])[:, u, v]


def _blocks_of_columns(xc, kernel_size, stride, dilation, groups, output_size, images_last,
                       cached=None):
    """Yield ``(rows, cols)`` block by block (see ``_row_blocks``), or the cached columns."""
    if cached is not None:
        yield slice(0, output_size[0]), cached
        return
    c, n = xc.shape[0], xc.shape[-1] if images_last else xc.shape[1]
    row_bytes = c * kernel_size[0] * kernel_size[1] * output_size[1] * n * xc.itemsize
    for rows in _row_blocks(output_size, row_bytes):
        yield rows, _columns(xc, kernel_size, stride, dilation, groups, output_size, rows,
                             images_last)
