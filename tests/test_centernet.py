"""cnnlib.models.centernet: targets, decode and loss against loops written out here."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from cnnlib.models.centernet import (centernet, centernet_decode, centernet_loss,
                                     centernet_targets)


def boxes_in_distinct_cells(rng, m, size=64, stride=4):
    """m boxes whose centres fall in different output cells."""
    cells = rng.choice((size // stride) ** 2, m, replace=False)
    boxes = []
    for c in cells:
        row, col = divmod(int(c), size // stride)
        cx, cy = (col + rng.uniform(0.05, 0.95)) * stride, (row + rng.uniform(0.05, 0.95)) * stride
        w, h = rng.uniform(3, 14, 2)
        boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(boxes, np.float32)


def perfect_output(target, num_classes):
    """The output of a network that predicts its targets exactly (heat map as logits)."""
    heat = target[:, :num_classes].clamp(1e-6, 1 - 1e-6)
    return torch.cat([torch.log(heat / (1 - heat)), target[:, num_classes:num_classes + 4]], 1)


@given(seed=st.integers(0, 10_000), m=st.integers(1, 6))
def test_decode_of_perfect_targets_gives_back_the_boxes(seed, m):
    rng = np.random.default_rng(seed)
    boxes = boxes_in_distinct_cells(rng, m)
    labels = rng.integers(0, 3, m)
    target = centernet_targets([{"boxes": boxes, "labels": labels}], 3, (16, 16))
    (found,) = centernet_decode(perfect_output(target, 3), k=m)
    order = np.lexsort(np.asarray(found["boxes"]).T[::-1])
    expected = np.lexsort(boxes.T[::-1])
    np.testing.assert_allclose(np.asarray(found["boxes"])[order], boxes[expected], atol=1e-4)
    np.testing.assert_array_equal(np.asarray(found["labels"])[order], labels[expected])
    np.testing.assert_allclose(np.asarray(found["scores"]), 1.0, atol=1e-5)


def test_targets_by_hand():
    # One box of 8x12 pixels centred at pixel (10, 22): cell column 2, row 5, offset (0.5, 0.5).
    target = centernet_targets([{"boxes": [[6, 16, 14, 28]], "labels": [1]}], 2, (8, 8))
    assert target.shape == (1, 7, 8, 8)
    sigma = max(math.sqrt(2 * 3) / 6, 0.5)
    assert target[0, 1, 5, 2] == 1 and target[0, 0].max() == 0
    assert target[0, 1, 5, 3].item() == pytest.approx(math.exp(-1 / (2 * sigma ** 2)))
    assert target[0, 1, 4, 3].item() == pytest.approx(math.exp(-2 / (2 * sigma ** 2)))
    np.testing.assert_allclose(target[0, 2:7, 5, 2], [2, 3, 0.5, 0.5, 1])
    assert target[0, 6].sum() == 1


def naive_decode(output, k, stride=4):
    """Peaks by comparing each cell with its 8 neighbours, in plain Python loops."""
    num_classes = output.shape[1] - 4
    heat = torch.sigmoid(output[0, :num_classes]).numpy()
    _, h, w = heat.shape
    found = []
    for c in range(num_classes):
        for r in range(h):
            for q in range(w):
                around = heat[c, max(r - 1, 0):r + 2, max(q - 1, 0):q + 2]
                if heat[c, r, q] >= around.max():
                    bw, bh, ox, oy = output[0, num_classes:, r, q].tolist()
                    bw, bh = max(bw, 0), max(bh, 0)
                    cx, cy = (q + ox) * stride, (r + oy) * stride
                    found.append((heat[c, r, q], c, [cx - bw * stride / 2, cy - bh * stride / 2,
                                                     cx + bw * stride / 2, cy + bh * stride / 2]))
    found.sort(key=lambda f: -f[0])
    return found[:k]


@pytest.mark.parametrize("seed", range(5))
def test_decode_equals_a_loop_over_peaks(seed):
    torch.manual_seed(seed)
    output = torch.randn(1, 3 + 4, 8, 10)
    (found,) = centernet_decode(output, k=12)
    expected = naive_decode(output, 12)
    np.testing.assert_allclose(found["scores"].numpy(), [f[0] for f in expected], rtol=1e-6)
    np.testing.assert_array_equal(found["labels"].numpy(), [f[1] for f in expected])
    np.testing.assert_allclose(found["boxes"].numpy(), [f[2] for f in expected], atol=1e-5)


def test_decode_keeps_min_score_and_shapes():
    torch.manual_seed(0)
    out = centernet_decode(torch.randn(2, 10 + 4, 16, 16), k=5, min_score=0.9)
    assert len(out) == 2
    for d in out:
        assert d["boxes"].shape[1] == 4 and len(d["boxes"]) == len(d["scores"]) == len(d["labels"])
        assert (d["scores"] >= 0.9).all() and len(d["scores"]) <= 5
        assert (d["boxes"][:, 2] >= d["boxes"][:, 0]).all()


def test_loss_equals_the_formula_written_out():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    target = centernet_targets([{"boxes": boxes_in_distinct_cells(rng, 3, 32), "labels": [0, 1, 1]},
                                {"boxes": np.zeros((0, 4)), "labels": []}], 2, (8, 8))
    output = torch.randn(2, 6, 8, 8)
    focal = size = offset = 0.0
    for n in range(2):
        for c in range(2):
            for r in range(8):
                for q in range(8):
                    p = torch.sigmoid(output[n, c, r, q]).item()
                    y = target[n, c, r, q].item()
                    focal += (-(1 - p) ** 2 * math.log(p) if y == 1
                              else -(1 - y) ** 4 * p ** 2 * math.log(1 - p))
        for r in range(8):
            for q in range(8):
                if target[n, 6, r, q] == 1:
                    size += (output[n, 2:4, r, q] - target[n, 2:4, r, q]).abs().sum().item()
                    offset += (output[n, 4:6, r, q] - target[n, 4:6, r, q]).abs().sum().item()
    expected = (focal + 0.1 * size + offset) / 3
    assert centernet_loss(output, target).item() == pytest.approx(expected, rel=1e-4)


def test_network_shapes_and_argument_errors():
    net = centernet(num_classes=10)
    assert net(torch.zeros(2, 1, 64, 64)).shape == (2, 14, 16, 16)
    with pytest.raises(ValueError, match="multiples of 4"):
        net(torch.zeros(1, 1, 30, 32))
    with pytest.raises(ValueError, match="labels"):
        centernet_targets([{"boxes": [[0, 0, 4, 4]], "labels": [10]}], 10, (16, 16))
    with pytest.raises(ValueError, match="target must have shape"):
        centernet_loss(torch.zeros(1, 14, 16, 16), torch.zeros(1, 14, 16, 16))
    with pytest.raises(ValueError, match="k must be"):
        centernet_decode(torch.zeros(1, 14, 16, 16), k=0)
    with pytest.raises(ValueError, match="num_classes"):
        centernet(num_classes=0)
