"""Data augmentation for image batches: small rotations and shifts, written with torch ops.

A network should give the same answer for a digit drawn a pixel to the left or tilted by a
few degrees. Showing it such copies of the training images, drawn anew every batch, teaches
that invariance without new labels. Each image is moved by an affine map

    rotate by ``theta`` about the centre, then shift by ``(dx, dy)`` pixels,

applied with ``torch.nn.functional.affine_grid`` and ``grid_sample`` (bilinear
interpolation; pixels that come from outside the image are 0, the background of MNIST).

Augmentations must keep the label true: a 180-degree rotation turns a 6 into a 9.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["affine", "random_affine"]


def _check_images(x):
    if not torch.is_tensor(x) or x.ndim != 4 or not x.is_floating_point():
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"x must be a float tensor of images (N, C, H, W), got {shape}")


def affine(x, degrees, shift):
    """Rotate each image about its centre by ``degrees`` (anticlockwise), then shift it.

    Parameters
    ----------
    x : tensor ``(N, C, H, W)``, float
    degrees : float or tensor ``(N,)``
        Rotation angle of each image; positive turns the picture anticlockwise as
        displayed (row 0 at the top).
    shift : (float, float) or tensor ``(N, 2)``
        ``(dx, dy)`` in pixels: positive ``dx`` moves the picture right, positive
        ``dy`` down.

    Returns
    -------
    tensor ``(N, C, H, W)``, same dtype. Pixels from outside the image are 0.
    """
    _check_images(x)
    n, _, h, w = x.shape
    degrees = torch.as_tensor(degrees, dtype=x.dtype, device=x.device).expand(n)
    shift = torch.as_tensor(shift, dtype=x.dtype, device=x.device).expand(n, 2)
    theta = degrees * (math.pi / 180)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # affine_grid maps each output pixel (in [-1, 1] coordinates, x right, y down) to the
    # input place it is read from: the inverse of the motion. On screen (y down) an
    # anticlockwise turn by theta reads from the point turned clockwise; the aspect ratio
    # enters because x and y are scaled to [-1, 1] separately.
    matrix = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
    matrix[:, 0, 0] = cos
    matrix[:, 0, 1] = -sin * h / w
    matrix[:, 1, 0] = sin * w / h
    matrix[:, 1, 1] = cos
    # Reading from (p - shift) moves the picture by +shift: rotate the shift back too.
    dx, dy = shift[:, 0] * 2 / w, shift[:, 1] * 2 / h
    matrix[:, 0, 2] = -(cos * dx - sin * h / w * dy)
    matrix[:, 1, 2] = -(sin * w / h * dx + cos * dy)
    grid = F.affine_grid(matrix, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_affine(x, max_degrees=10.0, max_shift=2.0, generator=None):
    """Each image rotated by a uniform angle in ``±max_degrees`` and shifted by ``±max_shift``.

    Parameters
    ----------
    x : tensor ``(N, C, H, W)``, float
    max_degrees : float >= 0
    max_shift : float >= 0
        In pixels, drawn independently for ``dx`` and ``dy``.
    generator : torch.Generator, optional
        For reproducible draws.

    Returns
    -------
    tensor ``(N, C, H, W)``: a new random copy of each image (see :func:`affine`).
    """
    _check_images(x)
    for name, value in (("max_degrees", max_degrees), ("max_shift", max_shift)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    n = len(x)
    uniform = torch.rand(n, 3, generator=generator, dtype=x.dtype) * 2 - 1   # (N, 3) in [-1, 1)
    return affine(x, uniform[:, 0] * max_degrees, uniform[:, 1:] * max_shift)
