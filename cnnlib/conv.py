"""Convolution layers, the layer view: batched cross-correlation on ``(N, C, H, W)``.

Deep-learning libraries call *cross-correlation* "convolution": the kernel is not
flipped.  One output value of a 2D convolution layer is

    feature_map[n, o, i, j] = bias[o] + sum over c, u, v of
        x_padded[n, c, i*stride + u*dilation, j*stride + v*dilation] * weight[o, c, u, v]

where ``c`` runs over the input channels of the group of ``o``.  Argument names and
conventions follow ``torch.nn.functional.conv2d`` and ``torch.nn.Conv2d`` so the tests
can use PyTorch as the oracle (this module itself needs only NumPy).

Shapes: ``x`` is ``(N, C_in, H, W)``, ``weight`` is ``(C_out, C_in // groups, kH, kW)``,
the result is ``(N, C_out, H_out, W_out)`` with, per axis,

    H_out = floor((H + pad_top + pad_bottom - dilation * (kH - 1) - 1) / stride) + 1

The module reads in three tiers, each giving the same numbers as the one before:

1. *The loop*: ``conv2d_naive`` writes the sum above with loops, and
   ``conv2d_backward_naive`` runs the same loop backwards.  Read these first.
2. *im2col and one matrix product*: ``conv2d_im2col`` copies every window into a column
   with ``cnnlib.unfold.im2col`` (the function notebooks 02b and 03 build), so the layer
   is ``weight.reshape(C_out, -1) @ columns``; ``conv2d_backward_im2col`` multiplies by
   the transposes and folds the columns back with ``col2im``.
3. *The layer*: ``conv2d``, ``conv1d``, ``conv2d_backward`` and ``conv_transpose2d``
   check their arguments once and hand the arithmetic to the fast path,
   ``cnnlib._conv_fast``: the same columns in a layout that pays, built in row blocks,
   cached between forward and backward, and a depthwise branch.  The input gradient and
   the transposed convolution are one function there.

The argument checks sit at the end of the file.  The two ideas the layer stands on,
which ``cnnlib.pool`` shares, have modules of their own: ``cnnlib.padding`` makes
``x_padded`` and ``H_out`` (``conv_padding``, ``pad2d``, ``conv_output_size``), and
``cnnlib.unfold`` reads the windows out of ``x_padded`` (``sliding_windows``,
``tap_slices``, ``im2col``, ``col2im``).  Their public names are re-exported here, so
``from cnnlib.conv import pad2d`` works too.
"""
from typing import NamedTuple

import numpy as np

from . import _conv_fast
from ._validate import (as_ints, batched, check_groups, check_kernel_fits, check_shape,
                        compute_dtype, real_array, result_dtype)
# Re-exported: padding and output sizes live in cnnlib.padding, the windows in cnnlib.unfold.
from .padding import (PADDING_MODES, PADDING_STRINGS, conv_output_shape, conv_output_size,
                      conv_padding, pad2d, resolve_padding, unpad2d)
from .unfold import col2im, im2col, sliding_windows, tap_slices

__all__ = ["PADDING_STRINGS", "PADDING_MODES", "conv_padding", "pad2d", "conv_output_size",
           "sliding_windows", "tap_slices", "im2col", "col2im", "conv2d", "conv2d_naive",
           "conv2d_im2col", "conv1d", "conv2d_backward", "conv2d_backward_naive",
           "conv2d_backward_im2col", "conv_transpose2d"]


# --------------------------------------------------------------------------------------
# Tier 1: the loop
# --------------------------------------------------------------------------------------
def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                 padding_mode="zeros"):
    """``conv2d`` written as plain loops over images, filters and output positions.

    Same arguments (``x`` (N, C_in, H, W), ``weight`` (C_out, C_in // groups, kH, kW)),
    result (N, C_out, H_out, W_out) and checks as ``conv2d``; slow, but every line is
    the formula at the top of this module.  Read this one first.
    """
    a = _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=2)
    dtype = compute_dtype(*(v.dtype for v in (a.x, a.weight, a.bias) if v is not None))
    xp = pad2d(a.x.astype(dtype), a.pads, a.padding_mode)
    weight = a.weight.astype(dtype)
    n = xp.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = a.stride, a.dilation
    ho, wo = conv_output_shape(xp.shape[2:], (kh, kw), a.stride, a.dilation)
    out_per_group = c_out // a.groups
    out = np.zeros((n, c_out, ho, wo), dtype=dtype)
    for b in range(n):
        for o in range(c_out):
            first = (o // out_per_group) * c_per_group      # first input channel of o's group
            for i in range(ho):
                for j in range(wo):
                    patch = xp[b, first:first + c_per_group,
                               i * sh:i * sh + dh * (kh - 1) + 1:dh,
                               j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[b, o, i, j] = np.sum(patch * weight[o])
            if a.bias is not None:
                out[b, o] += dtype.type(a.bias[o])
    out = out.astype(_result_dtype(a), copy=False)
    return out[0] if a.unbatched else out


# For feature_map = conv2d(x, weight) and an upstream gradient dout = dL/dfeature_map,
# the chain rule applied to the sum at the top of this module gives
#
#   dL/dweight[o, c, u, v] = sum over n, i, j of
#           dout[n, o, i, j] * x_padded[n, c, i*s + u*d, j*s + v*d]
#       a correlation of the input with the upstream gradient;
#   dL/dx_padded[n, c, r, t] = sum over o and every (i, j, u, v) with i*s + u*d = r and
#       j*s + v*d = t of dout[n, o, i, j] * weight[o, c, u, v]
#       every output value sends its gradient back along the kernel taps that produced it:
#       a transposed convolution of dout with the weight (the full convolution of dout with
#       the flipped kernel when the stride is 1);
#   dL/dbias[o] = sum over n, i, j of dout[n, o, i, j].
#
# In im2col form the forward is out = W @ cols, so dW = dout @ cols^T and dcols = W^T @ dout;
# col2im (cnnlib.unfold, the adjoint of im2col) then adds each column back onto its cells.

def conv2d_backward_naive(dout, x, weight, stride=1, padding=0, dilation=1, groups=1,
                          padding_mode="zeros"):
    """``conv2d_backward`` as plain loops: every output value hands its gradient back.

    Same arguments and results as ``conv2d_backward`` (always with ``dx``).  The loop is
    the forward loop of ``conv2d_naive`` read backwards: where the forward did
    ``out[b, o, i, j] += sum(patch * weight[o])``, the backward does
    ``dweight[o] += dout[b, o, i, j] * patch`` and ``dpatch += dout[b, o, i, j] * weight[o]``.
    ``dout`` is (N, C_out, H_out, W_out); the results have the shapes of ``x``,
    ``weight`` and (C_out,).
    """
    a, (dtype, out), dout = _check_backward(dout, x, weight, stride, padding, dilation, groups,
                                            padding_mode)
    xp = pad2d(a.x.astype(dtype), a.pads, a.padding_mode)
    weight = a.weight.astype(dtype)
    n = xp.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = a.stride, a.dilation
    ho, wo = dout.shape[2:]
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    dbias = np.zeros(c_out, dtype=dtype)
    out_per_group = c_out // a.groups
    for b in range(n):
        for o in range(c_out):
            first = (o // out_per_group) * c_per_group
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    g = dout[b, o, i, j]
                    dweight[o] += g * xp[b, first:first + c_per_group, rows, cols]
                    dxp[b, first:first + c_per_group, rows, cols] += g * weight[o]
                    dbias[o] += g
    dx = unpad2d(dxp, a.pads, a.padding_mode, a.x.shape[2:])
    return ((dx[0] if a.unbatched else dx).astype(out, copy=False),
            dweight.astype(out, copy=False), dbias.astype(out, copy=False))


# --------------------------------------------------------------------------------------
# Tier 2: im2col and one matrix product
# --------------------------------------------------------------------------------------
def conv2d_im2col(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                  padding_mode="zeros"):
    """``conv2d`` as im2col and one matrix product, as notebook 02b builds it.

    Every window of the padded input becomes a column (``im2col``), so the sum over
    ``(c, u, v)`` at the top of this module is a row of the weight matrix times a
    column: one matrix product per group computes every output value at once.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    bias : array_like, shape (C_out,), optional
    stride, padding, dilation, groups, padding_mode :
        As in ``conv2d``.

    Returns
    -------
    feature_map : ndarray, shape (N, C_out, H_out, W_out)

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> k = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> conv2d_im2col(x, k)[0, 0]
    array([[19., 25.],
           [37., 43.]])
    """
    a = _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=2)
    dtype = compute_dtype(*(v.dtype for v in (a.x, a.weight, a.bias) if v is not None))
    xp = pad2d(a.x.astype(dtype, copy=False), a.pads, a.padding_mode)
    n, (c_out, _, kh, kw), g = xp.shape[0], a.weight.shape, a.groups
    h_out, w_out = conv_output_shape(xp.shape[2:], (kh, kw), a.stride, a.dilation)
    cols = im2col(xp, (kh, kw), a.stride, a.dilation, g)      # (N, G, C_in/G*kH*kW, H_out*W_out)
    w = a.weight.astype(dtype, copy=False).reshape(g, c_out // g, -1)  # (G, C_out/G, C_in/G*kH*kW)
    out = np.matmul(w, cols).reshape(n, c_out, h_out, w_out)   # (N, G, C_out/G, H_out*W_out)
    if a.bias is not None:
        out += a.bias.astype(dtype, copy=False)[:, None, None]
    out = out.astype(_result_dtype(a), copy=False)
    return out[0] if a.unbatched else out


def conv2d_backward_im2col(dout, x, weight, stride=1, padding=0, dilation=1, groups=1,
                           padding_mode="zeros"):
    """``conv2d_backward`` on im2col's columns: two matrix products and ``col2im``.

    The forward is ``out = W @ cols``, so ``dL/dW = dout @ cols^T`` (summed over the
    images) and ``dL/dcols = W^T @ dout``; ``col2im``, the adjoint of ``im2col``, adds
    every column entry back onto the cell it was copied from, giving ``dL/dx_padded``.

    Parameters
    ----------
    dout : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    stride, padding, dilation, groups, padding_mode :
        The forward's arguments.

    Returns
    -------
    dx, dweight, dbias : ndarrays of the shapes of ``x``, ``weight`` and (C_out,)
    """
    a, (dtype, out), dout = _check_backward(dout, x, weight, stride, padding, dilation, groups,
                                            padding_mode)
    xp = pad2d(a.x.astype(dtype, copy=False), a.pads, a.padding_mode)
    n, (c_out, _, kh, kw), g = xp.shape[0], a.weight.shape, a.groups
    cols = im2col(xp, (kh, kw), a.stride, a.dilation, g)      # (N, G, C_in/G*kH*kW, H_out*W_out)
    w = a.weight.astype(dtype, copy=False).reshape(g, c_out // g, -1)
    dout_g = dout.reshape(n, g, c_out // g, -1)                # (N, G, C_out/G, H_out*W_out)
    dweight = np.matmul(dout_g, cols.transpose(0, 1, 3, 2)).sum(axis=0)   # dout @ cols^T
    dcols = np.matmul(w.transpose(0, 2, 1), dout_g)                     # W^T @ dout
    dxp = col2im(dcols, xp.shape, (kh, kw), a.stride, a.dilation)
    dx = unpad2d(dxp, a.pads, a.padding_mode, a.x.shape[2:])
    dbias = dout.sum(axis=(0, 2, 3))
    return ((dx[0] if a.unbatched else dx).astype(out, copy=False),
            dweight.reshape(a.weight.shape).astype(out, copy=False),
            dbias.astype(out, copy=False))


# --------------------------------------------------------------------------------------
# Tier 3: the layer, on the fast path (cnnlib._conv_fast)
# --------------------------------------------------------------------------------------
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros", cache=None):
    """2D convolution layer (cross-correlation), like ``torch.nn.functional.conv2d``.

    The numbers of ``conv2d_naive`` and ``conv2d_im2col``, computed by the fast path
    (``cnnlib._conv_fast``: another column layout, row blocks, a column cache, a
    depthwise branch).

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
        The kernels: ``C_out`` stacked filters, each spanning all input channels of
        its group.
    bias : array_like, shape (C_out,), optional
    stride : int or (int, int)
        Positions the kernel moves per step.
    padding : int, (int, int) or {"valid", "same", "full"}
        See ``conv_padding``.  "same" needs ``stride=1``.
    dilation : int or (int, int)
        Gap between kernel taps; the kernel covers ``dilation * (k - 1) + 1`` cells.
    groups : int
        Split input and output channels into this many independent groups
        (``groups=C_in`` is a depthwise convolution).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padding cells hold, as in ``torch.nn.Conv2d``.
    cache : dict, optional
        An empty dict to keep the im2col columns in, for ``conv2d_backward(...,
        cache=cache)`` to reuse instead of unfolding ``x`` again (the layer's "cache" of
        CS231n's forward/backward pairs).  Costs the columns' memory (kH*kW times the
        input) until the dict is dropped; large inputs, whose columns are built in
        blocks, and depthwise layers keep nothing.

    Returns
    -------
    feature_map : ndarray, shape (N, C_out, H_out, W_out)
        float32 for float32 inputs, float64 for float64 (or integer) inputs, float16
        for float16 inputs (computed in float32).  An empty batch gives an empty result.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> k = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> conv2d(x, k)[0, 0]
    array([[19., 25.],
           [37., 43.]])
    """
    a = _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=2)
    if cache is not None:
        if not isinstance(cache, dict):
            raise TypeError(f"cache must be a dict (or None), got {type(cache).__name__}")
        cache.clear()
    out = _conv_fast.forward(a, cache).astype(_result_dtype(a), copy=False)
    return out[0] if a.unbatched else out


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros"):
    """1D convolution layer (cross-correlation), like ``torch.nn.functional.conv1d``.

    Parameters
    ----------
    x : array_like, shape (N, C_in, L) or (C_in, L)
    weight : array_like, shape (C_out, C_in // groups, kL)
    bias : array_like, shape (C_out,), optional
    stride, dilation, groups : int
    padding : int or {"valid", "same", "full", "causal"}
        "causal" pads ``dilation * (kL - 1)`` cells on the left only, so output ``t``
        sees inputs ``t, t - d, ..., t - d(kL-1)`` and never the future: the dilated
        causal convolution of WaveNet (van den Oord et al., 2016).  With stride 1 the
        output has length ``L``.  (In PyTorch: pad the left with ``F.pad(x, (d*(k-1), 0))``
        and use ``padding=0``.)
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    feature_map : ndarray, shape (N, C_out, L_out)
    """
    a = _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=1,
                    extra_strings=("causal",))
    # A 1D signal is a 2D image of height 1: no padding, stride or dilation along H.
    image = a._replace(x=a.x[:, :, None, :], weight=a.weight[:, :, None, :],
                       stride=(1,) + a.stride, pads=((0, 0),) + a.pads,
                       dilation=(1,) + a.dilation)
    out = _conv_fast.forward(image)[:, :, 0].astype(_result_dtype(a), copy=False)
    return out[0] if a.unbatched else out


def conv2d_backward(dout, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", input_grad=True, cache=None):
    """Gradients of ``conv2d`` with respect to its input, kernels and bias.

    Parameters
    ----------
    dout : array_like, shape (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
        Upstream gradient dL/dfeature_map.
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
        The forward's input.
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    stride, padding, dilation, groups, padding_mode :
        The forward's arguments (see ``conv2d``).
    input_grad : bool
        Compute ``dx``.  A network's first layer does not need it (nobody trains the
        image), and PyTorch skips it there too; ``False`` returns ``None`` instead.
    cache : dict, optional
        The ``cache`` that ``conv2d(x, weight, ..., cache=cache)`` filled: its columns
        are reused.  It must come from the same ``x`` and arguments (``ValueError``
        otherwise), and ``x`` must not have changed in between.

    Returns
    -------
    dx : ndarray, shape of ``x``, or None
        A transposed convolution of ``dout`` (see ``conv_transpose2d``).
    dweight : ndarray, shape of ``weight``
        The correlation of the padded input with ``dout``.
    dbias : ndarray, shape (C_out,)
        ``dout`` summed over images and positions.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> k = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> dx, dk, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, k)
    >>> dk[0, 0]                      # each tap's sum over the cells it touched
    array([[ 8., 12.],
           [20., 24.]])
    """
    a, (dtype, out), dout = _check_backward(dout, x, weight, stride, padding, dilation, groups,
                                            padding_mode)
    weight = a.weight.astype(dtype, copy=False)
    dbias = dout.sum(axis=(0, 2, 3))                          # dL/dbias = sum of dout
    dweight = _conv_fast.weight_gradient(dout, a, weight, cache)
    dx = None
    if input_grad:
        padded = tuple(s + p + q for s, (p, q) in zip(a.x.shape[2:], a.pads))
        dxp = _conv_fast.input_gradient(dout, weight, a.stride, a.dilation, a.groups, padded)
        dx = np.ascontiguousarray(unpad2d(dxp, a.pads, a.padding_mode, a.x.shape[2:]))
        dx = (dx[0] if a.unbatched else dx).astype(out, copy=False)
    return dx, dweight.astype(out, copy=False), dbias.astype(out, copy=False)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution, like ``torch.nn.functional.conv_transpose2d``.

    Each input value stamps a copy of the kernel, scaled by the value, onto the output,
    ``stride`` cells apart, and overlapping stamps add up.  That is the input gradient of
    a ``conv2d`` with the same weight, stride, padding and dilation, which is why it is
    also called the adjoint of the convolution (it is *not* its inverse), and why
    decoders and segmentation networks use it to upsample.  It runs the very code of
    ``conv2d_backward``'s ``dx`` (``cnnlib._conv_fast.input_gradient``).

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like, shape (C_in, C_out // groups, kH, kW)
        Note the order: input channels first, as for the conv2d whose adjoint this is.
    bias : array_like, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int or (int, int)
        Cells cropped from each side of the full result, undoing the padding of the
        conv2d whose adjoint this is.
    output_padding : int or (int, int)
        Cells added at the bottom/right to pick among the input sizes a strided conv2d
        maps to the same output size; must be smaller than the stride or the dilation.
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out) with, per axis,
        ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``
    """
    x, weight, bias, stride, padding, output_padding, dilation, groups, full, out, unbatched = (
        _check_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation))
    dtypes = (x.dtype, weight.dtype) + (() if bias is None else (bias.dtype,))
    dtype = compute_dtype(*dtypes)
    # The input gradient of a conv2d whose output is x: the same code as conv2d_backward's
    # dx, on a grid of the full size plus output_padding, then cropped by the padding.
    grid = (full[0] + output_padding[0], full[1] + output_padding[1])
    image = _conv_fast.input_gradient(x.astype(dtype, copy=False),
                                      weight.astype(dtype, copy=False), stride, dilation,
                                      groups, grid)
    result = image[:, :, padding[0]:padding[0] + out[0], padding[1]:padding[1] + out[1]]
    if bias is not None:
        result = result + bias.astype(dtype, copy=False)[:, None, None]
    result = result.astype(result_dtype(*dtypes), copy=False)
    return result[0] if unbatched else result


# --------------------------------------------------------------------------------------
# Argument checks, shared by the three tiers
# --------------------------------------------------------------------------------------
class ConvArgs(NamedTuple):
    """The checked arguments of a convolution, batched and normalised."""

    x: np.ndarray            # (N, C_in, *spatial)
    weight: np.ndarray       # (C_out, C_in // groups, *kernel)
    bias: object             # (C_out,) ndarray or None
    stride: tuple
    pads: tuple              # ((before, after), ...) per spatial axis
    dilation: tuple
    groups: int
    padding_mode: str
    unbatched: bool


def _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim,
                extra_strings=()):
    """Validate conv arguments for ``ndim`` spatial axes; return them as ``ConvArgs``."""
    layout = "(N, C, L)" if ndim == 1 else "(N, C, H, W)"
    x, unbatched = batched(real_array(x, "x"), "x", layout)
    weight = real_array(weight, "weight")
    w_names = "(C_out, C_in // groups, kL)" if ndim == 1 else "(C_out, C_in // groups, kH, kW)"
    if weight.ndim != ndim + 2:
        raise ValueError(f"weight must have shape {w_names}, got {weight.ndim} dimensions "
                         f"{weight.shape}")
    if 0 in weight.shape:
        raise ValueError(f"weight must have at least one kernel, channel and tap on every axis "
                         f"of {w_names}, got shape {weight.shape}")
    c_in, c_out = x.shape[1], weight.shape[0]
    groups = check_groups(groups, c_in)
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide the output channels "
                         f"(weight has {c_out})")
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"channel mismatch: x has {c_in} channels but weight of shape {weight.shape} with "
            f"groups={groups} expects {weight.shape[1]} * {groups} = {weight.shape[1] * groups}")
    if bias is not None:
        bias = real_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},), got {bias.shape}")
    stride = as_ints(stride, "stride", ndim, 1)
    dilation = as_ints(dilation, "dilation", ndim, 1)
    kernel_size = weight.shape[2:]
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' needs stride=1 (as in torch); for strided "
                         "convolutions give the padding as an int")
    pads = resolve_padding(padding, kernel_size, dilation, ndim, extra_strings)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    size = x.shape[2:]
    padded = tuple(s + a + b for s, (a, b) in zip(size, pads))
    check_kernel_fits(padded, kernel_size, dilation, size)
    return ConvArgs(x, weight, bias, stride, pads, dilation, groups, padding_mode, unbatched)


def _check_backward(dout, x, weight, stride, padding, dilation, groups, padding_mode):
    """Checked ``ConvArgs``, the compute and result dtypes, and ``dout`` batched."""
    a = _check_conv(x, weight, None, stride, padding, dilation, groups, padding_mode, ndim=2)
    dout = real_array(dout, "dout")
    dtype = compute_dtype(a.x.dtype, a.weight.dtype, dout.dtype)
    padded = tuple(s + p + q for s, (p, q) in zip(a.x.shape[2:], a.pads))
    out = (a.weight.shape[0],) + conv_output_shape(padded, a.weight.shape[2:], a.stride, a.dilation)
    expected = out if a.unbatched else a.x.shape[:1] + out
    check_shape(dout, "dout", expected, "the conv2d output (N, C, H_out, W_out)")
    dtypes = dtype, result_dtype(a.x.dtype, a.weight.dtype, dout.dtype)
    dout = dout.astype(dtype, copy=False)
    return a, dtypes, (dout[None] if a.unbatched else dout)


def _result_dtype(a, *more):
    extra = () if a.bias is None else (a.bias.dtype,)
    return result_dtype(a.x.dtype, a.weight.dtype, *extra, *more)


def _check_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation):
    """Checked arguments of ``conv_transpose2d``, the uncropped and the output size."""
    x, unbatched = batched(real_array(x, "x"), "x", "(N, C_in, H, W)")
    weight = real_array(weight, "weight")
    if weight.ndim != 4 or 0 in weight.shape:
        raise ValueError(f"weight must have shape (C_in, C_out // groups, kH, kW), every axis at "
                         f"least 1, got {weight.ndim} dimensions {weight.shape}")
    c_in, h, w = x.shape[1:]
    if weight.shape[0] != c_in:
        raise ValueError(f"channel mismatch: x has {c_in} channels but weight of shape "
                         f"{weight.shape} expects {weight.shape[0]} (weight is (C_in, C_out // "
                         f"groups, kH, kW) for a transposed convolution)")
    groups = check_groups(groups, c_in)
    if isinstance(padding, str):
        raise TypeError(f"padding must be an int or a tuple of 2 ints for conv_transpose2d "
                        f"(as in torch), got {padding!r}")
    stride = as_ints(stride, "stride", 2, 1)
    padding = as_ints(padding, "padding", 2, 0)
    output_padding = as_ints(output_padding, "output_padding", 2, 0)
    dilation = as_ints(dilation, "dilation", 2, 1)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"output_padding must be smaller than the stride or the dilation, "
                             f"got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    c_per_group, kh, kw = weight.shape[1:]
    c_out = c_per_group * groups
    if bias is not None:
        bias = real_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},), got {bias.shape}")
    full = [(size - 1) * s + d * (k - 1) + 1
            for size, s, d, k in zip((h, w), stride, dilation, (kh, kw))]
    out = [f + op - 2 * p for f, op, p in zip(full, output_padding, padding)]
    if min(out) < 1:
        raise ValueError(f"padding={padding} crops the whole output: the uncropped output is "
                         f"{full[0] + output_padding[0]}x{full[1] + output_padding[1]}")
    return x, weight, bias, stride, padding, output_padding, dilation, groups, full, out, unbatched
