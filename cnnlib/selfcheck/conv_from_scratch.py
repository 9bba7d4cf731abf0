"""Self-checks of home assignment 1 (convolution from scratch).

``conv2d`` (loops or vectorised), ``max_pool2d``, their backward passes, and both
wrapped as ``torch.autograd.Function``.  Each check runs the student's function on a
few cases, from one 5x5 image to strides that do not divide the input, overlapping
windows and ties, and compares with cnnlib's reference layers (tested against
PyTorch) or with PyTorch itself; a difference is explained by the usual mistake
that reproduces it when there is one (the tables of :mod:`.conv_mistakes`).
"""
from __future__ import annotations

import numpy as np

from types import SimpleNamespace

from ..conv import conv2d as _conv2d_ref
from ..conv import conv2d_backward as _conv2d_backward_ref
from ..pool import max_pool2d as _max_pool2d_ref
from ..pool import max_pool2d_backward as _max_pool2d_backward_ref
from ._report import (SelfCheckError, agree, as_array, call, case_arrays, check_dtype,
                      check_unchanged, compare_tensor, diagnose, function_name, passed, torch_call,
                      torch_grads)
from .conv_mistakes import (CONV2D_BACKWARD_MISTAKES, CONV2D_MISTAKES,
                            MAX_POOL2D_BACKWARD_MISTAKES, MAX_POOL2D_MISTAKES)

__all__ = ["check_conv2d", "check_max_pool2d", "check_conv2d_backward",
           "check_max_pool2d_backward", "check_conv2d_function", "check_max_pool2d_function"]

_SHAPE_OF = {"dx": "x", "dweight": "weight", "dbias": "(C_out,)"}


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
    name = function_name(conv2d, "conv2d", name, "conv2d")
    for seed, (desc, xs, ws, has_bias, s, p) in enumerate(_CONV_CASES):
        case = f"{seed + 1} ({desc})"
        x, w, b = case_arrays(seed, xs, ws, (ws[0],))
        b = b if has_bias else None
        before = [x.copy(), w.copy()]
        got = as_array(call(conv2d, name, case, x, w, b, stride=s, padding=p), name, case,
                        "the feature map")
        check_unchanged(before, [x, w], name, case, "x, weight")
        expected = _conv2d_ref(x, w, b, stride=s, padding=p)
        if got.shape != expected.shape:
            raise SelfCheckError(
                f"{name}, case {case}: wrong shape. Expected {expected.shape}, got {got.shape}: "
                f"{_conv_shape_diagnosis(got.shape, xs, ws, s, p)}")
        if agree(got, expected):
            continue
        mistake_case = SimpleNamespace(x=x, w=w, b=b, s=s, p=p, two_p=2 * p, expected=expected)
        why = diagnose(got, expected, CONV2D_MISTAKES, mistake_case, "feature_map", border=p)
        raise SelfCheckError(f"{name}, case {case}: {why}")
    passed(name, len(_CONV_CASES))


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
    name = function_name(max_pool2d, "max_pool2d", name, "max_pool2d")
    for seed, (desc, xs, k, s) in enumerate(_POOL_CASES):
        case = f"{seed + 1} ({desc})"
        (x,) = case_arrays(100 + seed, xs)
        before = [x.copy()]
        got = as_array(call(max_pool2d, name, case, x, k, stride=s), name, case,
                        "the pooled feature map")
        check_unchanged(before, [x], name, case)
        expected = _max_pool2d_ref(x, k, stride=s)
        if got.shape != expected.shape:
            raise SelfCheckError(f"{name}, case {case}: wrong shape. Expected {expected.shape}, "
                                 f"got {got.shape}: {_pool_shape_diagnosis(got.shape, xs, k, s)}")
        if agree(got, expected):
            continue
        mistake_case = SimpleNamespace(x=x, k=k, s=k if s is None else s, expected=expected)
        why = diagnose(got, expected, MAX_POOL2D_MISTAKES, mistake_case, "out")
        raise SelfCheckError(f"{name}, case {case}: {why}")
    passed(name, len(_POOL_CASES))


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


def check_conv2d_backward(conv2d_backward, name=None):
    """Check ``conv2d_backward(dout, x, weight, stride=1, padding=0)`` on six cases.

    Parameters
    ----------
    conv2d_backward : callable
        Your function; returns ``(dx, dweight, dbias)`` with the shapes of ``x``,
        ``weight`` and ``(C_out,)``: the gradients of ``sum(conv2d(x, weight, bias) * dout)``.
    name : str, optional
    """
    name = function_name(conv2d_backward, "conv2d_backward", name, "conv2d_backward")
    for seed, (desc, xs, ws, s, p) in enumerate(_CONV_BACKWARD_CASES):
        case = f"{seed + 1} ({desc})"
        x, w = case_arrays(200 + seed, xs, ws)
        dout = np.random.default_rng(300 + seed).standard_normal(
            _conv2d_ref(x, w, stride=s, padding=p).shape)
        before = [dout.copy(), x.copy(), w.copy()]
        got = call(conv2d_backward, name, case, dout, x, w, stride=s, padding=p)
        check_unchanged(before, [dout, x, w], name, case, "dout, x, weight")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            got_text = (f"a tuple of {len(got)}" if isinstance(got, (tuple, list))
                        else type(got).__name__)
            raise SelfCheckError(f"{name}, case {case}: must return a tuple (dx, dweight, "
                                 f"dbias), got {got_text}")
        dx, dw, db = (as_array(g, name, case, what) for g, what in
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
        for what, g, ref in shapes:
            if not agree(g, ref):
                mistake_case = SimpleNamespace(x=x, w=w, s=s, p=p, dout=dout, expected=ref)
                why = diagnose(g, ref, CONV2D_BACKWARD_MISTAKES[what], mistake_case, what,
                               border=p if what == "dx" else 0)
                raise SelfCheckError(f"{name}, case {case}: {why}")
    passed(name, len(_CONV_BACKWARD_CASES))


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
    name = function_name(max_pool2d_backward, "max_pool2d_backward", name, "max_pool2d_backward")
    for seed, (desc, xs, k, stride, ties) in enumerate(_POOL_BACKWARD_CASES):
        case = f"{seed + 1} ({desc})"
        rng = np.random.default_rng(400 + seed)
        x = rng.integers(0, 3, xs).astype(float) if ties else rng.standard_normal(xs)
        s = k if stride is None else stride
        dout = rng.standard_normal(_max_pool2d_ref(x, k, stride=s).shape)
        before = [dout.copy(), x.copy()]
        dx = as_array(call(max_pool2d_backward, name, case, dout, x, k, stride=stride),
                       name, case, "dx")
        check_unchanged(before, [dout, x], name, case, "dout, x")
        expected = _max_pool2d_backward_ref(dout, x, k, stride=s)
        if dx.shape != expected.shape:
            raise SelfCheckError(f"{name}, case {case}: dx has shape {dx.shape}, expected "
                                 f"{expected.shape}: dx has the shape of x (cells that are in "
                                 f"no window get 0).")
        if agree(dx, expected):
            continue
        mistake_case = SimpleNamespace(x=x, k=k, s=s, dout=dout, expected=expected)
        why = diagnose(dx, expected, MAX_POOL2D_BACKWARD_MISTAKES, mistake_case, "dx")
        raise SelfCheckError(f"{name}, case {case}: {why}")
    passed(name, len(_POOL_BACKWARD_CASES))


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
    function_name(conv2d_apply, "conv2d_apply", name, "conv2d_apply")
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
        out = torch_call(conv2d_apply, name, case, *leaves, s, p)
        expected = F.conv2d(*refs, stride=s, padding=p)
        check_dtype(out, dtype, name, case)
        compare_tensor(out, expected, "the output", name, case)
        grad_out = torch_grads(out, name, case, 5)
        expected.backward(grad_out)
        for what, leaf, ref in zip(("x.grad", "weight.grad", "bias.grad"), leaves, refs):
            compare_tensor(leaf.grad, ref.grad, what, name, case)
    passed(name, len(cases), " (output and gradients equal torch.nn.functional.conv2d)")


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
    function_name(max_pool2d_apply, "max_pool2d_apply", name, "max_pool2d_apply")
    name = name or getattr(getattr(max_pool2d_apply, "__self__", None), "__name__",
                           "max_pool2d_apply")
    cases = [("2x2 windows, batch of 2, 3 channels", (2, 3, 6, 6), 2, 2, torch.float64),
             ("3x3 windows, stride=2, overlapping", (1, 2, 7, 7), 3, 2, torch.float64),
             ("float32 input, as in training", (2, 1, 8, 8), 2, 2, torch.float32)]
    for seed, (desc, xs, k, s, dtype) in enumerate(cases):
        case = f"{seed + 1} ({desc})"
        x = torch.randn(xs, generator=torch.Generator().manual_seed(600 + seed), dtype=dtype)
        leaf, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        out = torch_call(max_pool2d_apply, name, case, leaf, k, s)
        expected = F.max_pool2d(ref, k, s)
        check_dtype(out, dtype, name, case)
        compare_tensor(out, expected, "the output", name, case)
        grad_out = torch_grads(out, name, case, 3)
        expected.backward(grad_out)
        compare_tensor(leaf.grad, ref.grad, "x.grad", name, case)
    passed(name, len(cases), " (output and gradients equal torch.nn.functional.max_pool2d)")
