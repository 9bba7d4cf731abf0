"""A one-stage, anchor-free detector: objects as points (CenterNet).

Zhou, Wang and Krähenbühl, "Objects as points", 2019.

The network sees the image once and outputs, at every cell of a grid ``stride`` times
coarser than the image, three maps::

    heat map    (K channels)  how likely a box of class k has its centre in this cell
    size        (2 channels)  the box's width and height, in cells
    offset      (2 channels)  where in the cell the centre lies, in [0, 1)

Training targets put a small Gaussian bump of height 1 on the heat map at each object's
centre cell, and the box's size and sub-cell offset at that one cell.  To decode, the
peaks of the heat map (cells larger than their 8 neighbours: a 3x3 max-pool does it, and
replaces the non-maximum suppression of anchor-based detectors) are the detections; the
size and offset read at a peak give its box.

YOLO (Redmon et al., 2016) also predicts boxes from a grid in one pass, but each cell
regresses a fixed number of boxes and their confidence; CenterNet's heat map is closer to
the segmentation maps of lesson 06.

This is a small network for the digit canvases of :mod:`cnnlib.detection.canvases`
(64x64 canvases, 14x14 digits): four 3x3 convolutions to stride 4, the last one dilated
so that the receptive field (31 pixels) covers a digit, and three heads.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_positive_int

__all__ = ["CenterNet", "centernet", "centernet_targets", "centernet_loss", "centernet_decode"]


def _conv(c_in, c_out, stride=1, dilation=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation,
                                   bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


class CenterNet(nn.Module):
    """A small CenterNet: a stride-4 backbone and heat-map, size and offset heads.

    ==========  ===================================  ==================
    layer       what                                 output (per image)
    ==========  ===================================  ==================
    backbone.0  conv 3x3, stride 2, BN, ReLU         (w0, H/2, W/2)
    backbone.1  conv 3x3, stride 2, BN, ReLU         (w1, H/4, W/4)
    backbone.2  conv 3x3, BN, ReLU                   (w2, H/4, W/4)
    backbone.3  conv 3x3, dilation 2, BN, ReLU       (w2, H/4, W/4)
    heat        conv 3x3, ReLU, conv 1x1             (K, H/4, W/4) logits
    size        conv 1x1                             (2, H/4, W/4)
    offset      conv 1x1                             (2, H/4, W/4)
    ==========  ===================================  ==================

    ``forward`` returns the three heads stacked on the channel axis, ``(N, K + 4, H/4, W/4)``
    (heat-map logits, then width and height, then the x and y offsets), so that
    :func:`cnnlib.train.fit` trains it with :func:`centernet_loss` like any other model.

    Parameters
    ----------
    num_classes : int
        ``K``, the number of object classes.
    in_channels : int
    widths : (int, int, int)
        Channels ``(w0, w1, w2)`` of the backbone.
    """

    stride = 4

    def __init__(self, num_classes=10, in_channels=1, widths=(16, 32, 32)):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        w0, w1, w2 = (check_positive_int(w, "widths") for w in widths)
        self.num_classes = num_classes
        self.backbone = nn.Sequential(_conv(in_channels, w0, stride=2), _conv(w0, w1, stride=2),
                                      _conv(w1, w2), _conv(w2, w2, dilation=2))
        self.heat = nn.Sequential(nn.Conv2d(w2, w2, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(w2, num_classes, 1))
        self.size = nn.Conv2d(w2, 2, 1)
        self.offset = nn.Conv2d(w2, 2, 1)
        # Start the heat map at probability 0.1 everywhere (CenterNet's prior): a nearly empty
        # map, as the targets are, so the first steps do not drown in easy negatives.
        nn.init.constant_(self.heat[-1].bias, -2.19)

    def forward(self, x):
        """Images ``(N, C, H, W)``, ``H``, ``W`` multiples of 4 -> ``(N, K + 4, H/4, W/4)``."""
        if x.ndim != 4 or x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise ValueError(f"centernet expects images (N, C, H, W) with H and W multiples of "
                             f"{self.stride}, got {tuple(x.shape)}")
        h = self.backbone(x)
        return torch.cat([self.heat(h), self.size(h), self.offset(h)], dim=1)


def centernet(num_classes=10, in_channels=1, widths=(16, 32, 32)):
    """A small CenterNet for the digit canvases; see :class:`CenterNet`."""
    return CenterNet(num_classes, in_channels, widths)


def centernet_targets(targets, num_classes, output_size, stride=4):
    """Training targets of a CenterNet: a Gaussian heat map, sizes and offsets at the centres.

    Parameters
    ----------
    targets : list of dict
        One per image: ``"boxes"`` (m, 4) as ``(x1, y1, x2, y2)`` in pixels, ``"labels"`` (m,).
    num_classes : int
        ``K``.
    output_size : (int, int)
        ``(h, w)`` of the network's output grid (the image size divided by ``stride``).
    stride : int
        Pixels per output cell.

    Returns
    -------
    torch.Tensor of float32, shape (N, K + 5, h, w)
        Channels ``0 .. K-1``: the heat map, ``exp(-d^2 / (2 sigma^2))`` around each centre
        cell (``d`` in cells, ``sigma`` a sixth of the box's geometric mean side in cells, at
        least 0.5), the maximum where bumps of one class overlap, exactly 1 at the centres;
        ``K, K+1``: width and height in cells at the centre cells; ``K+2, K+3``: the centre's
        offset within its cell; ``K+4``: 1 at the centre cells, else 0.
    """
    check_positive_int(num_classes, "num_classes")
    h, w = output_size
    out = torch.zeros(len(targets), num_classes + 5, h, w)
    ys = torch.arange(h, dtype=torch.float32)[:, None]
    xs = torch.arange(w, dtype=torch.float32)[None, :]
    for i, t in enumerate(targets):
        boxes = torch.as_tensor(t["boxes"], dtype=torch.float32).reshape(-1, 4) / stride
        labels = torch.as_tensor(t["labels"], dtype=torch.int64).reshape(-1)
        if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"targets[{i}]['labels'] must be classes 0..{num_classes - 1}")
        for (x1, y1, x2, y2), k in zip(boxes.tolist(), labels.tolist()):
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            col, row = min(int(cx), w - 1), min(int(cy), h - 1)
            sigma = max(((x2 - x1) * (y2 - y1)) ** 0.5 / 6, 0.5)
            bump = torch.exp(-((xs - col) ** 2 + (ys - row) ** 2) / (2 * sigma ** 2))
            out[i, k] = torch.maximum(out[i, k], bump)
            out[i, num_classes:num_classes + 5, row, col] = torch.tensor(
                [x2 - x1, y2 - y1, cx - col, cy - row, 1.0])
    return out


def centernet_loss(output, target, size_weight=0.1, alpha=2, beta=4):
    """CenterNet's training loss: focal loss on the heat map, L1 on size and offset at centres.

    Parameters
    ----------
    output : torch.Tensor, shape (N, K + 4, h, w)
        The network's output (heat-map logits, size, offset).
    target : torch.Tensor, shape (N, K + 5, h, w)
        From :func:`centernet_targets`.
    size_weight : float
        Weight of the size loss (CenterNet's 0.1); the offset loss has weight 1.
    alpha, beta : float
        The focal loss's exponents (CornerNet's and CenterNet's 2 and 4).

    Returns
    -------
    torch.Tensor, scalar
        ``focal + size_weight * L1(size) + L1(offset)``, each divided by the number of objects.

    Notes
    -----
    The focal loss (Lin et al., 2017, as modified by Law and Deng, 2018) on a heat-map cell
    with predicted probability ``p`` and target ``y`` is ``-(1 - p)^alpha log p`` at a centre
    (``y = 1``) and ``-(1 - y)^beta p^alpha log(1 - p)`` elsewhere: confident, correct cells
    cost almost nothing, and cells near a centre are penalised less for firing.
    """
    k = output.shape[1] - 4
    if target.shape != (output.shape[0], k + 5, *output.shape[2:]):
        expected = (output.shape[0], k + 5, *output.shape[2:])
        raise ValueError(f"target must have shape (N, K + 5, h, w) = {expected}, "
                         f"got {tuple(target.shape)}")
    logits, heat = output[:, :k], target[:, :k]
    centre = heat == 1
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)
    p = torch.sigmoid(logits)
    positive = -((1 - p) ** alpha * log_p)[centre].sum()
    negative = -((1 - heat) ** beta * p ** alpha * log_not_p)[~centre].sum()
    mask = target[:, k + 4:k + 5]
    count = mask.sum().clamp(min=1)
    size = (F.l1_loss(output[:, k:k + 2], target[:, k:k + 2], reduction="none") * mask).sum()
    offset = (F.l1_loss(output[:, k + 2:k + 4], target[:, k + 2:k + 4], reduction="none")
              * mask).sum()
    return (positive + negative + size_weight * size + offset) / count


def centernet_decode(output, k=20, stride=4, min_score=0.0):
    """Boxes from a CenterNet's output: the heat map's peaks, with their sizes and offsets.

    Parameters
    ----------
    output : torch.Tensor, shape (N, K + 4, h, w)
        The network's output (heat-map logits, size, offset).
    k : int
        At most this many detections per image: the ``k`` highest peaks over all classes.
    stride : int
        Pixels per output cell.
    min_score : float
        Drop detections scoring less (0 keeps all ``k``; mAP wants them all).

    Returns
    -------
    list of N dicts
        ``"boxes"``: (n, 4) float ``(x1, y1, x2, y2)`` in pixels; ``"scores"``: (n,) the
        heat-map probability at the peak; ``"labels"``: (n,) int64 classes; best first.
        The format of :func:`cnnlib.detection.mean_average_precision`.
    """
    check_positive_int(k, "k")
    num_classes = output.shape[1] - 4
    heat = torch.sigmoid(output[:, :num_classes].detach())
    # A peak is a cell at least as high as its 8 neighbours (the 3x3 max-pool leaves it as is).
    peaks = heat * (heat == F.max_pool2d(heat, 3, stride=1, padding=1))
    n, _, h, w = heat.shape
    scores, index = peaks.reshape(n, -1).topk(min(k, peaks[0].numel()))      # (N, k)
    labels = index // (h * w)
    rows, cols = (index % (h * w)) // w, index % w
    results = []
    for i in range(n):
        r, c = rows[i], cols[i]
        # A negative width or height means nothing: such a box shrinks to its centre.
        size = output[i, num_classes:num_classes + 2, r, c].detach().clamp(min=0)   # (2, k)
        offset = output[i, num_classes + 2:num_classes + 4, r, c].detach()    # (2, k)
        cx, cy = (c + offset[0]) * stride, (r + offset[1]) * stride
        bw, bh = size[0] * stride, size[1] * stride
        boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
        keep = scores[i] >= min_score
        results.append({"boxes": boxes[keep], "scores": scores[i][keep],
                        "labels": labels[i][keep]})
    return results
