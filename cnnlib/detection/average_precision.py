"""Mean average precision of a detector, as the COCO benchmark computes it.

A detection is *correct* (a true positive) when its box overlaps a not yet matched true box
of the same class with an IoU of at least the threshold; the true box is then used up, so a
second detection of the same object is a false positive.  For one class, all detections of
all images are sorted by score and walked from the best down; each step adds a true or a
false positive, giving one point of the precision-recall curve (notebook 05b).

The **average precision** (AP) is the area under that curve, computed as COCO does
(Lin et al., 2014; pycocotools): precision is first made non-increasing (each point takes
the best precision at any larger recall), then read at the 101 recalls 0, 0.01, ..., 1
(0 beyond the largest recall reached) and averaged.  The **mean average precision** averages
AP over the classes that have at least one true box, and over IoU thresholds:

* mAP@0.5, PASCAL VOC's threshold: a box half right counts;
* mAP@[.5:.95], COCO's main number: the mean over the thresholds 0.5, 0.55, ..., 0.95,
  which rewards boxes that fit tightly.

Images are lists of dicts in torchvision's detection format::

    predictions[i] = {"boxes": (n, 4), "scores": (n,), "labels": (n,)}
    targets[i]     = {"boxes": (m, 4), "labels": (m,)}
"""
import numpy as np

from .boxes import box_iou

__all__ = ["COCO_IOU_THRESHOLDS", "average_precision_per_class", "mean_average_precision"]

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def _image(d, i, name, with_scores):
    if not isinstance(d, dict):
        raise TypeError(f"{name}[{i}] must be a dict with 'boxes' and 'labels'"
                        f"{' and scores' if with_scores else ''}, got {type(d).__name__}")
    keys = ("boxes", "labels", "scores") if with_scores else ("boxes", "labels")
    missing = [k for k in keys if k not in d]
    if missing:
        raise ValueError(f"{name}[{i}] has no {missing[0]!r}")
    boxes = np.asarray(d["boxes"], dtype=np.float64).reshape(-1, 4) if len(d["boxes"]) \
        else np.zeros((0, 4))
    labels = np.asarray(d["labels"]).reshape(-1)
    if labels.size and labels.dtype.kind not in "iu":
        raise ValueError(f"{name}[{i}]['labels'] must be integer classes")
    if len(labels) != len(boxes):
        raise ValueError(f"{name}[{i}] has {len(boxes)} boxes but {len(labels)} labels")
    scores = None
    if with_scores:
        scores = np.asarray(d["scores"], dtype=np.float64).reshape(-1)
        if len(scores) != len(boxes):
            raise ValueError(f"{name}[{i}] has {len(boxes)} boxes but {len(scores)} scores")
    return boxes, labels.astype(np.int64), scores


def _thresholds(iou_thresholds):
    t = np.atleast_1d(np.asarray(iou_thresholds, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or np.any((t < 0) | (t > 1)):
        raise ValueError(f"iou_thresholds must be one or more numbers in [0, 1], "
                         f"got {iou_thresholds!r}")
    return t


def _match(iou, threshold):
    """Greedy matching of detections (rows, best first) to true boxes (columns).

    Each detection takes the unmatched true box it overlaps most, if by at least
    ``threshold`` (ties go to the later box, as pycocotools). Returns a bool per detection.
    """
    taken = np.zeros(iou.shape[1], dtype=bool)
    hit = np.zeros(iou.shape[0], dtype=bool)
    for d in range(iou.shape[0]):
        best, best_iou = -1, min(threshold, 1 - 1e-10)
        for g in range(iou.shape[1]):
            if not taken[g] and iou[d, g] >= best_iou:
                best, best_iou = g, iou[d, g]
        if best >= 0:
            taken[best] = hit[d] = True
    return hit


def _average_precision(hits, scores, num_true):
    """COCO's 101-point AP from the true/false flags and scores of one class's detections."""
    order = np.argsort(-scores, kind="mergesort")     # stable, as pycocotools
    tp = np.cumsum(hits[order])
    fp = np.cumsum(~hits[order])
    recall = tp / num_true
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    # The envelope: precision at recall r is the best precision at any recall >= r.
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(at < len(precision), precision[np.minimum(at, len(precision) - 1)], 0.0) \
        if len(precision) else np.zeros_like(RECALL_POINTS)
    return sampled.mean()


def average_precision_per_class(predictions, targets, iou_thresholds=0.5, num_classes=None,
                                max_detections=100):
    """COCO's average precision for every IoU threshold and class.

    Parameters
    ----------
    predictions : list of dict
        One dict per image: ``"boxes"`` (n, 4) as ``(x1, y1, x2, y2)``, ``"scores"`` (n,),
        ``"labels"`` (n,) integer classes.
    targets : list of dict
        One dict per image, in the same order: ``"boxes"`` (m, 4), ``"labels"`` (m,).
    iou_thresholds : float or array_like of float, shape (T,)
        IoU needed for a true positive; e.g. ``COCO_IOU_THRESHOLDS``.
    num_classes : int, optional
        Classes ``0 .. num_classes - 1``; default one more than the largest label seen.
    max_detections : int
        Only the best-scoring this many detections per image and class count (COCO's 100).

    Returns
    -------
    ndarray of float64, shape (T, num_classes)
        AP of each class at each threshold; NaN for a class with no true box in any image
        (its AP is undefined; pycocotools marks it -1).
    """
    if not isinstance(predictions, (list, tuple)) or not isinstance(targets, (list, tuple)):
        raise TypeError("predictions and targets must be lists of dicts, one per image")
    if len(predictions) != len(targets):
        raise ValueError(f"predictions and targets must have one entry per image, got "
                         f"{len(predictions)} and {len(targets)}")
    thresholds = _thresholds(iou_thresholds)
    if isinstance(max_detections, bool) or not isinstance(max_detections, (int, np.integer)) \
            or max_detections < 1:
        raise ValueError(f"max_detections must be an int >= 1, got {max_detections!r}")
    preds = [_image(p, i, "predictions", True) for i, p in enumerate(predictions)]
    trues = [_image(t, i, "targets", False) for i, t in enumerate(targets)]
    seen = [lab.max() for _, lab, *_ in preds + trues if lab.size]
    if any(lab.size and lab.min() < 0 for _, lab, *_ in preds + trues):
        raise ValueError("labels must be classes >= 0")
    if num_classes is None:
        num_classes = int(max(seen)) + 1 if seen else 0
    elif seen and max(seen) >= num_classes:
        raise ValueError(f"num_classes is {num_classes} but a label is {max(seen)}")
    ap = np.full((len(thresholds), num_classes), np.nan)
    for c in range(num_classes):
        num_true = sum(int(np.sum(lab == c)) for _, lab, _ in trues)
        if num_true == 0:
            continue
        hits = [[] for _ in thresholds]
        scores = []
        for (p_boxes, p_labels, p_scores), (t_boxes, t_labels, _) in zip(preds, trues):
            mine = np.flatnonzero(p_labels == c)
            mine = mine[np.argsort(-p_scores[mine], kind="mergesort")][:max_detections]
            iou = box_iou(p_boxes[mine], t_boxes[t_labels == c])
            for k, t in enumerate(thresholds):
                hits[k].append(_match(iou, t))
            scores.append(p_scores[mine])
        scores = np.concatenate(scores)
        for k in range(len(thresholds)):
            ap[k, c] = _average_precision(np.concatenate(hits[k]), scores, num_true)
    return ap


def mean_average_precision(predictions, targets, iou_thresholds=0.5, num_classes=None,
                           max_detections=100):
    """Mean average precision (mAP) of detections, as COCO computes it.

    Parameters
    ----------
    predictions, targets, iou_thresholds, num_classes, max_detections
        As in :func:`average_precision_per_class`. ``iou_thresholds=0.5`` gives mAP@0.5,
        ``COCO_IOU_THRESHOLDS`` gives mAP@[.5:.95].

    Returns
    -------
    float
        The mean of the per-class, per-threshold AP over the classes with at least one true
        box (pycocotools' ``stats[0]`` for ``COCO_IOU_THRESHOLDS`` and ``stats[1]`` for
        0.5, with area range "all" and 100 detections per image). NaN if no image has a
        true box.

    Examples
    --------
    >>> truth = [{"boxes": [[0, 0, 10, 10]], "labels": [3]}]
    >>> found = [{"boxes": [[1, 0, 10, 10], [20, 20, 30, 30]], "scores": [0.9, 0.8],
    ...           "labels": [3, 3]}]
    >>> mean_average_precision(found, truth)       # IoU 0.9: found first, then a miss
    1.0
    >>> round(mean_average_precision(found, truth, COCO_IOU_THRESHOLDS), 2)  # 0.5..0.9 hit
    0.9
    """
    ap = average_precision_per_class(predictions, targets, iou_thresholds, num_classes,
                                     max_detections)
    return float(np.nanmean(ap)) if np.any(~np.isnan(ap)) else float("nan")
