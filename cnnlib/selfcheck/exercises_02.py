"""Exercises of lessons 02a (padding, stride, channels) and 02b (pooling, receptive fields).

02a: output sizes (a function, and common settings from Stanford's course notes), why "same"
padding, and a 1x1 convolution as a matrix product. 02b: max pooling by hand, a
receptive-field calculator and overlapping pooling.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_output_size", "check_receptive_field", "check_conv1x1"]


# --------------------------------------------------------------------------- 02a.1
def _size(w, f, s, p):
    return (w + 2 * p - f) // s + 1


_SIZE_CASES = [("W 5, F 3, S 1, P 0", (5, 3, 1, 0)), ("W 28, F 5, S 1, P 2", (28, 5, 1, 2)),
               ("W 7, F 3, S 2, P 0", (7, 3, 2, 0)), ("W 227, F 11, S 4, P 0", (227, 11, 4, 0)),
               ("W 8, F 3, S 2, P 1: the stride does not fit", (8, 3, 2, 1)),
               ("W 32, F 5, S 2, P 2", (32, 5, 2, 2))]


def check_output_size(output_size, quiet=False):
    """Check ``output_size(w, f, s, p)``: the output width of a convolution or pooling.

    Parameters
    ----------
    output_size : callable
        Input width ``w``, kernel ``f``, stride ``s``, padding ``p`` per side (ints) to the
        output width (an int), rounded down as PyTorch does.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("padding once", lambda w, f, s, p: (w + p - f) // s + 1,
          "the padding is counted once; it is added on both sides: W + 2P - F."),
        M("plus one", lambda w, f, s, p: (w + 2 * p - f) // s,
          "the + 1 is missing: the kernel's first position counts too."),
        M("rounded up", lambda w, f, s, p: -(-(w + 2 * p - f) // s) + 1,
          "the division is rounded up; a window that would run off the input is dropped: "
          "floor((W + 2P - F)/S) + 1."),
        M("not rounded", lambda w, f, s, p: (w + 2 * p - f) / s + 1,
          "the size is not a whole number: round (W + 2P - F)/S down, with //."),
        M("stride ignored", lambda w, f, s, p: w + 2 * p - f + 1,
          "the stride is ignored: divide W + 2P - F by S."),
    )
    return check_function("Exercise 02a.1 (output_size)", output_size, _SIZE_CASES,
                          _size, mistakes, quiet)


# --------------------------------------------------------------------------- 02b.2
def _receptive_field(layers):
    size, jump = 1, 1
    for kernel, stride in layers:
        size += (kernel - 1) * jump
        jump *= stride
    return size


_RF_CASES = [("one 3x3", ([(3, 1)],)), ("five 3x3", ([(3, 1)] * 5,)),
             ("LeNet: conv 5, pool 2/2, conv 5", ([(5, 1), (2, 2), (5, 1)],)),
             ("AlexNet's first layers: 11/4, pool 3/2, 5/1", ([(11, 4), (3, 2), (5, 1)],))]


def check_receptive_field(receptive_field, quiet=False):
    """Check ``receptive_field(layers)``: the side of one output unit's receptive field.

    Parameters
    ----------
    receptive_field : callable
        A list of ``(kernel, stride)`` pairs, first layer first, to an int: how many input
        pixels (along one axis) one unit of the last layer sees.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def strides_ignored(layers):
        return 1 + sum(k - 1 for k, _ in layers)

    def stride_too_early(layers):
        size, jump = 1, 1
        for k, s in layers:
            jump *= s
            size += (k - 1) * jump
        return size

    mistakes = (
        M("strides ignored", strides_ignored,
          "the strides are ignored: after a stride-2 layer, one step of the next kernel is "
          "2 input pixels. Keep a 'jump', the product of the strides so far."),
        M("stride too early", stride_too_early,
          "a layer's own stride is applied to its own kernel: the jump of a layer is the "
          "product of the strides of the layers *before* it."),
        M("kernels added", lambda layers: sum(k for k, _ in layers),
          "the kernel sizes are added: each layer adds (k - 1) x jump to 1."),
    )
    return check_function("Exercise 02b.2 (receptive_field)", receptive_field, _RF_CASES,
                          _receptive_field, mistakes, quiet)


# --------------------------------------------------------------------------- 02a.4
def _conv1x1(x, weight):
    return np.einsum("oc,chw->ohw", weight, x)


def _cases_1x1():
    rng = np.random.default_rng(0)
    return [("C_in 3, C_out 3, 4x4", (rng.standard_normal((3, 4, 4)),
                                      rng.standard_normal((3, 3)))),
            ("C_in 4, C_out 4, 3x5", (rng.standard_normal((4, 3, 5)),
                                      rng.standard_normal((4, 4)))),
            ("C_in 2, C_out 3, 2x2", (rng.standard_normal((2, 2, 2)),
                                      rng.standard_normal((3, 2))))]


def check_conv1x1(conv1x1, quiet=False):
    """Check ``conv1x1(x, weight)``: a 1x1 convolution as one matrix product.

    Parameters
    ----------
    conv1x1 : callable
        ``x`` of shape ``(C_in, H, W)`` and ``weight`` of shape ``(C_out, C_in)`` to the
        feature map ``(C_out, H, W)``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("weight transposed", lambda x, w: np.einsum("co,chw->ohw", w, x),
          "the weight is transposed: weight[o, c] multiplies input channel c for output o."),
        M("reshaped the wrong way",
          lambda x, w: (x.reshape(-1, x.shape[0]) @ w.T).reshape(w.shape[0], *x.shape[1:]),
          "x.reshape(H*W, C_in) mixes pixels and channels: reshape to (C_in, H*W) (channels "
          "on the rows), multiply weight @ that, reshape to (C_out, H, W)."),
        M("reshaped back the wrong way",
          lambda x, w: (w @ x.reshape(x.shape[0], -1)).T.reshape(w.shape[0], *x.shape[1:]),
          "the product (C_out, H*W) was transposed before the reshape: reshape it "
          "directly to (C_out, H, W)."),
    )
    return check_function("Exercise 02a.4 (conv1x1)", conv1x1, _cases_1x1(), _conv1x1,
                          mistakes, quiet)


_BLOCKS = [[6, 8, 1, 0], [3, 4, 2, 5], [7, 1, 9, 3], [2, 2, 4, 8]]
_ROW = [1, 7, 2, 5, 3, 9, 4]

EXERCISES = {
    "02a.1": Exercise(
        "an output-size function",
        "Write `output_size(w, f, s, p)`: the output width of a convolution (or pooling) "
        "with input width `w`, kernel `f`, stride `s` and `p` zeros on each side, rounded "
        "down as PyTorch does when the stride does not fit. Check it with "
        "`check_exercise('02a.1', output_size)`, then compare with `torch.nn.Conv1d`.",
        check=check_output_size),
    "02a.2": Exercise(
        "common settings from Stanford's course notes",
        "Stanford's course notes on CNNs list common settings; for a 32-wide input: F = 3, "
        "S = 1, P = 1 (`f3`); F = 5, S = 1, P = 2 (`f5`); F = 1, S = 1, P = 0 (`f1`); and for "
        "pooling F = 2, S = 2 (`pool2`) and F = 3, S = 2 (`pool3`). Give each output width. "
        "Check with `check_exercise('02a.2', f3=..., f5=..., f1=..., pool2=..., pool3=...)`.",
        parts={
            "f3": Part(32, (M("padding once", 31, "P is added on both sides: 32 + 2 - 3 + 1."),
                            M("padding ignored", 30, "that is without padding."))),
            "f5": Part(32, (M("padding once", 30, "P is added on both sides: 32 + 4 - 5 + 1."),
                            M("padding ignored", 28, "that is without padding."))),
            "f1": Part(32, (M("plus one", 31, "the + 1 is missing: 32 - 1 + 1."),
                            M("shrinks", 30, "a 1x1 kernel does not shrink the map."))),
            "pool2": Part(16, (M("plus one", 15, "(32 - 2)/2 + 1: the + 1 is missing."),
                               M("stride ignored", 31, "that is stride 1."))),
            "pool3": Part(15, (M("rounded up", 16, "(32 - 3)/2 = 14.5 rounds down: 14 + 1."),
                               M("not rounded", 15.5, "round (32 - 3)/2 down before + 1."),
                               M("plus one", 14, "the + 1 is missing.")))}),
    "02a.3": Exercise(
        "spot the bug: is p = 0 the most common option?",
        "A published lecture slide says that no padding, p = 0, is the most common option, "
        "while most networks of this course use 'same' padding. A 32x32 image goes through "
        "seven 5x5 convolutions without padding: how wide is the result (`size`)? And with "
        "'same' padding (`same`)? Check with `check_exercise('02a.3', size=..., same=...)`.",
        parts={
            "size": Part(4, (
                M("kernel subtracted", -3, "each layer removes K - 1 = 4 pixels, not K = 5."),
                M("plus one once", 5, "the + 1 is in each layer's N - K + 1 already."),
                M("one per layer", 25, "each 5x5 layer removes 4 pixels, not 1."))),
            "same": Part(32, (M("valid", 4, "that is without padding."),
                              M("half", 16, "same padding keeps the size.")))}),
    "02a.4": Exercise(
        "a 1x1 convolution is a matrix product",
        "Write `conv1x1(x, weight)` for `x` of shape (C_in, H, W) and `weight` of shape "
        "(C_out, C_in) with one matrix product and two reshapes, no loop. Check with "
        "`check_exercise('02a.4', conv1x1)`, then against `torch.nn.functional.conv2d` with the "
        "weight reshaped to (C_out, C_in, 1, 1).",
        check=check_conv1x1),
    "02b.1": Exercise(
        "max pooling by hand",
        f"Max-pool the 4x4 map {_BLOCKS} with a 2x2 window and stride 2 (as a "
        "blackboard example with a block [[6, 8], [3, 4]] does). Give the 2x2 result as a "
        "list of rows and check with `check_exercise('02b.1', [[...], [...]])`.",
        parts={"answer": Part([[8, 5], [7, 9]], (
            M("average", [[5.25, 2], [3, 6]], "those are averages: max pooling keeps the "
                                              "largest of each block."),
            M("stride 1", [[8, 8, 5], [7, 9, 9], [7, 9, 9]], "that is stride 1; with stride "
                                                            "2 the blocks do not overlap."),
            M("min", [[3, 0], [1, 3]], "those are the minima.")))}),
    "02b.2": Exercise(
        "a receptive-field calculator",
        "Write `receptive_field(layers)` for a list of `(kernel, stride)` pairs, first "
        "layer first: the number of input pixels (along one axis) that one unit of the "
        "last layer sees. Start from 1 and let each layer add (kernel - 1) times the "
        "product of the strides before it. Check with "
        "`check_exercise('02b.2', receptive_field)`, then against "
        "`cnnlib.models.receptive_field` on LeNet.",
        check=check_receptive_field),
    "02b.3": Exercise(
        "overlapping pooling",
        "AlexNet pools 3x3 windows with stride 2, so neighbouring windows overlap. Pool a "
        "28x28 feature map that way: how wide is the result (`size`)? And max-pool the row "
        f"{_ROW} with a window of 3 and stride 2 (`row`, a list). Check with "
        "`check_exercise('02b.3', size=..., row=...)`, then with `torch.nn.functional.max_pool1d`.",
        parts={
            "size": Part(13, (
                M("window left out", 14, "that is floor(D/S), which leaves out the window: "
                                         "floor((D - F)/S) + 1 = floor(25/2) + 1."),
                M("not rounded", 13.5, "round (28 - 3)/2 down before adding 1: the last "
                                       "window would run off the map."),
                M("plus one", 12, "the + 1 is missing: the first window counts too."),
                M("stride ignored", 26, "that is stride 1: with stride 2 the windows start "
                                        "every second column."))),
            "row": Part([7, 5, 9], (
                M("no overlap", [7, 9], "those windows do not overlap (stride 3): with stride "
                                        "2 neighbouring windows share one cell."),
                M("stride 1", [7, 7, 5, 9, 9], "that is stride 1: with stride 2 the windows "
                                               "start at cells 0, 2 and 4."),
                M("average", [10 / 3, 10 / 3, 16 / 3], "those are averages: max pooling keeps "
                                                       "the largest of each window.")),
                       rtol=1e-3)}),
}
