"""Layers of ``cnnlib.nn``: modules that keep what their backward pass needs.

A layer (``Conv2d``, ``Linear``, ``ReLU`` ...) has a forward pass that stores
its input, and a backward pass that calls the layer's functional pair
(:mod:`cnnlib.nn.functional`, :mod:`cnnlib.conv`, :mod:`cnnlib.pool`), stores
the gradients of its parameters in ``param.grad`` (adding to what is there, as
PyTorch does, so call ``zero_grad()`` before each step) and returns the gradient
with respect to its input.  The arithmetic lives in the functional pairs only.

Parameters have the names and shapes of the PyTorch layer of the same name
(``weight`` ``(out, in, kh, kw)`` and ``bias`` for ``Conv2d``, ``weight``
``(out, in)`` for ``Linear``).  What every layer shares (parameters, train and
eval modes, ``state_dict()`` with PyTorch's keys) is the base class ``Module`` of
:mod:`cnnlib.nn.module`, imported here with ``Parameter`` and ``Sequential`` so
that one import gives a whole network's parts.

Examples
--------
>>> import numpy as np
>>> layer = Linear(3, 2, rng=0)
>>> out = layer(np.ones((4, 3), np.float32))
>>> dx = layer.backward(np.ones_like(out))
>>> dx.shape, layer.weight.grad.shape
((4, 3), (2, 3))
"""
from __future__ import annotations

import math

import numpy as np

from ..conv import conv2d, conv2d_backward
from ..pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from . import functional as F
from .module import Module, Parameter, Sequential
from .._validate import check_in_range, check_int_pair, check_positive_int

__all__ = ["Parameter", "Module", "Sequential", "Conv2d", "Linear", "MaxPool2d", "AvgPool2d",
           "ReLU", "Sigmoid", "Tanh", "Flatten", "BatchNorm2d", "Dropout"]


def _accumulate(param, grad):
    """Add ``grad`` to ``param.grad`` (a parameter used twice gets both contributions)."""
    param.grad = grad if param.grad is None else param.grad + grad


def _check_padding(padding):
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        return padding
    check_int_pair(padding, "padding", minimum=0)
    return padding


def _check_pool_args(kernel_size, stride, padding, dilation=1):
    check_int_pair(kernel_size, "kernel_size")
    if stride is not None:
        check_int_pair(stride, "stride")
    check_int_pair(padding, "padding", minimum=0)
    check_int_pair(dilation, "dilation")


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

    Input ``(N, in_channels, H, W)``, output ``(N, out_channels, H_out, W_out)``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, input_grad=True, dtype=np.float32, rng=None):
        check_positive_int(in_channels, "in_channels")
        check_positive_int(out_channels, "out_channels")
        kh, kw = check_int_pair(kernel_size, "kernel_size")
        check_int_pair(stride, "stride")
        check_int_pair(dilation, "dilation")
        check_positive_int(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (kh, kw)
        self.stride, self.padding = stride, _check_padding(padding)
        self.dilation, self.groups = dilation, groups
        self.input_grad = input_grad
        rng = np.random.default_rng(rng)     # a seed, a Generator (kept) or None
        bound = 1 / math.sqrt(in_channels // groups * kh * kw)
        shape = (out_channels, in_channels // groups, kh, kw)
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(rng.uniform(-bound, bound, out_channels).astype(dtype))
                     if bias else None)

    def forward(self, x):
        self._x = x
        # In training, the im2col columns the forward builds are kept for backward's weight
        # gradient (conv2d's ``cache``, which conv2d empties on every call), so backward
        # needs no second copy of them; in evaluation nothing is kept.
        self._columns = {} if self.training else None
        return conv2d(x, self.weight.data, None if self.bias is None else self.bias.data,
                      self.stride, self.padding, self.dilation, self.groups,
                      cache=self._columns)

    def backward(self, dout):
        dx, dweight, dbias = conv2d_backward(dout, self._x, self.weight.data, self.stride,
                                             self.padding, self.dilation, self.groups,
                                             input_grad=self.input_grad, cache=self._columns)
        _accumulate(self.weight, dweight)
        if self.bias is not None:
            _accumulate(self.bias, dbias)
        return dx

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}")


class Linear(Module):
    """Fully connected layer ``y = x W^T + b``, like ``torch.nn.Linear``; see ``functional.linear``.

    ``weight`` has shape ``(out_features, in_features)``, ``bias`` ``(out_features,)``;
    initialised as PyTorch does (uniform in ``±1/sqrt(in_features)``).
    Input ``(N, in_features)``, output ``(N, out_features)``.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, rng=None):
        check_positive_int(in_features, "in_features")
        check_positive_int(out_features, "out_features")
        self.in_features, self.out_features = in_features, out_features
        rng = np.random.default_rng(rng)     # a seed, a Generator (kept) or None
        bound = 1 / math.sqrt(in_features)
        shape = (out_features, in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(rng.uniform(-bound, bound, out_features).astype(dtype))
                     if bias else None)

    def forward(self, x):
        self._x = x
        return F.linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, dout):
        dx, dweight, dbias = F.linear_backward(dout, self._x, self.weight.data)
        _accumulate(self.weight, dweight)
        if self.bias is not None:
            _accumulate(self.bias, dbias)
        return dx

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


class MaxPool2d(Module):
    """Max pooling layer, like ``torch.nn.MaxPool2d``; arguments as in :func:`cnnlib.max_pool2d`."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        _check_pool_args(kernel_size, stride, padding, dilation)
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
        _check_pool_args(kernel_size, stride, padding)
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


class _Activation(Module):
    """An elementwise activation: a layer around the pair ``function``, ``function_backward``."""

    def forward(self, x):
        self._x = x
        return self.function(x)

    def backward(self, dout):
        return self.function_backward(dout, self._x)


class ReLU(_Activation):
    """``max(0, x)``, any shape; see :func:`~.functional.relu` and its backward."""

    function = staticmethod(F.relu)
    function_backward = staticmethod(F.relu_backward)


class Sigmoid(_Activation):
    """Logistic function, any shape; see :func:`~.functional.sigmoid` and its backward."""

    function = staticmethod(F.sigmoid)
    function_backward = staticmethod(F.sigmoid_backward)


class Tanh(_Activation):
    """Hyperbolic tangent, any shape; see :func:`~.functional.tanh` and its backward."""

    function = staticmethod(F.tanh)
    function_backward = staticmethod(F.tanh_backward)


class Flatten(Module):
    """Reshape ``(N, C, H, W)`` to ``(N, C*H*W)`` (dimensions ``start_dim..end_dim`` merged)."""

    def __init__(self, start_dim=1, end_dim=-1):
        for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(dim, bool) or not isinstance(dim, int):
                raise TypeError(f"{name} must be an int, got {type(dim).__name__} {dim!r}")
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
    The arithmetic is :func:`~.functional.batch_norm` and its backward.
    """

    _buffers = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float32):
        check_positive_int(num_features, "num_features")
        check_in_range(eps, "eps", 0, math.inf)
        if eps == 0:
            raise ValueError("eps must be > 0 (it keeps 1/sqrt(var + eps) finite), got 0")
        if momentum is not None:
            check_in_range(momentum, "momentum", 0, 1)
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
        if self.training:
            m = x.size // self.num_features
            if m < 2:
                raise ValueError("BatchNorm2d needs more than one value per channel in training")
            mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
            self._update_running_stats(mean, var, m)
        else:
            mean, var = self.running_mean, self.running_var
        self._cache = x, mean, var, self.training
        return F.batch_norm(x, mean, var, self.weight.data, self.bias.data, self.eps)

    def _update_running_stats(self, mean, var, m):
        self.num_batches_tracked += 1
        momentum = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean *= 1 - momentum
        self.running_mean += momentum * mean
        self.running_var *= 1 - momentum
        self.running_var += momentum * var * (m / (m - 1))

    def backward(self, dout):
        x, mean, var, training = self._cache
        dx, dweight, dbias = F.batch_norm_backward(dout, x, mean, var, self.weight.data,
                                                   self.eps, batch_stats=training)
        _accumulate(self.weight, dweight)
        _accumulate(self.bias, dbias)
        return dx

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Dropout(Module):
    """Inverted dropout, like ``torch.nn.Dropout``; any shape.

    In training each value is zeroed with probability ``p`` and the survivors
    are scaled by ``1/(1-p)``, so the expected output equals the input and
    nothing changes at evaluation time (identity).
    """

    def __init__(self, p=0.5, rng=None):
        self.p = check_in_range(p, "dropout probability p", 0, 1)
        self.rng = np.random.default_rng(rng)     # a seed, a Generator (kept) or None

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
