"""Exercises of lesson 06 and their checks.

06a applications (mean IoU, transposed convolutions, a causal receptive field), 06b inside a
trained network (LeNet-5's parameters, unpooling by the switches, shuffled pixels).
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_mean_iou", "check_causal_receptive_field", "check_unpool",
           "check_shuffled_weights"]


# --------------------------------------------------------------------------- 06a.1
def _per_class(y_true, y_pred, num_classes):
    """TP, FP and FN of each class, each of shape ``(num_classes,)``."""
    t = np.asarray(y_true).ravel()
    p = np.asarray(y_pred).ravel()
    classes = np.arange(num_classes)[:, None]
    tp = ((t == classes) & (p == classes)).sum(1)
    fp = ((t != classes) & (p == classes)).sum(1)
    fn = ((t == classes) & (p != classes)).sum(1)
    return tp, fp, fn


def _mean_iou(y_true, y_pred, num_classes, first=0, absent=None):
    tp, fp, fn = (a[first:] for a in _per_class(y_true, y_pred, num_classes))
    union = tp + fp + fn
    if absent is None:
        return float(np.mean(tp[union > 0] / union[union > 0]))
    return float(np.mean(np.where(union > 0, tp / np.maximum(union, 1), absent)))


_MIOU_CASES = [
    ("2x2, two classes", (np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]]), 2)),
    ("3x4, three classes", (np.array([[0, 0, 1, 1], [0, 2, 2, 1], [0, 0, 2, 2]]),
                            np.array([[0, 1, 1, 1], [0, 2, 1, 1], [0, 0, 0, 2]]), 3)),
    ("5 classes, class 4 in neither map, class 3 only predicted",
     (np.array([[0, 0, 0, 1], [0, 2, 2, 1], [0, 0, 0, 0]]),
      np.array([[0, 0, 3, 1], [0, 2, 0, 1], [0, 0, 0, 0]]), 5)),
]


def check_mean_iou(mean_iou, quiet=False):
    """Check ``mean_iou(y_true, y_pred, num_classes)``: the mean IoU of a label map.

    Parameters
    ----------
    mean_iou : callable
        Two integer label maps ``(H, W)`` of classes ``0 .. num_classes - 1`` to the mean
        over the classes present in either map of ``TP / (TP + FP + FN)``, a float.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def precision(t, p, n):
        tp, fp, fn = _per_class(t, p, n)
        seen = tp + fp + fn > 0
        return float(np.mean(tp[seen] / np.maximum(tp + fp, 1)[seen]))

    mistakes = (
        M("pixel accuracy", lambda t, p, n: float(np.mean(np.asarray(t) == np.asarray(p))),
          "that is pixel accuracy, the share of pixels right; the mean IoU averages "
          "TP / (TP + FP + FN) over the classes."),
        M("background left out", lambda t, p, n: _mean_iou(t, p, n, first=1),
          "class 0 (background) is a class too: average over every class present."),
        M("absent counted as zero", lambda t, p, n: _mean_iou(t, p, n, absent=0.0),
          "a class in neither map has IoU 0/0, which is undefined: leave it out of the mean "
          "rather than counting it as 0."),
        M("false negatives left out", precision,
          "TP / (TP + FP) is precision: the union also holds the missed pixels, "
          "TP + FP + FN."),
    )
    return check_function("Exercise 06a.1 (mean_iou)", mean_iou, _MIOU_CASES, _mean_iou,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 06a.3
def _causal_rf(kernel_size, dilations):
    return 1 + (kernel_size - 1) * sum(dilations)


_RF_CASES = [("one layer, kernel 2", (2, [1])),
             ("WaveNet's 1, 2, 4, 8", (2, [1, 2, 4, 8])),
             ("kernel 3, dilations 1, 2, 4", (3, [1, 2, 4])),
             ("two blocks of 1, 2, 4", (2, [1, 2, 4, 1, 2, 4]))]


def check_causal_receptive_field(causal_receptive_field, quiet=False):
    """Check ``causal_receptive_field(kernel_size, dilations)`` of a stack of causal layers.

    Parameters
    ----------
    causal_receptive_field : callable
        A kernel size and the list of the layers' dilations to the number of input samples
        one output sees, an int.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("plus one forgotten", lambda k, d: (k - 1) * sum(d),
          "one layer of kernel 2 sees 2 samples: 1 + (k - 1) x (sum of the dilations)."),
        M("dilations ignored", lambda k, d: 1 + (k - 1) * len(d),
          "a dilation d spreads a kernel's taps d apart: each layer adds (k - 1) x d."),
        M("kernel times dilation", lambda k, d: 1 + k * sum(d),
          "a kernel of k taps spans (k - 1) x d + 1 samples, so a layer adds (k - 1) x d, "
          "not k x d."),
    )
    return check_function("Exercise 06a.3 (causal_receptive_field)", causal_receptive_field,
                          _RF_CASES, _causal_rf, mistakes, quiet)


# --------------------------------------------------------------------------- 06b.2
def _unpool(pooled, x):
    h, w = x.shape
    windows = x.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    at = windows.argmax(-1)
    out = np.zeros((h // 2, w // 2, 4))
    np.put_along_axis(out, at[..., None], np.asarray(pooled, dtype=float)[..., None], -1)
    return out.reshape(h // 2, w // 2, 2, 2).transpose(0, 2, 1, 3).reshape(h, w)


def _unpool_cases():
    rng = np.random.default_rng(6)
    return [("one 2x2 window", (np.array([[5.0]]), np.array([[1.0, 3.0], [2.0, 0.5]]))),
            ("4x4, a signal unlike the maxima", (np.array([[1.0, -2.0], [0.5, 4.0]]),
                                                 rng.standard_normal((4, 4)))),
            ("6x8", (rng.standard_normal((3, 4)), rng.standard_normal((6, 8))))]


def check_unpool(unpool, quiet=False):
    """Check ``unpool(pooled, x)``: the DeconvNet's unpooling by the switches.

    Parameters
    ----------
    unpool : callable
        ``pooled``, a signal of shape ``(H/2, W/2)`` on the output of a 2x2 max pool with
        stride 2, and ``x``, the ``(H, W)`` input of that pool, to the ``(H, W)`` map that
        puts each value of ``pooled`` where its window's maximum of ``x`` was, 0 elsewhere.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("no switches", lambda p, x: np.kron(p, np.ones((2, 2))),
          "each value is copied over its whole 2x2 window; the switches put it back only "
          "where the maximum was."),
        M("spread", lambda p, x: np.kron(p, np.ones((2, 2))) / 4,
          "each value is spread evenly over its window (that is average pooling's "
          "backward); the switches send it to the maximum only."),
        M("maxima of x", lambda p, x: _unpool(
            x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).max(axis=(1, 3)), x),
          "the maxima of x are put back; the values to put back are those of `pooled`, the "
          "signal coming down from above."),
    )
    return check_function("Exercise 06b.2 (unpool)", unpool, _unpool_cases(), _unpool,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 06b.3
def _shuffled_weights(weight, perm):
    return np.asarray(weight)[:, np.asarray(perm)]


def _shuffle_cases():
    rng = np.random.default_rng(7)
    return [("no shuffle", (np.arange(9.0).reshape(3, 3), np.array([0, 1, 2]))),
            ("a 3-cycle", (np.arange(9.0).reshape(3, 3), np.array([2, 0, 1]))),
            ("4 pixels, 4 outputs", (rng.standard_normal((4, 4)), np.array([3, 0, 1, 2]))),
            ("9 pixels, 3 outputs", (rng.standard_normal((3, 9)), rng.permutation(9)))]


def check_shuffled_weights(shuffled_weights, quiet=False):
    """Check ``shuffled_weights(weight, perm)``: a dense layer that reads shuffled pixels.

    Parameters
    ----------
    shuffled_weights : callable
        A weight matrix ``(out, n)`` and a permutation ``perm`` ``(n,)`` to the matrix
        ``(out, n)`` whose product with the shuffled input ``x[perm]`` equals
        ``weight @ x`` for every ``x``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def rows(w, p):
        if w.shape[0] != len(p):
            raise ValueError("rows can be permuted only when the matrix is square")
        return w[np.asarray(p)]

    mistakes = (
        M("inverse permutation", lambda w, p: np.asarray(w)[:, np.argsort(p)],
          "that is the inverse permutation: column j must multiply x[perm[j]], which was "
          "column perm[j] of the original weights."),
        M("rows permuted", rows,
          "the rows were permuted; the pixels are the columns (weight @ x sums over them)."),
    )
    return check_function("Exercise 06b.3 (shuffled_weights)", shuffled_weights,
                          _shuffle_cases(), _shuffled_weights, mistakes, quiet)


EXERCISES = {
    "06a.1": Exercise(
        "mean intersection over union",
        "Write `mean_iou(y_true, y_pred, num_classes)` for two label maps of the same shape: "
        "for each class c, IoU_c = TP_c / (TP_c + FP_c + FN_c), and the mean over the "
        "classes that occur in either map (a class in neither has IoU 0/0 and is left "
        "out). Check with `check_exercise('06a.1', mean_iou)`, then against "
        "`sklearn.metrics.jaccard_score(y_true.ravel(), y_pred.ravel(), average='macro')`.",
        check=check_mean_iou),
    "06a.2": Exercise(
        "the size after a transposed convolution",
        "A transposed convolution of kernel k, stride s and padding p turns a width n into "
        "(n - 1) s - 2p + k. The U-Net's decoder (Ronneberger, Fischer and Brox, 2015) "
        "doubles an 8x8 map with a 2x2 transposed "
        "convolution of stride 2: what width comes out (`up2`)? And with a 3x3 kernel, "
        "stride 2 and padding 1 (`k3`)? Check with `check_exercise('06a.2', up2=..., "
        "k3=...)`, then with `torch.nn.ConvTranspose2d` on `torch.zeros(1, 1, 8, 8)`.",
        parts={
            "up2": Part(16, (
                M("convolution formula", 4, "(n - k)/s + 1 is a convolution's, which shrinks; "
                                            "the transposed one grows: (n - 1) s + k."),
                M("kernel added", 18, "n s + k counts one stride too many: (n - 1) s + k."))),
            "k3": Part(15, (
                M("padding ignored", 17, "the padding is subtracted: (8 - 1) 2 - 2 + 3."),
                M("doubled", 16, "16 needs output_padding=1; without it (8 - 1) 2 - 2 + 3 "
                                 "= 15."),
                M("padding added", 19, "a transposed convolution's padding crops the output: "
                                       "subtract 2p.")))}),
    "06a.3": Exercise(
        "the receptive field of causal convolutions",
        "Write `causal_receptive_field(kernel_size, dilations)`: how many input samples one "
        "output of a stack of causal convolutions sees, one layer per dilation in the list. "
        "Check with `check_exercise('06a.3', causal_receptive_field)`, then measure it "
        "with autograd: stack `torch.nn.Conv1d(1, 1, k, dilation=d)` layers, take the "
        "gradient of the last output and count the inputs it reaches.",
        check=check_causal_receptive_field),
    "06b.1": Exercise(
        "where LeNet-5's parameters are",
        "The course's LeNet-5 has two convolutions (1 -> 6 and 6 -> 16 channels, 5x5) and "
        "three dense layers (16 x 5 x 5 = 400 -> 120 -> 84 -> 10), 61,706 parameters with "
        "the biases. How many are in the convolutions (`conv`) and how many in the dense "
        "layers (`dense`)? Check with `check_exercise('06b.1', conv=..., dense=...)`, then "
        "count `p.numel()` over the layers of `cnnlib.models.lenet5()`.",
        parts={
            "conv": Part(2572, (
                M("biases forgotten", 2550, "each output channel has a bias: 6 + 16 more."),
                M("channels left out", 572, "each 5x5 filter of the second convolution spans "
                                            "all 6 input channels: 16 x 6 x 25 weights."))),
            "dense": Part(59134, (
                M("biases forgotten", 58920, "each output of a dense layer has a bias: "
                                             "120 + 84 + 10 more."),
                M("flatten forgotten", 13054, "the first dense layer reads all 16 x 5 x 5 = "
                                              "400 values, not 16.")))}),
    "06b.2": Exercise(
        "unpooling by the switches",
        "The DeconvNet (Zeiler and Fergus, 2014) undoes a 2x2 max pool by putting each "
        "value coming down from above "
        "where its window's maximum was (the *switch*), and 0 in the other three cells. "
        "Write `unpool(pooled, x)` for a pool input `x` of shape (H, W) and a signal "
        "`pooled` of shape (H/2, W/2). Check with `check_exercise('06b.2', unpool)`, then against "
        "`torch.nn.functional.max_unpool2d` with the indices of "
        "`max_pool2d(..., return_indices=True)`.",
        check=check_unpool),
    "06b.3": Exercise(
        "an MLP does not notice shuffled pixels",
        "Shuffling the input of a dense layer, `x[perm]`, is the same as shuffling the "
        "columns of its weight matrix. Write `shuffled_weights(weight, perm)`: the matrix "
        "`w2` with `w2 @ x[perm] == weight @ x` for every `x`. Check with "
        "`check_exercise('06b.3', shuffled_weights)`, then with a `torch.nn.Linear` whose "
        "weight you replace.",
        check=check_shuffled_weights),
}
