"""Optimisers of ``cnnlib.nn``: ``SGD`` and ``Adam`` with PyTorch's update rules to the last digit.

Examples
--------
>>> import numpy as np
>>> from cnnlib.nn.modules import Parameter
>>> w = Parameter(np.array([1.0, -2.0]))
>>> opt = SGD([w], lr=0.1)
>>> w.grad = np.array([1.0, 1.0])
>>> opt.step()
>>> w.data
array([ 0.9, -2.1])
"""
from __future__ import annotations

import math

import numpy as np

from .._validate import check_in_range, check_real
from .modules import Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Holds the parameters to update; ``step()`` applies one update from their ``.grad``."""

    def __init__(self, params, lr, weight_decay=0):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer params must be cnnlib.nn.Parameter objects "
                                f"(use model.parameters()), got {type(p).__name__}")
        if check_real(lr, "learning rate lr") < 0:
            raise ValueError(f"learning rate lr must be >= 0, got {lr}")
        check_in_range(weight_decay, "weight_decay", 0, math.inf)
        self.lr, self.weight_decay = lr, weight_decay
        self.state = [{} for _ in self.params]

    def _gradients(self):
        """``(param, state, g)`` per parameter with a gradient; ``g = grad + weight_decay * w``."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            yield p, state, g

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
        super().__init__(params, lr, weight_decay)
        check_in_range(momentum, "momentum", 0, math.inf)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
        self.momentum, self.dampening = momentum, dampening
        self.nesterov = nesterov

    def step(self):
        for p, state, g in self._gradients():
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
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        if not (0 <= check_real(betas[0], "betas[0]") < 1
                and 0 <= check_real(betas[1], "betas[1]") < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        check_in_range(eps, "eps", 0, math.inf)
        self.betas, self.eps = tuple(betas), eps

    def step(self):
        beta1, beta2 = self.betas
        for p, state, g in self._gradients():
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
