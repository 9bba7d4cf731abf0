"""Convolution layers, the layer view: batched cross-correlation on ``(N, C, H, W)``.

Deep-learning libraries call *cross-correlation* "convolution": the kernel is not
flipped.  One output value of a 2D convolution layer is

    feature_map[n, o, i, j] = bias[o] + sum over c, u, v of
        x_padded[n, c, i*stride + u*dilation, j*stride + v*dilation] * weight[o, c, u, v]

where ``c`` runs over the input channels of the group of ``o``.  ``conv2d_naive``
writes this with loops; ``conv2d`` computes the same sum for all positions at once
with im2col and one matrix product.  Argument names and conventions follow
``torch.nn.functional.conv2d`` and ``torch.nn.Conv2d`` so the tests can use PyTorch
as the oracle (this module itself needs only NumPy).

Shapes: ``x`` is ``(N, C_in, H, W)``, ``weight`` is ``(C_out, C_in // groups, kH, kW)``,
the result is ``(N, C_out, H_out, W_out)`` with, per axis,

    H_out = floor((H + pad_top + pad_bottom - dilation * (kH - 1) - 1) / stride) + 1

The small helpers (``pad2d``, ``conv_padding``, ``sliding_windows``, ``im2col``) are
public because the backward passes reuse them.
"""
import numbers

import numpy as np

PADDING_STRINGS = ("valid", "same", "full")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# torch.nn.functional.pad's mode names -> numpy.pad's mode names.
_NUMPY_PAD_MODES = {"constant": "constant", "zeros": "constant", "reflect": "reflect",
                    "replicate": "edge", "circular": "wrap"}


# --------------------------------------------------------------------------------------
# Argument checks shared by conv and pool
# --------------------------------------------------------------------------------------
def _as_ints(value, name, ndim, minimum):
    """Return ``value`` (an int or a tuple of ``ndim`` ints) as a tuple of ``ndim`` ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(items) != ndim or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items):
        kind = "an int" if ndim == 1 else f"an int or a tuple of {ndim} ints"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if any(v < minimum for v in items):
        rule = "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return tuple(int(v) for v in items)


def _as_real_array(a, name):
    """``a`` as an ndarray of real numbers; reject strings, booleans, complex numbers."""
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers (integer or float dtype), "
                        f"got dtype {a.dtype}")
    return a


def _float_dtype(*dtypes):
    """float32 stays float32, float64 stays float64; integers compute in float64."""
    return np.result_type(*dtypes, np.float32)


def _size_text(sizes):
    return "x".join(str(s) for s in sizes)


def _check_kernel_fits(padded, kernel_size, dilation, input_size):
    """Raise if the dilated kernel does not fit inside the padded input on some axis."""
    effective = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    if all(e <= p for e, p in zip(effective, padded)):
        return
    # The smallest symmetric padding that makes every axis fit.
    need = max(-(-(e - n) // 2) for e, n in zip(effective, input_size))
    d = dilation[0] if len(set(dilation)) == 1 else dilation
    raise ValueError(
        f"kernel ({_size_text(kernel_size)}, dilation {d}) is larger than the padded input "
        f"({_size_text(padded)}); pad by at least {need}")


# --------------------------------------------------------------------------------------
# Padding
# --------------------------------------------------------------------------------------
def conv_padding(padding, kernel_size, dilation=1):
    """Resolve a ``padding`` argument to explicit ``((top, bottom), (left, right))``.

    Parameters
    ----------
    padding : int, (int, int) or {"valid", "same", "full"}
        An int pads every side by that many cells, a pair pads ``(H, W)``.
        "valid" pads nothing; "full" pads ``dilation * (k - 1)`` on every side, so every
        partial overlap of kernel and input counts; "same" pads a total of
        ``dilation * (k - 1)`` per axis so that (with stride 1) the output has the input's
        size.  When that total is odd (an even kernel), the extra cell goes to the bottom /
        right, exactly as ``torch.nn.Conv2d(padding="same")`` does.
    kernel_size : int or (int, int)
    dilation : int or (int, int)

    Returns
    -------
    tuple of two (before, after) pairs, one per spatial axis.

    Examples
    --------
    >>> conv_padding("same", 4)
    ((1, 2), (1, 2))
    >>> conv_padding((1, 0), 3)
    ((1, 1), (0, 0))
    """
    kernel_size = _as_ints(kernel_size, "kernel_size", 2, 1)
    dilation = _as_ints(dilation, "dilation", 2, 1)
    return _resolve_padding(padding, kernel_size, dilation, ndim=2)


def _resolve_padding(padding, kernel_size, dilation, ndim, extra_strings=()):
    if isinstance(padding, str):
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        if padding == "valid":
            return tuple((0, 0) for _ in totals)
        if padding == "full":
            return tuple((t, t) for t in totals)
        if padding == "same":
            return tuple((t // 2, t - t // 2) for t in totals)
        if padding == "causal" and "causal" in extra_strings:
            return tuple((t, 0) for t in totals)
        allowed = ", ".join(repr(s) for s in PADDING_STRINGS + tuple(extra_strings))
        raise ValueError(f"padding must be an int, a tuple of ints or one of {allowed}, "
                         f"got {padding!r}")
    return tuple((p, p) for p in _as_ints(padding, "padding", ndim, 0))


def pad2d(x, padding, mode="constant", value=0.0):
    """Pad the last two axes (H, W) of ``x``, like ``torch.nn.functional.pad``.

    Parameters
    ----------
    x : ndarray, shape (..., H, W)
    padding : int, (int, int) or ((int, int), (int, int))
        Cells added on every side, per axis ``(pH, pW)``, or explicitly
        ``((top, bottom), (left, right))``.
    mode : {"constant", "zeros", "reflect", "replicate", "circular"}
        "constant" fills with ``value`` ("zeros" is the same with 0, the name
        ``torch.nn.Conv2d`` uses); "reflect" mirrors without repeating the edge
        (``[a b c] -> b [a b c] b``); "replicate" repeats the edge (the lecture's
        extension); "circular" wraps around (periodic).
    value : float
        Fill value for "constant" (max pooling pads with ``-inf``).

    Returns
    -------
    ndarray, shape (..., H + top + bottom, W + left + right)
    """
    if mode not in _NUMPY_PAD_MODES:
        raise ValueError(f"mode must be one of {tuple(_NUMPY_PAD_MODES)}, got {mode!r}")
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        pads = tuple(_as_ints(p, "padding", 2, 0) for p in padding)
    else:
        pads = tuple((p, p) for p in _as_ints(padding, "padding", 2, 0))
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(pads[0]) >= h or max(pads[1]) >= w):
        raise ValueError(f"reflect padding must be smaller than the input size on each axis: "
                         f"padding {pads} for input {h}x{w}")
    if mode == "circular" and (max(pads[0]) > h or max(pads[1]) > w):
        raise ValueError(f"circular padding must be at most the input size on each axis: "
                         f"padding {pads} for input {h}x{w}")
    if pads == ((0, 0), (0, 0)):
        return x
    width = [(0, 0)] * (x.ndim - 2) + list(pads)
    if _NUMPY_PAD_MODES[mode] == "constant":
        return np.pad(x, width, mode="constant", constant_values=value if mode == "constant" else 0)
    return np.pad(x, width, mode=_NUMPY_PAD_MODES[mode])


# --------------------------------------------------------------------------------------
# Output size
# --------------------------------------------------------------------------------------
def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1, exact=False):
    """Output length of a convolution along one axis (the lecture's formula).

    ``floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``

    When the stride does not divide ``n + 2p - d(k-1) - 1`` the kernel "does not fit":
    its last steps would run off the padded input, so the remaining rows/columns are
    never visited.  PyTorch (and this function by default) then rounds down and
    silently ignores them; with ``exact=True`` it raises instead, which is what the
    lecture's quiz asks you to notice.

    Parameters
    ----------
    n : int
        Input length (H or W).
    kernel_size, stride, dilation : int
    padding : int or {"valid", "same", "full"}
        Padding on each side (a string is resolved as in ``conv_padding``; "same"
        with an even kernel pads one cell more at the end).
    exact : bool
        Raise ``ValueError`` if the stride does not tile the padded input exactly.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_output_size(7, 3, stride=2)
    3
    >>> conv_output_size(32, 5, padding=2)
    32
    """
    (n,) = _as_ints(n, "n", 1, 1)
    (k,) = _as_ints(kernel_size, "kernel_size", 1, 1)
    (s,) = _as_ints(stride, "stride", 1, 1)
    (d,) = _as_ints(dilation, "dilation", 1, 1)
    ((before, after),) = _resolve_padding(padding, (k,), (d,), ndim=1)
    padded = n + before + after
    _check_kernel_fits((padded,), (k,), (d,), (n,))
    span = padded - d * (k - 1) - 1
    if exact and span % s:
        raise ValueError(
            f"stride {s} does not fit: n + total padding - dilation*(kernel_size-1) - 1 = {span} "
            f"is not a multiple of the stride, so the last {span % s} row(s)/column(s) "
            f"are never covered")
    return span // s + 1


# --------------------------------------------------------------------------------------
# Windows and im2col
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
    (kh, kw), (sh, sw), (dh, dw) = (_as_ints(kernel_size, "kernel_size", 2, 1),
                                    _as_ints(stride, "stride", 2, 1),
                                    _as_ints(dilation, "dilation", 2, 1))
    # Every window of the dilated extent, then keep every stride-th start and every
    # dilation-th cell inside the window.
    view = np.lib.stride_tricks.sliding_window_view(
        x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(-2, -1))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


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


# --------------------------------------------------------------------------------------
# conv2d
# --------------------------------------------------------------------------------------
def _check_conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim,
                extra_strings=()):
    """Validate conv arguments for ``ndim`` spatial axes; return normalised values."""
    names = "(N, C, L)" if ndim == 1 else "(N, C, H, W)"
    x = _as_real_array(x, "x")
    weight = _as_real_array(weight, "weight")
    unbatched = x.ndim == ndim + 1
    if x.ndim not in (ndim + 1, ndim + 2):
        raise ValueError(f"x must have shape {names} (or unbatched {names[:1] + names[4:]}), "
                         f"got {x.ndim} dimensions {x.shape}")
    if unbatched:
        x = x[None]
    w_names = "(C_out, C_in // groups, kL)" if ndim == 1 else "(C_out, C_in // groups, kH, kW)"
    if weight.ndim != ndim + 2:
        raise ValueError(f"weight must have shape {w_names}, got {weight.ndim} dimensions "
                         f"{weight.shape}")
    (groups,) = _as_ints(groups, "groups", 1, 1)
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels (x has {c_in})")
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide the output channels "
                         f"(weight has {c_out})")
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"channel mismatch: x has {c_in} channels but weight of shape {weight.shape} with "
            f"groups={groups} expects {weight.shape[1]} * {groups} = {weight.shape[1] * groups}")
    if bias is not None:
        bias = _as_real_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},), got {bias.shape}")
    stride = _as_ints(stride, "stride", ndim, 1)
    dilation = _as_ints(dilation, "dilation", ndim, 1)
    kernel_size = weight.shape[2:]
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' needs stride=1 (as in torch); for strided "
                         "convolutions give the padding as an int")
    pads = _resolve_padding(padding, kernel_size, dilation, ndim, extra_strings)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    size = x.shape[2:]
    padded = tuple(s + a + b for s, (a, b) in zip(size, pads))
    _check_kernel_fits(padded, kernel_size, dilation, size)
    return x, weight, bias, stride, pads, dilation, groups, unbatched


def _conv2d_forward(x, weight, bias, stride, pads, dilation, groups, padding_mode):
    """Fast path on checked arguments: pad, im2col, one (batched) matrix product."""
    dtype = _float_dtype(x.dtype, weight.dtype, *(() if bias is None else (bias.dtype,)))
    xp = pad2d(x.astype(dtype, copy=False), pads, padding_mode)
    n = x.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    cols = im2col(xp, (kh, kw), stride, dilation, groups)      # (N, G, C/G*kH*kW, Ho*Wo)
    w = weight.astype(dtype, copy=False).reshape(groups, c_out // groups, c_per_group * kh * kw)
    # out[n, g] = w[g] @ cols[n, g]: entry (o, (i, j)) is sum over (c, u, v) of
    # weight[o, c, u, v] * x_padded[n, c, i*s + u*d, j*s + v*d], the loop's sum exactly.
    # We compute its transpose cols^T @ w^T (same numbers): the transposes are views that
    # BLAS reads directly, and it multiplies a tall matrix by a narrow one faster.
    out = np.matmul(cols.transpose(0, 1, 3, 2), w.transpose(0, 2, 1))   # (N, G, Ho*Wo, C_out/G)
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = out.transpose(0, 1, 3, 2).reshape(n, c_out, ho, wo)
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None]
    return out


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros"):
    """2D convolution layer (cross-correlation), like ``torch.nn.functional.conv2d``.

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

    Returns
    -------
    feature_map : ndarray, shape (N, C_out, H_out, W_out)
        float32 for float32 inputs, float64 for float64 (or integer) inputs.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> k = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> conv2d(x, k)[0, 0]
    array([[19., 25.],
           [37., 43.]])
    """
    x, weight, bias, stride, pads, dilation, groups, unbatched = _check_conv(
        x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=2)
    out = _conv2d_forward(x, weight, bias, stride, pads, dilation, groups, padding_mode)
    return out[0] if unbatched else out


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                 padding_mode="zeros"):
    """``conv2d`` written as plain loops over images, filters and output positions.

    Same arguments, result and checks as ``conv2d``; slow, but every line is the
    lecture's formula.  Read this one first.
    """
    x, weight, bias, stride, pads, dilation, groups, unbatched = _check_conv(
        x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=2)
    dtype = _float_dtype(x.dtype, weight.dtype, *(() if bias is None else (bias.dtype,)))
    xp = pad2d(x.astype(dtype), pads, padding_mode)
    weight = weight.astype(dtype)
    n, _, hp, wp = xp.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    out_per_group = c_out // groups
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
            if bias is not None:
                out[b, o] += dtype.type(bias[o])
    return out[0] if unbatched else out


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
    x, weight, bias, stride, pads, dilation, groups, unbatched = _check_conv(
        x, weight, bias, stride, padding, dilation, groups, padding_mode, ndim=1,
        extra_strings=("causal",))
    # A 1D signal is a 2D image of height 1: no padding, stride or dilation along H.
    out = _conv2d_forward(x[:, :, None, :], weight[:, :, None, :], bias, (1,) + stride,
                          ((0, 0),) + pads, (1,) + dilation, groups, padding_mode)[:, :, 0]
    return out[0] if unbatched else out


# --------------------------------------------------------------------------------------
# Backward passes: gradients of conv2d, and the transposed convolution
# --------------------------------------------------------------------------------------
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
# col2im (the adjoint of im2col) then adds each column back onto the cells it was read from.

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
    (kh, kw), (sh, sw), (dh, dw) = (_as_ints(kernel_size, "kernel_size", 2, 1),
                                    _as_ints(stride, "stride", 2, 1),
                                    _as_ints(dilation, "dilation", 2, 1))
    n, c, h, w = input_shape
    ho = (h - dh * (kh - 1) - 1) // sh + 1
    wo = (w - dw * (kw - 1) - 1) // sw + 1
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
    for u in range(kh):
        for v in range(kw):
            image[:, :, u * dh:u * dh + sh * (ho - 1) + 1:sh,
                  v * dw:v * dw + sw * (wo - 1) + 1:sw] += cols[:, :, u, v]
    return image


def _unpad2d(xp, pads, mode, size):
    """Adjoint of ``pad2d``: the gradient of ``x`` given the gradient of the padded array.

    With zero padding the padding cells were constants, so their gradient is dropped.
    With reflect/replicate/circular padding each padding cell is a copy of an input
    cell and its gradient is added to that cell.
    """
    (top, bottom), (left, right) = pads
    h, w = size
    if mode in ("zeros", "constant"):
        return xp[..., top:top + h, left:left + w]
    np_mode = _NUMPY_PAD_MODES[mode]
    # Which input cell each padded cell copies, per axis (pad the indices themselves),
    # as a 0/1 matrix; the gradient then sums over the copies: P_h^T @ dxp @ P_w.
    rows = np.pad(np.arange(h), (top, bottom), mode=np_mode)
    cols = np.pad(np.arange(w), (left, right), mode=np_mode)
    p_h = (rows[:, None] == np.arange(h)).astype(xp.dtype)
    p_w = (cols[:, None] == np.arange(w)).astype(xp.dtype)
    return p_h.T @ xp @ p_w


def _check_dout(dout, expected, what):
    dout = _as_real_array(dout, "dout")
    if dout.shape != tuple(expected):
        raise ValueError(f"dout must have the shape of the {what} output (N, C, H_out, W_out) = "
                         f"{tuple(expected)}, got {dout.shape}")
    return dout


def conv2d_backward(dout, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    padding_mode="zeros", input_grad=True):
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
    x, weight, _, stride, pads, dilation, groups, unbatched = _check_conv(
        x, weight, None, stride, padding, dilation, groups, padding_mode, ndim=2)
    dtype = _float_dtype(x.dtype, weight.dtype, _as_real_array(dout, "dout").dtype)
    xp = pad2d(x.astype(dtype, copy=False), pads, padding_mode)
    n = x.shape[0]
    c_out, c_per_group, kh, kw = weight.shape
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    expected = (c_out, ho, wo) if unbatched else (n, c_out, ho, wo)
    dout = _check_dout(dout, expected, "conv2d").astype(dtype, copy=False).reshape(
        n, groups, c_out // groups, ho, wo)
    k = c_per_group * kh * kw
    # dW[g] = dout[g] @ cols[g]^T summed over images: lay out the im2col columns as
    # (G, C/G*kH*kW, N*Ho*Wo), straight from the window view, so that one matrix
    # product per group sums over all images and positions at once.
    windows = sliding_windows(xp, (kh, kw), stride, dilation)   # (N, C, Ho, Wo, kH, kW)
    cols = windows.reshape(n, groups, c_per_group, ho, wo, kh, kw).transpose(
        1, 2, 5, 6, 0, 3, 4).reshape(groups, k, n * ho * wo)
    dout_rows = dout.transpose(1, 2, 0, 3, 4).reshape(groups, c_out // groups, n * ho * wo)
    dweight = np.matmul(dout_rows, cols.transpose(0, 2, 1)).reshape(weight.shape)
    dbias = dout_rows.sum(axis=2).reshape(c_out)
    if not input_grad:
        return None, dweight, dbias
    # dx: dcols = W^T @ dout, then col2im.  This is the same computation as
    # col2im(W^T @ dout) in im2col's layout, but with the images as the last axis: each
    # of the kH*kW additions below then runs over long contiguous blocks instead of
    # rows of W_out numbers, which makes it several times faster.
    dout_last = dout.transpose(1, 2, 3, 4, 0).reshape(groups, c_out // groups, ho * wo * n)
    w_taps = weight.astype(dtype, copy=False).reshape(
        groups, c_out // groups, c_per_group, kh, kw).transpose(0, 3, 4, 2, 1)
    dcols = np.matmul(w_taps.reshape(groups, kh * kw * c_per_group, c_out // groups),
                      dout_last).reshape(groups, kh, kw, c_per_group, ho, wo, n)
    (sh, sw), (dh, dw) = stride, dilation
    hp, wp = xp.shape[2:]
    dxp = np.zeros((groups, c_per_group, hp, wp, n), dtype=dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u * dh:u * dh + sh * (ho - 1) + 1:sh,
                v * dw:v * dw + sw * (wo - 1) + 1:sw] += dcols[:, u, v]
    dxp = dxp.reshape(groups * c_per_group, hp, wp, n).transpose(3, 0, 1, 2)
    dx = np.ascontiguousarray(_unpad2d(dxp, pads, padding_mode, x.shape[2:]))
    return (dx[0] if unbatched else dx), dweight, dbias


def conv2d_backward_naive(dout, x, weight, stride=1, padding=0, dilation=1, groups=1,
                          padding_mode="zeros"):
    """``conv2d_backward`` as plain loops: every output value hands its gradient back.

    Same arguments and results as ``conv2d_backward`` (always with ``dx``).  The loop is
    the forward loop of ``conv2d_naive`` read backwards: where the forward did
    ``out[b, o, i, j] += sum(patch * weight[o])``, the backward does
    ``dweight[o] += dout[b, o, i, j] * patch`` and ``dpatch += dout[b, o, i, j] * weight[o]``.
    """
    x, weight, _, stride, pads, dilation, groups, unbatched = _check_conv(
        x, weight, None, stride, padding, dilation, groups, padding_mode, ndim=2)
    dtype = _float_dtype(x.dtype, weight.dtype, _as_real_array(dout, "dout").dtype)
    xp = pad2d(x.astype(dtype), pads, padding_mode)
    weight = weight.astype(dtype)
    n, _, hp, wp = xp.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    ho = (hp - dh * (kh - 1) - 1) // sh + 1
    wo = (wp - dw * (kw - 1) - 1) // sw + 1
    expected = (c_out, ho, wo) if unbatched else (n, c_out, ho, wo)
    dout = _check_dout(dout, expected, "conv2d").astype(dtype).reshape(n, c_out, ho, wo)
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    dbias = np.zeros(c_out, dtype=dtype)
    out_per_group = c_out // groups
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
    dx = _unpad2d(dxp, pads, padding_mode, x.shape[2:])
    return (dx[0] if unbatched else dx), dweight, dbias


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution, like ``torch.nn.functional.conv_transpose2d``.

    Each input value stamps a copy of the kernel, scaled by the value, onto the output,
    ``stride`` cells apart, and overlapping stamps add up.  That is the input gradient of
    a ``conv2d`` with the same weight, stride, padding and dilation, which is why it is
    also called the adjoint of the convolution (it is *not* its inverse), and why
    decoders and segmentation networks use it to upsample.

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
    x = _as_real_array(x, "x")
    weight = _as_real_array(weight, "weight")
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (N, C_in, H, W) (or unbatched (C_in, H, W)), "
                         f"got {x.ndim} dimensions {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if weight.ndim != 4:
        raise ValueError(f"weight must have shape (C_in, C_out // groups, kH, kW), got "
                         f"{weight.ndim} dimensions {weight.shape}")
    (groups,) = _as_ints(groups, "groups", 1, 1)
    n, c_in, h, w = x.shape
    if weight.shape[0] != c_in:
        raise ValueError(f"channel mismatch: x has {c_in} channels but weight of shape "
                         f"{weight.shape} expects {weight.shape[0]} (weight is (C_in, C_out // "
                         f"groups, kH, kW) for a transposed convolution)")
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels (x has {c_in})")
    if isinstance(padding, str):
        raise TypeError(f"padding must be an int or a tuple of 2 ints for conv_transpose2d "
                        f"(as in torch), got {padding!r}")
    stride = _as_ints(stride, "stride", 2, 1)
    padding = _as_ints(padding, "padding", 2, 0)
    output_padding = _as_ints(output_padding, "output_padding", 2, 0)
    dilation = _as_ints(dilation, "dilation", 2, 1)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"output_padding must be smaller than the stride or the dilation, "
                             f"got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    c_per_group, kh, kw = weight.shape[1:]
    c_out = c_per_group * groups
    if bias is not None:
        bias = _as_real_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},), got {bias.shape}")
    full = [(size - 1) * s + d * (k - 1) + 1
            for size, s, d, k in zip((h, w), stride, dilation, (kh, kw))]
    out = [f + op - 2 * p for f, op, p in zip(full, output_padding, padding)]
    if min(out) < 1:
        raise ValueError(f"padding={padding} crops the whole output: the uncropped output is "
                         f"{full[0] + output_padding[0]}x{full[1] + output_padding[1]}")
    dtype = _float_dtype(x.dtype, weight.dtype, *(() if bias is None else (bias.dtype,)))
    # The input gradient of conv2d: columns W^T @ x, folded back onto the output grid.
    wg = weight.astype(dtype, copy=False).reshape(groups, c_in // groups, c_per_group * kh * kw)
    xg = x.astype(dtype, copy=False).reshape(n, groups, c_in // groups, h * w)
    cols = np.matmul(wg.transpose(0, 2, 1), xg)                # (N, G, C_out/G*kH*kW, H*W)
    image = col2im(cols, (n, c_out, full[0], full[1]), (kh, kw), stride, dilation)
    image = np.pad(image, ((0, 0), (0, 0), (0, output_padding[0]), (0, output_padding[1])))
    result = image[:, :, padding[0]:padding[0] + out[0], padding[1]:padding[1] + out[1]]
    if bias is not None:
        result = result + bias.astype(dtype, copy=False)[:, None, None]
    return result[0] if unbatched else result
