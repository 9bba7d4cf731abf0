"""A tiny neural-network framework in NumPy, small enough to read in one sitting.

Four ideas, one module each, each built on the one before:

1. :mod:`~cnnlib.nn.functional`: **functions in forward/backward pairs** (the
   style of Stanford's CS231n): ``relu(x)`` and ``relu_backward(dout, x)``, where
   ``dout`` is the gradient of the loss with respect to the function's output
   and the backward returns the gradient with respect to its input.  Every
   backward takes the forward's input, like :func:`cnnlib.conv2d_backward`.
   Losses (``cross_entropy``, ``mse_loss`` ...) return ``(loss, grad)``: the
   loss and its gradient with respect to the scores.
2. :mod:`~cnnlib.nn.modules`: **layers** (``Conv2d``, ``Linear``, ``ReLU`` ...)
   built on what a layer is (:mod:`~cnnlib.nn.module`: ``Parameter``, ``Module``,
   ``Sequential``), that keep what their backward pass needs and call the functional pairs, as
   ``torch.nn.ReLU`` calls ``torch.nn.functional.relu``.  Parameter names,
   shapes and ``state_dict`` keys are PyTorch's.  :mod:`~cnnlib.nn.lenet`
   stacks them into the course's LeNet-5.
3. :mod:`~cnnlib.nn.optim`: **optimisers** ``SGD`` and ``Adam``, with PyTorch's
   update rules to the last digit.
4. :mod:`~cnnlib.nn.gradient_check`: ``gradcheck`` to test your own layer with
   finite differences.

Everything runs in the dtype of the parameters: float32 by default (fast),
float64 for gradient checks.  All public names are available here, so
``from cnnlib.nn import Conv2d, cross_entropy, SGD`` works.

Examples
--------
>>> import numpy as np
>>> from cnnlib.nn import lenet5, cross_entropy, SGD
>>> net = lenet5(rng=0)
>>> opt = SGD(net.parameters(), lr=0.01, momentum=0.9)
>>> x = np.zeros((8, 1, 28, 28), np.float32); y = np.zeros(8, np.int64)
>>> loss, dscores = cross_entropy(net(x), y)
>>> opt.zero_grad(); _ = net.backward(dscores); opt.step()
"""
from . import functional
from .functional import (
    relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward,
    softmax, softmax_backward, log_softmax, linear, linear_backward,
    batch_norm, batch_norm_backward, layer_norm, group_norm,
    cross_entropy, binary_cross_entropy_with_logits, mse_loss,
)
from .modules import (
    Parameter, Module, Sequential, Conv2d, MaxPool2d, AvgPool2d, ReLU, Tanh, Sigmoid,
    Flatten, Linear, BatchNorm2d, Dropout,
)
from .lenet import LeNet5, lenet5
from .optim import Optimizer, SGD, Adam
from .gradient_check import numerical_gradient, rel_error, gradcheck, GradcheckReport

__all__ = [
    # functional pairs and losses
    "functional",
    "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
    "softmax", "softmax_backward", "log_softmax", "linear", "linear_backward",
    "batch_norm", "batch_norm_backward", "layer_norm", "group_norm",
    "cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
    # layers
    "Parameter", "Module", "Sequential", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Tanh",
    "Sigmoid", "Flatten", "Linear", "BatchNorm2d", "Dropout", "LeNet5", "lenet5",
    # training
    "Optimizer", "SGD", "Adam",
    # gradient checking
    "numerical_gradient", "rel_error", "gradcheck", "GradcheckReport",
]
