"""Boxes, their intersection over union, and non-maximum suppression.

A box is four numbers ``(x1, y1, x2, y2)``: the left, top, right and bottom edges, with
``x1 <= x2`` and ``y1 <= y2`` (torchvision's convention; COCO stores ``(x, y, w, h)``
instead).  Its area is ``(x2 - x1) * (y2 - y1)``: coordinates are continuous, so a box from
pixel column 3 up to and including column 7 is ``x1 = 3, x2 = 8``.

The intersection over union of two boxes (IoU, the Jaccard index of notebook 06's masks)::

    IoU(A, B) = area(A and B) / area(A or B)
              = inter / (area(A) + area(B) - inter)

Non-maximum suppression keeps, among boxes that overlap by more than a threshold, only the
highest-scoring one: a detector fires on many positions around each object, and NMS turns
that cloud into one box per object.
"""
import numpy as np

__all__ = ["box_area", "box_iou", "nms"]


def _boxes(boxes, name):
    """``boxes`` as a float64 array (N, 4) of valid corners, or an error naming ``name``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), one (x1, y1, x2, y2) per box, "
                         f"got {boxes.shape}")
    if not np.all(np.isfinite(boxes)):
        raise ValueError(f"{name} must be finite")
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        raise ValueError(f"{name} must have x1 <= x2 and y1 <= y2 (corners, not (x, y, w, h))")
    return boxes


def box_area(boxes):
    """Areas of boxes.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        ``(x1, y1, x2, y2)`` with ``x1 <= x2``, ``y1 <= y2``.

    Returns
    -------
    ndarray of float64, shape (N,)
        ``(x2 - x1) * (y2 - y1)``.
    """
    boxes = _boxes(boxes, "boxes")
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """Intersection over union of every box of ``boxes1`` with every box of ``boxes2``.

    Parameters
    ----------
    boxes1 : array_like, shape (N, 4)
        ``(x1, y1, x2, y2)`` boxes.
    boxes2 : array_like, shape (M, 4)

    Returns
    -------
    ndarray of float64, shape (N, M)
        ``iou[i, j] = inter / (area1[i] + area2[j] - inter)``; 0 where the boxes do not
        touch. Two boxes of zero area have no defined IoU: NaN, as torchvision.

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2]])
    array([[0.14285714, 1.        ]])
    """
    boxes1, boxes2 = _boxes(boxes1, "boxes1"), _boxes(boxes2, "boxes2")
    # The intersection is itself a box: the larger of the left/top edges, the smaller of
    # the right/bottom edges; broadcast (N, 1, 2) against (1, M, 2) for every pair.
    top_left = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])        # (N, M, 2)
    bottom_right = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])    # (N, M, 2)
    width_height = np.clip(bottom_right - top_left, 0, None)               # 0 if apart
    inter = width_height[..., 0] * width_height[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / union


def nms(boxes, scores, iou_threshold):
    """Non-maximum suppression: the boxes kept, best first.

    Take the highest-scoring box, drop every remaining box whose IoU with it is greater than
    ``iou_threshold``, and repeat with the best box left.

    Parameters
    ----------
    boxes : array_like, shape (N, 4)
        ``(x1, y1, x2, y2)`` boxes.
    scores : array_like, shape (N,)
        One score per box.
    iou_threshold : float
        Boxes overlapping a kept box by strictly more than this are discarded.

    Returns
    -------
    ndarray of int64, shape (K,)
        Indices into ``boxes`` of the boxes kept, by decreasing score. Equal scores keep
        their input order (a stable sort), as ``torchvision.ops.nms`` on the CPU.

    Examples
    --------
    >>> nms([[0, 0, 2, 2], [0, 0, 2, 2.2], [3, 3, 4, 4]], [0.9, 0.8, 0.7], 0.5)
    array([0, 2])
    """
    boxes = _boxes(boxes, "boxes")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(boxes),):
        raise ValueError(f"scores must have shape ({len(boxes)},), one per box, "
                         f"got {scores.shape}")
    if not np.isfinite(iou_threshold):
        raise ValueError(f"iou_threshold must be a finite number, got {iou_threshold!r}")
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes)
    suppressed = np.zeros(len(boxes), dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return np.array(keep, dtype=np.int64)
