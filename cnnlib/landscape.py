"""A 2-D slice of the loss landscape around trained weights (Li et al., 2018; PyTorch).

Li, Xu, Taylor, Studer and Goldstein (*Visualizing the loss landscape of neural nets*,
NeurIPS 2018) look at the training loss of a trained network, weights ``theta``, on a
plane through ``theta`` spanned by two random directions ``d1`` and ``d2``::

    f(alpha, beta) = L(theta + alpha * d1 + beta * d2)

A random direction alone would mislead: ReLU networks with batch normalisation are
unchanged when a filter's weights are multiplied by a constant, so a step of 0.1 is a big
change to a filter of norm 0.5 and a tiny one to a filter of norm 50. *Filter
normalisation* scales each filter of the direction to the norm of the same filter of the
weights::

    d[j] <- d[j] / ||d[j]|| * ||theta[j]||

where the filter ``j`` of a convolution weight ``(C_out, C_in, kH, kW)`` is one output
channel, ``weight[j]``, and that of a dense weight ``(out, in)`` is one row, the weights of
one output unit. Biases and batch-norm parameters get direction 0, as in the paper's code,
and the loss is computed in eval mode (batch norm uses its running statistics), as there.
A step of 1 along a direction is then, filter by filter, as long as the weights themselves.
"""
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .device import threads

__all__ = ["filter_normalized_direction", "loss_surface"]


def filter_normalized_direction(model, generator=None):
    """A random Gaussian direction in weight space, each filter scaled to its weights' norm.

    Parameters
    ----------
    model : nn.Module
        The trained network; its weights ``theta`` set the norms.
    generator : torch.Generator, optional
        Source of the Gaussian numbers (default: torch's global generator), so that a
        seeded generator gives the same direction every time.

    Returns
    -------
    dict of str to Tensor
        One tensor per entry of ``model.named_parameters()``, with the parameter's name and
        shape: for a weight of shape ``(C_out, ...)``, ``d[j]`` has the norm of
        ``theta[j]`` for every ``j``; for a bias or a batch-norm parameter (one dimension)
        zeros.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Linear(3, 2)
    >>> d = filter_normalized_direction(model, torch.Generator().manual_seed(0))
    >>> torch.allclose(d["weight"].norm(dim=1), model.weight.norm(dim=1))
    True
    >>> d["bias"]
    tensor([0., 0.])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    direction = {}
    for name, theta in model.named_parameters():
        theta = theta.detach()
        if theta.dim() <= 1:
            direction[name] = torch.zeros_like(theta)
            continue
        d = torch.randn(theta.shape, generator=generator, dtype=theta.dtype,
                        device=theta.device)
        # The norm of each filter (everything but the first axis), shaped to broadcast.
        per_filter = (theta.dim() - 1) * (1,)
        d_norm = d.flatten(1).norm(dim=1).view(-1, *per_filter)
        theta_norm = theta.flatten(1).norm(dim=1).view(-1, *per_filter)
        direction[name] = d / d_norm * theta_norm
    return direction


def _check_steps(steps, name):
    steps = np.asarray(steps, dtype=float)
    if steps.ndim != 1 or steps.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of step sizes, "
                         f"got shape {steps.shape}")
    if not np.isfinite(steps).all():
        raise ValueError(f"{name} must be finite, got {steps}")
    return steps


def _check_directions(directions, parameters):
    if len(directions) != 2:
        raise ValueError(f"directions must be a pair (d1, d2), got {len(directions)} "
                         f"directions")
    for k, direction in enumerate(directions):
        if not isinstance(direction, Mapping):
            raise TypeError(f"directions[{k}] must be a dict of parameter name to tensor, as "
                            f"filter_normalized_direction returns, got "
                            f"{type(direction).__name__}")
        missing = [name for name in parameters if name not in direction]
        unknown = [name for name in direction if name not in parameters]
        if missing or unknown:
            raise ValueError(f"directions[{k}] must have one entry per parameter of the model: "
                             f"missing {missing}, not in the model {unknown}")
        for name, theta in parameters.items():
            if tuple(direction[name].shape) != tuple(theta.shape):
                raise ValueError(f"directions[{k}][{name!r}] has shape "
                                 f"{tuple(direction[name].shape)}, but the parameter {name!r} "
                                 f"has shape {tuple(theta.shape)}")


def loss_surface(model, loss_fn, batch, directions, alphas, betas, num_threads=None,
                 progress=True):
    """The loss ``L(theta + alpha * d1 + beta * d2)`` on a grid of ``(alpha, beta)``.

    Parameters
    ----------
    model : nn.Module
        Maps ``x`` to scores, e.g. ``(N, C, H, W)`` to ``(N, num_classes)``. Evaluated in
        eval mode; its weights and its mode are restored afterwards.
    loss_fn : callable or None
        ``loss_fn(output, y)`` returning the mean loss of the batch; None for
        ``nn.CrossEntropyLoss()``.
    batch : pair ``(x, y)`` of tensors or arrays
        One batch, e.g. ``x`` of shape ``(N, C, H, W)`` and ``y`` of shape ``(N,)``.
    directions : pair ``(d1, d2)`` of dicts
        From :func:`filter_normalized_direction`: one tensor per parameter, named and shaped
        like it.
    alphas, betas : 1-D sequences of float, lengths A and B
        The steps along ``d1`` and ``d2``, e.g. ``np.linspace(-1, 1, 21)``.
    num_threads : int, optional
        CPU threads for torch, as in :func:`cnnlib.train.fit`.
    progress : bool
        Show a ``tqdm`` progress bar over the ``A * B`` grid points.

    Returns
    -------
    ndarray, shape (A, B)
        ``surface[i, j]`` is the loss at ``theta + alphas[i] * d1 + betas[j] * d2``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(4, 3)
    >>> x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    >>> d1, d2 = filter_normalized_direction(model), filter_normalized_direction(model)
    >>> surface = loss_surface(model, None, (x, y), (d1, d2), [-1, 0, 1], [-1, 0, 0.5, 1],
    ...                        progress=False)
    >>> surface.shape
    (3, 4)
    >>> bool(surface[1, 1] == torch.nn.functional.cross_entropy(model(x), y).item())
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    alphas, betas = _check_steps(alphas, "alphas"), _check_steps(betas, "betas")
    parameters = dict(model.named_parameters())
    _check_directions(directions, parameters)
    if len(batch) != 2:
        raise ValueError(f"batch must be a pair (x, y), got {len(batch)} items")
    device = next(iter(parameters.values())).device if parameters else torch.device("cpu")
    x, y = (torch.as_tensor(v, device=device) for v in batch)
    d1, d2 = directions
    theta = {name: p.detach().clone() for name, p in parameters.items()}
    surface = np.empty((len(alphas), len(betas)))
    was_training = model.training
    model.eval()
    bar = tqdm(total=surface.size, desc="loss surface", disable=not progress, leave=False)
    try:
        with torch.no_grad(), threads(num_threads):
            for i, alpha in enumerate(alphas):
                for j, beta in enumerate(betas):
                    for name, p in parameters.items():
                        p.copy_(theta[name] + alpha * d1[name] + beta * d2[name])
                    loss = loss_fn(model(x), y)
                    if loss.numel() != 1:
                        raise ValueError(f"loss_fn must return the mean loss of the batch (one "
                                         f"number), got shape {tuple(loss.shape)}")
                    surface[i, j] = loss.item()
                    bar.update(1)
    finally:
        bar.close()
        with torch.no_grad():
            for name, p in parameters.items():
                p.copy_(theta[name])
        model.train(was_training)
    return surface
