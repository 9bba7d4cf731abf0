"""The usual mistakes of assignment 1, one table per check.

Each row is a :class:`~cnnlib.selfcheck._report.Mistake`: a name, the wrong
function (the result the mistake gives on a case, computed from the same inputs
with cnnlib's reference layers, or None where the case cannot show it) and the
message a student whose answer equals that result reads.  The checks in
:mod:`~cnnlib.selfcheck.conv_from_scratch` try the rows in order and report the
first that reproduces the answer.  A case is a namespace: ``x``, ``w``
(weight), ``b`` (bias or None), ``s`` (stride), ``p`` (padding), ``k`` (pooling
window), ``dout`` and ``expected`` (the right answer), as the check fills it in.
"""
from __future__ import annotations

import numpy as np

from ..conv import conv2d, conv2d_backward
from ..pool import max_pool2d
from ..unfold import sliding_windows
from ._report import Mistake

__all__ = ["CONV2D_MISTAKES", "MAX_POOL2D_MISTAKES", "CONV2D_BACKWARD_MISTAKES",
           "MAX_POOL2D_BACKWARD_MISTAKES"]


def _pad_sides(c, top_left):
    """conv2d of ``x`` padded with ``2p`` cells on two sides only; None without padding."""
    if not c.p:
        return None
    pads = (2 * c.p, 0) if top_left else (0, 2 * c.p)
    return conv2d(np.pad(c.x, ((0, 0), (0, 0), pads, pads)), c.w, c.b, stride=c.s)


def _last_channel(c, bias):
    """conv2d of the last input channel only (``=`` where ``+=`` belongs); None for one channel."""
    if c.x.shape[1] == 1:
        return None
    return conv2d(c.x[:, -1:], c.w[:, -1:], bias, stride=c.s, padding=c.p)


_LAST_CHANNEL_ONLY = ("only the last input channel counts: the sum over the channels c is "
                      "assigned with `=`, so each channel overwrites the one before. Start from "
                      "zero and accumulate with `+=` over every channel c.")

CONV2D_MISTAKES = [
    Mistake("flipped kernel",
            lambda c: conv2d(c.x, c.w[..., ::-1, ::-1], c.b, stride=c.s, padding=c.p),
            "you flipped the kernel. A convolution layer computes a cross-correlation: "
            "weight[o, c, u, v] multiplies x_padded[n, c, i*stride + u, j*stride + v], no flip "
            "(the mathematical convolution flips; deep-learning layers do not)."),
    Mistake("padding at the bottom and right only", lambda c: _pad_sides(c, top_left=False),
            "padding on the wrong side: you padded {two_p} cells only at the bottom and right. "
            "Pad `padding` = {p} cells on every side: top and bottom, left and right."),
    Mistake("padding at the top and left only", lambda c: _pad_sides(c, top_left=True),
            "padding on the wrong side: you padded {two_p} cells only at the top and left. "
            "Pad `padding` = {p} cells on every side: top and bottom, left and right."),
    Mistake("edge values repeated as padding",
            lambda c: None if not c.p else conv2d(c.x, c.w, c.b, stride=c.s, padding=c.p,
                                                   padding_mode="replicate"),
            "the padding repeats the edge values: pad with zeros."),
    Mistake("bias missing",
            lambda c: None if c.b is None else conv2d(c.x, c.w, np.zeros_like(c.b), stride=c.s,
                                                      padding=c.p),
            "the bias is missing: add bias[o] to every value of feature map o."),
    Mistake("first input channel only",
            lambda c: None if c.x.shape[1] == 1 else conv2d(c.x[:, :1], c.w[:, :1], c.b,
                                                            stride=c.s, padding=c.p),
            "only the first input channel is used: sum over all input channels c (and both "
            "kernel axes u, v)."),
    Mistake("last input channel only", lambda c: _last_channel(c, c.b), _LAST_CHANNEL_ONLY),
    Mistake("last input channel only, without bias",
            lambda c: _last_channel(c, None if c.b is None else np.zeros_like(c.b)),
            _LAST_CHANNEL_ONLY),
    Mistake("stride missing from the window position",
            lambda c: None if c.s == 1 else conv2d(c.x, c.w, c.b, stride=1, padding=c.p)[
                :, :, :c.expected.shape[2], :c.expected.shape[3]],
            "the stride is in the output size but not in the window position: output (i, j) "
            "reads the window that starts at x_padded[n, :, i*stride, j*stride], not at [i, j]."),
    Mistake("transposed kernel",
            lambda c: None if c.w.shape[2] != c.w.shape[3] else conv2d(
                c.x, c.w.transpose(0, 1, 3, 2), c.b, stride=c.s, padding=c.p),
            "the kernel is transposed: weight[o, c, u, v] has u along the rows (H) and v along "
            "the columns (W)."),
]


def _windows(c, stride=None):
    return sliding_windows(c.x, c.k, c.s if stride is None else stride)


MAX_POOL2D_MISTAKES = [
    Mistake("mean of the window", lambda c: _windows(c).mean(axis=(-2, -1)),
            "you averaged the window: max pooling keeps its maximum."),
    Mistake("minimum of the window", lambda c: _windows(c).min(axis=(-2, -1)),
            "you took the minimum of each window, not the maximum."),
    Mistake("stride missing from the window position",
            lambda c: _windows(c, stride=1).max(axis=(-2, -1))[
                :, :, :c.expected.shape[2], :c.expected.shape[3]],
            "the stride is in the output size but not in the window position: output (i, j) "
            "is the maximum of the window that starts at x[n, c, i*stride, j*stride], not at "
            "[i, j]."),
    Mistake("maximum across channels",
            lambda c: _windows(c).max(axis=(-2, -1)).max(axis=1, keepdims=True).repeat(
                c.x.shape[1], axis=1),
            "the maximum was taken across channels too: pool every channel separately."),
]


def _dense_dx(c):
    """dx as if the stride were 1: dout's values placed next to each other."""
    x, w, p, dout = c.x, c.w, c.p, c.dout
    n, ch, h, wd = x.shape
    ho, wo = dout.shape[2:]
    dxp = np.zeros((n, ch, h + 2 * p, wd + 2 * p))
    for u in range(w.shape[2]):
        for v in range(w.shape[3]):
            rows, cols = min(ho, h + 2 * p - u), min(wo, wd + 2 * p - v)
            dxp[:, :, u:u + rows, v:v + cols] += np.einsum(
                "noij,oc->ncij", dout[:, :, :rows, :cols], w[:, :, u, v])
    return dxp[:, :, p:p + h, p:p + wd]


# One table per gradient: dx, dweight and dbias are checked one after the other.
CONV2D_BACKWARD_MISTAKES = {
    "dx": [
        Mistake("forgotten flip",
                lambda c: conv2d_backward(c.dout, c.x, c.w[..., ::-1, ::-1], stride=c.s,
                                          padding=c.p)[0],
                "dx uses the kernel the wrong way round (a forgotten flip): dx is the *full "
                "convolution* of dout with the kernel, i.e. the correlation of the zero-padded "
                "dout with the kernel flipped by 180 degrees (w[..., ::-1, ::-1])."),
        Mistake("divided by the batch size", lambda c: c.expected / c.x.shape[0],
                "dx was divided by the batch size: each image's gradient only depends on its "
                "own dout."),
        Mistake("stride ignored", _dense_dx,
                "dx ignores the stride: output (i, j) sends its gradient back to "
                "x_padded[i*stride + u, j*stride + v], so with stride 2 the kernel copies land "
                "2 cells apart."),
    ],
    "dweight": [
        Mistake("flipped", lambda c: c.expected[..., ::-1, ::-1],
                "dweight is flipped: dweight[o, c, u, v] is the sum of dout[n, o, i, j] * "
                "x_padded[n, c, i*s + u, j*s + v], no flip."),
        Mistake("divided by the batch size", lambda c: c.expected / c.x.shape[0],
                "dweight was divided by the batch size: sum over the images (the mean, if any, "
                "is already in dout)."),
        Mistake("first image only",
                lambda c: conv2d_backward(c.dout[:1], c.x[:1], c.w, stride=c.s, padding=c.p)[1],
                "dweight only uses the first image: sum over all images n."),
    ],
    "dbias": [
        Mistake("a mean", lambda c: c.expected * c.dout.shape[1] / c.dout.size,
                "dbias is a mean: it is the *sum* of dout over images and positions."),
        Mistake("first image only", lambda c: c.dout[0].sum(axis=(1, 2)),
                "dbias only uses the first image: sum over all n."),
    ],
}


def _route(c, pick, overwrite=False):
    """Send each window's gradient to the cells ``pick(window) -> 0/1 weights`` chooses.

    The loop over the taps (u, v) of the windows, as the assignment's hint suggests;
    ``overwrite=True`` is that loop written with ``=`` instead of ``+=``.
    """
    k, s, dout = c.k, c.s, c.dout
    weights = pick(sliding_windows(c.x, k, s))             # (N, C, Ho, Wo, k, k)
    dx = np.zeros_like(c.x)
    ho, wo = dout.shape[2:]
    for u in range(k):
        for v in range(k):
            taps = (slice(None), slice(None), slice(u, u + s * (ho - 1) + 1, s),
                    slice(v, v + s * (wo - 1) + 1, s))
            if overwrite:
                dx[taps] = weights[..., u, v] * dout
            else:
                dx[taps] += weights[..., u, v] * dout
    return dx


def _first_max(windows):
    flat = windows.reshape(windows.shape[:4] + (-1,))
    first = np.argmax(flat, axis=-1)
    return (np.arange(flat.shape[-1]) == first[..., None]).reshape(windows.shape).astype(float)


def _last_max(windows):
    flat = windows.reshape(windows.shape[:4] + (-1,))
    last = flat.shape[-1] - 1 - np.argmax(flat[..., ::-1], axis=-1)
    return (np.arange(flat.shape[-1]) == last[..., None]).reshape(windows.shape).astype(float)


def _overwrite(c):
    """Route to the first max, but with `=`: a later window overwrites an earlier one."""
    _, idx = max_pool2d(c.x, c.k, stride=c.s, return_indices=True)
    dx = np.zeros_like(c.x)
    n, ch = c.x.shape[:2]
    for b in range(n):
        for channel in range(ch):
            plane = dx[b, channel].reshape(-1)
            for flat, g in zip(idx[b, channel].ravel(), c.dout[b, channel].ravel()):
                plane[flat] = g
    return dx


MAX_POOL2D_BACKWARD_MISTAKES = [
    Mistake("every maximum of a tie",
            lambda c: _route(c, lambda win: win == win.max(axis=(-2, -1), keepdims=True)),
            "ties: you sent the gradient to every maximum of the window. PyTorch sends it to "
            "the first maximum only (row-major order, like np.argmax)."),
    Mistake("last maximum of a tie", lambda c: _route(c, _last_max),
            "ties: you picked the last maximum of the window; PyTorch picks the first "
            "(row-major order, like np.argmax)."),
    Mistake("overlapping windows overwrite", _overwrite,
            "where windows overlap, a cell can be the maximum of several windows: add (+=) "
            "their gradients instead of overwriting them."),
    Mistake("taps overwrite", lambda c: _route(c, _first_max, overwrite=True),
            "where windows overlap, a later tap (u, v) overwrites what an earlier one wrote: in "
            "the loop over the taps add into dx with `+=`, not `=`. A cell can be the maximum "
            "of several windows, and with `=` a tap's zeros also wipe out gradients already "
            "there."),
    Mistake("whole window", lambda c: _route(c, np.ones_like),
            "the whole window got the gradient: only the position of the maximum does, the "
            "other cells get 0."),
    Mistake("average pooling's backward",
            lambda c: _route(c, lambda win: np.ones_like(win) / c.k ** 2),
            "that is the backward pass of *average* pooling (gradient shared by the window); "
            "max pooling sends it all to the maximum."),
]
