"""A tiny neural-network framework in NumPy, small enough to read in one sitting.

Three layers of ideas, each built on the one before:

1. **Functions in forward/backward pairs** (the style of Stanford's CS231n):
   ``relu(x)`` and ``relu_backward(dout, x)``, where ``dout`` is the gradient of
   the loss with respect to the function's output and the backward returns the
   gradient with respect to its input.  Every backward takes the forward's
   input, like :func:`cnnlib.conv2d_backward`.  Losses return ``(loss, grad)``:
   the loss and its gradient with respect to the scores.
2. **Layers** (``Conv2d``, ``Linear``, ``ReLU`` ...): a forward pass that keeps
   what the backward pass needs, and a backward pass that stores the gradients
   of the layer's parameters in ``param.grad`` (adding to what is there, as
   PyTorch does, so call ``zero_grad()`` before each step) and returns the
   gradient with respect to the layer's input.  Parameters have the names and
   shapes of the PyTorch layer of the same name (``weight`` ``(out, in, kh, kw)``
   and ``bias`` for ``Conv2d``, ``weight`` ``(out, in)`` for ``Linear``), and
   ``state_dict()`` / ``load_state_dict()`` use PyTorch's keys (``"0.weight"``),
   so weights copy between a NumPy ``Sequential`` and a ``torch.nn.Sequential``
   with the same layers in both directions.
3. **Optimisers** ``SGD`` and ``Adam``, with PyTorch's update rules to the last
   digit, and ``gradcheck`` to test your own layer with finite differences.

Everything runs in the dtype of the parameters: float32 by default (fast),
float64 for gradient checks.

Examples
--------
>>> import numpy as np
>>> from cnnlib.nn import lenet5, softmax_cross_entropy, SGD
>>> net = lenet5(rng=0)
>>> opt = SGD(net.parameters(), lr=0.01, momentum=0.9)
>>> x = np.zeros((8, 1, 28, 28), np.float32); y = np.zeros(8, np.int64)
>>> loss, dscores = softmax_cross_entropy(net(x), y)
>>> opt.zero_grad(); _ = net.backward(dscores); opt.step()
"""
from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np

from .conv import conv2d, conv2d_backward
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = [
    # functions
    "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
    "softmax", "softmax_backward", "log_softmax",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
    # layers
    "Parameter", "Module", "Sequential", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Tanh",
    "Sigmoid", "Flatten", "Linear", "BatchNorm2d", "Dropout",
    # training
    "Optimizer", "SGD", "Adam", "numerical_gradient", "rel_error", "gradcheck",
    "GradcheckReport", "LeNet5", "lenet5",
]

_REDUCTIONS = ("mean", "sum", "none")


# =========================================================================== activations
def relu(x):
    """Rectified linear unit ``max(0, x)``, elementwise."""
    return np.maximum(x, 0)


def relu_backward(dout, x):
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0.

    At ``x == 0`` the derivative is undefined; like PyTorch we use 0.
    """
    return dout * (x > 0)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    ``exp(-x)`` overflows for large negative ``x``; ``exp(-|x|)`` never does, and
    ``e / (1 + e)`` is the same number written for negative ``x``.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dout, x):
    """Gradient of :func:`sigmoid`: ``dout * s * (1 - s)`` with ``s = sigmoid(x)``."""
    s = sigmoid(x)
    return dout * s * (1 - s)


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return np.tanh(x)


def tanh_backward(dout, x):
    """Gradient of :func:`tanh`: ``dout * (1 - tanh(x)**2)``."""
    t = np.tanh(x)
    return dout * (1 - t * t)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``.

    Subtracting the maximum first changes nothing mathematically (it cancels in
    the ratio) but keeps ``exp`` from overflowing.
    """
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout, x, axis=-1):
    """Gradient of :func:`softmax`: ``s * (dout - sum(dout * s))`` with ``s = softmax(x)``.

    This is the Jacobian ``diag(s) - s s^T`` applied to ``dout`` without building it.
    """
    s = softmax(x, axis=axis)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed stably as ``x - max - log(sum(exp(x - max)))``."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


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


def softmax_cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of ``softmax(logits)`` against class labels, and its gradient.

    ``loss_n = -log softmax(logits_n)[target_n]``, whose gradient with respect to
    the logits is the famous ``softmax(logits_n) - onehot(target_n)``.  Equals
    ``torch.nn.functional.cross_entropy(logits, target, reduction=reduction)``.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        Unnormalised class scores.
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
    logits = np.asarray(logits)
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
    logits : ndarray, any shape
    target : ndarray, same shape, values in [0, 1]
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray for ``reduction="none"``
    dlogits : ndarray, same shape as ``logits``
    """
    _check_reduction(reduction)
    logits = np.asarray(logits)
    target = np.asarray(target, dtype=logits.dtype)
    if target.shape != logits.shape:
        raise ValueError(f"target must have the shape of logits {logits.shape}, got {target.shape}")
    softplus = np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits)))
    losses = softplus - target * logits
    return _reduce(losses, sigmoid(logits) - target, reduction)


def mse_loss(input, target, reduction="mean"):
    """Squared error ``(input - target)**2`` and its gradient ``2 (input - target)``.

    Equals ``torch.nn.functional.mse_loss``.  (Some lectures use ``1/2`` of it,
    which makes the gradient ``input - target``; the minimiser is the same.)

    Returns
    -------
    loss : float, or ndarray for ``reduction="none"``
    dinput : ndarray, same shape as ``input``
    """
    _check_reduction(reduction)
    input = np.asarray(input)
    target = np.asarray(target, dtype=input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"target must have the shape of input {input.shape}, got {target.shape}")
    diff = input - target
    return _reduce(diff * diff, 2 * diff, reduction)


# =========================================================================== layer framework
def _pair(v):
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Parameter:
    """A trainable array ``data`` with its gradient ``grad`` (``None`` until a backward pass)."""

    def __init__(self, data):
        self.data = data
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of the layers: parameters, buffers, train/eval mode and state dicts.

    A subclass sets its :class:`Parameter` objects and sub-modules as attributes
    (in the order PyTorch registers them) and writes ``forward(x)`` and
    ``backward(dout)``.  ``_buffers`` names arrays that are state but not
    trained (BatchNorm's running statistics).
    """

    training = True
    _buffers = ()

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def children(self):
        """``(name, module)`` pairs of the direct sub-modules."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def named_parameters(self, prefix=""):
        """``(name, Parameter)`` pairs with PyTorch's names, e.g. ``"0.weight"``."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self):
        """The list of trainable :class:`Parameter` objects, for an optimiser."""
        return [p for _, p in self.named_parameters()]

    def _named_state(self, prefix=""):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value.data
        for name in self._buffers:
            yield prefix + name, getattr(self, name)
        for name, child in self.children():
            yield from child._named_state(f"{prefix}{name}.")

    def state_dict(self):
        """Copies of all parameters and buffers, keyed as ``torch.nn.Module.state_dict`` is."""
        return OrderedDict((k, np.array(v, copy=True)) for k, v in self._named_state())

    def load_state_dict(self, state_dict):
        """Copy arrays (or CPU tensors) into the parameters and buffers, keeping their dtype.

        The keys must be exactly those of :meth:`state_dict`, so a PyTorch
        model's ``state_dict()`` loads into the NumPy model with the same layers.
        Returns the module itself, so ``net = lenet5().load_state_dict(...)`` works.
        """
        own = dict(self._named_state())
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise ValueError(f"state_dict keys do not match the model: missing {missing}, "
                             f"unexpected {unexpected}")
        for key, target in own.items():
            value = np.asarray(state_dict[key])
            if value.shape != target.shape:
                raise ValueError(f"state_dict[{key!r}] has shape {value.shape}, "
                                 f"the model expects {target.shape}")
            target[...] = value
        return self

    def train(self, mode=True):
        """Switch training mode (batch statistics, dropout) on or off, recursively."""
        self.training = mode
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode: running statistics, no dropout."""
        return self.train(False)

    def zero_grad(self):
        """Forget the gradients (set them to ``None``, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def to(self, dtype):
        """Cast parameters and floating buffers to ``dtype`` in place (e.g. ``np.float64``)."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None if p.grad is None else p.grad.astype(dtype)
        for name in self._buffers:
            value = getattr(self, name)
            if np.issubdtype(value.dtype, np.floating):
                setattr(self, name, value.astype(dtype))
        for _, child in self.children():
            child.to(dtype)
        return self

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = self.children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _accumulate(param, grad):
    """Add ``grad`` to ``param.grad`` (a parameter used twice gets both contributions)."""
    param.grad = grad if param.grad is None else param.grad + grad


class Sequential(Module):
    """Layers applied in order; the backward pass visits them in reverse (the chain rule).

    Sub-modules are named ``"0"``, ``"1"``, ... as in ``torch.nn.Sequential``.
    """

    def __init__(self, *layers):
        for layer in layers:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes cnnlib.nn modules, got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


class Conv2d(Module):
    """2D convolution layer (cross-correlation), like ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation, groups :
        As in :func:`cnnlib.conv2d` (``padding`` may be an int, a pair, "valid" or "same").
    bias : bool
    input_grad : bool
        Whether ``backward`` computes the gradient with respect to the input.  Set
        it False for a network's first layer: the images are not trained, so their
        gradient is wasted work (PyTorch skips it as the input has no
        ``requires_grad``); ``backward`` then returns None.
    dtype : NumPy float dtype of the parameters (float32 by default).
    rng : int or numpy.random.Generator, optional
        Seed for the initialisation, which follows PyTorch's default: weights
        and bias uniform in ``±1/sqrt(fan_in)``, ``fan_in = in_channels/groups * kh * kw``.

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels/groups, kh, kw)
    bias : Parameter, shape (out_channels,), or None
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, input_grad=True, dtype=np.float32, rng=None):
        kh, kw = _pair(kernel_size)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (kh, kw)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.input_grad = input_grad
        rng = _rng(rng)
        bound = 1 / math.sqrt(in_channels // groups * kh * kw)
        shape = (out_channels, in_channels // groups, kh, kw)
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(rng.uniform(-bound, bound, out_channels).astype(dtype))
                     if bias else None)

    def forward(self, x):
        self._x = x
        return conv2d(x, self.weight.data, None if self.bias is None else self.bias.data,
                      self.stride, self.padding, self.dilation, self.groups)

    def backward(self, dout):
        dx, dweight, dbias = conv2d_backward(dout, self._x, self.weight.data, self.stride,
                                             self.padding, self.dilation, self.groups,
                                             input_grad=self.input_grad)
        _accumulate(self.weight, dweight)
        if self.bias is not None:
            _accumulate(self.bias, dbias)
        return dx

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}")


class Linear(Module):
    """Fully connected layer ``y = x W^T + b``, like ``torch.nn.Linear``.

    ``weight`` has shape ``(out_features, in_features)``, ``bias`` ``(out_features,)``;
    initialised as PyTorch does (uniform in ``±1/sqrt(in_features)``).
    Input ``(N, in_features)``, output ``(N, out_features)``.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, rng=None):
        self.in_features, self.out_features = in_features, out_features
        rng = _rng(rng)
        bound = 1 / math.sqrt(in_features)
        shape = (out_features, in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(rng.uniform(-bound, bound, out_features).astype(dtype))
                     if bias else None)

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects input of "
                             f"shape (N, {self.in_features}), got {x.shape}")
        self._x = x
        out = x @ self.weight.data.T
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, dout):
        # y_nj = sum_i x_ni W_ji + b_j, so dW = dout^T x, db = sum_n dout, dx = dout W.
        _accumulate(self.weight, dout.T @ self._x)
        if self.bias is not None:
            _accumulate(self.bias, dout.sum(axis=0))
        return dout @ self.weight.data

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


class MaxPool2d(Module):
    """Max pooling layer, like ``torch.nn.MaxPool2d``; arguments as in :func:`cnnlib.max_pool2d`."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def forward(self, x):
        # Keep where each maximum came from, so the backward pass need not search again.
        self._x = x
        out, self._indices = max_pool2d(x, *self._args(), return_indices=True)
        return out

    def backward(self, dout):
        return max_pool2d_backward(dout, self._x, *self._args(), indices=self._indices)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling layer, like ``torch.nn.AvgPool2d``; arguments as in ``cnnlib.avg_pool2d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def forward(self, x):
        self._x = x
        return avg_pool2d(x, *self._args())

    def backward(self, dout):
        return avg_pool2d_backward(dout, self._x, *self._args())

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class ReLU(Module):
    """``max(0, x)``; backward lets the gradient through where the input was positive."""

    def forward(self, x):
        self._mask = x > 0
        return x * self._mask

    def backward(self, dout):
        return dout * self._mask


class Sigmoid(Module):
    """Logistic function; backward uses the stored output: ``s' = s (1 - s)``."""

    def forward(self, x):
        self._out = sigmoid(x)
        return self._out

    def backward(self, dout):
        return dout * self._out * (1 - self._out)


class Tanh(Module):
    """Hyperbolic tangent; backward uses the stored output: ``tanh' = 1 - tanh^2``."""

    def forward(self, x):
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout):
        return dout * (1 - self._out * self._out)


class Flatten(Module):
    """Reshape ``(N, C, H, W)`` to ``(N, C*H*W)`` (dimensions ``start_dim..end_dim`` merged)."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        self._shape = x.shape
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def backward(self, dout):
        return dout.reshape(self._shape)


class BatchNorm2d(Module):
    """Batch normalisation over ``(N, H, W)`` per channel, like ``torch.nn.BatchNorm2d``.

    Training: normalise with the batch mean and (biased) variance, and update
    the running statistics ``running = (1 - momentum) running + momentum batch``,
    using the *unbiased* batch variance for ``running_var`` as PyTorch does
    (``momentum=None`` gives the cumulative average).  Evaluation: normalise
    with the running statistics.  ``weight`` (gamma) and ``bias`` (beta) have
    shape ``(C,)``; buffers ``running_mean``, ``running_var``, ``num_batches_tracked``.
    """

    _buffers = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float32):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype))
        self.bias = Parameter(np.zeros(num_features, dtype))
        self.running_mean = np.zeros(num_features, dtype)
        self.running_var = np.ones(num_features, dtype)
        self.num_batches_tracked = np.array(0, dtype=np.int64)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.num_features}) expects input (N, "
                             f"{self.num_features}, H, W), got shape {x.shape}")
        axes = (0, 2, 3)
        if self.training:
            m = x.size // self.num_features
            if m < 2:
                raise ValueError("BatchNorm2d needs more than one value per channel in training")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            self.num_batches_tracked += 1
            momentum = (1 / float(self.num_batches_tracked) if self.momentum is None
                        else self.momentum)
            self.running_mean *= 1 - momentum
            self.running_mean += momentum * mean
            self.running_var *= 1 - momentum
            self.running_var += momentum * var * (m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)
        xhat = (x - mean[:, None, None]) * inv_std[:, None, None]
        self._cache = xhat, inv_std, self.training
        return xhat * self.weight.data[:, None, None] + self.bias.data[:, None, None]

    def backward(self, dout):
        xhat, inv_std, training = self._cache
        axes = (0, 2, 3)
        _accumulate(self.weight, np.sum(dout * xhat, axis=axes))
        _accumulate(self.bias, dout.sum(axis=axes))
        dxhat = dout * self.weight.data[:, None, None]
        if not training:
            return dxhat * inv_std[:, None, None]
        # The batch mean and variance depend on every input too; differentiating
        # through them gives the compact form (Ioffe & Szegedy, 2015):
        # dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
        mean_d = dxhat.mean(axis=axes)[:, None, None]
        mean_dx = np.mean(dxhat * xhat, axis=axes)[:, None, None]
        return (dxhat - mean_d - xhat * mean_dx) * inv_std[:, None, None]

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Dropout(Module):
    """Inverted dropout, like ``torch.nn.Dropout``.

    In training each value is zeroed with probability ``p`` and the survivors
    are scaled by ``1/(1-p)``, so the expected output equals the input and
    nothing changes at evaluation time (identity).
    """

    def __init__(self, p=0.5, rng=None):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
        self.p = p
        self.rng = _rng(rng)

    def forward(self, x):
        if not self.training or self.p == 0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1 / (1 - self.p)
        self._mask = keep.astype(x.dtype) * x.dtype.type(scale)
        return x * self._mask

    def backward(self, dout):
        return dout if self._mask is None else dout * self._mask

    def extra_repr(self):
        return f"p={self.p}"


class LeNet5(Module):
    """The course's LeNet-5 for 28x28 digits in NumPy, layer for layer ``cnnlib.models.LeNet5``.

    ==============  ==========================  ==================
    layer           what                        output (per image)
    ==============  ==========================  ==================
    features.0      conv 6 @ 5x5, padding 2     (6, 28, 28)
    features.1      ReLU
    features.2      max pool 2x2, stride 2      (6, 14, 14)
    features.3      conv 16 @ 5x5               (16, 10, 10)
    features.4      ReLU
    features.5      max pool 2x2, stride 2      (16, 5, 5)
    flatten         (C, H, W) order, as torch   (400,)
    classifier.0    linear 400 -> 120           (120,)
    classifier.1    ReLU
    classifier.2    linear 120 -> 84            (84,)
    classifier.3    ReLU
    classifier.4    linear 84 -> num_classes    (num_classes,) class scores
    ==============  ==========================  ==================

    The parameter names (``features.0.weight`` ... ``classifier.4.bias``) and shapes
    are those of the PyTorch model, so ``load_state_dict`` takes its ``state_dict()``
    and the other way round.
    """

    def __init__(self, num_classes=10, in_channels=1, dtype=np.float32, rng=None):
        rng = _rng(rng)
        self.features = Sequential(
            # The images need no gradient: skip it in the first layer.
            Conv2d(in_channels, 6, 5, padding=2, input_grad=False, dtype=dtype, rng=rng),
            ReLU(), MaxPool2d(2),
            Conv2d(6, 16, 5, dtype=dtype, rng=rng), ReLU(), MaxPool2d(2),
        )
        self.flatten = Flatten()
        self.classifier = Sequential(
            Linear(16 * 5 * 5, 120, dtype=dtype, rng=rng), ReLU(),
            Linear(120, 84, dtype=dtype, rng=rng), ReLU(),
            Linear(84, num_classes, dtype=dtype, rng=rng),
        )

    def forward(self, x):
        """``(N, in_channels, 28, 28)`` images -> ``(N, num_classes)`` class scores."""
        return self.classifier(self.flatten(self.features(x)))

    def backward(self, dout):
        """Gradients of all parameters from ``dout`` ``(N, num_classes)``; returns None
        (the first layer skips the gradient of the images)."""
        return self.features.backward(self.flatten.backward(self.classifier.backward(dout)))


def lenet5(num_classes=10, in_channels=1, dtype=np.float32, rng=None):
    """The course's LeNet-5 in NumPy (61,706 parameters); see :class:`LeNet5`."""
    return LeNet5(num_classes, in_channels, dtype, rng)


# =========================================================================== optimisers
class Optimizer:
    """Holds the parameters to update; ``step()`` applies one update from their ``.grad``."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer params must be cnnlib.nn.Parameter objects "
                                f"(use model.parameters()), got {type(p).__name__}")
        if lr < 0:
            raise ValueError(f"learning rate lr must be >= 0, got {lr}")
        self.lr = lr
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, exactly as ``torch.optim.SGD``.

    With ``g = grad + weight_decay * w``::

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        d = g + momentum * b if nesterov else b
        w = w - lr * d

    (Without momentum, ``d = g``.)  Note PyTorch's momentum buffer starts at the
    first gradient, not at zero.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"momentum and weight_decay must be >= 0, got momentum={momentum}, "
                             f"weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def step(self):
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= self.momentum
                    buf += (1 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), exactly as ``torch.optim.Adam``.

    With ``g = grad + weight_decay * w`` and step count ``t``::

        m = beta1 m + (1 - beta1) g
        v = beta2 v + (1 - beta2) g^2
        w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay = tuple(betas), eps, weight_decay

    def step(self):
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(p.data),
                             exp_avg_sq=np.zeros_like(p.data))
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (g - m)          # = beta1 m + (1 - beta1) g
            v *= beta2
            v += (1 - beta2) * g * g
            step_size = self.lr / (1 - beta1 ** t)
            denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps
            p.data -= step_size * m / denom


# =========================================================================== gradient checking
def numerical_gradient(f, x, dout=None, eps=1e-6):
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to the array ``x``.

    Each entry of ``x`` is nudged by ``±eps`` in place (and restored):
    ``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``, whose error is ``O(eps^2)``.
    Use float64: in float32 the rounding error of ``L`` swamps the difference.

    Parameters
    ----------
    f : callable, ``f(x) -> ndarray`` (it may also ignore its argument and read ``x``
        from elsewhere, e.g. a layer's weight array)
    x : ndarray (float64), modified temporarily
    dout : ndarray of ``f(x)``'s shape, optional
        Upstream gradient; ones by default (the gradient of ``sum(f(x))``).
    """
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be a contiguous array (its entries are changed in place)")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        d = np.ones_like(plus) if dout is None else dout
        gflat[i] = np.sum((plus - minus) * d) / (2 * eps)
    return grad


def rel_error(a, b):
    """Relative error ``||a - b|| / (||a|| + ||b||)`` (0 when both are zero)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


class GradcheckReport:
    """Result of :func:`gradcheck`: relative errors per checked array, and ``passed``."""

    def __init__(self, errors, tol, analytic, numeric):
        self.errors, self.tol = errors, tol
        self.analytic, self.numeric = analytic, numeric
        self.passed = all(e <= tol for e in errors.values())

    def __bool__(self):
        return self.passed

    def __repr__(self):
        width = max(len(k) for k in self.errors)
        lines = [f"{k:<{width}}  relative error {e:.2e}  {'ok' if e <= self.tol else 'FAIL'}"
                 for k, e in self.errors.items()]
        verdict = "passed" if self.passed else "FAILED"
        return "\n".join(lines + [f"gradcheck {verdict} (tolerance {self.tol:g})"])


def gradcheck(f, x, backward=None, eps=1e-6, tol=1e-6, seed=0):
    """Compare an analytic backward pass with central differences, in float64.

    Parameters
    ----------
    f : Module or callable
        A layer with ``forward``/``backward`` (its parameter gradients are checked
        too, on a float64 copy, so your layer is left untouched), or a function
        ``f(x) -> ndarray``.
    x : ndarray
        Input at which to check (cast to float64).  Avoid kinks (e.g. ReLU at 0,
        ties in max pooling) where the derivative does not exist, and randomness
        (check dropout with ``eval()`` or a fixed mask): ``f`` is evaluated
        twice per entry and must give the same function each time.
    backward : callable ``backward(dout, x) -> dx``, required when ``f`` is a function
        (e.g. ``gradcheck(relu, x, relu_backward)``).
    eps : float
        Step of the central differences.
    tol : float
        Largest relative error (:func:`rel_error`) that passes; float64 with
        ``eps=1e-6`` typically gives 1e-8 or less for a correct gradient.
    seed : int
        Seed of the random upstream gradient ``dout`` (random, so that errors
        cannot cancel in a sum).

    Returns
    -------
    GradcheckReport
        Truthy when every error is within ``tol``; prints one line per array.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((3, 4))
    >>> gradcheck(tanh, x, tanh_backward).passed
    True
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if isinstance(f, Module):
        module = copy.deepcopy(f).to(np.float64)
        out = module.forward(x)
        dout = rng.standard_normal(out.shape)
        module.zero_grad()
        dx = module.backward(dout)
        analytic, numeric = {}, {}
        if dx is not None:          # None: a first layer built with input_grad=False
            analytic["input"] = dx
            numeric["input"] = numerical_gradient(module.forward, x, dout, eps)
        for name, p in module.named_parameters():
            analytic[name] = p.grad
            numeric[name] = numerical_gradient(lambda _: module.forward(x), p.data, dout, eps)
    else:
        if backward is None:
            raise TypeError("gradcheck of a plain function needs backward(dout, x) -> dx")
        out = np.asarray(f(x))
        dout = rng.standard_normal(out.shape)
        analytic = {"input": np.asarray(backward(dout, x))}
        numeric = {"input": numerical_gradient(f, x, dout, eps)}
    for name in analytic:
        if analytic[name] is None or analytic[name].shape != numeric[name].shape:
            got = None if analytic[name] is None else analytic[name].shape
            raise ValueError(f"the backward pass gave gradient {name!r} of shape {got}, "
                             f"expected {numeric[name].shape}")
    errors = {name: rel_error(analytic[name], numeric[name]) for name in analytic}
    return GradcheckReport(errors, tol, analytic, numeric)
