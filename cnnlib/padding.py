"""Padding and output sizes: the border a layer adds, and the size of what comes out.

Before a convolution or pooling layer slides its kernel over an image, the image is
*padded*: cells are added around the last two axes (H, W), so that the kernel can also
sit on the border pixels.  A padding says two things:

- *how much*: an int or a pair per axis, or one of the named paddings "valid" (none), "same"
  (the output keeps the input's size at stride 1) and "full" (every partial overlap of
  kernel and input counts); ``conv_padding`` turns any of them into explicit
  ``((top, bottom), (left, right))``;
- *what the new cells hold*: a constant ("zeros", the ``padding_mode`` of
  ``torch.nn.Conv2d``, or any ``value`` with "constant": max pooling pads with ``-inf``),
  or copies of the image's own cells ("reflect", "replicate", "circular"); ``pad2d`` pads
  an ``(N, C, H, W)`` array (any ``(..., H, W)`` in fact) like ``torch.nn.functional.pad``.

The padding fixes the output size.  Per axis, for a kernel of ``k`` taps, the output-size
formula (lesson 02a) is

    H_out = floor((H + pad_top + pad_bottom - dilation * (k - 1) - 1) / stride) + 1

``conv_output_size`` computes it with the lessons' names (``kernel_size``, ``stride``,
``padding``, ``dilation``), and refuses a kernel larger than the padded input with an
error that says how much padding would make it fit (``conv_output_shape`` does it on
every axis of an already padded input).  ``cnnlib.unfold``, ``cnnlib.conv`` and
``cnnlib.pool`` build on these functions; the backward passes hand the gradient of the
padded array back to the input with ``unpad2d``, the adjoint of ``pad2d``.
"""
import numpy as np

from ._validate import as_ints, check_kernel_fits, check_real, real_array

__all__ = ["PADDING_STRINGS", "PADDING_MODES", "conv_padding", "resolve_padding", "pad2d",
           "unpad2d", "conv_output_size", "conv_output_shape"]

PADDING_STRINGS = ("valid", "same", "full")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# torch.nn.functional.pad's mode names -> numpy.pad's mode names.
_NUMPY_PAD_MODES = {"constant": "constant", "zeros": "constant", "reflect": "reflect",
                    "replicate": "edge", "circular": "wrap"}


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
    kernel_size = as_ints(kernel_size, "kernel_size", 2, 1)
    dilation = as_ints(dilation, "dilation", 2, 1)
    return resolve_padding(padding, kernel_size, dilation, ndim=2)


def resolve_padding(padding, kernel_size, dilation, ndim, extra_strings=()):
    """``conv_padding`` for ``ndim`` spatial axes, on already checked sizes.

    Parameters
    ----------
    padding : int, tuple of ``ndim`` ints, or a string
        As in ``conv_padding``; a string of ``extra_strings`` is accepted too ("causal"
        for ``conv1d``: ``dilation * (k - 1)`` cells before, none after).
    kernel_size, dilation : tuple of ``ndim`` ints
    ndim : int
    extra_strings : tuple of str

    Returns
    -------
    tuple of ``ndim`` (before, after) pairs.
    """
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
    return tuple((p, p) for p in as_ints(padding, "padding", ndim, 0))


def pad2d(x, padding, mode="constant", value=0.0):
    """Pad the last two axes (H, W) of ``x``, like ``torch.nn.functional.pad``.

    Parameters
    ----------
    x : array_like of real numbers, shape (..., H, W)
    padding : int, (int, int) or ((int, int), (int, int))
        Cells added on every side, per axis ``(pH, pW)``, or explicitly
        ``((top, bottom), (left, right))``.
    mode : {"constant", "zeros", "reflect", "replicate", "circular"}
        "constant" fills with ``value`` ("zeros" is the same with 0, the name
        ``torch.nn.Conv2d`` uses); "reflect" mirrors without repeating the edge
        (``[a b c] -> b [a b c] b``); "replicate" repeats the edge (called
        extension in image processing); "circular" wraps around (periodic).
    value : float
        Fill value for "constant" (max pooling pads with ``-inf``).

    Returns
    -------
    ndarray, shape (..., H + top + bottom, W + left + right)
    """
    x = real_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least the two axes (..., H, W) that pad2d pads, got "
                         f"{x.ndim} dimension(s) {x.shape}")
    if not isinstance(mode, str) or mode not in _NUMPY_PAD_MODES:
        raise ValueError(f"mode must be one of {tuple(_NUMPY_PAD_MODES)}, got {mode!r}")
    check_real(value, "value")
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        pads = tuple(as_ints(p, "padding", 2, 0) for p in padding)
    else:
        pads = tuple((p, p) for p in as_ints(padding, "padding", 2, 0))
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(pads[0]) >= h or max(pads[1]) >= w):
        raise ValueError(f"reflect padding must be smaller than the input size on each axis: "
                         f"padding {pads} for input {h}x{w}")
    if mode == "circular" and (max(pads[0]) > h or max(pads[1]) > w):
        raise ValueError(f"circular padding must be at most the input size on each axis: "
                         f"padding {pads} for input {h}x{w}")
    if pads == ((0, 0), (0, 0)):
        return x
    if _NUMPY_PAD_MODES[mode] == "constant":
        # What np.pad does, without its general machinery around it: the layers pad their
        # input on every call, and for small batches that machinery took longer than the copy.
        (top, bottom), (left, right) = pads
        xp = np.full(x.shape[:-2] + (top + h + bottom, left + w + right),
                     value if mode == "constant" else 0, dtype=x.dtype)
        xp[..., top:top + h, left:left + w] = x
        return xp
    width = [(0, 0)] * (x.ndim - 2) + list(pads)
    return np.pad(x, width, mode=_NUMPY_PAD_MODES[mode])


def unpad2d(xp, pads, mode, size):
    """Adjoint of ``pad2d``: the gradient of ``x`` given the gradient of the padded array.

    With zero padding the padding cells were constants, so their gradient is dropped.
    With reflect/replicate/circular padding each padding cell is a copy of an input
    cell and its gradient is added to that cell.

    Parameters
    ----------
    xp : ndarray, shape (..., H + top + bottom, W + left + right)
        Gradient with respect to the padded array.
    pads : ((int, int), (int, int))
        ``((top, bottom), (left, right))`` as ``pad2d`` added them.
    mode : {"constant", "zeros", "reflect", "replicate", "circular"}
    size : (int, int)
        ``(H, W)`` of the unpadded input.

    Returns
    -------
    ndarray, shape (..., H, W)
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


# --------------------------------------------------------------------------------------
# Output size
# --------------------------------------------------------------------------------------
def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1, exact=False,
                     ceil_mode=False):
    """Output length of a convolution along one axis (the formula of lesson 02a).

    ``floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``

    When the stride does not divide ``n + 2p - d(k-1) - 1`` the kernel "does not fit":
    its last steps would run off the padded input, so the remaining rows/columns are
    never visited.  PyTorch (and this function by default) then rounds down and
    silently ignores them; with ``exact=True`` it raises instead, so that the
    rows left out do not go unnoticed.

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
    ceil_mode : bool
        Round up instead of down, keeping a partial last step (pooling's ``ceil_mode``).

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
    (n,) = as_ints(n, "n", 1, 1)
    (k,) = as_ints(kernel_size, "kernel_size", 1, 1)
    (s,) = as_ints(stride, "stride", 1, 1)
    (d,) = as_ints(dilation, "dilation", 1, 1)
    ((before, after),) = resolve_padding(padding, (k,), (d,), ndim=1)
    padded = n + before + after
    check_kernel_fits((padded,), (k,), (d,), (n,))
    span = padded - d * (k - 1) - 1
    if exact and span % s:
        raise ValueError(
            f"stride {s} does not fit: n + total padding - dilation*(kernel_size-1) - 1 = {span} "
            f"is not a multiple of the stride, so the last {span % s} row(s)/column(s) "
            f"are never covered")
    return (span + (s - 1 if ceil_mode else 0)) // s + 1


def conv_output_shape(padded, kernel_size, stride, dilation):
    """``conv_output_size`` on every spatial axis of an already padded input.

    Parameters
    ----------
    padded : tuple of int
        ``(H_padded, W_padded)`` (or one length per axis).
    kernel_size, stride, dilation : tuple of int, one per axis

    Returns
    -------
    tuple of int, ``(H_out, W_out)``
    """
    return tuple(conv_output_size(p, k, s, 0, d)
                 for p, k, s, d in zip(padded, kernel_size, stride, dilation))
