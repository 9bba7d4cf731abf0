"""A segmentation task that needs no download: MNIST digits scattered on a larger canvas.

Semantic segmentation gives every pixel a class.  Real data sets (Pascal VOC, Cityscapes)
are large downloads with hand-drawn masks; digits on a canvas have their mask for free: a
pixel belongs to the digit whose ink it holds, everything else is background::

    class 0        background
    class 1 + d    a pixel of the digit d (so 11 classes for MNIST)

:func:`digit_canvases` cuts the canvas into a grid of cells and puts at most one digit in
each, at a random offset, so digits never overlap and every mask is unambiguous.  The
same ``seed`` gives the same canvases.
"""
import numpy as np

from ._validate import check_positive_int

__all__ = ["digit_canvases"]


def digit_canvases(images, labels, n, canvas_size=64, grid=2, fill=0.75, threshold=0.5,
                   seed=0):
    """Make ``n`` canvases with digits at random places, and their per-pixel classes.

    Parameters
    ----------
    images : array_like of float, shape (M, 1, h, w) or (M, h, w)
        Digits with ink values in [0, 1] (e.g. ``cnnlib.mnist_arrays()[0]``).
    labels : array_like of int, shape (M,)
        Their classes ``0 .. K-1``.
    n : int
        Number of canvases.
    canvas_size : int
        Height and width of each canvas; each of the ``grid x grid`` cells must be at least
        as large as a digit.
    grid : int
        Cells per side; each cell holds at most one digit.
    fill : float in (0, 1]
        Probability that a cell gets a digit (at least one digit per canvas always).
    threshold : float
        Ink above it is the digit's class; fainter pixels stay background.
    seed : int
        Seeds the choice of digits, cells and offsets.

    Returns
    -------
    x : ndarray of float32, shape (n, 1, canvas_size, canvas_size)
        The canvases, ink in [0, 1].
    mask : ndarray of int64, shape (n, canvas_size, canvas_size)
        0 for background, ``1 + label`` on a digit's ink.

    Examples
    --------
    >>> digits = np.zeros((1, 28, 28)); digits[0, 10:18, 12:16] = 1.0
    >>> x, mask = digit_canvases(digits, [7], n=2, canvas_size=56)
    >>> x.shape, mask.shape, np.unique(mask).tolist()
    ((2, 1, 56, 56), (2, 56, 56), [0, 8])
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"images must have shape (M, 1, h, w) or (M, h, w), got {images.shape}")
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), one per image, "
                         f"got {labels.shape}")
    if labels.dtype.kind not in "biu" or labels.min() < 0:
        raise ValueError("labels must be integer classes 0..K-1")
    n, canvas_size, grid = (check_positive_int(v, name) for v, name in
                            ((n, "n"), (canvas_size, "canvas_size"), (grid, "grid")))
    if not 0 < fill <= 1:
        raise ValueError(f"fill must be a probability in (0, 1], got {fill!r}")
    h, w = images.shape[1:]
    cell = canvas_size // grid
    if cell < max(h, w):
        raise ValueError(f"canvas_size {canvas_size} with grid {grid} gives {cell}x{cell} cells, "
                         f"smaller than the {h}x{w} digits; use canvas_size >= "
                         f"{grid * max(h, w)} or a smaller grid")
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, canvas_size, canvas_size), np.float32)
    mask = np.zeros((n, canvas_size, canvas_size), np.int64)
    for i in range(n):
        occupied = rng.random(grid * grid) < fill
        occupied[rng.integers(grid * grid)] = True
        for c in np.flatnonzero(occupied):
            k = rng.integers(len(images))
            top = (c // grid) * cell + rng.integers(cell - h + 1)
            left = (c % grid) * cell + rng.integers(cell - w + 1)
            digit = images[k]
            x[i, 0, top:top + h, left:left + w] = digit
            mask[i, top:top + h, left:left + w][digit > threshold] = 1 + labels[k]
    return x, mask
