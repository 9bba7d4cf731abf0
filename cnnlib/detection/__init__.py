"""Object detection: boxes, their overlap, non-maximum suppression, mean average precision.

A detector answers "what is where": for each image a list of boxes, each with a class and a
score.  One idea per module, in NumPy (no torch), with torchvision's conventions so that
what a student learns here transfers:

* ``cnnlib.detection.boxes``: boxes as ``(x1, y1, x2, y2)`` corners, ``box_iou`` and
  ``nms`` (checked against ``torchvision.ops``);
* ``cnnlib.detection.average_precision``: COCO's mean average precision at one IoU
  threshold (mAP@0.5) or averaged over 0.5:0.95 (checked against pycocotools);
* ``cnnlib.detection.canvases``: digit canvases of :mod:`cnnlib.segmentation` with a
  box and a class per digit, a detection task that needs no download.

The detector itself (a CenterNet-style network) is ``cnnlib.models.centernet``.
"""
from .boxes import box_area, box_iou, nms
from .average_precision import COCO_IOU_THRESHOLDS, average_precision_per_class, \
    mean_average_precision
from .canvases import digit_canvases_with_boxes

__all__ = ["box_area", "box_iou", "nms", "COCO_IOU_THRESHOLDS", "average_precision_per_class",
           "mean_average_precision", "digit_canvases_with_boxes"]
