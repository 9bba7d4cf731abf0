"""Adversarial examples: small changes of the pixels that change a network's answer.

A trained classifier is a smooth function of its input, so its loss has a gradient with
respect to the pixels.  Moving every pixel a little *up* that gradient raises the loss
fastest.  Under the L-infinity budget ``|x_adv - x| <= epsilon`` (no pixel moves by more
than ``epsilon``) the best first-order step is ``epsilon`` times the *sign* of the
gradient: the fast gradient sign method (Goodfellow, Shlens and Szegedy, 2015)::

    x_adv = clip(x + epsilon * sign(d loss / d x), 0, 1)

Projected gradient descent (Madry et al., 2018) takes several smaller steps of size
``alpha``, each followed by a projection back into the epsilon-ball around ``x`` and into
the valid pixel range; it starts from a random point of the ball.  It finds a higher loss
than FGSM's single step, so a model is only as robust as PGD says.

Adversarial training (Madry et al., 2018) trains on the attacked images instead of the
clean ones: :func:`adversarial_fit`.

Every function takes a PyTorch model that maps images ``(N, C, H, W)`` to logits
``(N, K)`` and returns new tensors; the model's parameters and mode are left as they were.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ._validate import check_positive_int
from .device import threads

__all__ = ["fgsm", "pgd", "adversarial_fit"]


def _check_attack(model, x, y, epsilon, clip):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 2:
        raise TypeError("x must be a floating-point torch tensor of images (N, C, H, W), got "
                        f"{type(x).__name__}" + (f" of shape {tuple(x.shape)}, dtype {x.dtype}"
                                                 if isinstance(x, torch.Tensor) else ""))
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != x.shape[:1]:
        raise ValueError(f"y must be an int64 tensor of shape ({len(x)},), one class per image, "
                         f"got {getattr(y, 'dtype', type(y).__name__)} "
                         f"{tuple(getattr(y, 'shape', ()))}")
    if (isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real)
            or not 0 <= epsilon < np.inf):
        raise ValueError(f"epsilon must be a finite number >= 0 (the largest change of a "
                         f"pixel), got {epsilon!r}")
    low, high = clip
    if not low < high:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")


def _loss_gradient(model, x, y):
    """The gradient of the mean cross-entropy with respect to the images ``x``: (N, C, H, W)."""
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(model, x, y, epsilon, *, clip=(0.0, 1.0)):
    """The fast gradient sign method: one step of ``epsilon * sign(gradient)``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps images ``(N, C, H, W)`` to logits ``(N, K)``; used as it is (call
        ``model.eval()`` first so that dropout and batch norm do not change the answer).
    x : torch.Tensor of float, shape (N, C, H, W)
        Clean images, pixels in ``clip``.
    y : torch.Tensor of int64, shape (N,)
        Their true classes; the attack raises the cross-entropy of these.
    epsilon : float
        L-infinity budget: no pixel moves by more than ``epsilon``.
    clip : (float, float)
        The valid pixel range; the result is clipped into it.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)
        ``clip(x + epsilon * sign(d loss / d x))``, detached from the graph.

    Examples
    --------
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> x = torch.full((3, 1, 2, 2), 0.5); y = torch.tensor([0, 1, 0])
    >>> (fgsm(model, x, y, epsilon=0.1) - x).abs().max().item() <= 0.1 + 1e-7
    True
    """
    _check_attack(model, x, y, epsilon, clip)
    step = epsilon * _loss_gradient(model, x, y).sign()
    return (x.detach() + step).clamp(*clip)


def pgd(model, x, y, epsilon, alpha, steps, *, random_start=True, clip=(0.0, 1.0),
        generator=None):
    """Projected gradient descent on the loss within the L-infinity ball of radius ``epsilon``.

    Each step goes ``alpha * sign(gradient)`` uphill, then projects back into the ball
    ``|x_adv - x| <= epsilon`` and into the pixel range ``clip``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps images ``(N, C, H, W)`` to logits ``(N, K)`` (put it in eval mode first).
    x : torch.Tensor of float, shape (N, C, H, W)
        Clean images, pixels in ``clip``.
    y : torch.Tensor of int64, shape (N,)
        Their true classes.
    epsilon : float
        L-infinity budget.
    alpha : float
        Step size, > 0; Madry et al. use about ``2.5 * epsilon / steps``.
    steps : int
        Number of gradient steps, >= 1.
    random_start : bool
        Start from a uniformly random point of the ball (as Madry et al.) instead of ``x``.
    clip : (float, float)
        The valid pixel range.
    generator : torch.Generator, optional
        Source of the random start, for reproducible attacks.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)
        The attacked images, detached, with ``|x_adv - x| <= epsilon`` and pixels in ``clip``.

    Examples
    --------
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> x = torch.full((3, 1, 2, 2), 0.5); y = torch.tensor([0, 1, 0])
    >>> x_adv = pgd(model, x, y, epsilon=0.1, alpha=0.05, steps=5)
    >>> bool((x_adv - x).abs().max() <= 0.1 + 1e-7)
    True
    """
    _check_attack(model, x, y, epsilon, clip)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < np.inf:
        raise ValueError(f"alpha (the step size) must be a finite number > 0, got {alpha!r}")
    check_positive_int(steps, "steps")
    x = x.detach()
    x_adv = x.clone()
    if random_start:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        x_adv = (x_adv + (2 * noise - 1) * epsilon).clamp(*clip)
    for _ in range(steps):
        x_adv = x_adv + alpha * _loss_gradient(model, x_adv, y).sign()
        # Projection onto the intersection of the ball and the pixel box: both are boxes,
        # so clipping into one and then the other lands in their intersection.
        x_adv = torch.min(torch.max(x_adv, x - epsilon), x + epsilon).clamp(*clip)
    return x_adv


def adversarial_fit(model, train_data, epsilon, *, alpha=None, steps=1, epochs=1,
                    batch_size=128, lr=1e-3, seed=0, progress=True):
    """Adversarial training: gradient descent on the loss of attacked images (Madry et al.).

    Every batch is replaced by its PGD attack (``steps`` steps of size ``alpha``, with a
    random start) against the current model; the model then takes one Adam step on the
    loss of the attacked batch.  With ``steps=1`` and ``alpha = 1.25 * epsilon`` this is
    the fast FGSM training with a random start of Wong, Rice and Kolter (2020).

    Parameters
    ----------
    model : torch.nn.Module
        Maps images ``(N, C, H, W)`` to logits ``(N, K)``; trained in place. Its batch
        norm and dropout layers, if any, see the attacked batches in eval mode.
    train_data : (array_like, array_like)
        Images ``(N, C, H, W)`` with pixels in [0, 1] and their classes ``(N,)``.
    epsilon : float
        L-infinity budget of the attack trained against.
    alpha : float, optional
        PGD step size; default ``1.25 * epsilon`` for one step, ``2.5 * epsilon / steps``
        for more.
    steps : int
        PGD steps per batch.
    epochs : int
        Passes over ``train_data``, shuffled in an order fixed by ``seed``.
    batch_size : int
    lr : float
        Learning rate of Adam.
    seed : int
        Seeds the shuffling and the random starts.
    progress : bool
        Show a progress bar per epoch with the running loss and accuracy on attacked images.

    Returns
    -------
    list of float
        The mean training loss (on attacked images) of each epoch. The model is left
        in eval mode.
    """
    check_positive_int(steps, "steps")
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    x_all = torch.as_tensor(np.asarray(train_data[0]), dtype=torch.float32)
    y_all = torch.as_tensor(np.asarray(train_data[1]), dtype=torch.int64)
    if len(x_all) != len(y_all):
        raise ValueError(f"train_data must be (X, y) of the same length, got {len(x_all)} "
                         f"images and {len(y_all)} labels")
    if alpha is None:
        alpha = 1.25 * epsilon if steps == 1 else 2.5 * epsilon / steps
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    with threads():          # the course's CPU thread policy, as in fit
        for epoch in range(epochs):
            losses.append(_adversarial_epoch(model, opt, x_all, y_all, epsilon, alpha, steps,
                                             batch_size, generator, progress,
                                             f"adversarial epoch {epoch + 1}/{epochs}"))
    model.eval()
    return losses


def _adversarial_epoch(model, opt, x_all, y_all, epsilon, alpha, steps, batch_size, generator,
                       progress, desc):
    """One pass of :func:`adversarial_fit`; returns the mean loss on the attacked batches."""
    order = torch.randperm(len(x_all), generator=generator)
    bar = tqdm(range(0, len(order), batch_size), desc=desc, disable=not progress)
    total_loss = correct = seen = 0
    for start in bar:
        idx = order[start:start + batch_size]
        x, y = x_all[idx], y_all[idx]
        model.eval()              # attack the model as it will be used
        x_adv = pgd(model, x, y, epsilon, alpha, steps, generator=generator)
        model.train()
        logits = model(x_adv)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total_loss += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", adv_acc=f"{correct / seen:.4f}",
                        refresh=False)
    return total_loss / seen
