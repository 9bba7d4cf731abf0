"""Exercises of lesson 10 (object detection) and their checks.

The box around a digit's ink, non-maximum suppression, how far a box may slide before it
stops counting, and the box decoded from a CenterNet heat-map peak.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_mask_to_box", "check_nms", "check_decode_peak"]


# --------------------------------------------------------------------------- 10.1
def _mask_to_box(mask):
    rows = np.flatnonzero(np.asarray(mask).any(axis=1))
    cols = np.flatnonzero(np.asarray(mask).any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])


def _mask_cases():
    one = np.zeros((4, 5), dtype=bool)
    one[2, 1] = True
    stroke = np.zeros((8, 8), dtype=bool)
    stroke[1:6, 3] = True
    stroke[5, 3:7] = True
    ring = np.zeros((10, 12), dtype=bool)
    ring[2:9, [4, 10]] = True
    ring[[2, 8], 4:11] = True
    return [("one inked pixel", (one,)), ("an L-shaped stroke", (stroke,)),
            ("a ring, wider than tall", (ring,))]


def check_mask_to_box(mask_to_box, quiet=False):
    """Check ``mask_to_box(mask)``: the smallest box around the inked pixels.

    Parameters
    ----------
    mask_to_box : callable
        A boolean mask ``(H, W)`` with at least one True pixel to its box
        ``(x1, y1, x2, y2)``: left column, top row, and one past the right column and the
        bottom row (so the area is ``(x2 - x1)(y2 - y1)``).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("last pixel included", lambda m: _mask_to_box(m) - np.array([0, 0, 1, 1]),
          "x2 and y2 are one past the last column and row, so a single pixel has width 1 "
          "(torchvision's masks_to_boxes gives the last pixel itself)."),
        M("rows first", lambda m: _mask_to_box(m)[[1, 0, 3, 2]],
          "x is the column and comes first: (x1, y1, x2, y2) = (left, top, right, bottom)."),
        M("width and height", lambda m: np.r_[_mask_to_box(m)[:2],
                                              _mask_to_box(m)[2:] - _mask_to_box(m)[:2]],
          "that is (x, y, width, height), COCO's format; the corners are (x1, y1, x2, y2)."),
    )
    return check_function("Exercise 10.1 (mask_to_box)", mask_to_box, _mask_cases(),
                          _mask_to_box, mistakes, quiet)


# --------------------------------------------------------------------------- 10.2
def _iou_matrix(boxes):
    b = np.asarray(boxes, dtype=float)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0],
                                                                       b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1],
                                                                       b[None, :, 1]), 0, None)
    return w * h / (area[:, None] + area[None, :] - w * h)


def _nms(boxes, scores, threshold, order=None, by_all=False):
    iou = _iou_matrix(boxes)
    order = list(np.argsort(-np.asarray(scores), kind="stable") if order is None else order)
    keep, seen = [], []
    for i in order:
        if all(iou[i, j] <= threshold for j in (seen if by_all else keep)):
            keep.append(i)
        seen.append(i)
    return np.array(keep)


_NMS_CASES = [
    ("two far-apart boxes", (np.array([[0, 0, 10, 10], [20, 20, 30, 30]]),
                             np.array([0.6, 0.9]), 0.5)),
    ("three boxes: the best suppresses its neighbour",
     (np.array([[0, 0, 10, 10], [1, 0, 11, 10], [30, 0, 40, 10]]), np.array([0.8, 0.9, 0.7]),
      0.5)),
    ("a chain: A overlaps B, B overlaps C, A and C do not",
     (np.array([[0, 0, 10, 10], [6, 0, 16, 10], [12, 0, 22, 10]]), np.array([0.9, 0.8, 0.7]),
      0.2)),
    ("two clusters: the second best deletes its own neighbour",
     (np.array([[0, 0, 10, 10], [30, 0, 40, 10], [31, 0, 41, 10]]), np.array([0.9, 0.8, 0.7]),
      0.5)),
    ("an IoU exactly at the threshold is kept", (np.array([[0, 0, 3, 1], [1, 0, 4, 1]]),
                                                 np.array([0.9, 0.8]), 0.5)),
]


def check_nms(nms, quiet=False):
    """Check ``nms(boxes, scores, threshold)``: greedy non-maximum suppression.

    Parameters
    ----------
    nms : callable
        Boxes ``(N, 4)`` as ``(x1, y1, x2, y2)``, their scores ``(N,)`` and an IoU
        threshold to the indices of the boxes kept, highest score first, as
        ``torchvision.ops.nms`` (a box is deleted when its IoU with a kept, higher-scoring
        box is above the threshold).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def index_order(b, s, t):
        return _nms(b, s, t, order=range(len(s)))

    def one_round(b, s, t):
        iou = _iou_matrix(b)
        order = np.argsort(-np.asarray(s), kind="stable")
        return np.array([i for i in order if i == order[0] or iou[i, order[0]] <= t])

    mistakes = (
        M("not sorted", index_order,
          "the boxes were taken in the order given; NMS starts from the highest score and "
          "returns the kept indices in that order."),
        M("suppressed boxes suppress", lambda b, s, t: _nms(b, s, t, by_all=True),
          "a box that was deleted deletes nothing: compare each box only with the boxes "
          "already kept."),
        M("one round", one_round,
          "only the best box deleted its neighbours; repeat with the best box left, and the "
          "next, until none is left."),
        M("at the threshold", lambda b, s, t: _nms(b, s, t - 1e-9),
          "a box whose IoU equals the threshold was deleted; torchvision's nms deletes only "
          "the boxes with an IoU above it."),
    )
    return check_function("Exercise 10.2 (nms)", nms, _NMS_CASES, lambda b, s, t: _nms(b, s, t),
                          mistakes, quiet)


# --------------------------------------------------------------------------- 10.4
def _decode_peak(row, col, offset, size, stride=4):
    cx = (col + offset[0]) * stride
    cy = (row + offset[1]) * stride
    w, h = size[0] * stride, size[1] * stride
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


_PEAK_CASES = [("cell (2, 3), no offset, a 2x2 box", (2, 3, (0.0, 0.0), (2.0, 2.0))),
               ("cell (5, 1), offset (0.5, 0.25), 3 wide and 4 tall",
                (5, 1, (0.5, 0.25), (3.0, 4.0))),
               ("stride 8", (0, 6, (0.75, 0.5), (1.5, 2.5), 8))]


def check_decode_peak(decode_peak, quiet=False):
    """Check ``decode_peak(row, col, offset, size, stride=4)``: a CenterNet box.

    Parameters
    ----------
    decode_peak : callable
        The cell ``(row, col)`` of a heat-map peak, the predicted ``offset`` ``(dx, dy)``
        and ``size`` ``(w, h)`` there, in cells, and the stride of the heat map to the box
        ``(x1, y1, x2, y2)`` in image pixels: centre ``((col + dx) stride,
        (row + dy) stride)``, width ``w stride`` and height ``h stride``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("offset forgotten", lambda r, c, o, s, st=4: _decode_peak(r, c, (0, 0), s, st),
          "the offset says where in the cell the centre is: (col + dx) stride."),
        M("size not scaled", lambda r, c, o, s, st=4: _decode_peak(
            r, c, o, (s[0] / st, s[1] / st), st),
          "the size is predicted in cells like the offset: multiply it by the stride too."),
        M("full size each side", lambda r, c, o, s, st=4: _decode_peak(
            r, c, o, (2 * s[0], 2 * s[1]), st),
          "the box reaches half its width on each side of the centre: cx -/+ w stride / 2."),
        M("row and column swapped", lambda r, c, o, s, st=4: _decode_peak(c, r, o, s, st),
          "x is the column: cx = (col + dx) stride, cy = (row + dy) stride."),
    )
    return check_function("Exercise 10.4 (decode_peak)", decode_peak, _PEAK_CASES,
                          _decode_peak, mistakes, quiet)


EXERCISES = {
    "10.1": Exercise(
        "the box around a digit",
        "A digit's box is the smallest rectangle around its inked pixels, (x1, y1, x2, y2) "
        "with x2 and y2 one past the last column and row. Write `mask_to_box(mask)` for a "
        "boolean mask (H, W). Check with `check_exercise('10.1', mask_to_box)`, then with "
        "`torchvision.ops.masks_to_boxes` (which gives the last pixel: add 1 to x2 and y2).",
        check=check_mask_to_box),
    "10.2": Exercise(
        "non-maximum suppression on a few boxes",
        "Write `nms(boxes, scores, threshold)`: keep the highest-scoring box, delete every "
        "box whose IoU with it is above the threshold, repeat with the best box left; "
        "return the indices kept, best first. Check with `check_exercise('10.2', nms)`, then "
        "against `torchvision.ops.nms` on the three boxes (0, 0, 10, 10), (6, 0, 16, 10), "
        "(12, 0, 22, 10) with scores 0.9, 0.8, 0.7 and threshold 0.2: which box survives "
        "although it overlaps a deleted one?",
        check=check_nms),
    "10.3": Exercise(
        "how far may a box slide?",
        "A predicted box has the size of the true box and is shifted right by a fraction s "
        "of its width, so IoU = (1 - s) / (1 + s). Up to which s does it still count as a "
        "detection at IoU 0.5 (`s_50`), and at COCO's strictest threshold, 0.95 (`s_95`, to "
        "3 significant digits)? Check with `check_exercise('10.3', s_50=..., s_95=...)`, then with "
        "`torchvision.ops.box_iou` on boxes you shift.",
        parts={
            "s_50": Part(1 / 3, (
                M("half", 0.5, "a shift of half the width leaves IoU (1/2)/(3/2) = 1/3; the "
                               "union grows as the intersection shrinks."),
                M("shift counted twice", 0.25, "the overlap loses s of the width, not 2s: "
                                               "(1 - s)/(1 + s) = 0.5 gives s = 1/3.")),
                rtol=0.005),
            "s_95": Part(0.05 / 1.95, (
                M("one minus threshold", 0.05, "a shift of 5% gives IoU 0.95/1.05 = 0.905; "
                                               "solve (1 - s)/(1 + s) = 0.95."),
                M("percent", 2.56, "s is a fraction of the width, not a percentage.")),
                rtol=0.002)}),
    "10.4": Exercise(
        "decoding a heat-map peak",
        "CenterNet (Zhou, Wang and Krähenbühl, 2019) predicts, at each cell of a heat map "
        "`stride` times coarser than the image, an offset (dx, dy) and a size (w, h), both "
        "in cells. Write `decode_peak(row, col, offset, size, stride=4)`: the box "
        "(x1, y1, x2, y2) in image pixels of a peak at cell (row, col), with centre "
        "((col + dx) stride, (row + dy) stride). Check with "
        "`check_exercise('10.4', decode_peak)`, then with `torchvision.ops.box_convert(..., "
        "'cxcywh', 'xyxy')`.",
        check=check_decode_peak),
}
