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
module's name.  ``cnnlib.conv.conv2d_im2col`` is a convolution built from ``im2col`` and
one matrix product, exactly as notebook 02b builds it; the layer's fast path
(``cnnlib._conv_fast``) lays the same columns out in another order for speed.  Every
function here checks its arguments as ``conv2d`` does.  The output sizes come from
``cnnlib.padding``.
"""
import numpy as np

from ._validate import as_ints, check_groups, check_kernel_fits, real_array
from .padding import conv_output_shape

__all__ = ["sliding_windows", "tap_slices", "im2col", "col2im"]


def _padded_input(x, kernel_size, stride, dilation):
    """``x`` as a real (N, C, H, W) array the kernel fits in, and the checked sizes."""
    x = real_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W) (an already padded batch; add a batch "
                         f"axis with x[None]), got {x.ndim} dimensions {x.shape}")
    kernel_size = as_ints(kernel_size, "kernel_size", 2, 1)
    stride = as_ints(stride, "stride", 2, 1)
    dilation = as_ints(dilation, "dilation", 2, 1)
    check_kernel_fits(x.shape[2:], kernel_size, dilation, x.shape[2:])
    return x, kernel_size, stride, dilation


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    """All kernel positions of an already padded input, as a read-only view.

    Parameters
    ----------
    x : array_like of real numbers, shape (N, C, H, W)
        The padded input.
    kernel_size, stride, dilation : int or (int, int)

    Returns
    -------
    ndarray view, shape (N, C, H_out, W_out, kH, kW)
        ``windows[n, c, i, j, u, v] == x[n, c, i*sH + u*dH, j*sW + v*dW]``.  No data is
        copied: the view only sets strides over the memory of ``x``.
    """
    x, (kh, kw), (sh, sw), (dh, dw) = _padded_input(x, kernel_size, stride, dilation)
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
    x : array_like of real numbers, shape (N, C, H, W)
        The padded input.
    kernel_size, stride, dilation : int or (int, int)
    groups : int
        Split the channels into this many groups (as ``conv2d``'s ``groups``); must
        divide ``C``.

    Returns
    -------
    ndarray, shape (N, groups, C // groups * kH * kW, H_out * W_out)
        ``cols[n, g, (c, u, v), (i, j)] == x[n, g*C//groups + c, i*sH + u*dH, j*sW + v*dW]``
        with ``(c, u, v)`` and ``(i, j)`` flattened in C order, matching
        ``weight.reshape(C_out, -1)``.  Multiplying by that matrix is the convolution.
    """
    x, kernel_size, stride, dilation = _padded_input(x, kernel_size, stride, dilation)
    n, c = x.shape[:2]
    groups = check_groups(groups, c)
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
    cols : array_like of real numbers, shape (N, groups, C // groups * kH * kW, H_out * W_out)
        As returned by ``im2col`` (rows ``(c, u, v)``, columns ``(i, j)``).
    input_shape : tuple (N, C, H, W)
        Shape of the (padded) image the columns were taken from; ``groups`` (the second
        axis of ``cols``) must divide ``C``.
    kernel_size, stride, dilation : int or (int, int)

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    cols = real_array(cols, "cols")
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
            for v in input_shape)):
        raise ValueError(f"input_shape must be the 4 positive ints (N, C, H, W) of the padded "
                         f"input, got {input_shape!r}")
    kernel_size = as_ints(kernel_size, "kernel_size", 2, 1)
    stride = as_ints(stride, "stride", 2, 1)
    dilation = as_ints(dilation, "dilation", 2, 1)
    (kh, kw), (n, c, h, w) = kernel_size, (int(v) for v in input_shape)
    check_kernel_fits((h, w), kernel_size, dilation, (h, w))
    ho, wo = conv_output_shape((h, w), kernel_size, stride, dilation)
    if cols.ndim == 4 and cols.shape[1] >= 1:
        check_groups(cols.shape[1], c, "input_shape")
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
