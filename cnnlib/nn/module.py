"""What a layer of ``cnnlib.nn`` is: ``Parameter``, ``Module`` and ``Sequential``.

A :class:`Parameter` is a trainable array with its gradient.  A :class:`Module` holds
parameters, sub-modules and buffers (state that is not trained, such as BatchNorm's
running statistics), switches between training and evaluation, and saves and loads
its state.  :class:`Sequential` applies layers in order, and its backward pass visits
them in reverse: the chain rule.  The layers themselves (``Conv2d``, ``Linear``,
``ReLU`` ...) are in :mod:`cnnlib.nn.modules`.

Parameters have the names and shapes of the PyTorch layer of the same name, and
``state_dict()`` / ``load_state_dict()`` use PyTorch's keys (``"0.weight"``), so
weights copy between a NumPy ``Sequential`` and a ``torch.nn.Sequential`` with the
same layers in both directions.

Examples
--------
>>> import numpy as np
>>> w = Parameter(np.zeros((2, 3), np.float32))
>>> w.shape, w.grad is None
((2, 3), True)
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["Parameter", "Module", "Sequential"]


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
