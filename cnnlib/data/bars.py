"""Bars: a synthetic two-class image set, vertical against horizontal bars under noise.

Small enough to train a single kernel on in a second, and easy to read: the kernel that
separates the classes is a template of where the bars fall (lesson 03).
"""
from __future__ import annotations

import numpy as np

__all__ = ["bar_images"]


def bar_images(n_per_class, size=20, noise=0.8, width=3, positions=(6, 14), seed=3):
    """Noisy images of vertical (class 1) and horizontal (class 0) bars.

    Each image is Gaussian noise of standard deviation ``noise`` plus 1 on a bar of
    ``width`` rows or columns across the whole image, centred on a random position drawn
    uniformly from ``positions[0]`` to ``positions[1] - 1``. The random numbers are drawn
    in this order: the noise of the vertical images, their bar positions, then the same
    for the horizontal images.

    Parameters
    ----------
    n_per_class : int
        Images per class.
    size : int
        Side of the square images.
    noise : float
        Standard deviation of the noise (>= 0).
    width : int
        Bar width in pixels, odd.
    positions : (int, int)
        Half-open range of the bar centres; the bars must stay inside the image.
    seed : int or numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (2 * n_per_class, 1, size, size), float64
        The vertical bars first, then the horizontal ones.
    y : ndarray, shape (2 * n_per_class,), float64
        1.0 for a vertical bar, 0.0 for a horizontal one.

    Examples
    --------
    >>> x, y = bar_images(2, noise=0.0)
    >>> x.shape, y.tolist()
    ((4, 1, 20, 20), [1.0, 1.0, 0.0, 0.0])
    >>> int(x[0, 0].sum(axis=0).max()), int(x[0, 0].sum(axis=1).max())
    (20, 3)
    """
    for name, value in (("n_per_class", n_per_class), ("size", size), ("width", width)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if width % 2 == 0:
        raise ValueError(f"width must be odd (a bar centred on a pixel), got {width}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    low, high = positions
    half = width // 2
    if not (half <= low < high <= size - half):
        raise ValueError(f"positions must satisfy {half} <= low < high <= {size - half} so "
                         f"that every bar of width {width} fits in {size} pixels, got {positions}")
    rng = np.random.default_rng(seed)

    def bars(vertical):
        images = rng.normal(0.0, noise, size=(n_per_class, size, size))
        for image, centre in zip(images, rng.integers(low, high, size=n_per_class)):
            if vertical:
                image[:, centre - half:centre + half + 1] += 1.0
            else:
                image[centre - half:centre + half + 1, :] += 1.0
        return images

    x = np.concatenate([bars(vertical=True), bars(vertical=False)])[:, None]
    y = np.concatenate([np.ones(n_per_class), np.zeros(n_per_class)])
    return x, y
