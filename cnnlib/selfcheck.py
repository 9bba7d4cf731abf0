"""Self-checks for the home assignments: instant, specific feedback on your code.

Each ``check_*`` function runs your function on a few small cases, from the simplest
(one 5x5 image, one 3x3 kernel) to the tricky ones (stride that does not divide the
input, overlapping windows, ties), and compares with an independent computation:
cnnlib's reference layers (themselves tested against PyTorch) or PyTorch itself.

* If everything agrees, it prints one line starting with ``✔``.
* Otherwise it raises :class:`SelfCheckError` with what is wrong: the case, the
  expected and actual shape, the first value that differs and by how much, and,
  when the mistake is a usual one, which (a flipped kernel, padding on one side
  only, a rounded-up output size, gradients overwritten where windows overlap...).
  In Jupyter the error shows as a short message, without a traceback.

If your own code raises an error, that error is shown as usual (with the line of
your code that failed), plus a note naming the case that triggered it.

The checks never show a solution: they only say how your result differs.
"""
from __future__ import annotations

import numpy as np

from .conv import conv2d as _conv2d_ref
from .conv import conv2d_backward as _conv2d_backward_ref
from .conv import sliding_windows
from .pool import max_pool2d as _max_pool2d_ref
from .pool import max_pool2d_backward as _max_pool2d_backward_ref

__all__ = [
    "SelfCheckError",
    "check_conv2d", "check_max_pool2d", "check_conv2d_backward", "check_max_pool2d_backward",
    "check_conv2d_function", "check_max_pool2d_function",
    "check_model", "check_vgg_layers", "check_basic_block",
]

RTOL, ATOL = 1e-5, 1e-6
_SHAPE_OF = {"dx": "x", "dweight": "weight", "dbias": "(C_out,)"}


class SelfCheckError(AssertionError):
    """A self-check failed; the message says what differs and, if it can, why."""

    def _render_traceback_(self):
        # IPython shows this list instead of a traceback: the message is the news,
        # the stack inside the checker would only hide it.
        return ["\x1b[31m✘ " + line + "\x1b[0m" if i == 0 else line
                for i, line in enumerate(str(self).split("\n"))]


def _passed(name, cases, detail=""):
    print(f"✔ {name}: all {cases} cases agree with the reference{detail}")


def _call(fn, name, case, *args, **kwargs):
    """Call the student's function; turn a stub's NotImplementedError into a clear message."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        hint = f" (hint: {exc})" if str(exc) else ""
        raise SelfCheckError(
            f"{name} is not written yet: it raises NotImplementedError{hint}.\n"
            f"Replace the `raise NotImplementedError` line with your code, run that cell, "
            f"then run this check again.") from None
    except Exception as exc:
        exc.add_note(f"[self-check] {name} failed on case {case}")
        raise


def _as_array(out, name, case, what="the result"):
    if out is None:
        raise SelfCheckError(f"{name}, case {case}: returned None. Did you forget `return`?")
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise SelfCheckError(f"{name}, case {case}: must return {what} as a NumPy array, "
                             f"got {type(out).__name__}") from None


def _rel_error(a, b):
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _index(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _difference(got, expected, what, border=0):
    """Describe how ``got`` differs from ``expected`` (same shape): where, by how much."""
    if np.isnan(got).any():
        idx = np.argwhere(np.isnan(got))[0]
        return f"{what} contains NaN, first at {what}{_index(idx)}"
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    idx = np.unravel_index(np.argmax(np.abs(got - expected) * bad), got.shape)
    first = np.argwhere(bad)[0]
    text = (f"{int(bad.sum())} of {got.size} values of {what} differ. First at "
            f"{what}{_index(first)}: got {got[tuple(first)]:.6g}, expected "
            f"{expected[tuple(first)]:.6g}; largest difference at {what}{_index(idx)}: got "
            f"{got[idx]:.6g}, expected {expected[idx]:.6g}; relative error of the whole array "
            f"{_rel_error(got, expected):.2e}.")
    if border and got.ndim == 4:
        h, w = got.shape[2:]
        rows, cols = np.nonzero(bad.any(axis=(0, 1)))
        inner = ((rows >= border) & (rows < h - border) & (cols >= border) & (cols < w - border))
        if not inner.any():
            text += (f" Only values within {border} cell(s) of the border differ: look at "
                     f"your padding.")
    return text


def _diagnose(got, expected, candidates, what, border=0):
    """The message of the first usual mistake that reproduces ``got``, else the difference."""
    for candidate, message in candidates:
        if _close(got, np.asarray(candidate, dtype=np.float64)):
            return message
    return _difference(got, expected, what, border)


def _check_unchanged(before, after, name, case, what="x"):
    for b, a, arg in zip(before, after, what.split(", ")):
        if not np.array_equal(b, a):
            raise SelfCheckError(
                f"{name}, case {case}: changed its input `{arg}` in place (with +=, *= or "
                f"{arg}[...] = on the input itself): compute into a new array.")


# --------------------------------------------------------------------------- conv2d forward
_CONV_CASES = [
    # (description, x shape, weight shape, bias?, stride, padding)
    ("one 5x5 image, one 3x3 kernel", (1, 1, 5, 5), (1, 1, 3, 3), False, 1, 0),
    ("batch of 2, 3 channels in, 4 kernels, bias", (2, 3, 6, 6), (4, 3, 3, 3), True, 1, 0),
    ("padding=1", (2, 2, 5, 5), (3, 2, 3, 3), True, 1, 1),
    ("stride=2", (1, 2, 7, 7), (2, 2, 3, 3), False, 2, 0),
    ("stride=2, padding=1 on 8x8: the stride does not divide evenly",
     (2, 1, 8, 8), (2, 1, 3, 3), True, 2, 1),
    ("non-square 7x10 image, 3x5 kernel, padding=2", (1, 2, 7, 10), (3, 2, 3, 5), True, 1, 2),
]


def _case_arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _conv_shape_diagnosis(got, x_shape, w_shape, stride, padding):
    n, _, h, w = x_shape
    c_out, _, kh, kw = w_shape
    s, p = stride, padding
    expected = (n, c_out, (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1)
    formula = (f"H_out = floor((H + 2*padding - kH) / stride) + 1 = "
               f"floor(({h} + 2*{p} - {kh}) / {s}) + 1 = {expected[2]}")
    if len(got) != 4:
        return f"the feature map must be 4D (N, C_out, H_out, W_out) = {expected}."
    if tuple(got[:2]) == (c_out, n) and c_out != n:
        return ("the batch axis and the channel axis are swapped: the result is "
                "(N, C_out, H_out, W_out).")
    if tuple(got[:2]) != expected[:2]:
        return f"the first two axes must be (N, C_out) = {expected[:2]}."
    wrong = {
        "the padding was left out": lambda m, k: (m - k) // s + 1,
        "the padding was added on one side only (pad `padding` cells on both sides)":
            lambda m, k: (m + p - k) // s + 1,
        "the size was rounded up: the formula rounds down (floor)":
            lambda m, k: -(-(m + 2 * p - k) // s) + 1,
        "the `+ 1` of the formula is missing": lambda m, k: (m + 2 * p - k) // s,
        "the stride was ignored": lambda m, k: m + 2 * p - k + 1,
        "wrong stride formula: divide (H + 2*padding - kH) by the stride, then add 1":
            lambda m, k: (m + 2 * p - k + 1) // s,
    }
    for reason, size in wrong.items():
        if tuple(got[2:]) == (size(h, kh), size(w, kw)) and tuple(got[2:]) != expected[2:]:
            return f"{reason}: {formula}."
    if tuple(got[2:]) == expected[2:][::-1]:
        return "height and width are swapped."
    return f"{formula} (and likewise for W_out)."


def check_conv2d(conv2d, name=None):
    """Check ``conv2d(x, weight, bias=None, stride=1, padding=0)`` on six cases.

    Parameters
    ----------
    conv2d : callable
        Your function: ``x`` ``(N, C_in, H, W)``, ``weight`` ``(C_out, C_in, kH, kW)``,
        ``bias`` ``(C_out,)`` or None, int ``stride`` and ``padding``; returns the
        feature map ``(N, C_out, H_out, W_out)`` (cross-correlation, as in PyTorch).
    name : str, optional
        Name used in the messages (default: the function's name).

    Raises
    ------
    SelfCheckError
        Saying what differs, e.g. a flipped kernel or padding on the wrong side.
    """
    name = name or getattr(conv2d, "__name__", "conv2d")
    for seed, (desc, xs, ws, has_bias, s, p) in enumerate(_CONV_CASES):
        case = f"{seed + 1} ({desc})"
        x, w, b = _case_arrays(seed, xs, ws, (ws[0],))
        b = b if has_bias else None
        before = [x.copy(), w.copy()]
        got = _as_array(_call(conv2d, name, case, x, w, b, stride=s, padding=p), name, case,
                        "the feature map")
        _check_unchanged(before, [x, w], name, case, "x, weight")
        expected = _conv2d_ref(x, w, b, stride=s, padding=p)
        if got.shape != expected.shape:
            raise SelfCheckError(
                f"{name}, case {case}: wrong shape. Expected {expected.shape}, got {got.shape}: "
                f"{_conv_shape_diagnosis(got.shape, xs, ws, s, p)}")
        if _close(got, expected):
            continue
        zero_b = None if b is None else np.zeros_like(b)
        candidates = [
            (_conv2d_ref(x, w[..., ::-1, ::-1], b, stride=s, padding=p),
             "you flipped the kernel. A convolution layer computes a cross-correlation: "
             "weight[o, c, u, v] multiplies x_padded[n, c, i*stride + u, j*stride + v], no flip "
             "(the mathematical convolution flips; deep-learning layers do not)."),
        ]
        if p:
            for where, pads in (("only at the bottom and right", (0, 2 * p)),
                                ("only at the top and left", (2 * p, 0))):
                xp = np.pad(x, ((0, 0), (0, 0), pads, pads))
                candidates.append((_conv2d_ref(xp, w, b, stride=s), (
                    f"padding on the wrong side: you padded {2 * p} cells {where}. Pad "
                    f"`padding` = {p} cells on every side: top and bottom, left and right.")))
            candidates.append((_conv2d_ref(x, w, b, stride=s, padding=p,
                                           padding_mode="replicate"),
                               "the padding repeats the edge values: pad with zeros."))
        if b is not None:
            candidates.append((_conv2d_ref(x, w, zero_b, stride=s, padding=p),
                               "the bias is missing: add bias[o] to every value of feature "
                               "map o."))
        if xs[1] > 1:
            candidates.append((_conv2d_ref(x[:, :1], w[:, :1], b, stride=s, padding=p),
                               "only the first input channel is used: sum over all input "
                               "channels c (and both kernel axes u, v)."))
        if ws[2] == ws[3]:
            candidates.append((_conv2d_ref(x, w.transpose(0, 1, 3, 2), b, stride=s, padding=p),
                               "the kernel is transposed: weight[o, c, u, v] has u along the "
                               "rows (H) and v along the columns (W)."))
        why = _diagnose(got, expected, candidates, "feature_map", border=p)
        raise SelfCheckError(f"{name}, case {case}: {why}")
    _passed(name, len(_CONV_CASES))


# --------------------------------------------------------------------------- max_pool2d forward
_POOL_CASES = [
    # (description, x shape, kernel_size, stride)
    ("4x4 image, 2x2 windows, stride defaults to kernel_size", (1, 1, 4, 4), 2, None),
    ("batch of 2, 3 channels, 6x6, 2x2 windows", (2, 3, 6, 6), 2, None),
    ("3x3 windows, stride=2: overlapping windows", (1, 2, 7, 7), 3, 2),
    ("3x3 windows on 8x8: the last 2 rows and columns are left over", (2, 1, 8, 8), 3, None),
    ("non-square 6x9 image, 2x2 windows, stride=1", (1, 2, 6, 9), 2, 1),
]


def _pool_shape_diagnosis(got, x_shape, k, stride):
    n, c, h, w = x_shape
    s = k if stride is None else stride
    expected = (n, c, (h - k) // s + 1, (w - k) // s + 1)
    formula = f"H_out = floor((H - k) / stride) + 1 = floor(({h} - {k}) / {s}) + 1 = {expected[2]}"
    if len(got) != 4 or tuple(got[:2]) != (n, c):
        return (f"pooling keeps the batch and channel axes: expected (N, C, H_out, W_out) = "
                f"{expected}.")
    if stride is None and tuple(got[2:]) == (h - k + 1, w - k + 1):
        return ("the stride defaults to kernel_size when it is None (non-overlapping "
                f"windows), not to 1: {formula}.")
    if tuple(got[2:]) == (-(-(h - k) // s) + 1, -(-(w - k) // s) + 1):
        return f"the size was rounded up: the formula rounds down (floor): {formula}."
    if tuple(got[2:]) == (h // s, w // s):
        return f"H // stride is only right when the windows tile the image: {formula}."
    return f"{formula} (and likewise for W_out)."


def check_max_pool2d(max_pool2d, name=None):
    """Check ``max_pool2d(x, kernel_size, stride=None)`` on five cases.

    Parameters
    ----------
    max_pool2d : callable
        Your function: ``x`` ``(N, C, H, W)``, int ``kernel_size``, int ``stride``
        (None means ``kernel_size``), no padding; returns ``(N, C, H_out, W_out)``.
    name : str, optional
    """
    name = name or getattr(max_pool2d, "__name__", "max_pool2d")
    for seed, (desc, xs, k, s) in enumerate(_POOL_CASES):
        case = f"{seed + 1} ({desc})"
        (x,) = _case_arrays(100 + seed, xs)
        before = [x.copy()]
        got = _as_array(_call(max_pool2d, name, case, x, k, stride=s), name, case,
                        "the pooled feature map")
        _check_unchanged(before, [x], name, case)
        expected = _max_pool2d_ref(x, k, stride=s)
        if got.shape != expected.shape:
            raise SelfCheckError(f"{name}, case {case}: wrong shape. Expected {expected.shape}, "
                                 f"got {got.shape}: {_pool_shape_diagnosis(got.shape, xs, k, s)}")
        if _close(got, expected):
            continue
        windows = sliding_windows(x, k, k if s is None else s)
        candidates = [
            (windows.mean(axis=(-2, -1)),
             "you averaged the window: max pooling keeps its maximum."),
            (windows.min(axis=(-2, -1)), "you took the minimum of each window, not the maximum."),
            (windows.max(axis=(-2, -1)).max(axis=1, keepdims=True).repeat(xs[1], axis=1),
             "the maximum was taken across channels too: pool every channel separately."),
        ]
        raise SelfCheckError(f"{name}, case {case}: {_diagnose(got, expected, candidates, 'out')}")
    _passed(name, len(_POOL_CASES))


# --------------------------------------------------------------------------- conv2d backward
_CONV_BACKWARD_CASES = [
    ("one 5x5 image, one 3x3 kernel", (1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
    ("batch of 2, 3 channels in, 4 kernels", (2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ("padding=1", (2, 2, 5, 5), (3, 2, 3, 3), 1, 1),
    ("stride=2 on 7x7", (2, 2, 7, 7), (2, 2, 3, 3), 2, 0),
    ("stride=2 on 6x6: the last row and column are never covered",
     (1, 2, 6, 6), (3, 2, 3, 3), 2, 0),
    ("stride=2, padding=1, non-square kernel 3x2", (2, 1, 8, 7), (2, 1, 3, 2), 2, 1),
]


def _dense_dx(dout, x, w, p):
    """dx as if the stride were 1: dout's values placed next to each other (a usual bug)."""
    n, c, h, wd = x.shape
    ho, wo = dout.shape[2:]
    dxp = np.zeros((n, c, h + 2 * p, wd + 2 * p))
    for u in range(w.shape[2]):
        for v in range(w.shape[3]):
            rows, cols = min(ho, h + 2 * p - u), min(wo, wd + 2 * p - v)
            dxp[:, :, u:u + rows, v:v + cols] += np.einsum(
                "noij,oc->ncij", dout[:, :, :rows, :cols], w[:, :, u, v])
    return dxp[:, :, p:p + h, p:p + wd]


def check_conv2d_backward(conv2d_backward, name=None):
    """Check ``conv2d_backward(dout, x, weight, stride=1, padding=0)`` on six cases.

    Parameters
    ----------
    conv2d_backward : callable
        Your function; returns ``(dx, dweight, dbias)`` with the shapes of ``x``,
        ``weight`` and ``(C_out,)``: the gradients of ``sum(conv2d(x, weight, bias) * dout)``.
    name : str, optional
    """
    name = name or getattr(conv2d_backward, "__name__", "conv2d_backward")
    for seed, (desc, xs, ws, s, p) in enumerate(_CONV_BACKWARD_CASES):
        case = f"{seed + 1} ({desc})"
        x, w = _case_arrays(200 + seed, xs, ws)
        dout = np.random.default_rng(300 + seed).standard_normal(
            _conv2d_ref(x, w, stride=s, padding=p).shape)
        before = [dout.copy(), x.copy(), w.copy()]
        got = _call(conv2d_backward, name, case, dout, x, w, stride=s, padding=p)
        _check_unchanged(before, [dout, x, w], name, case, "dout, x, weight")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            got_text = (f"a tuple of {len(got)}" if isinstance(got, (tuple, list))
                        else type(got).__name__)
            raise SelfCheckError(f"{name}, case {case}: must return a tuple (dx, dweight, "
                                 f"dbias), got {got_text}")
        dx, dw, db = (_as_array(g, name, case, what) for g, what in
                      zip(got, ("dx", "dweight", "dbias")))
        ref_dx, ref_dw, ref_db = _conv2d_backward_ref(dout, x, w, stride=s, padding=p)
        n, _, ho, wo = dout.shape
        shapes = (("dx", dx, ref_dx), ("dweight", dw, ref_dw), ("dbias", db, ref_db))
        for what, g, ref in shapes:
            if g.shape == ref.shape:
                continue
            why = f"{what} must have the shape of {_SHAPE_OF[what]}"
            if what == "dx" and p and g.shape == (xs[0], xs[1], xs[2] + 2 * p, xs[3] + 2 * p):
                why = ("this is the gradient of the *padded* input: crop the padding off "
                       "(rows and columns p .. p + H - 1)")
            elif what == "dx" and g.size == 0:
                why = "it is empty: note that x[..., p:-p] is empty when p = 0; slice p:p + H"
            elif what == "dbias" and g.ndim > 1:
                why = "sum dout over the batch and both spatial axes, keeping only C_out"
            raise SelfCheckError(f"{name}, case {case}: {what} has shape {g.shape}, expected "
                                 f"{ref.shape}: {why}.")
        flipped_dx = _conv2d_backward_ref(dout, x, w[..., ::-1, ::-1], stride=s, padding=p)[0]
        checks = (
            ("dx", dx, ref_dx, [
                (flipped_dx, "dx uses the kernel the wrong way round (a forgotten flip): dx is "
                             "the *full convolution* of dout with the kernel, i.e. the "
                             "correlation of the zero-padded dout with the kernel flipped by "
                             "180 degrees (w[..., ::-1, ::-1])."),
                (ref_dx / n, "dx was divided by the batch size: each image's gradient only "
                             "depends on its own dout."),
                (_dense_dx(dout, x, w, p), "dx ignores the stride: output (i, j) sends its "
                                           "gradient back to x_padded[i*stride + u, "
                                           "j*stride + v], so with stride 2 the kernel copies "
                                           "land 2 cells apart."),
            ]),
            ("dweight", dw, ref_dw, [
                (ref_dw[..., ::-1, ::-1], "dweight is flipped: dweight[o, c, u, v] is the sum of "
                                          "dout[n, o, i, j] * x_padded[n, c, i*s + u, j*s + v], "
                                          "no flip."),
                (ref_dw / n, "dweight was divided by the batch size: sum over the images (the "
                             "mean, if any, is already in dout)."),
                (_conv2d_backward_ref(dout[:1], x[:1], w, stride=s, padding=p)[1],
                 "dweight only uses the first image: sum over all images n."),
            ]),
            ("dbias", db, ref_db, [
                (ref_db / (n * ho * wo), "dbias is a mean: it is the *sum* of dout over "
                                         "images and positions."),
                (dout[0].sum(axis=(1, 2)), "dbias only uses the first image: sum over all n."),
            ]),
        )
        for what, g, ref, candidates in checks:
            if not _close(g, ref):
                border = p if what == "dx" else 0
                raise SelfCheckError(f"{name}, case {case}: "
                                     f"{_diagnose(g, ref, candidates, what, border)}")
    _passed(name, len(_CONV_BACKWARD_CASES))


# --------------------------------------------------------------------------- max_pool2d backward
_POOL_BACKWARD_CASES = [
    ("4x4 image, 2x2 windows", (1, 1, 4, 4), 2, None, False),
    ("batch of 2, 3 channels, 6x6, 2x2 windows", (2, 3, 6, 6), 2, None, False),
    ("3x3 windows, stride=2: overlapping, a cell can be the max of 2 windows",
     (1, 2, 7, 7), 3, 2, False),
    ("3x3 windows, stride=1 on 6x6 integers: many ties and overlaps",
     (1, 1, 6, 6), 3, 1, True),
    ("2x2 windows on 5x7 with ties, the last row and column left over",
     (2, 1, 5, 7), 2, None, True),
]


def _route(dout, x, k, s, pick):
    """Send each window's gradient to the cells ``pick(window) -> 0/1 weights`` chooses."""
    windows = sliding_windows(x, k, s)                     # (N, C, Ho, Wo, k, k)
    weights = pick(windows)
    dx = np.zeros_like(x)
    ho, wo = dout.shape[2:]
    for u in range(k):
        for v in range(k):
            dx[:, :, u:u + s * (ho - 1) + 1:s,
               v:v + s * (wo - 1) + 1:s] += weights[..., u, v] * dout
    return dx


def _last_max(windows):
    flat = windows.reshape(windows.shape[:4] + (-1,))
    last = flat.shape[-1] - 1 - np.argmax(flat[..., ::-1], axis=-1)
    return (np.arange(flat.shape[-1]) == last[..., None]).reshape(windows.shape).astype(float)


def _overwrite(dout, x, k, s):
    """Route to the first max, but with `=`: a later window overwrites an earlier one."""
    _, idx = _max_pool2d_ref(x, k, stride=s, return_indices=True)
    dx = np.zeros_like(x)
    n, c, h, w = x.shape
    for b in range(n):
        for ch in range(c):
            plane = dx[b, ch].reshape(-1)
            for flat, g in zip(idx[b, ch].ravel(), dout[b, ch].ravel()):
                plane[flat] = g
    return dx


def check_max_pool2d_backward(max_pool2d_backward, name=None):
    """Check ``max_pool2d_backward(dout, x, kernel_size, stride=None)`` on five cases.

    Parameters
    ----------
    max_pool2d_backward : callable
        Your function; returns ``dx`` of the shape of ``x``: each window's gradient goes
        to the position of its maximum (the first one, in row-major order, on ties, as
        PyTorch does), and gradients sent to the same cell add up.
    name : str, optional
    """
    name = name or getattr(max_pool2d_backward, "__name__", "max_pool2d_backward")
    for seed, (desc, xs, k, stride, ties) in enumerate(_POOL_BACKWARD_CASES):
        case = f"{seed + 1} ({desc})"
        rng = np.random.default_rng(400 + seed)
        x = rng.integers(0, 3, xs).astype(float) if ties else rng.standard_normal(xs)
        s = k if stride is None else stride
        dout = rng.standard_normal(_max_pool2d_ref(x, k, stride=s).shape)
        before = [dout.copy(), x.copy()]
        dx = _as_array(_call(max_pool2d_backward, name, case, dout, x, k, stride=stride),
                       name, case, "dx")
        _check_unchanged(before, [dout, x], name, case, "dout, x")
        expected = _max_pool2d_backward_ref(dout, x, k, stride=s)
        if dx.shape != expected.shape:
            raise SelfCheckError(f"{name}, case {case}: dx has shape {dx.shape}, expected "
                                 f"{expected.shape}: dx has the shape of x (cells that are in "
                                 f"no window get 0).")
        if _close(dx, expected):
            continue
        candidates = [
            (_route(dout, x, k, s, lambda win: (win == win.max(axis=(-2, -1), keepdims=True))),
             "ties: you sent the gradient to every maximum of the window. PyTorch sends it "
             "to the first maximum only (row-major order, like np.argmax)."),
            (_route(dout, x, k, s, _last_max),
             "ties: you picked the last maximum of the window; PyTorch picks the first "
             "(row-major order, like np.argmax)."),
            (_overwrite(dout, x, k, s),
             "where windows overlap, a cell can be the maximum of several windows: add (+=) "
             "their gradients instead of overwriting them."),
            (_route(dout, x, k, s, lambda win: np.ones_like(win)),
             "the whole window got the gradient: only the position of the maximum does, "
             "the other cells get 0."),
            (_route(dout, x, k, s, lambda win: np.ones_like(win) / k ** 2),
             "that is the backward pass of *average* pooling (gradient shared by the window); "
             "max pooling sends it all to the maximum."),
        ]
        raise SelfCheckError(f"{name}, case {case}: {_diagnose(dx, expected, candidates, 'dx')}")
    _passed(name, len(_POOL_BACKWARD_CASES))


# --------------------------------------------------------------------------- autograd bridge
def _torch_call(fn, name, case, *args):
    import torch
    out = _call(fn, name, case, *args)
    if not isinstance(out, torch.Tensor):
        raise SelfCheckError(f"{name}, case {case}: must return a torch.Tensor (e.g. "
                             f"torch.from_numpy(out)), got {type(out).__name__}")
    return out


def _torch_grads(out, name, case, n_forward_args):
    import torch
    if out.grad_fn is None:
        raise SelfCheckError(
            f"{name}, case {case}: the output is not connected to the autograd graph "
            f"(grad_fn is None). Call your Function with `.apply(...)`, which records it, "
            f"and return a tensor made from the NumPy result inside forward.")
    grad_out = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(0))
    try:
        out.backward(grad_out)
    except RuntimeError as exc:
        if "incorrect number of gradients" in str(exc):
            raise SelfCheckError(
                f"{name}, case {case}: {exc}. backward must return one value per argument "
                f"of forward after ctx ({n_forward_args} here): None for the ones that "
                f"are not tensors, such as the stride.") from None
        exc.add_note(f"[self-check] {name}: the backward pass failed on case {case}")
        raise
    return grad_out


def _check_dtype(out, dtype, name, case):
    if out.dtype != dtype:
        raise SelfCheckError(f"{name}, case {case}: the output is {out.dtype} for {dtype} "
                             f"input; keep the input's dtype (x.dtype).")


def _compare_tensor(got, expected, what, name, case):
    if got is None:
        raise SelfCheckError(f"{name}, case {case}: {what} is None: backward returned no "
                             f"gradient for it.")
    got, expected = got.detach().double().numpy(), expected.detach().double().numpy()
    if got.shape != expected.shape:
        raise SelfCheckError(f"{name}, case {case}: {what} has shape {got.shape}, expected "
                             f"{expected.shape}.")
    if not _close(got, expected):
        raise SelfCheckError(f"{name}, case {case}: {_difference(got, expected, what)}")


def check_conv2d_function(conv2d_apply, name=None):
    """Check a convolution wrapped as a ``torch.autograd.Function`` against ``F.conv2d``.

    Parameters
    ----------
    conv2d_apply : callable
        ``conv2d_apply(x, weight, bias, stride, padding)`` on torch tensors, e.g.
        ``MyConv2dFunction.apply``; its output and the gradients autograd computes
        through it must equal PyTorch's, in float64 and in float32.
    name : str, optional
    """
    import torch
    import torch.nn.functional as F
    name = name or getattr(getattr(conv2d_apply, "__self__", None), "__name__", "conv2d_apply")
    cases = [("batch of 2, 3 channels, padding=1", (2, 3, 6, 6), (4, 3, 3, 3), 1, 1,
              torch.float64),
             ("stride=2 on 7x7", (1, 2, 7, 7), (3, 2, 3, 3), 2, 0, torch.float64),
             ("float32 input, as in training", (2, 1, 8, 8), (2, 1, 5, 5), 1, 2,
              torch.float32)]
    for seed, (desc, xs, ws, s, p, dtype) in enumerate(cases):
        case = f"{seed + 1} ({desc})"
        g = torch.Generator().manual_seed(500 + seed)
        x, w, b = (torch.randn(shape, generator=g, dtype=dtype) for shape in (xs, ws, ws[:1]))
        leaves = [t.clone().requires_grad_() for t in (x, w, b)]
        refs = [t.clone().requires_grad_() for t in (x, w, b)]
        out = _torch_call(conv2d_apply, name, case, *leaves, s, p)
        expected = F.conv2d(*refs, stride=s, padding=p)
        _check_dtype(out, dtype, name, case)
        _compare_tensor(out, expected, "the output", name, case)
        grad_out = _torch_grads(out, name, case, 5)
        expected.backward(grad_out)
        for what, leaf, ref in zip(("x.grad", "weight.grad", "bias.grad"), leaves, refs):
            _compare_tensor(leaf.grad, ref.grad, what, name, case)
    _passed(name, len(cases), " (output and gradients equal torch.nn.functional.conv2d)")


def check_max_pool2d_function(max_pool2d_apply, name=None):
    """Check max pooling wrapped as a ``torch.autograd.Function`` against ``F.max_pool2d``.

    Parameters
    ----------
    max_pool2d_apply : callable
        ``max_pool2d_apply(x, kernel_size, stride)`` on a torch tensor, e.g.
        ``MyMaxPool2dFunction.apply``.
    name : str, optional
    """
    import torch
    import torch.nn.functional as F
    name = name or getattr(getattr(max_pool2d_apply, "__self__", None), "__name__",
                           "max_pool2d_apply")
    cases = [("2x2 windows, batch of 2, 3 channels", (2, 3, 6, 6), 2, 2, torch.float64),
             ("3x3 windows, stride=2, overlapping", (1, 2, 7, 7), 3, 2, torch.float64),
             ("float32 input, as in training", (2, 1, 8, 8), 2, 2, torch.float32)]
    for seed, (desc, xs, k, s, dtype) in enumerate(cases):
        case = f"{seed + 1} ({desc})"
        x = torch.randn(xs, generator=torch.Generator().manual_seed(600 + seed), dtype=dtype)
        leaf, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        out = _torch_call(max_pool2d_apply, name, case, leaf, k, s)
        expected = F.max_pool2d(ref, k, s)
        _check_dtype(out, dtype, name, case)
        _compare_tensor(out, expected, "the output", name, case)
        grad_out = _torch_grads(out, name, case, 3)
        expected.backward(grad_out)
        _compare_tensor(leaf.grad, ref.grad, "x.grad", name, case)
    _passed(name, len(cases), " (output and gradients equal torch.nn.functional.max_pool2d)")


# --------------------------------------------------------------------------- whole models
def _leaf_shapes(model, x):
    """Input shape of every leaf module for input ``x``, as far as the forward gets."""
    import torch
    shapes, hooks = [], []
    for mod_name, module in model.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_pre_hook(
                lambda m, inp, n=mod_name: shapes.append((n, m, tuple(inp[0].shape)))))
    try:
        with torch.no_grad():
            model(x)
    except Exception:           # the forward fails at the layer we want to name
        pass
    finally:
        for h in hooks:
            h.remove()
    return shapes


def check_model(model, num_classes=10, input_size=(1, 28, 28), params=None, name=None):
    """Check that a classifier runs, has the right output, and trains in all its parameters.

    Parameters
    ----------
    model : torch.nn.Module, or a class (callable) that builds one without arguments
        Maps ``(N, *input_size)`` images to ``(N, num_classes)`` logits.  Give the class
        (``check_model(MyNet)``) to have a stub in ``__init__`` reported as such.
    num_classes : int
    input_size : tuple (C, H, W)
    params : int, optional
        The exact number of trainable parameters the specification asks for.
    name : str, optional

    Raises
    ------
    SelfCheckError
        E.g. when the flattened feature maps do not match the first linear layer
        (naming both sizes), when the model ends with a softmax, or when a
        parameter gets no gradient (a layer defined but never used).
    """
    import torch
    from torch import nn
    if not isinstance(model, nn.Module) and callable(model):
        name = name or getattr(model, "__name__", "model")
        model = _call(model, name, "building the model")
    name = name or type(model).__name__
    if not isinstance(model, nn.Module):
        raise SelfCheckError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    x = torch.randn((4,) + tuple(input_size), generator=torch.Generator().manual_seed(0))
    model.train()
    try:
        out = model(x)
    except NotImplementedError as exc:
        raise SelfCheckError(f"{name}.forward is not written yet: it raises "
                             f"NotImplementedError (hint: {exc}).") from None
    except RuntimeError as exc:
        for layer_name, layer, shape in _leaf_shapes(model, x):
            if isinstance(layer, nn.Linear) and shape[-1] != layer.in_features:
                raise SelfCheckError(
                    f"{name}: the linear layer `{layer_name}` expects {layer.in_features} "
                    f"input features but receives {shape[-1]} (input shape {shape}). Print the "
                    f"shape of the feature maps before flattening: C * H * W must equal "
                    f"in_features.") from None
        exc.add_note(f"[self-check] {name} failed on a batch of shape {tuple(x.shape)}")
        raise
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (4, num_classes):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise SelfCheckError(f"{name}: for input {tuple(x.shape)} the output must be (N, "
                             f"num_classes) = (4, {num_classes}), got {got}.")
    if (out >= 0).all() and torch.allclose(out.sum(1), torch.ones(4), atol=1e-4):
        raise SelfCheckError(f"{name} ends with a softmax: return the logits. "
                             f"nn.CrossEntropyLoss applies log-softmax itself.")
    model.zero_grad()
    nn.functional.cross_entropy(out, torch.arange(4) % num_classes).backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if unused:
        raise SelfCheckError(f"{name}: parameter(s) {', '.join(unused)} get no gradient: the "
                             f"layer is defined in __init__ but not used in forward.")
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if params is not None and count != params:
        raise SelfCheckError(f"{name} has {count:,} trainable parameters, the specification "
                             f"gives {params:,} (difference {count - params:+,}). Compare your "
                             f"layers with the specification one by one (kernel sizes, "
                             f"padding, bias=False before BatchNorm).")
    print(f"✔ {name}: output (N, {num_classes}), every parameter gets a gradient, "
          f"{count:,} parameters")


def check_vgg_layers(make_vgg_layers, name=None):
    """Check ``make_vgg_layers(cfg, in_channels, batch_norm)`` (VGG's configuration as data).

    ``cfg`` is a list such as ``[8, "M", 16, 16, "M"]``: an int is a 3x3 convolution
    with that many kernels and padding 1 (followed by ``BatchNorm2d`` if
    ``batch_norm``, then ``ReLU``), ``"M"`` a 2x2 max pool with stride 2.  The
    function returns an ``nn.Sequential``.
    """
    import torch
    from torch import nn
    name = name or getattr(make_vgg_layers, "__name__", "make_vgg_layers")
    cfg = [8, "M", 16, 16, "M"]
    for batch_norm in (False, True):
        case = f"cfg={cfg}, in_channels=1, batch_norm={batch_norm}"
        layers = _call(make_vgg_layers, name, case, cfg, 1, batch_norm)
        if not isinstance(layers, nn.Module):
            raise SelfCheckError(f"{name} must return an nn.Sequential, got "
                                 f"{type(layers).__name__}")
        mods = [m for m in layers.modules() if not list(m.children())]
        convs = [m for m in mods if isinstance(m, nn.Conv2d)]
        pools = [m for m in mods if isinstance(m, nn.MaxPool2d)]
        bns = [m for m in mods if isinstance(m, nn.BatchNorm2d)]
        relus = [m for m in mods if isinstance(m, nn.ReLU)]
        if [c.out_channels for c in convs] != [8, 16, 16]:
            raise SelfCheckError(f"{name}({case}): the convolutions have "
                                 f"{[c.out_channels for c in convs]} kernels; expected one "
                                 f"Conv2d per int of cfg: [8, 16, 16].")
        if [c.in_channels for c in convs] != [1, 8, 16]:
            raise SelfCheckError(f"{name}({case}): in_channels of the convolutions are "
                                 f"{[c.in_channels for c in convs]}, expected [1, 8, 16]: each "
                                 f"takes the previous one's out_channels.")
        for c in convs:
            if c.kernel_size != (3, 3) or c.padding != (1, 1) or c.stride != (1, 1):
                raise SelfCheckError(
                    f"{name}({case}): a VGG convolution is 3x3 with stride 1 and padding 1 "
                    f"(it keeps H and W; only the pools shrink them), got kernel_size="
                    f"{c.kernel_size}, stride={c.stride}, padding={c.padding}.")
        if len(pools) != 2 or any(p.kernel_size not in (2, (2, 2)) or p.stride not in (2, (2, 2))
                                  for p in pools):
            raise SelfCheckError(f"{name}({case}): each 'M' is nn.MaxPool2d(kernel_size=2, "
                                 f"stride=2); found {pools}.")
        if len(relus) != 3:
            raise SelfCheckError(f"{name}({case}): expected a ReLU after each convolution, "
                                 f"found {len(relus)}.")
        if batch_norm and len(bns) != 3:
            raise SelfCheckError(f"{name}({case}): with batch_norm=True each convolution is "
                                 f"followed by BatchNorm2d, found {len(bns)}.")
        if not batch_norm and bns:
            raise SelfCheckError(f"{name}({case}): batch_norm=False, but the layers contain "
                                 f"BatchNorm2d.")
        if batch_norm and any(c.bias is not None for c in convs):
            raise SelfCheckError(f"{name}({case}): a convolution followed by BatchNorm needs "
                                 f"no bias (bias=False): BatchNorm subtracts the mean anyway "
                                 f"and its beta is the bias.")
        out = layers(torch.zeros(2, 1, 28, 28))
        if tuple(out.shape) != (2, 16, 7, 7):
            raise SelfCheckError(f"{name}({case}): output {tuple(out.shape)} for a 28x28 "
                                 f"input, expected (2, 16, 7, 7). Check the order of the layers.")
    print(f"✔ {name}: layers, kernel sizes, padding and output shape as specified")


def check_basic_block(BasicBlock, name=None):
    """Check a ResNet basic block class ``BasicBlock(in_channels, out_channels, stride=1)``.

    The block computes ``relu(F(x) + shortcut(x))`` with ``F`` = conv3x3 (stride) ->
    BatchNorm -> ReLU -> conv3x3 -> BatchNorm (convolutions without bias), and a
    shortcut that is the identity when the shape is unchanged, else a 1x1
    convolution with the stride followed by BatchNorm (He et al. 2016, option B).
    """
    import torch
    from torch import nn
    name = name or getattr(BasicBlock, "__name__", "BasicBlock")
    cases = [("16 -> 16 channels, stride 1", 16, 16, 1, 4672),
             ("16 -> 32 channels, stride 2", 16, 32, 2, 14528)]
    x = torch.randn(2, 16, 8, 8, generator=torch.Generator().manual_seed(0))
    for number, (desc, c_in, c_out, s, params) in enumerate(cases, 1):
        case = f"{number} ({desc})"
        block = _call(BasicBlock, name, case, c_in, c_out, s)
        try:
            out = block(x)
        except NotImplementedError as exc:
            raise SelfCheckError(f"{name}.forward is not written yet: it raises "
                                 f"NotImplementedError (hint: {exc}).") from None
        except RuntimeError as exc:
            exc.add_note(f"[self-check] {name}, case {case}: with a different number of "
                         f"channels or stride 2 the shortcut must change shape too: a 1x1 "
                         f"convolution with the block's stride, then BatchNorm.")
            raise
        expected = (2, c_out, 8 // s, 8 // s)
        if tuple(out.shape) != expected:
            raise SelfCheckError(f"{name}, case {case}: output shape {tuple(out.shape)}, "
                                 f"expected {expected}: only the first conv3x3 (and the "
                                 f"shortcut) use the stride; padding 1 keeps the size.")
        count = sum(p.numel() for p in block.parameters())
        shortcut = (", plus a 1x1 convolution with BatchNorm on the shortcut" if s > 1
                    else ", identity shortcut")
        if count != params:
            raise SelfCheckError(f"{name}, case {case}: {count:,} parameters, expected "
                                 f"{params:,} (two bias-free 3x3 convolutions with BatchNorm"
                                 f"{shortcut}).")
        if number == 1:
            # With every weight of the residual branch zero, F(x) = 0 and the block
            # must give relu(x): this isolates the skip connection and the last ReLU.
            with torch.no_grad():
                for m in block.modules():
                    if isinstance(m, nn.Conv2d):
                        m.weight.zero_()
            out = block(x)
            if torch.allclose(out, torch.zeros_like(out)):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"is zero: the skip connection is missing (add x before "
                                     f"the last ReLU).")
            if torch.allclose(out, x):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"is x, not relu(x): apply the ReLU after adding the "
                                     f"shortcut, out = relu(F(x) + x).")
            if not torch.allclose(out, torch.relu(x), atol=1e-6):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"should be relu(x); "
                                     f"{_difference(out.numpy(), torch.relu(x).numpy(), 'out')}")
    print(f"✔ {name}: shapes, parameter counts and skip connection as specified")
