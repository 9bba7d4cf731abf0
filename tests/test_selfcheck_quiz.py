"""Tests of cnnlib.selfcheck.quiz: each quiz accepts the answer an outside oracle gives,
and each named misconception is recognised from the wrong answer it produces.

Right answers come from PyTorch (output shapes, parameter counts, pooling), scikit-learn
(the metrics) and the formulas written here; the wrong answers are the same computations
with the misconception built in (padding once, no + 1, no bias, no channels ...).
"""
import ast
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import precision_score, recall_score
from torch import nn

from cnnlib.selfcheck.answers import Mistake, check_answer, normalise_answer
from cnnlib.selfcheck.quiz import QUIZZES, check_quiz


def out_size(n, k, p=0, s=1, d=1):
    """Output length from PyTorch itself."""
    x = torch.zeros(1, 1, n)
    return F.conv1d(x, torch.zeros(1, 1, k), padding=p, stride=s, dilation=d).shape[-1]


def n_params(layer):
    return sum(p.numel() for p in layer.parameters())


def conv_shape(n, c_in, c_out, k, p=0):
    return tuple(nn.Conv2d(c_in, c_out, k, padding=p)(torch.zeros(1, c_in, n, n)).shape[1:])


def rf(layers):
    """Receptive field of (kernel, stride, dilation) layers, the textbook recursion."""
    size, jump = 1, 1
    for k, s, d in layers:
        size += (d * (k - 1)) * jump
        jump *= s
    return size


A = torch.tensor([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]],
                 dtype=torch.float64)[None, None]
OPTIONS_02_6 = {"a": [[20, 30], [70, 90]], "b": [[16, 8], [20, 25]],
                "c": [[64, 32], [80, 100]],
                "d": [[16, 16, 8], [25.5, 22.25, 2.25], [20, 41.75, 25]]}


def letter_of(result):
    for letter, option in OPTIONS_02_6.items():
        if np.asarray(option).shape == result.shape and np.allclose(option, result):
            return letter
    raise AssertionError("no option matches")


SIGNAL = torch.tensor([3, 5, 6, 2, 2, 9, 4], dtype=torch.float64)[None, None]
LAZY_Y = np.array([1] * 6 + [0] * 14)          # 6 ill people of 20, as in notebook 05a
LAZY_PRED = np.ones(20, dtype=int)

# (quiz, part, right answer from an oracle)
RIGHT = [
    ("01a.1", "shape", conv_shape(32, 3, 10, 5, p=2)[1:] + conv_shape(32, 3, 10, 5, p=2)[:1]),
    ("01a.1", "params", n_params(nn.Conv2d(3, 10, 5))),
    ("01a.1", "fc_weights", nn.Linear(32 * 32 * 3, 32 * 32 * 10).weight.numel()),
    ("01a.2", "valid", out_size(100, 7)),
    ("01a.2", "same", out_size(100, 7, p=3)),
    ("01a.2", "full", out_size(100, 7, p=6)),
    ("01a.2", "valid_stride_3", out_size(100, 7, s=3)),
    ("01a.4", "valid", out_size(28, 5)), ("01a.4", "same", out_size(28, 5, p=2)),
    ("01a.4", "full", out_size(28, 5, p=4)), ("01a.4", "padding", (5 - 1) // 2),
    ("01b.1", "entries", (28 * 28) ** 2),
    ("01b.1", "nonzero", 28 * 28 * 9), ("01b.1", "free", 9),
    ("01b.2", "answer", "yes"), ("01b.3", "answer", "no"),
    ("02a.1", "answer", "b"),
    ("02a.2", "padded", out_size(28, 5, p=2)), ("02a.2", "unpadded", out_size(28, 5)),
    ("02a.3", "stride_2", out_size(7, 3, s=2)), ("02a.3", "stride_1", out_size(7, 3)),
    ("02a.3", "stride_3", out_size(7, 3, s=3)),
    ("02a.4", "fits", "none" if all((32 - 5 + 2 * p) % 2 for p in range(10)) else "some"),
    ("02a.4", "half", next(p for p in range(5) if out_size(32, 5, p=p, s=2) == 16)),
    ("02a.5", "params", n_params(nn.Conv2d(3, 96, 11))),
    ("02a.5", "fc_weights", 227 * 227 * 3 * 55 * 55 * 96),
    ("02b.1", "answer", letter_of(F.avg_pool2d(A, 2, 2)[0, 0].numpy())),
    ("02b.2", "answer", F.max_pool1d(F.pad(SIGNAL, (1, 1), value=-math.inf), 3, 1)[0, 0].tolist()),
    ("02b.4", "five_3x3", rf([(3, 1, 1)] * 5)),
    ("02b.4", "dilated", rf([(3, 1, 2), (3, 1, 4)])),
    ("03.2", "dweight", tuple(nn.Conv2d(3, 16, 5).weight.shape)),
    ("03.2", "dbias", tuple(nn.Conv2d(3, 16, 5).bias.shape)),
    ("03.2", "mults", 16 * 32 * 32 * 3 * 5 * 5),
    ("03.3", "answer", "first"),
    ("04a.1", "answer", 60000),
    ("04a.2", "answer", n_params(nn.Conv2d(6, 16, 5))),
    ("04a.3", "size", out_size(28, 5)),
    ("04a.3", "fc1_inputs", 16 * (out_size(out_size(28, 5) // 2, 5) // 2) ** 2),
    ("04a.3", "fc1_params", n_params(nn.Linear(256, 120))),
    ("04a.4", "answer", rf([(5, 1, 1), (2, 2, 1), (5, 1, 1)])),
    ("04a.5", "answer", (6 * 3 + 9 * 4 + 1 * 6) * 25 + 16),
    ("04a.6", "params", "fc6"), ("04a.6", "macs", "conv2"),
    ("04a.7", "answer", n_params(nn.Conv2d(96, 256, 5, groups=2))),
    ("04b.1", "two_3x3", 2 * n_params(nn.Conv2d(1, 1, 3, bias=False))),
    ("04b.1", "one_5x5", n_params(nn.Conv2d(1, 1, 5, bias=False))),
    ("04b.1", "fewer_percent", 100 * (1 - 2 * 9 / 25)),
    ("04b.2", "conv1_1", n_params(nn.Conv2d(3, 64, 3))),
    ("04b.2", "fc6", n_params(nn.Linear(512 * 7 * 7, 4096))),
    ("04b.3", "weights", nn.Conv2d(256, 64, 1, bias=False).weight.numel()),
    ("04b.3", "macs", 28 * 28 * 256 * 64),
    ("04b.4", "answer", 90 * 1.2e6 / 128), ("04b.5", "answer", 1e-4),
    ("04c.1", "answer", "yes"), ("04c.3", "answer", "VGG-16"),
    ("04c.3", "vgg16", 1000 * 138.4e6 / 15.5e9), ("04c.3", "resnet50", 1000 * 25.6e6 / 4.1e9),
    ("05a.1", "recall", recall_score(LAZY_Y, LAZY_PRED)),
    ("05a.1", "specificity", recall_score(LAZY_Y, LAZY_PRED, pos_label=0)),
    ("05a.1", "precision", precision_score(LAZY_Y, LAZY_PRED)),
    ("05a.2", "answer", "balanced accuracy"),
    ("05a.3", "answer", 0.99 * 0.001 / (0.99 * 0.001 + 0.01 * 0.999)),
    ("05a.4", "top1", 1 - 1 / 10), ("05a.4", "top5", 1 - 5 / 10),
    ("05b.2", "answer", "B"),
]



# ---- oracles for the quizzes of lessons 00, 04b.6, 05b.3, 06a and 10 (modules quiz_00 ...)
def se_net_shift_error(padding_mode, seed=0):
    """Largest |f(shift x) - shift f(x)| of a conv + squeeze-and-excitation + conv network."""
    torch.manual_seed(seed)
    conv1 = nn.Conv2d(3, 8, 3, padding=1, padding_mode=padding_mode)
    conv2 = nn.Conv2d(8, 4, 3, padding=1, padding_mode=padding_mode)
    squeeze, excite = nn.Linear(8, 2), nn.Linear(2, 8)

    def f(x):
        a = torch.relu(conv1(x))
        gates = torch.sigmoid(excite(torch.relu(squeeze(a.mean(dim=(2, 3))))))
        return conv2(a * gates[:, :, None, None])

    x = torch.zeros(1, 3, 16, 16)
    x[..., 4:10, 3:9] = torch.rand(1, 3, 6, 6)       # an object that moves within the frame
    with torch.no_grad():
        return (f(torch.roll(x, 3, dims=3)) - torch.roll(f(x), 3, dims=3)).abs().max().item()


def se_equivariance():
    exact = se_net_shift_error("circular") < 1e-5
    zero_padded = se_net_shift_error("zeros")
    if exact and zero_padded < 1e-5:
        return "yes"
    return "approximately" if exact else "no"


def rare_disease_precision(auc=0.97, n_ill=300, n_healthy=299_700, fpr=0.02, seed=0):
    """Binormal scores with the given ROC AUC; precision at the threshold of that FPR."""
    from scipy.stats import norm
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(seed)
    shift = math.sqrt(2) * norm.ppf(auc)         # AUC = Phi(shift / sqrt(2))
    y = np.r_[np.ones(n_ill, int), np.zeros(n_healthy, int)]
    score = np.r_[rng.normal(shift, 1, n_ill), rng.normal(0, 1, n_healthy)]
    assert abs(roc_auc_score(y, score) - auc) < 0.01
    return precision_score(y, score >= norm.ppf(1 - fpr))


def segmentation_drops(labels=range(11), seed=0):
    """(pixel accuracy drop, mean IoU drop) when class 1 (2% of pixels) becomes background."""
    from sklearn.metrics import accuracy_score, jaccard_score
    truth = np.random.default_rng(seed).permutation(np.repeat(np.arange(11), [80_000, 2_000]
                                                             + [2_000] * 9))
    pred = np.where(truth == 1, 0, truth)
    miou = [jaccard_score(truth, p, labels=list(labels), average="macro", zero_division=0)
            for p in (truth, pred)]
    return accuracy_score(truth, truth) - accuracy_score(truth, pred), miou[0] - miou[1]


def wavenet_field(dilations, kernel_size=2):
    """Receptive field of stacked dilated convolutions: the span of the inputs that reach
    the last output (those with a non-zero gradient)."""
    x = torch.zeros(1, 1, 4000, requires_grad=True)
    h = x
    for d in dilations:
        conv = nn.Conv1d(1, 1, kernel_size, dilation=d, bias=False)
        nn.init.ones_(conv.weight)
        h = conv(h)
    h[0, 0, -1].backward()
    reached = torch.nonzero(x.grad[0, 0]).ravel()
    return int(reached.max() - reached.min() + 1)


WAVENET = [2 ** i for i in range(10)]


def near_miss_iou(over="union"):
    from torchvision.ops import box_area, box_iou
    true, pred = torch.tensor([[0.0, 0, 30, 30]]), torch.tensor([[10.0, 0, 40, 30]])
    if over == "union":
        return box_iou(true, pred).item()
    overlap = box_iou(true, pred).item() * (2 * box_area(true).item()) / (1 + box_iou(
        true, pred).item())
    return overlap / box_area(true).item()


def coco_ap(kind):
    """(AP@[.5:.95], AP@0.5) from pycocotools for 20 digits with one kind of error."""
    import contextlib
    import io
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    images = [{"id": i, "width": 100, "height": 100} for i in range(20)]
    truth = [{"id": i + 1, "image_id": i, "category_id": 1, "bbox": [20, 20, 30, 30],
              "area": 900, "iscrowd": 0} for i in range(20)]
    dets = []
    for i in range(20):
        box, cat = [20, 20, 30, 30], 1
        if kind == "loose boxes":
            box = [20 + 4, 20, 30, 30]        # IoU 26/34 = 0.76
        elif kind == "wrong classes" and i % 2:
            cat = 2
        elif kind == "missed digits" and i % 2:
            continue
        dets.append({"image_id": i, "category_id": cat, "bbox": box, "score": 1 - i / 100})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": truth,
                      "categories": [{"id": 1, "name": "digit"}, {"id": 2, "name": "other"}]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(dets), "bbox")
        ev.params.catIds = [1]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0], ev.stats[1]


def error_behind_the_gap():
    """The kind of error whose AP@[.5:.95] falls well below its AP@0.5."""
    gaps = {kind: coco_ap(kind)[1] - coco_ap(kind)[0]
            for kind in ("wrong classes", "missed digits", "loose boxes")}
    assert sorted(gaps.values())[1] < 0.05        # the other two cost alike at every threshold
    return max(gaps, key=gaps.get)


PIXEL_DROP, MIOU_DROP = segmentation_drops()
MNIST_BATCH = torch.zeros(64, 1, 28, 28)

RIGHT += [
    ("00.3", "answer", MNIST_BATCH.numel()),
    ("04b.6", "answer", se_equivariance()),
    ("05b.3", "answer", "yes" if rare_disease_precision() > 0.5 else "no"),
    ("06a.2", "pixel_accuracy_drop", PIXEL_DROP),
    ("06a.2", "miou_drop", MIOU_DROP),
    ("06a.3", "samples", wavenet_field(WAVENET)),
    ("06a.3", "ms", 1000 * wavenet_field(WAVENET) / 16000),
    ("10.1", "iou", near_miss_iou()),
    ("10.1", "voc", "yes" if near_miss_iou() >= 0.5 else "no"),
    ("10.1", "coco_095", "yes" if near_miss_iou() >= 0.95 else "no"),
    ("10.2", "answer", error_behind_the_gap()),
]

PS = SIGNAL[0, 0].tolist()
# (quiz, part, wrong answer built from the misconception, mistake name)
WRONG = [
    ("01a.1", "shape", (out_size(32, 5), out_size(32, 5), 10), "padding ignored"),
    ("01a.1", "shape", (out_size(32, 5, p=1),) * 2 + (10,), "padding once"),
    ("01a.1", "shape", (32, 32, 3), "channels in"),
    ("01a.1", "params", nn.Conv2d(3, 10, 5).weight.numel(), "bias forgotten"),
    ("01a.1", "params", n_params(nn.Conv2d(1, 10, 5)), "channels left out"),
    ("01a.1", "params", nn.Conv2d(1, 10, 5).weight.numel(), "channels and bias"),
    ("01a.1", "fc_weights", n_params(nn.Linear(3072, 10240)), "with biases"),
    ("01a.1", "fc_weights", 3072 + 10240, "added"),
    ("01a.2", "valid", 100 - 7, "plus one"), ("01a.2", "valid", out_size(100, 7, p=6), "full"),
    ("01a.2", "same", out_size(100, 7), "valid"),
    ("01a.2", "full", 100 + 7, "plus one"), ("01a.2", "full", 100 + 7 - 2, "plus one forgotten"),
    ("01a.2", "valid_stride_3", (100 - 7) // 3, "plus one"),
    ("01a.2", "valid_stride_3", out_size(100, 7), "stride ignored"),
    ("01a.2", "valid_stride_3", (100 - 7 + 1) / 3, "not rounded down"),
    ("01a.4", "valid", 28 - 5, "plus one"), ("01a.4", "same", out_size(28, 5), "valid"),
    ("01a.4", "full", 28 + 5, "plus one"), ("01a.4", "padding", 5 - 1, "total"),
    ("01a.4", "padding", 5, "kernel size"),
    ("01b.1", "entries", 28 * 28, "image size"), ("01b.1", "entries", 9 * 9, "kernel matrix"),
    ("01b.1", "nonzero", (28 * 28) ** 2, "all"), ("01b.1", "nonzero", 28 * 28, "one per row"),
    ("01b.1", "free", 28 * 28 * 9, "nonzero"), ("01b.1", "free", 28 * 28, "one per row"),
    ("01b.2", "answer", "no", "no"), ("01b.3", "answer", "yes", "yes"),
    ("02a.1", "answer", "a", "plus one"), ("02a.1", "answer", "c", "full"),
    ("02a.1", "answer", "d", "same"),
    ("02a.2", "padded", out_size(28, 5, p=1), "padding once"),
    ("02a.2", "padded", 28 + 4 - 5, "plus one"),
    ("02a.2", "unpadded", 28 - 5, "plus one"), ("02a.2", "unpadded", 28, "kernel not subtracted"),
    ("02a.3", "stride_2", (7 - 3) // 2, "plus one"),
    ("02a.3", "stride_2", math.ceil(7 / 2), "divided the input"),
    ("02a.3", "stride_2", out_size(7, 3), "stride ignored"), ("02a.3", "stride_2", "d",
                                                              "stride ignored"),
    ("02a.3", "stride_1", 7 - 3, "plus one"),
    ("02a.3", "stride_3", (7 - 3) / 3 + 1, "not rounded down"),
    ("02a.3", "stride_3", math.ceil((7 - 3) / 3) + 1, "rounded up"),
    ("02a.3", "stride_3", (7 - 3) / 3, "plus one"),
    ("02a.4", "fits", 2, "two"), ("02a.4", "fits", (5 - 2) / 2, "half"),
    ("02a.4", "half", 1, "one"), ("02a.4", "half", 3, "three"),
    ("02a.5", "params", nn.Conv2d(3, 96, 11).weight.numel(), "bias forgotten"),
    ("02a.5", "params", n_params(nn.Conv2d(1, 96, 11)), "channels left out"),
    ("02a.5", "params", nn.Conv2d(1, 96, 11).weight.numel(), "channels and bias"),
    ("02a.5", "fc_weights", 227 * 227 * 3 * 96, "outputs as channels"),
    ("02a.5", "fc_weights", 227 * 227 * 3 + 55 * 55 * 96, "added"),
    ("02b.1", "answer", letter_of(F.max_pool2d(A, 2, 2)[0, 0].numpy()), "max"),
    ("02b.1", "answer", letter_of(4 * F.avg_pool2d(A, 2, 2)[0, 0].numpy()), "sum"),
    ("02b.1", "answer", letter_of(F.avg_pool2d(A, 2, 1)[0, 0].numpy()), "stride 1"),
    ("02b.2", "answer", F.max_pool1d(SIGNAL, 3, 1)[0, 0].tolist(), "valid"),
    ("02b.2", "answer", F.max_pool1d(F.pad(SIGNAL, (1, 1), value=-math.inf), 3, 3)[0, 0].tolist(),
     "stride 3"),
    ("02b.2", "answer", F.avg_pool1d(F.pad(SIGNAL, (1, 1)), 3, 1)[0, 0].tolist(), "average"),
    ("02b.4", "five_3x3", 5 * 3, "kernel sizes added"), ("02b.4", "five_3x3", 5 * 2, "plus one"),
    ("02b.4", "five_3x3", 3 ** 5, "multiplied"),
    ("02b.4", "dilated", rf([(3, 1, 1), (3, 1, 1)]), "dilation ignored"),
    ("02b.4", "dilated", 5 + 9, "sizes added"), ("02b.4", "dilated", 9, "last layer"),
    ("03.2", "dweight", (16, 5, 5), "channels left out"),
    ("03.2", "dweight", (3, 16, 5, 5), "swapped"),
    ("03.2", "dbias", (16, 32, 32), "per position"),
    ("03.2", "mults", 16 * 32 * 32 * 5 * 5, "channels left out"),
    ("03.2", "mults", 32 * 32 * 3 * 5 * 5, "filters left out"),
    ("03.2", "mults", 16 * 3 * 5 * 5, "per position"),
    ("03.3", "answer", "both", "both"), ("03.3", "answer", "split", "split"),
    ("03.3", "answer", "last", "last"),
    ("04a.1", "answer", 50000, "split"), ("04a.1", "answer", 60000 + 10000, "with test"),
    ("04a.1", "answer", 60000 * 11 // 12, "our split"),
    ("04a.2", "answer", n_params(nn.Conv2d(1, 16, 5)), "channels left out"),
    ("04a.2", "answer", nn.Conv2d(6, 16, 5).weight.numel(), "bias forgotten"),
    ("04a.3", "size", out_size(28, 5, p=2), "padded"), ("04a.3", "size", 28 - 5, "plus one"),
    ("04a.3", "fc1_inputs", 16 * 5 * 5, "padded"),
    ("04a.3", "fc1_inputs", 16 * out_size(out_size(28, 5) // 2, 5) ** 2, "pool forgotten"),
    ("04a.3", "fc1_params", nn.Linear(256, 120).weight.numel(), "bias forgotten"),
    ("04a.3", "fc1_params", n_params(nn.Linear(400, 120)), "padded"),
    ("04a.4", "answer", rf([(5, 1, 1), (2, 1, 1), (5, 1, 1)]), "pool stride ignored"),
    ("04a.4", "answer", rf([(5, 1, 1), (5, 1, 1)]), "pool left out"),
    ("04a.4", "answer", 5 * 5, "pixels counted"),
    ("04a.5", "answer", (6 * 3 + 9 * 4 + 1 * 6) * 25, "bias forgotten"),
    ("04a.5", "answer", n_params(nn.Conv2d(6, 16, 5)), "full connection"),
    ("04a.6", "params", "conv2", "conv"), ("04a.6", "params", "fc8", "last dense"),
    ("04a.6", "macs", "fc6", "dense"), ("04a.6", "macs", "conv1", "first conv"),
    ("04a.7", "answer", n_params(nn.Conv2d(96, 256, 5)), "no groups"),
    ("04a.7", "answer", nn.Conv2d(96, 256, 5, groups=2).weight.numel(), "bias forgotten"),
    ("04a.7", "answer", n_params(nn.Conv2d(96, 128, 5, groups=2)), "filters halved"),
    ("04b.1", "two_3x3", 9, "one 3x3"), ("04b.1", "two_3x3", 2 * 3, "channels once"),
    ("04b.1", "one_5x5", 5, "channels once"),
    ("04b.1", "fewer_percent", 100 * (25 - 18) / 18, "wrong base"),
    ("04b.1", "fewer_percent", 100 * (1 - 9 / 25), "one 3x3"),
    ("04b.2", "conv1_1", nn.Conv2d(3, 64, 3).weight.numel(), "bias forgotten"),
    ("04b.2", "conv1_1", n_params(nn.Conv2d(1, 64, 3)), "channels left out"),
    ("04b.2", "fc6", nn.Linear(25088, 4096).weight.numel(), "bias forgotten"),
    ("04b.2", "fc6", 512 * 7 * 7, "inputs"),
    ("04b.3", "weights", 256 + 64, "added"),
    ("04b.3", "weights", n_params(nn.Conv2d(256, 64, 1)), "with bias"),
    ("04b.3", "macs", 256 * 64, "per position"), ("04b.3", "macs", 28 * 28 * 256,
                                                   "outputs left out"),
    ("04b.3", "macs", 28 * 28 * 64, "inputs left out"),
    ("04b.4", "answer", 90, "epochs"), ("04b.4", "answer", 90 * 1.2e6, "images"),
    ("04b.4", "answer", 1.2e6 / 128, "one epoch"),
    ("04b.5", "answer", 1e-5, "slide"), ("04b.5", "answer", 1e-3, "ten times more"),
    ("04c.1", "answer", "no", "no"), ("04c.3", "answer", "ResNet-50", "resnet"),
    ("04c.3", "vgg16", 15.5e9 / 138.4e6, "inverted"), ("04c.3", "vgg16", 138.4e6 / 15.5e9,
                                                       "per mac"),
    ("04c.3", "resnet50", 4.1e9 / 25.6e6, "inverted"), ("04c.3", "resnet50", 25.6e6 / 4.1e9,
                                                        "per mac"),
    ("05a.1", "recall", precision_score(LAZY_Y, LAZY_PRED), "precision"),
    ("05a.1", "recall", 0, "zero"),
    ("05a.1", "specificity", recall_score(LAZY_Y, LAZY_PRED), "swapped"),
    ("05a.1", "specificity", float(np.mean(LAZY_Y == 0)), "prevalence"),
    ("05a.1", "precision", recall_score(LAZY_Y, LAZY_PRED), "recall"),
    ("05a.1", "precision", float(np.mean(LAZY_Y == 0)), "healthy"),
    ("05a.2", "answer", "accuracy", "accuracy"), ("05a.2", "answer", "micro recall", "micro"),
    ("05a.3", "answer", 0.99, "sensitivity"), ("05a.3", "answer", 1 / 1000, "prevalence"),
    ("05a.3", "answer", 1 - 0.99, "false positive rate"),
    ("05a.4", "top1", 1 / 10, "accuracy"), ("05a.4", "top1", 1, "all"),
    ("05a.4", "top5", (1 - 1 / 10) ** 5, "independent"), ("05a.4", "top5", 5 / 100, "accuracy"),
    ("05b.2", "answer", "A", "higher AP"), ("05b.2", "answer", "either", "either"),
]


WRONG += [
    ("00.3", "answer", MNIST_BATCH[0].numel(), "one image"),
    ("00.3", "answer", torch.zeros(64, 3, 28, 28).numel(), "three channels"),
    ("00.3", "answer", MNIST_BATCH.numel() * MNIST_BATCH.element_size(), "bytes"),
    ("04b.6", "answer", "yes", "yes"), ("04b.6", "answer", "no", "no"),
    ("05b.3", "answer", "yes", "yes"),
    ("06a.2", "pixel_accuracy_drop", 100 * PIXEL_DROP, "points"),
    ("06a.2", "pixel_accuracy_drop", 1 / 11, "miou"),
    ("06a.2", "miou_drop", PIXEL_DROP, "pixel weighted"),
    ("06a.2", "miou_drop", segmentation_drops(labels=range(1, 11))[1], "background left out"),
    ("06a.2", "miou_drop", 0, "nothing"),
    ("06a.3", "samples", wavenet_field(WAVENET) - 1, "plus one"),
    ("06a.3", "samples", wavenet_field(WAVENET, kernel_size=3), "kernel size"),
    ("06a.3", "samples", wavenet_field([1] * 10), "dilation ignored"),
    ("06a.3", "samples", wavenet_field([512]), "last layer"),
    ("06a.3", "ms", wavenet_field(WAVENET) / 16000, "seconds"),
    ("06a.3", "ms", wavenet_field(WAVENET) * 16 / 1000, "multiplied"),
    ("10.1", "iou", near_miss_iou(over="one box"), "over one box"),
    ("10.1", "iou", 1 / 3, "shift"),
    ("10.1", "voc", "no", "no"), ("10.1", "coco_095", "yes", "yes"),
    ("10.2", "answer", "wrong classes", "wrong classes"),
    ("10.2", "answer", "missed digits", "missed digits"),
]


def ask(quiz, part, value):
    return check_quiz(quiz, **{part: value})[0]


@pytest.mark.parametrize("quiz, part, right", RIGHT, ids=[f"{q}-{p}" for q, p, _ in RIGHT])
def test_right_answer_from_an_oracle_is_accepted(quiz, part, right, capsys):
    verdict = ask(quiz, part, right)
    assert verdict.correct, verdict.message
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize("quiz, part, wrong, name", WRONG,
                         ids=[f"{q}-{p}-{n}" for q, p, _, n in WRONG])
def test_each_misconception_is_named(quiz, part, wrong, name, capsys):
    verdict = ask(quiz, part, wrong)
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message
    message = dict((m.name, m.message) for m in QUIZZES[quiz].parts[part].mistakes)[name]
    assert message in verdict.message
    assert capsys.readouterr().out.startswith("✘")


def test_every_part_has_an_oracle_and_two_misconceptions_per_quiz():
    covered = {(q, p) for q, p, _ in RIGHT}
    named = {(q, p, n) for q, p, _, n in WRONG}
    for quiz_id, quiz in QUIZZES.items():
        if quiz_id.startswith("04d."):       # tests/test_selfcheck_exercises_04d.py
            continue
        count = 0
        for part, spec in quiz.parts.items():
            assert (quiz_id, part) in covered, (quiz_id, part)
            for m in spec.mistakes:
                assert (quiz_id, part, m.name) in named, (quiz_id, part, m.name)
                count += 1
        yes_no = all(isinstance(s.right, str) and s.right in ("yes", "no")
                     for s in quiz.parts.values())
        assert count >= (1 if yes_no else 2), quiz_id


def test_the_quiz_ids_follow_the_notebook_convention():
    import re
    assert all(re.fullmatch(r"(0\d[abcd]?|10)\.\d+", q) for q in QUIZZES)


def test_unrecognised_answer_gets_a_generic_message():
    verdict = ask("02a.5", "params", 34000)
    assert verdict.mistake is None and "too small" in verdict.message
    verdict = ask("02a.5", "params", 349440)
    assert "power of ten" in verdict.message
    verdict = ask("02b.2", "answer", [5, 6, 6, 7, 9, 9, 9])
    assert "entry 3" in verdict.message
    verdict = ask("02b.2", "answer", [5, 6])
    assert "7 numbers, got 2" in verdict.message
    assert ask("02a.1", "answer", "e").message.endswith("reread the options.")


def test_blank_answer():
    verdict = check_quiz("02a.1", None)[0]
    assert verdict.mistake == "blank" and not verdict


def test_rounded_answers_within_the_stated_tolerance():
    assert ask("05a.3", "answer", 0.09).correct
    assert ask("04b.4", "answer", 844000).correct
    assert not ask("05a.3", "answer", 0.1).correct


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="quiz_id must be one of"):
        check_quiz("99.1", 3)
    with pytest.raises(ValueError, match="has no part 'stride_4'"):
        check_quiz("02a.3", stride_4=1)
    with pytest.raises(ValueError, match="several parts"):
        check_quiz("02a.3", 3)
    with pytest.raises(TypeError, match="answer must be"):
        check_quiz("02a.1", {"b": 1})


def test_check_answer_on_its_own():
    m = [Mistake("plus one", 23, "the + 1 is missing")]
    assert check_answer("x", 23, 24, m, quiet=True).mistake == "plus one"
    assert normalise_answer(" (B) ") == "b"
    assert normalise_answer(np.array([[1, 2]])) == (1.0, 2.0)
    with pytest.raises(TypeError, match="answer must be"):
        normalise_answer(True)


def test_messages_do_not_speak_of_a_lecture_the_student_attended():
    for quiz in QUIZZES.values():
        for part in quiz.parts.values():
            for m in part.mistakes:
                for phrase in ("the lecture", "the slide", "this lecture", "the deck"):
                    assert phrase not in m.message, (m.name, phrase)


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[01]*.ipynb"))
QUIZ_CELL = re.compile(r"\*\*Quiz (\S+?)\*\*")


def check_calls(source):
    """The check_quiz calls of a cell's source, as (quiz id, {part: value})."""
    return [(node.args[0].value, {k.arg: ast.literal_eval(k.value) for k in node.keywords})
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_quiz"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_quiz_with_a_check_has_its_check_cell_right_after_it(path):
    cells = json.loads(path.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells]
    calls = {i: check_calls(s) for i, (c, s) in enumerate(zip(cells, sources))
             if c["cell_type"] == "code" and "check_quiz(" in s}
    lesson = path.stem.split("_")[0]
    if not calls and not any(q.split(".")[0] == lesson for q in QUIZZES):
        pytest.skip("no quiz of this lesson has a check cell (yet)")
    assert any(re.search(r"from cnnlib\.selfcheck import .*\bcheck_quiz\b", s)
               for s in sources[:min(calls, default=len(cells))]), \
        "the set-up cell imports check_quiz"
    expected = {}
    for i, (cell, source) in enumerate(zip(cells, sources)):
        if cell["cell_type"] == "markdown":
            for quiz_id in QUIZ_CELL.findall(source):
                if quiz_id in QUIZZES:
                    expected[i + 1] = quiz_id
    assert set(calls) == set(expected), "a check cell must follow each quiz with a check"
    for i, quiz_id in expected.items():
        [(called, parts)] = calls[i]
        assert called == quiz_id
        assert list(parts) == list(QUIZZES[quiz_id].parts) or list(parts) == ["answer"]
        assert all(value is None for value in parts.values()), "committed answers are None"
        assert cells[i]["metadata"]["slideshow"]["slide_type"] == "fragment"
        printed = "".join("".join(o.get("text", "")) for o in cells[i]["outputs"])
        assert printed.count("no answer yet") == len(parts), "executed: blank answers"
        assert not any(o["output_type"] == "execute_result" for o in cells[i]["outputs"]), \
            "the call ends with ';' so Jupyter does not echo the verdicts"
