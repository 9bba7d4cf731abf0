"""A detection task that needs no download: the digit canvases of lesson 06, with boxes.

:func:`cnnlib.segmentation.digit_canvases` puts at most one digit in each cell of a grid
and gives every pixel a class.  A digit's box is the smallest box around its inked pixels
(those the mask marks), found cell by cell, and its class is the mask's value there minus
one: a box and a label per digit, for free, like COCO's boxes drawn by hand around each
object (Lin et al., 2014).
"""
import numpy as np

from ..segmentation import digit_canvases

__all__ = ["digit_canvases_with_boxes"]


def digit_canvases_with_boxes(images, labels, n, canvas_size=64, grid=3, fill=0.5,
                              threshold=0.5, seed=0):
    """Make ``n`` canvases of digits and the box and class of every digit.

    Parameters
    ----------
    images : array_like of float, shape (M, 1, h, w) or (M, h, w)
        Digits with ink in [0, 1]; ``grid * max(h, w) <= canvas_size``.
    labels : array_like of int, shape (M,)
        Their classes ``0 .. K-1``.
    n : int
        Number of canvases.
    canvas_size, grid, fill, threshold, seed
        As in :func:`cnnlib.segmentation.digit_canvases` (the same ``seed`` gives the same
        canvases as there): ``grid x grid`` cells, each holding a digit with probability
        ``fill``; ink above ``threshold`` belongs to the digit.

    Returns
    -------
    x : ndarray of float32, shape (n, 1, canvas_size, canvas_size)
        The canvases.
    targets : list of n dicts
        ``targets[i]["boxes"]``: ndarray of float32, shape (m_i, 4), ``(x1, y1, x2, y2)``
        of the inked pixels of each digit (``x2`` one past the last column);
        ``targets[i]["labels"]``: ndarray of int64, shape (m_i,), the digits' classes.
        Boxes are listed cell by cell, row-major. A digit with no pixel above ``threshold``
        has no box.

    Examples
    --------
    >>> digits = np.zeros((1, 14, 14)); digits[0, 2:12, 5:9] = 1.0
    >>> x, targets = digit_canvases_with_boxes(digits, [7], n=1, canvas_size=28, grid=2,
    ...                                        fill=1.0)
    >>> targets[0]["labels"].tolist(), targets[0]["boxes"][0].tolist()
    ([7, 7, 7, 7], [5.0, 2.0, 9.0, 12.0])
    """
    x, mask = digit_canvases(images, labels, n, canvas_size=canvas_size, grid=grid, fill=fill,
                             threshold=threshold, seed=seed)
    cell = canvas_size // grid
    targets = []
    for m in mask:
        boxes, classes = [], []
        for row in range(grid):
            for col in range(grid):
                top, left = row * cell, col * cell
                ink_rows, ink_cols = np.nonzero(m[top:top + cell, left:left + cell])
                if len(ink_rows) == 0:
                    continue
                boxes.append([left + ink_cols.min(), top + ink_rows.min(),
                              left + ink_cols.max() + 1, top + ink_rows.max() + 1])
                classes.append(m[top + ink_rows[0], left + ink_cols[0]] - 1)
        targets.append({"boxes": np.array(boxes, np.float32).reshape(-1, 4),
                        "labels": np.array(classes, np.int64)})
    return x, targets
