"""Exercises of lesson 08 (augmentation and Grad-CAM) and their checks.

Grad-CAM from maps and gradients, a horizontal flip that moves the boxes with the image,
and the class activation map of a network that ends with global average pooling.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_grad_cam", "check_flip_boxes", "check_class_activation_map"]


# --------------------------------------------------------------------------- 08.1
def _grad_cam(maps, grads, relu=True, weigh=np.mean):
    alpha = weigh(np.asarray(grads), axis=(1, 2))
    cam = np.tensordot(alpha, np.asarray(maps), axes=1)
    return np.maximum(cam, 0) if relu else cam


def _cam_cases():
    rng = np.random.default_rng(8)
    return [("one map, 2x2", (np.array([[[1.0, -2.0], [3.0, 0.5]]]),
                              np.array([[[0.5, 0.1], [0.2, 0.4]]]))),
            ("two maps, 3x3, one weighed negative", (rng.standard_normal((2, 3, 3)),
                                                     np.stack([np.full((3, 3), 0.3),
                                                               rng.standard_normal((3, 3))
                                                               - 1]))),
            ("16 maps, 5x5", (np.abs(rng.standard_normal((16, 5, 5))),
                              rng.standard_normal((16, 5, 5))))]


def check_grad_cam(grad_cam, quiet=False):
    """Check ``grad_cam(maps, grads)``: the Grad-CAM map of one class.

    Parameters
    ----------
    grad_cam : callable
        Feature maps ``A`` of shape ``(K, h, w)`` and the gradient of a class score with
        respect to them, ``(K, h, w)``, to ``ReLU(sum_k alpha_k A_k)``, shape ``(h, w)``,
        where ``alpha_k`` is the mean of map ``k``'s gradient.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("no ReLU", lambda a, g: _grad_cam(a, g, relu=False),
          "Grad-CAM keeps the positive part, ReLU(sum_k alpha_k A_k): the places that raise "
          "the class score."),
        M("summed gradients", lambda a, g: _grad_cam(a, g, weigh=np.sum),
          "alpha_k is the mean of the gradient over the map (Selvaraju et al., 2017), not "
          "its sum: divide by h w."),
        M("gradient times map", lambda a, g: np.maximum((np.asarray(a) * g).sum(0), 0),
          "each map gets one weight, the mean of its gradient; multiplying pixel by pixel "
          "is a different map (gradient x input)."),
    )
    return check_function("Exercise 08.1 (grad_cam)", grad_cam, _cam_cases(), _grad_cam,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 08.2
def _flip_boxes(boxes, width):
    b = np.asarray(boxes)
    return np.stack([width - b[:, 2], b[:, 1], width - b[:, 0], b[:, 3]], axis=1)


_FLIP_CASES = [("one box, 10 wide", (np.array([[1, 2, 4, 7]]), 10)),
               ("a box on the right edge and one on the left", (np.array([[20, 0, 28, 9],
                                                                          [0, 5, 3, 28]]),
                                                                28)),
               ("three boxes on a 32-wide canvas", (np.array([[2, 3, 16, 14], [17, 18, 31, 32],
                                                              [5, 20, 12, 30]]), 32))]


def check_flip_boxes(flip_boxes, quiet=False):
    """Check ``flip_boxes(boxes, width)``: the boxes of an image flipped left to right.

    Parameters
    ----------
    flip_boxes : callable
        Boxes ``(N, 4)`` as ``(x1, y1, x2, y2)`` with ``x2`` one past the last column (as
        torchvision's), and the image width, to the boxes ``(N, 4)`` of the same objects in
        the image flipped horizontally, still with ``x1 < x2``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("corners not swapped", lambda b, w: _flip_boxes(b, w)[:, [2, 1, 0, 3]],
          "the flipped left edge comes from the old right edge: x1' = W - x2, x2' = W - x1 "
          "(else x1 > x2)."),
        M("pixel index", lambda b, w: _flip_boxes(b, w) - np.array([1, 0, 1, 0]),
          "with x2 one past the last column, a flip maps x to W - x; W - 1 - x is for the "
          "index of one pixel."),
        M("width forgotten", lambda b, w: _flip_boxes(b, 0),
          "mirror about the image's centre: x -> W - x, not -x."),
    )
    return check_function("Exercise 08.2 (flip_boxes)", flip_boxes, _FLIP_CASES, _flip_boxes,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 08.3
def _cam(features, weight, c):
    return np.tensordot(np.asarray(weight)[c], np.asarray(features), axes=1)


def _class_cam_cases():
    rng = np.random.default_rng(9)
    return [("2 maps, 2x2, 2 classes", (np.arange(8.0).reshape(2, 2, 2) - 3,
                                        np.array([[1.0, 0.5], [-1.0, 2.0]]), 1)),
            ("4 maps, 3x3, 4 classes", (rng.standard_normal((4, 3, 3)),
                                        rng.standard_normal((4, 4)), 2)),
            ("8 maps, 7x7, 10 classes", (rng.standard_normal((8, 7, 7)),
                                         rng.standard_normal((10, 8)), 7))]


def check_class_activation_map(class_activation_map, quiet=False):
    """Check ``class_activation_map(features, weight, c)``: CAM (Zhou et al., 2016).

    Parameters
    ----------
    class_activation_map : callable
        The last feature maps ``(K, h, w)`` of a network that ends with global average
        pooling and a linear layer of weight ``(classes, K)``, and a class ``c``, to the map
        ``M_c = sum_k weight[c, k] A_k``, shape ``(h, w)`` (both signs kept).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    def transposed(a, w, c):
        w = np.asarray(w)
        if w.shape[0] != w.shape[1]:
            raise ValueError("the transposed weight fits only a square matrix")
        return _cam(a, w.T, c)

    mistakes = (
        M("ReLU", lambda a, w, c: np.maximum(_cam(a, w, c), 0),
          "CAM keeps both signs (the mean of M_c is the score less the bias); the ReLU "
          "belongs to Grad-CAM."),
        M("averaged", lambda a, w, c: _cam(a, w, c) / np.asarray(a).shape[0],
          "the maps are weighted and summed, not averaged over k: sum_k w_ck A_k."),
        M("column instead of row", transposed,
          "weight[:, c] is a column; class c's weights are its row, weight[c] (PyTorch's "
          "Linear stores (out, in))."),
        M("all classes", lambda a, w, c: _cam(a, np.asarray(w).sum(0, keepdims=True), 0),
          "the weights of every class are added up; CAM uses class c's row only."),
    )
    return check_function("Exercise 08.3 (class_activation_map)", class_activation_map,
                          _class_cam_cases(), _cam, mistakes, quiet)


EXERCISES = {
    "08.1": Exercise(
        "Grad-CAM from maps and gradients",
        "Write `grad_cam(maps, grads)`: from feature maps A of shape (K, h, w) and the "
        "gradient of a class score with respect to them (same shape), the weights "
        "alpha_k = mean over i, j of the gradient of map k, then ReLU(sum_k alpha_k A_k), "
        "of shape (h, w) (Selvaraju et al., 2017). Check with `check_exercise('08.1', grad_cam)`, "
        "then on LeNet-5's second convolution with gradients from `torch.autograd.grad`.",
        check=check_grad_cam),
    "08.2": Exercise(
        "a flip that moves the labels",
        "An augmentation must keep the labels true. For detection the label is a box, "
        "(x1, y1, x2, y2) with x2 one past the last column. Write `flip_boxes(boxes, "
        "width)`: the boxes (N, 4) of the same objects after the image of that width is "
        "flipped left to right. Check with `check_exercise('08.2', flip_boxes)`, then flip a "
        "mask with `np.fliplr` and compare with the box around its inked pixels.",
        check=check_flip_boxes),
    "08.3": Exercise(
        "a class activation map",
        "A network that ends with global average pooling and one linear layer (weight of "
        "shape (classes, K)) scores class c as y_c = sum_k w_ck mean(A_k) + b_c. Write "
        "`class_activation_map(features, weight, c)`: M_c = sum_k w_ck A_k, of shape "
        "(h, w) (Zhou et al., 2016). Check with "
        "`check_exercise('08.3', class_activation_map)`, then verify that the mean of "
        "your map plus the bias is the score `torch.nn.Linear` gives on the pooled maps.",
        check=check_class_activation_map),
}
