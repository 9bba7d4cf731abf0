"""The bridge: cnnlib's NumPy convolution and max pooling as PyTorch operations.

PyTorch lets any computation join its automatic differentiation as a
``torch.autograd.Function``: a ``forward`` that computes the result and a
``backward`` that turns the gradient of the result into gradients of the
inputs.  Here both are cnnlib's NumPy code (``conv2d`` / ``conv2d_backward``,
``max_pool2d`` / ``max_pool2d_backward``), so a layer written from scratch runs
inside a real PyTorch network, trained by a PyTorch optimiser, and
``torch.autograd.gradcheck`` can check its backward pass.

``NumpyConv2d`` and ``NumpyMaxPool2d`` are drop-in replacements for
``torch.nn.Conv2d`` and ``torch.nn.MaxPool2d`` (same arguments, parameters and
``state_dict``)::

    model.features[0] = NumpyConv2d(1, 6, 5, padding=2)

They run on the CPU only (the data goes through NumPy) and are much slower
than PyTorch's own kernels: they are for learning and checking, not for speed.
"""
import torch
from torch import nn

from .conv import conv2d as _np_conv2d, conv2d_backward
from .pool import max_pool2d as _np_max_pool2d, max_pool2d_backward

__all__ = ["Conv2dFunction", "MaxPool2dFunction", "conv2d", "max_pool2d", "NumpyConv2d",
           "NumpyMaxPool2d"]


def _to_numpy(t, name):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise ValueError(f"{name} must be a CPU tensor (cnnlib.torch_ops runs NumPy code), got "
                         f"a tensor on {t.device}")
    return t.detach().numpy()


class Conv2dFunction(torch.autograd.Function):
    """``cnnlib.conv2d`` forward and ``cnnlib.conv2d_backward`` backward, as an autograd op.

    Use :func:`conv2d` (arguments as ``torch.nn.functional.conv2d``) rather than
    ``Conv2dFunction.apply``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, padding_mode):
        # The cache keeps the forward's im2col columns for the backward to reuse.
        ctx.cache = {}
        out = _np_conv2d(_to_numpy(x, "input"), _to_numpy(weight, "weight"),
                         None if bias is None else _to_numpy(bias, "bias"),
                         stride, padding, dilation, groups, padding_mode, cache=ctx.cache)
        ctx.save_for_backward(x, weight)
        ctx.conv_args = (stride, padding, dilation, groups, padding_mode)
        ctx.has_bias = bias is not None
        return torch.from_numpy(out)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dout):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        # A network's first layer needs no input gradient: skip it, as torch does.
        dx, dweight, dbias = conv2d_backward(_to_numpy(dout, "dout"), _to_numpy(x, "input"),
                                             _to_numpy(weight, "weight"),
                                             *ctx.conv_args, input_grad=need_x, cache=ctx.cache)
        ctx.cache = None
        # One gradient per forward argument; None for the non-tensor ones.
        return (torch.from_numpy(dx) if need_x else None,
                torch.from_numpy(dweight) if need_w else None,
                torch.from_numpy(dbias) if ctx.has_bias and need_b else None,
                None, None, None, None, None)


class MaxPool2dFunction(torch.autograd.Function):
    """``cnnlib.max_pool2d`` forward and ``cnnlib.max_pool2d_backward`` backward.

    The forward keeps the positions of the maxima, so the backward routes each
    gradient without searching again.  Use :func:`max_pool2d`.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode):
        xn = _to_numpy(x, "input")
        args = (kernel_size, stride, padding, dilation, ceil_mode)
        out, indices = _np_max_pool2d(xn, *args, return_indices=True)
        ctx.save_for_backward(x)
        ctx.pool_args = args
        ctx.indices = indices
        return torch.from_numpy(out)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        dx = max_pool2d_backward(_to_numpy(dout, "dout"), _to_numpy(x, "input"), *ctx.pool_args,
                                 indices=ctx.indices)
        return torch.from_numpy(dx), None, None, None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros"):
    """``torch.nn.functional.conv2d`` computed by cnnlib's NumPy code, with autograd.

    Parameters and shapes as :func:`cnnlib.conv2d`; takes and returns CPU tensors.
    """
    return Conv2dFunction.apply(input, weight, bias, stride, padding, dilation, groups,
                                padding_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``torch.nn.functional.max_pool2d`` computed by cnnlib's NumPy code, with autograd."""
    return MaxPool2dFunction.apply(input, kernel_size, stride, padding, dilation, ceil_mode)


class NumpyConv2d(nn.Conv2d):
    """``torch.nn.Conv2d`` whose forward and backward passes run cnnlib's NumPy code.

    Same constructor, parameters (``weight``, ``bias``), initialisation and
    ``state_dict`` as ``torch.nn.Conv2d``, so it replaces one in any model.
    """

    def forward(self, input):
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups, self.padding_mode)


class NumpyMaxPool2d(nn.MaxPool2d):
    """``torch.nn.MaxPool2d`` whose forward and backward passes run cnnlib's NumPy code."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        if return_indices:
            raise ValueError("NumpyMaxPool2d does not return indices; use "
                             "cnnlib.max_pool2d(..., return_indices=True) for them")
        super().__init__(kernel_size, stride, padding, dilation, False, ceil_mode)

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode)
