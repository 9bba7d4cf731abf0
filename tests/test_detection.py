"""cnnlib.detection against torchvision.ops, pycocotools and scipy.ndimage."""
import contextlib
import io

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, strategies as st
from scipy import ndimage

from cnnlib.detection import (COCO_IOU_THRESHOLDS, average_precision_per_class, box_area,
                              box_iou, digit_canvases_with_boxes, mean_average_precision, nms)

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO            # noqa: E402
from pycocotools.cocoeval import COCOeval    # noqa: E402


# --------------------------------------------------------------------------- boxes
def boxes_strategy(max_boxes=8, coordinates=(0, 50)):
    """Lists of boxes (x1, y1, x2, y2) with positive width and height, on a coarse grid
    of coordinates so that touching, nested and identical boxes are drawn often."""
    lo, hi = coordinates
    box = st.tuples(st.integers(lo, hi), st.integers(lo, hi), st.integers(1, 20),
                    st.integers(1, 20)).map(lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))
    return st.lists(box, min_size=0, max_size=max_boxes)


def as_array(boxes):
    return np.array(boxes, dtype=np.float64).reshape(-1, 4)


@given(boxes_strategy(), boxes_strategy(), st.sampled_from([1.0, 0.5, 0.1]))
def test_box_iou_equals_torchvision(boxes1, boxes2, scale):
    b1, b2 = as_array(boxes1) * scale, as_array(boxes2) * scale
    expected = torchvision.ops.box_iou(torch.from_numpy(b1), torch.from_numpy(b2)).numpy()
    ours = box_iou(b1, b2)
    assert ours.shape == (len(b1), len(b2))
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


def test_box_iou_by_hand():
    # A 2x2 box and a 2x2 box shifted by (1, 1): intersection 1, union 4 + 4 - 1 = 7.
    np.testing.assert_allclose(box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [2, 0, 4, 2], [0, 0, 2, 2],
                                                        [0.5, 0.5, 1.5, 1.5]]),
                               [[1 / 7, 0.0, 1.0, 1 / 4]])
    np.testing.assert_allclose(box_area([[0, 0, 2, 3], [1, 1, 1, 5]]), [6, 0])


@given(boxes_strategy(max_boxes=12, coordinates=(0, 30)),
       st.data(), st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 1.0]))
def test_nms_equals_torchvision_with_ties(boxes, data, threshold):
    b = as_array(boxes)
    # Scores from a few values, so equal scores are common.
    scores = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9]),
                                         min_size=len(b), max_size=len(b))), dtype=np.float64)
    expected = torchvision.ops.nms(torch.from_numpy(b), torch.from_numpy(scores), threshold)
    kept = nms(b, scores, threshold)
    assert kept.dtype == np.int64
    np.testing.assert_array_equal(kept, expected.numpy())


def test_nms_by_hand():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30]]
    # box 1 overlaps box 0 with IoU 81/119 = 0.68; box 2 is box 0 again.
    np.testing.assert_array_equal(nms(boxes, [0.9, 0.95, 0.5, 0.1], 0.5), [1, 3])
    np.testing.assert_array_equal(nms(boxes, [0.9, 0.95, 0.5, 0.1], 0.7), [1, 0, 3])
    np.testing.assert_array_equal(nms(boxes, [0.9, 0.95, 0.5, 0.1], 1.0), [1, 0, 2, 3])
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)


@pytest.mark.parametrize("call, words", [
    (lambda: box_iou([[0, 0, 1]], [[0, 0, 1, 1]]), "boxes1 must have shape"),
    (lambda: box_iou([[0, 0, 1, 1]], [[2, 0, 1, 1]]), "boxes2 must have x1 <= x2"),
    (lambda: box_iou([[0, 0, np.nan, 1]], [[0, 0, 1, 1]]), "boxes1 must be finite"),
    (lambda: nms([[0, 0, 1, 1]], [0.5, 0.2], 0.5), "scores must have shape"),
    (lambda: nms([[0, 0, 1, 1]], [0.5], float("nan")), "iou_threshold"),
    (lambda: box_area([[0, 3, 1, 1]]), "boxes must have x1 <= x2"),
])
def test_box_argument_errors(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# --------------------------------------------------------------------------- mAP
def coco_ap(predictions, targets, num_classes):
    """pycocotools' AP per (threshold, class) and its stats[0], stats[1]."""
    images = [{"id": i + 1} for i in range(len(targets))]
    annotations = []
    for i, t in enumerate(targets):
        for (x1, y1, x2, y2), c in zip(np.asarray(t["boxes"]).reshape(-1, 4), t["labels"]):
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1,
                                "category_id": int(c) + 1, "bbox": [x1, y1, x2 - x1, y2 - y1],
                                "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
    results = []
    for i, p in enumerate(predictions):
        for (x1, y1, x2, y2), s, c in zip(np.asarray(p["boxes"]).reshape(-1, 4), p["scores"],
                                          p["labels"]):
            results.append({"image_id": i + 1, "category_id": int(c) + 1,
                            "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(s)})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": c + 1} for c in range(num_classes)]}
        gt.createIndex()
        dt = gt.loadRes(results) if results else COCO()
        if not results:
            dt.dataset = {"images": images, "annotations": [], "categories": gt.dataset[
                "categories"]}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    precision = ev.eval["precision"][:, :, :, 0, 2]          # (T, 101, K): area all, 100 dets
    per_class = np.where((precision > -1).all(axis=1), precision.mean(axis=1), np.nan)
    return per_class, ev.stats[0], ev.stats[1]


def random_case(rng, n_images=6, num_classes=4):
    """Ground truth, and detections that are jittered copies, duplicates and false alarms."""
    targets, predictions = [], []
    for _ in range(n_images):
        m = rng.integers(0, 6)
        xy = rng.uniform(0, 80, (m, 2))
        wh = rng.uniform(4, 30, (m, 2))
        t_boxes = np.hstack([xy, xy + wh])
        t_labels = rng.integers(0, num_classes, m)
        p_boxes = t_boxes + rng.normal(0, rng.choice([0.5, 3.0]), t_boxes.shape)
        p_boxes[:, 2:] = np.maximum(p_boxes[:, 2:], p_boxes[:, :2] + 1)
        keep = rng.random(m) < 0.8                                # some objects missed
        p_boxes, p_labels = p_boxes[keep], t_labels[keep].copy()
        flip = rng.random(len(p_labels)) < 0.15                   # some wrong classes
        p_labels[flip] = rng.integers(0, num_classes, flip.sum())
        k = rng.integers(0, 4)                                    # false alarms
        fxy = rng.uniform(0, 80, (k, 2))
        p_boxes = np.vstack([p_boxes, np.hstack([fxy, fxy + rng.uniform(4, 30, (k, 2))])])
        p_labels = np.concatenate([p_labels, rng.integers(0, num_classes, k)])
        if len(p_boxes) and rng.random() < 0.5:                   # a duplicate detection
            p_boxes = np.vstack([p_boxes, p_boxes[:1] + 0.5])
            p_labels = np.concatenate([p_labels, p_labels[:1]])
        targets.append({"boxes": t_boxes, "labels": t_labels})
        predictions.append({"boxes": p_boxes, "labels": p_labels,
                            "scores": np.round(rng.random(len(p_boxes)), 3)})
    return predictions, targets


@pytest.mark.parametrize("seed", range(12))
def test_mean_average_precision_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    predictions, targets = random_case(rng, n_images=int(rng.integers(1, 8)))
    expected_per_class, expected_coco, expected_50 = coco_ap(predictions, targets, 4)
    per_class = average_precision_per_class(predictions, targets, COCO_IOU_THRESHOLDS,
                                            num_classes=4)
    np.testing.assert_allclose(per_class, expected_per_class, atol=1e-9)
    if np.isnan(expected_per_class).all():
        assert np.isnan(mean_average_precision(predictions, targets, num_classes=4))
        return
    assert mean_average_precision(predictions, targets, COCO_IOU_THRESHOLDS, 4) == \
        pytest.approx(expected_coco, abs=1e-9)
    assert mean_average_precision(predictions, targets, 0.5, 4) == \
        pytest.approx(expected_50, abs=1e-9)


def test_mean_average_precision_with_many_detections_and_tied_scores():
    # More than 100 detections in one image (only the best 100 count) and equal scores.
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (150, 2))
    truth = [{"boxes": np.hstack([xy, xy + 10])[:60], "labels": np.zeros(60, np.int64)}]
    found = [{"boxes": np.hstack([xy, xy + 10]) + rng.normal(0, 1, (150, 4)),
              "labels": np.zeros(150, np.int64), "scores": rng.choice([0.2, 0.6], 150)}]
    per_class, stats0, stats1 = coco_ap(found, truth, 1)
    assert mean_average_precision(found, truth, COCO_IOU_THRESHOLDS) == \
        pytest.approx(stats0, abs=1e-9)
    assert mean_average_precision(found, truth) == pytest.approx(stats1, abs=1e-9)


def test_average_precision_by_hand():
    truth = [{"boxes": [[0, 0, 10, 10], [20, 0, 30, 10]], "labels": [0, 0]}]
    # best first: a hit, a false alarm, a hit; precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    found = [{"boxes": [[0, 0, 10, 10], [50, 50, 60, 60], [20, 0, 30, 10]],
              "scores": [0.9, 0.8, 0.7], "labels": [0, 0, 0]}]
    # 101 recalls: 0 .. 0.50 (51 points) at precision 1, 0.51 .. 1 (50) at the envelope 2/3.
    assert mean_average_precision(found, truth) == pytest.approx((51 + 50 * 2 / 3) / 101)
    # A second detection of the same object is a false positive.
    twice = [{"boxes": [[0, 0, 10, 10], [0, 0, 10, 10]], "scores": [0.9, 0.8],
              "labels": [0, 0]}]
    assert mean_average_precision(twice, truth) == pytest.approx(51 / 101)
    # Perfect detections, and the wrong class scores nothing.
    perfect = [{"boxes": truth[0]["boxes"], "scores": [0.5, 0.4], "labels": [0, 0]}]
    assert mean_average_precision(perfect, truth, COCO_IOU_THRESHOLDS) == 1.0
    wrong = [{"boxes": truth[0]["boxes"], "scores": [0.5, 0.4], "labels": [1, 1]}]
    assert mean_average_precision(wrong, truth) == 0.0
    # IoU 0.6 counts at 0.5 but not at 0.7; exactly 0.5 counts at 0.5 (">=").
    shifted = [{"boxes": [[0, 0, 10, 7.5]], "scores": [1.0], "labels": [0]}]
    single = [{"boxes": [[0, 0, 10, 10]], "labels": [0]}]
    assert mean_average_precision(shifted, single, 0.75) == 1.0
    assert mean_average_precision(shifted, single, 0.8) == 0.0
    half = [{"boxes": [[0, 0, 10, 5]], "scores": [1.0], "labels": [0]}]
    assert mean_average_precision(half, single, 0.5) == 1.0


@pytest.mark.parametrize("call, error, words", [
    (lambda: mean_average_precision([{}], []), ValueError, "one entry per image"),
    (lambda: mean_average_precision([{"boxes": [], "labels": []}], [{"boxes": [], "labels": []}]),
     ValueError, "'scores'"),
    (lambda: mean_average_precision([[]], [{"boxes": [], "labels": []}]), TypeError,
     r"predictions\[0\] must be a dict"),
    (lambda: mean_average_precision([{"boxes": [[0, 0, 1, 1]], "labels": [0], "scores": []}],
                                    [{"boxes": [], "labels": []}]), ValueError, "0 scores"),
    (lambda: mean_average_precision([{"boxes": [], "labels": [], "scores": []}],
                                    [{"boxes": [[0, 0, 1, 1]], "labels": [0]}], 1.5),
     ValueError, "iou_thresholds"),
    (lambda: mean_average_precision([{"boxes": [], "labels": [], "scores": []}],
                                    [{"boxes": [[0, 0, 1, 1]], "labels": [3]}], num_classes=2),
     ValueError, "num_classes"),
    (lambda: mean_average_precision([{"boxes": [], "labels": [], "scores": []}],
                                    [{"boxes": [[0, 0, 1, 1]], "labels": [0]}],
                                    max_detections=0), ValueError, "max_detections"),
    (lambda: mean_average_precision({}, {}), TypeError, "lists of dicts"),
])
def test_map_argument_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --------------------------------------------------------------------------- canvases
def test_canvas_boxes_are_the_bounding_boxes_of_each_digits_ink():
    rng = np.random.default_rng(0)
    digits = (rng.random((20, 14, 14)) > 0.6).astype(np.float32)   # ragged "ink"
    labels = rng.integers(0, 10, 20)
    from cnnlib.segmentation import digit_canvases
    x, targets = digit_canvases_with_boxes(digits, labels, n=5, canvas_size=48, grid=3,
                                           fill=0.6, seed=3)
    x_seg, mask = digit_canvases(digits, labels, n=5, canvas_size=48, grid=3, fill=0.6, seed=3)
    np.testing.assert_array_equal(x, x_seg)
    cell = 16
    for m, t in zip(mask, targets):
        expected_boxes, expected_labels = [], []
        for r in range(3):
            for c in range(3):
                sub = m[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell]
                found = ndimage.find_objects((sub > 0).astype(int))
                if found:
                    rows, cols = found[0]
                    expected_boxes.append([c * cell + cols.start, r * cell + rows.start,
                                           c * cell + cols.stop, r * cell + rows.stop])
                    expected_labels.append(np.unique(sub[sub > 0]).item() - 1)
        np.testing.assert_array_equal(t["boxes"], np.array(expected_boxes).reshape(-1, 4))
        np.testing.assert_array_equal(t["labels"], expected_labels)
        assert t["boxes"].dtype == np.float32 and t["labels"].dtype == np.int64


def test_canvas_argument_errors_come_from_the_canvas_maker():
    with pytest.raises(ValueError, match="canvas_size"):
        digit_canvases_with_boxes(np.zeros((2, 28, 28)), [0, 1], n=1, canvas_size=40, grid=2)
