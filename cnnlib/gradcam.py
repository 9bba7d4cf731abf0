"""Where does the network look? Class activation maps (CAM) and Grad-CAM.

A network that ends in global average pooling and one linear layer scores class
``c`` as

    y_c = sum_k w_ck * mean_ij A_k[i, j] + b_c,

where ``A`` is the last convolutional feature map, ``(K, h, w)``. Moving the mean
outside gives the **class activation map** (Zhou et al. 2016)

    M_c[i, j] = sum_k w_ck A_k[i, j],        y_c = mean_ij M_c[i, j] + b_c,

an ``h x w`` picture of how much each place contributes to the score: its mean *is*
the score (less the bias).

**Grad-CAM** (Selvaraju et al. 2017) works for any network and any convolutional
layer. It weighs each feature map by the average gradient of the score with
respect to it, and keeps the positive part:

    alpha_k = mean_ij d y_c / d A_k[i, j],      L_c = ReLU(sum_k alpha_k A_k).

For the network above ``d y_c / d A_k[i, j] = w_ck / (h w)`` at every place, so at
the last convolutional layer Grad-CAM is ``ReLU(M_c) / (h w)``: CAM, rescaled and
with its negative part removed. The maps are ``h x w`` (7x7 for a 224x224 image in
EfficientNet-Lite0); they are upsampled to the image to be shown over it.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["grad_cam", "class_activation_map", "feature_maps"]


def _check_model_and_input(model, x, target_layer):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not torch.is_tensor(x) or x.ndim != 4 or not x.is_floating_point():
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"x must be a float tensor of images (N, C, H, W), got {shape}")
    if not isinstance(target_layer, nn.Module):
        raise TypeError(f"target_layer must be a module of model (e.g. model.features), "
                        f"got {type(target_layer).__name__}")
    if not any(m is target_layer for m in model.modules()):
        raise ValueError("target_layer is not a module of model: pass the layer object itself, "
                         "e.g. model.features or model.features[-1]")


def _class_indices(class_idx, logits):
    """``class_idx`` (None, an int, or N ints) as a ``(N,)`` tensor of class numbers."""
    n, num_classes = logits.shape
    if class_idx is None:
        return logits.argmax(1)
    idx = torch.as_tensor(class_idx)
    if idx.is_floating_point() or idx.dtype == torch.bool or idx.ndim > 1:
        raise TypeError(f"class_idx must be None, an int or a sequence of N ints, "
                        f"got {class_idx!r}")
    idx = idx.expand(n) if idx.ndim == 0 else idx
    if idx.shape != (n,):
        raise ValueError(f"class_idx must hold one class per image (N = {n}), got {idx.numel()}")
    if idx.min() < 0 or idx.max() >= num_classes:
        raise ValueError(f"class_idx must be in 0..{num_classes - 1}, got {idx.tolist()}")
    return idx.long().to(logits.device)


def feature_maps(model, x, target_layer):
    """Run ``model`` on ``x`` and return its scores and ``target_layer``'s output.

    Parameters
    ----------
    model : nn.Module
    x : tensor ``(N, C, H, W)``
    target_layer : nn.Module
        A module of ``model`` whose output is a stack of feature maps ``(N, K, h, w)``.

    Returns
    -------
    logits : tensor ``(N, num_classes)``
        Part of the autograd graph: ``torch.autograd.grad(logits[...], maps)`` works.
    maps : tensor ``(N, K, h, w)``
    """
    _check_model_and_input(model, x, target_layer)
    seen = []
    handle = target_layer.register_forward_hook(lambda m, i, out: seen.append((out, out._version)))
    try:
        with torch.enable_grad():
            # A copy of the images that asks for gradients makes every activation part of
            # the graph, even in a network whose parameters are frozen.
            logits = model(x.detach().clone().requires_grad_(True))
    finally:
        handle.remove()
    if not seen:
        raise ValueError("target_layer was not used in model's forward pass")
    maps, version = seen[-1]
    if not torch.is_tensor(maps) or maps.ndim != 4:
        shape = tuple(maps.shape) if torch.is_tensor(maps) else type(maps).__name__
        raise ValueError(f"target_layer must output feature maps (N, K, h, w), got {shape}; "
                         f"choose a convolutional layer or block")
    if maps._version != version:
        raise ValueError("target_layer's output was changed in place by a later layer (an "
                         "inplace ReLU?); choose that later layer, or the block that holds both")
    if logits.ndim != 2:
        raise ValueError(f"model must output scores (N, num_classes), got {tuple(logits.shape)}")
    return logits, maps


def grad_cam(model, x, target_layer, class_idx=None):
    """Grad-CAM: feature maps weighted by their average gradient, then ReLU.

    ``L_c = ReLU(sum_k alpha_k A_k)`` with ``alpha_k = mean_ij d y_c / d A_k[i, j]``,
    ``A`` the output of ``target_layer`` and ``y_c`` the score (logit) of class ``c``.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, C, H, W)`` images to ``(N, num_classes)`` scores. Put it in eval
        mode first (dropout and batch statistics would change the maps).
    x : tensor ``(N, C, H, W)``
    target_layer : nn.Module
        A module of ``model`` that outputs ``(N, K, h, w)``; usually the last
        convolutional block (``model.features`` or ``model.features[-1]``).
    class_idx : int, sequence of N ints, or None
        The class to explain for each image; None: the predicted class.

    Returns
    -------
    tensor ``(N, h, w)``, non-negative, detached. Upsample it to ``(H, W)`` to overlay.

    Raises
    ------
    ValueError
        ``target_layer`` is not in ``model``, is unused, does not output 4-D maps, or
        ``class_idx`` is out of range.
    """
    logits, maps = feature_maps(model, x, target_layer)
    idx = _class_indices(class_idx, logits)
    # Each image's score depends only on its own maps: one backward pass of the sum
    # gives every image's gradient.
    score = logits.gather(1, idx[:, None]).sum()
    (grads,) = torch.autograd.grad(score, maps)          # (N, K, h, w)
    alpha = grads.mean(dim=(2, 3), keepdim=True)          # (N, K, 1, 1)
    return F.relu((alpha * maps).sum(1)).detach()         # (N, h, w)


def class_activation_map(model, x, target_layer, classifier, class_idx=None):
    """The class activation map of a network that ends in global average pooling + linear.

    ``M_c[i, j] = sum_k w_ck A_k[i, j]``, ``A`` the output of ``target_layer`` (the
    last feature maps, the ones that are pooled) and ``w`` the weight of
    ``classifier``. The mean of ``M_c`` plus the classifier's bias is the score.

    Parameters
    ----------
    model : nn.Module
        ``(N, C, H, W)`` -> ``(N, num_classes)``, global average pooling of
        ``target_layer``'s output followed by ``classifier`` (dropout in between is fine
        in eval mode).
    x : tensor ``(N, C, H, W)``
    target_layer : nn.Module
        Outputs ``(N, K, h, w)``.
    classifier : nn.Linear
        ``K`` inputs, ``num_classes`` outputs.
    class_idx : int, sequence of N ints, or None
        None: the predicted class.

    Returns
    -------
    tensor ``(N, h, w)``, signed (no ReLU, as in Zhou et al.), detached.
    """
    if not isinstance(classifier, nn.Linear):
        raise TypeError(f"classifier must be the nn.Linear after the global average pooling, "
                        f"got {type(classifier).__name__}")
    if not any(m is classifier for m in model.modules()):
        raise ValueError("classifier is not a module of model")
    with torch.no_grad():
        logits, maps = feature_maps(model, x, target_layer)
    if maps.shape[1] != classifier.in_features:
        raise ValueError(f"target_layer outputs {maps.shape[1]} maps but classifier takes "
                         f"{classifier.in_features} inputs: CAM needs the maps that are pooled "
                         f"into the classifier")
    idx = _class_indices(class_idx, logits)
    weights = classifier.weight[idx]                      # (N, K)
    return torch.einsum("nk,nkhw->nhw", weights, maps).detach()
