"""Forward/backward pairs and losses: the arithmetic of ``cnnlib.nn``, written once.

Each operation is a pair of plain functions in the style of Stanford's CS231n:
``relu(x)`` computes the output, ``relu_backward(dout, x)`` takes the gradient
``dout`` of the loss with respect to that output (same shape) and the forward's
input, and returns the gradient with respect to the input.  The layers of
:mod:`cnnlib.nn.modules` call these pairs, as ``torch.nn.ReLU`` calls
``torch.nn.functional.relu``.  The convolution and pooling pairs live in
:mod:`cnnlib.conv` and :mod:`cnnlib.pool`.

Losses return ``(loss, grad)``: the loss and its gradient with respect to the
scores, and carry PyTorch's names (``cross_entropy``, ``mse_loss``, ...).

Examples
--------
>>> import numpy as np
>>> x = np.array([[-1.0, 2.0]])
>>> relu(x), relu_backward(np.ones_like(x), x)
(array([[0., 2.]]), array([[0., 1.]]))
>>> loss, dlogits = cross_entropy(np.array([[2.0, 0.0]]), np.array([0]))
>>> round(loss, 4)
0.1269
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_same_shape

__all__ = [
    "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
    "softmax", "softmax_backward", "log_softmax",
    "linear", "linear_backward", "batch_norm", "batch_norm_backward",
    "layer_norm", "group_norm",
    "cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _numpy(x, name):
    """``x`` as a float array; a torch tensor is refused by name (this is the NumPy library)."""
    if type(x).__module__.startswith("torch"):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__module__}."
                        f"{type(x).__name__}: cnnlib.nn computes with NumPy. Use "
                        f"torch.softmax / torch.log_softmax on tensors, or pass "
                        f"{name}.detach().numpy()")
    return as_float_array(x, name)


def _upstream(dout, x):
    """``dout`` as an array of exactly the shape of the forward's input ``x``."""
    dout = np.asarray(dout)
    check_same_shape(dout, x, "dout", "the forward's input x")
    return dout


# =========================================================================== activations
def relu(x):
    """Rectified linear unit ``max(0, x)``, elementwise; any shape."""
    return np.maximum(x, 0)


def relu_backward(dout, x):
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0.

    ``dout`` and ``x`` have the same shape.  At ``x == 0`` the derivative is
    undefined; like PyTorch we use 0.
    """
    return _upstream(dout, x) * (np.asarray(x) > 0)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, elementwise, computed without overflow.

    ``exp(-x)`` overflows for large negative ``x``; ``exp(-|x|)`` never does, and
    ``e / (1 + e)`` is the same number written for negative ``x``.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dout, x):
    """Gradient of :func:`sigmoid`: ``dout * s * (1 - s)`` with ``s = sigmoid(x)``, same shape."""
    dout = _upstream(dout, x)
    s = sigmoid(x)
    return dout * s * (1 - s)


def tanh(x):
    """Hyperbolic tangent, elementwise; any shape."""
    return np.tanh(x)


def tanh_backward(dout, x):
    """Gradient of :func:`tanh`: ``dout * (1 - tanh(x)**2)``, same shape."""
    dout = _upstream(dout, x)
    t = np.tanh(x)
    return dout * (1 - t * t)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``; any shape.

    Subtracting the maximum first changes nothing mathematically (it cancels in
    the ratio) but keeps ``exp`` from overflowing.
    """
    x = _numpy(x, "x")
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout, x, axis=-1):
    """Gradient of :func:`softmax`: ``s * (dout - sum(dout * s))`` with ``s = softmax(x)``.

    This is the Jacobian ``diag(s) - s s^T`` applied to ``dout`` without building it.
    """
    x = _numpy(x, "x")
    dout = _upstream(_numpy(dout, "dout"), x)
    s = softmax(x, axis=axis)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed stably as ``x - max - log(sum(exp(x - max)))``."""
    x = _numpy(x, "x")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# =========================================================================== linear
def linear(x, weight, bias=None):
    """Fully connected layer ``y = x W^T + b``, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    x : ndarray, shape (N, in_features)
    weight : ndarray, shape (out_features, in_features)
    bias : ndarray, shape (out_features,), optional

    Returns
    -------
    ndarray, shape (N, out_features)
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"x must have shape (N, in_features) = (N, {weight.shape[1]}) to match "
                         f"weight {weight.shape}, got shape {x.shape}")
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out


def linear_backward(dout, x, weight):
    """Gradients of :func:`linear`: ``(dx, dweight, dbias)``.

    ``y_nj = sum_i x_ni W_ji + b_j``, so ``dW = dout^T x``, ``db = sum_n dout``
    and ``dx = dout W``.  ``dout`` has shape ``(N, out_features)``.
    """
    dout = np.asarray(dout)
    expected = (x.shape[0], weight.shape[0])
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the forward's output (N, out_features) = "
                         f"{expected}, got shape {dout.shape}")
    return dout @ weight, dout.T @ x, dout.sum(axis=0)


# =========================================================================== batch norm
def _per_channel(v):
    return v[:, None, None]


def batch_norm(x, mean, var, weight, bias, eps=1e-5):
    """Normalise ``(N, C, H, W)`` per channel with the given statistics, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with ``mean``, ``var``,
    ``weight`` (gamma) and ``bias`` (beta) of shape ``(C,)``.  In training the
    statistics are those of the batch (``x.mean((0, 2, 3))``, biased variance),
    at evaluation time the running ones.
    """
    xhat = (x - _per_channel(mean)) * _per_channel(1 / np.sqrt(var + eps))
    return xhat * _per_channel(weight) + _per_channel(bias)


def batch_norm_backward(dout, x, mean, var, weight, eps=1e-5, batch_stats=True):
    """Gradients of :func:`batch_norm`: ``(dx, dweight, dbias)``.

    ``batch_stats`` says whether ``mean`` and ``var`` were computed from ``x``
    (training): then they depend on every input too, and differentiating through
    them gives the compact form (Ioffe & Szegedy, 2015)
    ``dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))``.
    """
    dout = _upstream(dout, x)
    axes = (0, 2, 3)
    inv_std = _per_channel(1 / np.sqrt(var + eps))
    xhat = (x - _per_channel(mean)) * inv_std
    dweight = np.sum(dout * xhat, axis=axes)
    dbias = dout.sum(axis=axes)
    dxhat = dout * _per_channel(weight)
    if not batch_stats:
        return dxhat * inv_std, dweight, dbias
    mean_d = _per_channel(dxhat.mean(axis=axes))
    mean_dx = _per_channel(np.mean(dxhat * xhat, axis=axes))
    return (dxhat - mean_d - xhat * mean_dx) * inv_std, dweight, dbias


def _standardise(x, axes, eps):
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, biased variance (as in training)."""
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Normalise each sample ``x[n]`` over all its other axes (``(C, H, W)`` for an image).

    ``x`` has shape ``(N, *S)``; ``weight`` and ``bias``, if given, have shape ``S``
    (elementwise, as ``torch.nn.functional.layer_norm(x, S, weight, bias, eps)``).
    Unlike :func:`batch_norm` no statistic crosses the batch.  Returns shape ``(N, *S)``.
    """
    x = as_float_array(x, "x")
    y = _standardise(x, tuple(range(1, x.ndim)), eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise ``(N, C, H, W)`` per sample over groups of ``C // num_groups`` channels.

    ``num_groups=1`` is :func:`layer_norm` over ``(C, H, W)``, ``num_groups=C`` is
    instance norm.  ``weight`` and ``bias`` have shape ``(C,)``, as in
    ``torch.nn.functional.group_norm``.  Returns shape ``(N, C, H, W)``.
    """
    x = as_float_array(x, "x")
    n, c = x.shape[:2]
    if not isinstance(num_groups, (int, np.integer)) or num_groups < 1 or c % num_groups:
        raise ValueError(f"num_groups must be a positive integer dividing the {c} channels, "
                         f"got {num_groups!r}")
    y = _standardise(x.reshape(n, num_groups, -1), 2, eps).reshape(x.shape)
    w = 1 if weight is None else _per_channel(np.asarray(weight))
    return y * w + (0 if bias is None else _per_channel(np.asarray(bias)))


# =========================================================================== losses
def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses, grad, reduction):
    """Reduce per-element losses; ``grad`` is the gradient of their sum."""
    if reduction == "mean":
        return float(losses.mean()), grad / losses.size
    if reduction == "sum":
        return float(losses.sum()), grad
    return losses, grad


def _scores_and_target(scores, target, score_name):
    """Both as float arrays of one shape: integer scores are computed in float64.

    The target takes the dtype of the scores when they are floating (float32
    stays float32), so an integer input never truncates a fractional target.
    """
    scores = as_float_array(scores, score_name)
    target = as_float_array(target, "target").astype(scores.dtype, copy=False)
    check_same_shape(target, scores, "target", score_name)
    return scores, target


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of ``softmax(logits)`` against class labels, and its gradient.

    ``loss_n = -log softmax(logits_n)[target_n]``, whose gradient with respect to
    the logits is the famous ``softmax(logits_n) - onehot(target_n)``.  Equals
    ``torch.nn.functional.cross_entropy(logits, target, reduction=reduction)``.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        Unnormalised class scores (integer scores are computed in float64).
    target : ndarray of int, shape (N,)
        Class indices in ``0..K-1``.
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray (N,) for ``reduction="none"``
    dlogits : ndarray, shape (N, K)
        Gradient of the reduced loss (of the sum for ``"none"``).
    """
    _check_reduction(reduction)
    logits = as_float_array(logits, "logits")
    target = np.asarray(target)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, K), got shape {logits.shape}")
    if target.shape != logits.shape[:1]:
        raise ValueError(f"target must have shape (N,) = ({logits.shape[0]},) to match logits, "
                         f"got shape {target.shape}")
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    k = logits.shape[1]
    if target.size and (target.min() < 0 or target.max() >= k):
        raise ValueError(f"target holds class indices outside 0..{k - 1}")
    logp = log_softmax(logits, axis=1)
    rows = np.arange(len(target))
    losses = -logp[rows, target]
    grad = np.exp(logp)
    grad[rows, target] -= 1
    return _reduce(losses, grad, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)`` against targets in [0, 1], and its gradient.

    Written on the logit ``z`` rather than on ``p = sigmoid(z)``: in float64,
    ``sigmoid(40)`` is exactly 1.0, so ``log(1 - p)`` would be ``-inf``.  With
    ``log(1 - sigmoid(z)) = -softplus(z)`` and ``log sigmoid(z) = z - softplus(z)``,
    ``loss = softplus(z) - y z`` with ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``,
    finite for every ``z``; the gradient is ``sigmoid(z) - y``.  Equals
    ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Parameters
    ----------
    logits : ndarray, any shape (integers are computed in float64)
    target : ndarray, same shape, values in [0, 1]
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray for ``reduction="none"``
    dlogits : ndarray, same shape as ``logits``
    """
    _check_reduction(reduction)
    logits, target = _scores_and_target(logits, target, "logits")
    softplus = np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits)))
    losses = softplus - target * logits
    return _reduce(losses, sigmoid(logits) - target, reduction)


def mse_loss(input, target, reduction="mean"):
    """Squared error ``(input - target)**2`` and its gradient ``2 (input - target)``.

    Equals ``torch.nn.functional.mse_loss``.  (Some lectures use ``1/2`` of it,
    which makes the gradient ``input - target``; the minimiser is the same.)

    Parameters
    ----------
    input : ndarray, any shape (integers are computed in float64)
    target : ndarray, same shape
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray for ``reduction="none"``
    dinput : ndarray, same shape as ``input``

    Examples
    --------
    >>> mse_loss(np.array([1]), np.array([0.5]))[0]
    0.25
    """
    _check_reduction(reduction)
    input, target = _scores_and_target(input, target, "input")
    diff = input - target
    return _reduce(diff * diff, 2 * diff, reduction)
