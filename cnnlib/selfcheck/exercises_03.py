"""Exercises of lesson 03 (backpropagation) and their checks.

The Jacobian of max pooling, the gradient of softmax with cross-entropy, and the cost of
a convolution's backward pass.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_max_pool_jacobian", "check_softmax_cross_entropy_grad"]


# --------------------------------------------------------------------------- 03.1
def _windows(x):
    h, w = x.shape
    for i in range(h // 2):
        for j in range(w // 2):
            yield i * (w // 2) + j, [(2 * i + u, 2 * j + v) for u in (0, 1) for v in (0, 1)]


def _jacobian(x, pick):
    x = np.asarray(x, float)
    h, w = x.shape
    jac = np.zeros((h // 2 * (w // 2), h * w))
    for row, cells in _windows(x):
        values = np.array([x[c] for c in cells])
        for c, weight in zip(cells, pick(values)):
            jac[row, c[0] * w + c[1]] = weight
    return jac


def _first_max(values):
    out = np.zeros(len(values))
    out[np.argmax(values)] = 1.0
    return out


def _pool_cases():
    rng = np.random.default_rng(3)
    return [("2x2, one window", (np.array([[1.0, 3.0], [2.0, 0.0]]),)),
            ("4x4, four windows", (rng.permutation(16).reshape(4, 4).astype(float),)),
            ("4x6 with a tie", (np.array([[1.0, 5, 2, 2, 0, 1], [5, 0, 2, 1, 3, 3],
                                          [4, 4, 7, 0, 1, 9], [0, 1, 7, 6, 2, 8]]),))]


def check_max_pool_jacobian(max_pool_jacobian, quiet=False):
    """Check ``max_pool_jacobian(x)``: the Jacobian of 2x2 max pooling with stride 2.

    Parameters
    ----------
    max_pool_jacobian : callable
        ``x`` of shape ``(H, W)`` (even H and W) to the matrix ``J`` of shape
        ``(H/2 * W/2, H * W)``: ``J[k, m]`` is d(output k)/d(input m), both flattened in
        row-major order; a tie gives the gradient to the first maximum, as PyTorch does.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def every_max(values):
        return (values == values.max()).astype(float)

    mistakes = (
        M("average", lambda x: _jacobian(x, lambda v: np.full(4, 0.25)),
          "that is the Jacobian of average pooling: for max pooling only the window's "
          "maximum moves the output; its entry is 1, the others 0."),
        M("transposed", lambda x: _jacobian(x, _first_max).T,
          "the Jacobian is transposed: one row per output, one column per input."),
        M("every maximum", lambda x: _jacobian(x, every_max),
          "on a tie both maxima get 1: that doubles the gradient. Give it to the first "
          "maximum in row-major order (np.argmax), as PyTorch does."),
    )
    return check_function("Exercise 03.1 (max_pool_jacobian)", max_pool_jacobian,
                          _pool_cases(), lambda x: _jacobian(x, _first_max), mistakes, quiet)


# --------------------------------------------------------------------------- 03.2
def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _grad(logits, y):
    p = _softmax(logits)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _grad_cases():
    rng = np.random.default_rng(4)
    return [("one sample, 3 classes", (np.array([[1.0, 2.0, 0.5]]), np.array([1]))),
            ("4 samples, 5 classes", (rng.standard_normal((4, 5)), np.array([0, 4, 2, 2]))),
            ("large logits", (100 * rng.standard_normal((3, 4)), np.array([3, 0, 1])))]


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad, quiet=False):
    """Check ``softmax_cross_entropy_grad(logits, y)``: d(mean loss)/d(logits).

    Parameters
    ----------
    softmax_cross_entropy_grad : callable
        ``logits`` of shape ``(N, C)`` and labels ``y`` of shape ``(N,)`` to the gradient
        of the mean cross-entropy of softmax(logits), shape ``(N, C)``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("not averaged", lambda z, y: _grad(z, y) * len(y),
          "the gradient of the *mean* loss is divided by N (the batch size)."),
        M("sign", lambda z, y: -_grad(z, y),
          "the sign is flipped: the gradient is p - onehot(y), so descent lowers the wrong "
          "classes' scores."),
        M("one-hot missing", lambda z, y: _softmax(z) / len(y),
          "the one-hot target is not subtracted: p - onehot(y)."),
    )
    return check_function("Exercise 03.2 (softmax_cross_entropy_grad)",
                          softmax_cross_entropy_grad, _grad_cases(), _grad, mistakes, quiet)


EXERCISES = {
    "03.1": Exercise(
        "the Jacobian of max pooling",
        "Write `max_pool_jacobian(x)` for a 2D map `x` (even sides): the matrix of "
        "d(output)/d(input) of 2x2 max pooling with stride 2, one row per output and one "
        "column per input pixel, both flattened row by row. On a tie, the first maximum "
        "gets the gradient. Check with `check_exercise('03.1', max_pool_jacobian)`, then "
        "against `torch.autograd.functional.jacobian`.",
        check=check_max_pool_jacobian),
    "03.2": Exercise(
        "softmax with cross-entropy",
        "Write `softmax_cross_entropy_grad(logits, y)`: the gradient of the mean "
        "cross-entropy loss with respect to the logits of shape (N, C), for integer labels "
        "y. Subtract each row's maximum before the exponential. Check with "
        "`check_exercise('03.2', softmax_cross_entropy_grad)`, then against "
        "PyTorch's autograd on `torch.nn.functional.cross_entropy`.",
        check=check_softmax_cross_entropy_grad),
    "03.3": Exercise(
        "the cost of the backward pass",
        "A convolution maps (N, 3, 32, 32) to (N, 16, 32, 32) with 5x5 kernels and "
        "padding 2. Predict the multiplications per image of the forward pass "
        "(`forward`) and of the whole backward pass, dx and dweight together "
        "(`backward`). Check with `check_exercise('03.3', forward=..., backward=...)`, "
        "then time `cnnlib.conv2d` against `cnnlib.conv2d_backward`.",
        parts={
            "forward": Part(1228800, (
                M("channels left out", 409600, "each output sums over all 3 input channels."),
                M("per position", 1200, "that is one output position; there are 32 x 32."))),
            "backward": Part(2457600, (
                M("one gradient", 1228800, "dx and dweight each cost as much as the forward."),
                M("with forward", 3686400, "that includes the forward pass."),
                M("dbias too", 2473984, "dbias needs additions, not multiplications.")))}),
}
