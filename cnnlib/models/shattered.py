"""The one-dimensional toy networks of the shattered-gradients paper, and their input gradient.

Balduzzi, Frean, Leary, Lewis, Ma and McWilliams (*The shattered gradients problem: if
resnets are the answer, then what is the question?*, ICML 2017) look at the gradient of a
network's output with respect to a scalar input ``x``, over a grid of inputs: fully
connected ReLU networks with batch normalisation, at initialisation, plain or with skip
connections ``h + f(h)``. :func:`shattered_net` builds them; :func:`input_gradient` takes
the batch-norm statistics from the grid itself, freezes them, and returns ``d output / d x``
at every input.
"""
import torch
from torch import nn

__all__ = ["shattered_net", "input_gradient"]


def _hidden(width):
    return nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width, momentum=None), nn.ReLU())


class _Residual(nn.Module):
    """``h + f(h)`` with ``f`` two Linear-BatchNorm-ReLU layers."""

    def __init__(self, width):
        super().__init__()
        self.f = nn.Sequential(_hidden(width), _hidden(width))

    def forward(self, h):
        return h + self.f(h)


def shattered_net(plain_layers=0, residual_blocks=0, width=200):
    """A fully connected ReLU network from a scalar input to a scalar output.

    ``Linear(1, width)``, ReLU (no batch norm: on a one-dimensional input it would put every
    unit's kink at ``x = 0``), then ``residual_blocks`` blocks ``h + f(h)`` of two layers,
    then ``plain_layers`` layers, each layer ``Linear(width, width)``, ``BatchNorm1d`` (with
    ``momentum=None``: its running statistics become the mean of the batches seen) and ReLU,
    then ``Linear(width, 1)``. The hidden layers number ``1 + 2 residual_blocks +
    plain_layers``. The modules are created (and so initialised from torch's random state)
    in the order: blocks, layers, first layer, last layer.

    Parameters
    ----------
    plain_layers, residual_blocks : int
        At least 0.
    width : int
        Units per hidden layer, at least 1.

    Returns
    -------
    nn.Sequential
        Maps ``(N, 1)`` to ``(N, 1)``.

    Examples
    --------
    >>> net = shattered_net(plain_layers=1, residual_blocks=2, width=8)
    >>> sum(isinstance(m, nn.Linear) for m in net.modules())       # 1 + 2 x 2 + 1 hidden, 1 out
    7
    >>> net.eval()(torch.zeros(5, 1)).shape
    torch.Size([5, 1])
    """
    for name, value, low in (("plain_layers", plain_layers, 0),
                             ("residual_blocks", residual_blocks, 0), ("width", width, 1)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")
    body = ([_Residual(width) for _ in range(residual_blocks)]
            + [_hidden(width) for _ in range(plain_layers)])
    return nn.Sequential(nn.Linear(1, width), nn.ReLU(), *body, nn.Linear(width, 1))


def input_gradient(net, x):
    """``d net(x) / d x`` at every input, with batch norm's statistics those of ``x``.

    One forward pass in training mode sets the running statistics of every batch-norm layer
    with ``momentum=None`` that has seen no batch to those of ``x``; then, in eval mode,
    they are frozen, so each input's gradient depends on that input only.

    Parameters
    ----------
    net : nn.Module
        Maps ``(N, 1)`` to ``(N, 1)``, e.g. :func:`shattered_net`. Its batch-norm layers
        should have ``momentum=None`` and have seen no batch.
    x : torch.Tensor, shape (N, 1)
        The inputs, N >= 2.

    Returns
    -------
    numpy.ndarray, shape (N,)
        The derivative of the output with respect to the input, at each input.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(1, 1, bias=False))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(3.0)
    >>> input_gradient(net, torch.linspace(-1, 1, 4).unsqueeze(1)).tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != 1 or len(x) < 2:
        raise ValueError(f"x must be a tensor of shape (N, 1) with N >= 2, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    net.train()
    with torch.no_grad():
        net(x)                 # momentum=None: the running statistics become this batch's
    net.eval()
    x = x.detach().clone().requires_grad_(True)
    grad, = torch.autograd.grad(net(x).sum(), x)
    return grad.squeeze(1).numpy()
