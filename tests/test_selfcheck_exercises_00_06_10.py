"""Tests of the exercises of lessons 00 and 06a-10 (cnnlib.selfcheck.exercises_00,
exercises_06 ... exercises_10): each check accepts a right answer from an independent
implementation (PyTorch, torchvision, scikit-learn or the formula) and names each known
mistake from a buggy answer that makes it.
"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from sklearn.metrics import accuracy_score, jaccard_score, precision_score
from torch import nn
from torchvision import tv_tensors
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.ops import box_convert, box_iou, masks_to_boxes
from torchvision.transforms import v2
from torchvision.transforms.functional import to_tensor

from cnnlib.selfcheck.answers import Verdict
from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of

LESSONS = ("00", "06a", "06b", "07", "08", "09", "10")


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# --------------------------------------------------------------------------- right answers
def to_batch(images):
    return torch.stack([to_tensor(image) for image in images]).numpy()


def present(y_true, y_pred):
    return np.union1d(np.unique(y_true), np.unique(y_pred))


def mean_iou(y_true, y_pred, num_classes):
    return jaccard_score(np.ravel(y_true), np.ravel(y_pred), average="macro")


def causal_receptive_field(kernel_size, dilations):
    """Measured with autograd: the inputs the last output of the stack depends on."""
    n = 1 + kernel_size * sum(dilations) + 8
    x = torch.zeros(1, 1, n, requires_grad=True)
    y = x
    for d in dilations:
        y = F.conv1d(y, torch.ones(1, 1, kernel_size), dilation=d)
    y[0, 0, -1].backward()
    return int((x.grad != 0).sum())


def unpool(pooled, x):
    _, indices = F.max_pool2d(t(x)[None, None], 2, 2, return_indices=True)
    return F.max_unpool2d(t(pooled)[None, None], indices, 2, 2,
                          output_size=x.shape)[0, 0].numpy()


def permutation_matrix(perm):
    return np.eye(len(perm))[perm]      # permutation_matrix(perm) @ x == x[perm]


def shuffled_weights(weight, perm):
    return weight @ permutation_matrix(perm).T


def count_trainable(model):
    return nn.utils.parameters_to_vector([p for p in model.parameters()
                                          if p.requires_grad]).numel()


def grad_cam(maps, grads, relu=True, weigh=torch.mean):
    """Grad-CAM with the gradient from autograd: d(sum(grads * A)) / dA = grads."""
    a = t(maps).requires_grad_()
    (gradient,) = torch.autograd.grad((t(grads) * a).sum(), a)
    alpha = weigh(gradient, dim=(1, 2))
    cam = (alpha[:, None, None] * a.detach()).sum(0)
    return (F.relu(cam) if relu else cam).numpy()


def flip_boxes(boxes, width):
    b = tv_tensors.BoundingBoxes(t(boxes), format="XYXY", canvas_size=(64, width))
    return v2.functional.horizontal_flip(b).numpy()


def class_activation_map(features, weight, c):
    """CAM as a 1x1 convolution with class c's weights."""
    return F.conv2d(t(features)[None], t(weight)[c][None, :, None, None])[0, 0].numpy()


def fgsm(x, grad, epsilon):
    return torch.clamp(t(x) + epsilon * torch.sign(t(grad)), 0, 1).numpy()


def project(x_adv, x, epsilon):
    return torch.clamp(torch.clamp(t(x_adv), t(x) - epsilon, t(x) + epsilon), 0, 1).numpy()


def mask_to_box(mask):
    return (masks_to_boxes(torch.as_tensor(mask)[None])[0] + torch.tensor([0, 0, 1, 1])).numpy()


def nms(boxes, scores, threshold):
    return torchvision.ops.nms(t(boxes), t(scores), threshold).numpy()


def decode_peak(row, col, offset, size, stride=4):
    cxcywh = t([(col + offset[0]) * stride, (row + offset[1]) * stride, size[0] * stride,
                size[1] * stride])
    return box_convert(cxcywh[None], "cxcywh", "xyxy")[0].numpy()


RIGHT_FUNCTIONS = {"00.3": to_batch, "06a.1": mean_iou, "06a.3": causal_receptive_field,
                   "06b.2": unpool, "06b.3": shuffled_weights, "07.2": count_trainable,
                   "08.1": grad_cam, "08.2": flip_boxes, "08.3": class_activation_map,
                   "09.1": fgsm, "09.2": project, "10.1": mask_to_box, "10.2": nms,
                   "10.4": decode_peak}


# --------------------------------------------------------------------------- buggy answers
def nms_suppressed_suppress(boxes, scores, threshold):
    iou = box_iou(t(boxes), t(boxes))
    order = torch.argsort(t(scores), descending=True).tolist()
    return np.array([i for k, i in enumerate(order)
                     if all(iou[i, j] <= threshold for j in order[:k])])


def nms_one_round(boxes, scores, threshold):
    order = torch.argsort(t(scores), descending=True)
    iou = box_iou(t(boxes)[order[:1]], t(boxes))[0]
    return np.array([i for i in order.tolist() if i == order[0] or iou[i] <= threshold])


def frozen(model):
    return sum(p.numel() for p in model.parameters() if not p.requires_grad)


BUGGY_FUNCTIONS = [
    ("00.3", "channels last", lambda x: to_batch(x).transpose(0, 2, 3, 1)),
    ("00.3", "channel left out", lambda x: to_batch(x)[:, 0]),
    ("00.3", "not scaled", lambda x: x[:, None].astype(np.float32)),
    ("00.3", "divided by 256", lambda x: x[:, None] / 256),
    ("06a.1", "pixel accuracy", lambda y, p, n: accuracy_score(np.ravel(y), np.ravel(p))),
    ("06a.1", "background left out", lambda y, p, n: jaccard_score(
        np.ravel(y), np.ravel(p), labels=present(y, p)[1:], average="macro")),
    ("06a.1", "absent counted as zero", lambda y, p, n: jaccard_score(
        np.ravel(y), np.ravel(p), labels=range(n), average="macro", zero_division=0)),
    ("06a.1", "false negatives left out", lambda y, p, n: precision_score(
        np.ravel(y), np.ravel(p), labels=present(y, p), average="macro", zero_division=0)),
    ("06a.3", "plus one forgotten", lambda k, d: causal_receptive_field(k, d) - 1),
    ("06a.3", "dilations ignored", lambda k, d: causal_receptive_field(k, [1] * len(d))),
    ("06a.3", "kernel times dilation", lambda k, d: causal_receptive_field(k + 1, d)),
    ("06b.2", "no switches", lambda p, x: F.interpolate(t(p)[None, None], scale_factor=2)[
        0, 0].numpy()),
    ("06b.2", "spread", lambda p, x: torch.autograd.functional.vjp(
        lambda v: F.avg_pool2d(v[None, None], 2)[0, 0], t(x), t(p))[1].numpy()),
    ("06b.2", "maxima of x", lambda p, x: unpool(F.max_pool2d(t(x)[None, None], 2)[0, 0], x)),
    ("06b.3", "inverse permutation", lambda w, p: w @ permutation_matrix(p)),
    ("06b.3", "rows permuted", lambda w, p: permutation_matrix(p) @ w),
    ("07.2", "frozen counted", lambda m: nn.utils.parameters_to_vector(m.parameters()).numel()),
    ("07.2", "tensors counted", lambda m: len([p for p in m.parameters() if p.requires_grad])),
    ("07.2", "buffers counted", lambda m: sum(v.numel() for v in m.state_dict().values())
     - frozen(m)),
    ("08.1", "no ReLU", lambda a, g: grad_cam(a, g, relu=False)),
    ("08.1", "summed gradients", lambda a, g: grad_cam(a, g, weigh=torch.sum)),
    ("08.1", "gradient times map", lambda a, g: F.relu((t(a) * t(g)).sum(0)).numpy()),
    ("08.2", "corners not swapped", lambda b, w: flip_boxes(b, w)[:, [2, 1, 0, 3]]),
    ("08.2", "pixel index", lambda b, w: flip_boxes(b, w) - [1, 0, 1, 0]),
    ("08.2", "width forgotten", lambda b, w: np.asarray(b)[:, [2, 1, 0, 3]] * [-1., 1, -1, 1]),
    ("08.3", "ReLU", lambda a, w, c: F.relu(t(class_activation_map(a, w, c))).numpy()),
    ("08.3", "averaged", lambda a, w, c: class_activation_map(a, w, c) / len(a)),
    ("08.3", "column instead of row", lambda a, w, c: class_activation_map(a, w.T, c)),
    ("08.3", "all classes", lambda a, w, c: class_activation_map(a, w.sum(0, keepdims=True),
                                                                 0)),
    ("09.1", "descends", lambda x, g, e: fgsm(x, -g, e)),
    ("09.1", "no sign", lambda x, g, e: torch.clamp(t(x) + e * t(g), 0, 1).numpy()),
    ("09.1", "not clipped", lambda x, g, e: (t(x) + e * torch.sign(t(g))).numpy()),
    ("09.2", "range only", lambda a, x, e: torch.clamp(t(a), 0, 1).numpy()),
    ("09.2", "box only", lambda a, x, e: torch.clamp(t(a), t(x) - e, t(x) + e).numpy()),
    ("09.2", "nothing clipped", lambda a, x, e: torch.clamp(t(a), t(a) - e, t(a) + e).numpy()),
    ("09.2", "epsilon sign step", lambda a, x, e: fgsm(x, t(a) - t(x), e)),
    ("10.1", "last pixel included", lambda m: masks_to_boxes(torch.as_tensor(m)[None])[0]
     .numpy()),
    ("10.1", "rows first", lambda m: mask_to_box(np.asarray(m).T)),
    ("10.1", "width and height", lambda m: box_convert(torch.as_tensor(mask_to_box(m))[None],
                                                      "xyxy", "xywh")[0].numpy()),
    ("10.2", "not sorted", lambda b, s, thr: nms(b, -np.arange(len(s)), thr)),
    ("10.2", "suppressed boxes suppress", nms_suppressed_suppress),
    ("10.2", "one round", nms_one_round),
    ("10.2", "at the threshold", lambda b, s, thr: nms(b, s, thr - 1e-9)),
    ("10.4", "offset forgotten", lambda r, c, o, s, st=4: decode_peak(r, c, (0, 0), s, st)),
    ("10.4", "size not scaled", lambda r, c, o, s, st=4: box_convert(
        t([(c + o[0]) * st, (r + o[1]) * st, s[0], s[1]])[None], "cxcywh", "xyxy")[0].numpy()),
    ("10.4", "full size each side", lambda r, c, o, s, st=4: decode_peak(
        r, c, o, (2 * s[0], 2 * s[1]), st)),
    ("10.4", "row and column swapped", lambda r, c, o, s, st=4: decode_peak(c, r, o, s, st)),
]


@pytest.mark.parametrize("exercise", sorted(RIGHT_FUNCTIONS))
def test_function_exercise_accepts_an_independent_implementation(exercise, capsys):
    verdict = check_exercise(exercise, RIGHT_FUNCTIONS[exercise])
    assert isinstance(verdict, Verdict) and verdict.correct, verdict.message
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize("exercise, name, buggy", BUGGY_FUNCTIONS,
                         ids=[f"{e}-{n}" for e, n, _ in BUGGY_FUNCTIONS])
def test_function_exercise_names_the_mistake(exercise, name, buggy, capsys):
    verdict = check_exercise(exercise, buggy)
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message
    assert capsys.readouterr().out.startswith("✘")


# --------------------------------------------------------------------------- value exercises
def numel(*layers, kind=nn.Conv2d, what="weight"):
    return sum(getattr(m, what).numel() for layer in layers for m in layer.modules()
               if isinstance(m, kind))


def n_params(*layers):
    return sum(p.numel() for layer in layers for p in layer.parameters())


def transposed_width(k, s, p=0, output_padding=0):
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=output_padding)
    return layer(torch.zeros(1, 1, 8, 8)).shape[-1]


def normalised(value, mean, std):
    return v2.Normalize([mean], [std])(torch.full((1, 1, 1), value / 255))[0, 0, 0].item()


def shift_at_iou(threshold):
    """The shift (a fraction of the width) at which a same-size box reaches the IoU."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        s = (lo + hi) / 2
        iou = box_iou(t([[0, 0, 1, 1]]), t([[s, 0, 1 + s, 1]])).item()
        lo, hi = (s, hi) if iou >= threshold else (lo, s)
    return lo


BATCH = torch.zeros(32, 1, 28, 28)
COLOUR = torch.stack([to_tensor(np.zeros((32, 32, 3), np.uint8))] * 16)
LENET_CONV = (nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5))
LENET_DENSE = (nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10))
BLOCK = InvertedResidual(16, 24, 1, 6)
W = 0.1 * torch.sign(torch.randn(784, generator=torch.Generator().manual_seed(0),
                                 dtype=torch.float64))
DELTA = 0.1 * torch.sign(W)

RIGHT_VALUES = [
    ("00.1", "numbers", BATCH.numel()), ("00.1", "n_bytes", BATCH.numel() * BATCH.element_size()),
    ("00.2", "shape", tuple(COLOUR.shape)), ("00.2", "per_image", COLOUR[0].numel()),
    ("06a.2", "up2", transposed_width(2, 2)), ("06a.2", "k3", transposed_width(3, 2, 1)),
    ("06b.1", "conv", n_params(*LENET_CONV)), ("06b.1", "dense", n_params(*LENET_DENSE)),
    ("07.1", "black", normalised(0, 127 / 255, 128 / 255)),
    ("07.1", "red_torchvision", round(normalised(255, 0.485, 0.229), 3)),
    ("07.3", "block", numel(BLOCK)), ("07.3", "probe", n_params(nn.Linear(112, 10))),
    ("09.3", "gain", (W @ DELTA).item()), ("09.3", "l2", DELTA.norm().item()),
    ("10.3", "s_50", shift_at_iou(0.5)), ("10.3", "s_95", float(f"{shift_at_iou(0.95):.3g}")),
]

WRONG_VALUES = [
    ("00.1", "numbers", BATCH[0].numel(), "one image"),
    ("00.1", "numbers", torch.zeros(32, 3, 28, 28).numel(), "three channels"),
    ("00.1", "n_bytes", BATCH.to(torch.uint8).numel() * 1, "bytes of uint8"),
    ("00.1", "n_bytes", BATCH.double().numel() * BATCH.double().element_size(), "float64"),
    ("00.1", "n_bytes", BATCH.numel() * 32, "bits"),
    ("00.2", "shape", tuple(COLOUR.permute(0, 2, 3, 1).shape), "channels last"),
    ("00.2", "shape", tuple(COLOUR[0].shape), "no batch axis"),
    ("00.2", "shape", tuple(COLOUR[:, :1].shape), "grey"),
    ("00.2", "per_image", COLOUR[0, 0].numel(), "grey"),
    ("00.2", "per_image", COLOUR.numel(), "batch"),
    ("06a.2", "up2", nn.Conv2d(1, 1, 2, stride=2)(torch.zeros(1, 1, 8, 8)).shape[-1],
     "convolution formula"),
    ("06a.2", "up2", 8 * 2 + 2, "kernel added"),
    ("06a.2", "k3", transposed_width(3, 2), "padding ignored"),
    ("06a.2", "k3", transposed_width(3, 2, 1, output_padding=1), "doubled"),
    ("06a.2", "k3", transposed_width(3, 2) + 2, "padding added"),
    ("06b.1", "conv", numel(*LENET_CONV), "biases forgotten"),
    ("06b.1", "conv", n_params(nn.Conv2d(1, 6, 5), nn.Conv2d(1, 16, 5)),
     "channels left out"),
    ("06b.1", "dense", numel(*LENET_DENSE, kind=nn.Linear), "biases forgotten"),
    ("06b.1", "dense", n_params(nn.Linear(16, 120), *LENET_DENSE[1:]), "flatten forgotten"),
    ("07.1", "black", 0.0, "unit range"), ("07.1", "black", -normalised(0, 127 / 255, 128 / 255),
                                            "sign"),
    ("07.1", "black", normalised(0, 127 / 255, 1.0), "divided by 255"),
    ("07.1", "red_torchvision", normalised(255 * 255, 0.485, 0.229), "not divided by 255"),
    ("07.1", "red_torchvision", normalised(255, 127 / 255, 128 / 255), "lite scale"),
    ("07.1", "red_torchvision", normalised(255, 0.485, 1.0), "std forgotten"),
    ("07.3", "block", numel(nn.Conv2d(16, 96, 1), nn.Conv2d(96, 96, 3), nn.Conv2d(96, 24, 1)),
     "depthwise full"),
    ("07.3", "block", numel(nn.Conv2d(16, 16, 3, groups=16), nn.Conv2d(16, 24, 1)),
     "expansion left out"),
    ("07.3", "block", numel(nn.Conv2d(16, 96, 1), nn.Conv2d(96, 96, 3, groups=96)),
     "projection left out"),
    ("07.3", "probe", numel(nn.Linear(112, 10), kind=nn.Linear), "bias forgotten"),
    ("07.3", "probe", n_params(nn.Linear(112 * 2 * 2, 10)), "positions kept"),
    ("07.3", "probe", n_params(nn.Linear(1280, 10)), "last layer"),
    ("09.3", "gain", (W[0] * DELTA[0]).abs().item(), "one pixel"),
    ("09.3", "gain", (0.1 * W.norm()).item(), "euclidean"),
    ("09.3", "gain", 0.1 * 784, "epsilon times n"),
    ("09.3", "l2", DELTA.abs().max().item(), "max norm"),
    ("09.3", "l2", DELTA.abs().sum().item(), "l1"),
    ("09.3", "l2", (DELTA.norm() ** 2).item(), "squared"),
    ("10.3", "s_50", 0.5, "half"),
    ("10.3", "s_50", 0.25, "shift counted twice"),
    ("10.3", "s_95", 1 - 0.95, "one minus threshold"),
    ("10.3", "s_95", round(100 * shift_at_iou(0.95), 2), "percent"),
]


@pytest.mark.parametrize("exercise, part, right", RIGHT_VALUES,
                         ids=[f"{e}-{p}" for e, p, _ in RIGHT_VALUES])
def test_value_exercise_accepts_the_oracle(exercise, part, right, capsys):
    verdict = check_exercise(exercise, **{part: right})[0]
    assert verdict.correct, verdict.message
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize("exercise, part, wrong, name", WRONG_VALUES,
                         ids=[f"{e}-{p}-{n}" for e, p, _, n in WRONG_VALUES])
def test_value_exercise_names_the_mistake(exercise, part, wrong, name):
    verdict = check_exercise(exercise, **{part: wrong})[0]
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message
    message = dict((m.name, m.message) for m in EXERCISES[exercise].parts[part].mistakes)[name]
    assert verdict.message.endswith(message)


# --------------------------------------------------------------------------- the table itself
def test_every_mistake_is_fed_its_wrong_answer_and_every_exercise_its_right_one():
    tested_values = {(e, p, n) for e, p, _, n in WRONG_VALUES}
    right_values = {(e, p) for e, p, _ in RIGHT_VALUES}
    for lesson in LESSONS:
        for exercise_id in exercises_of(lesson):
            exercise = EXERCISES[exercise_id]
            if exercise.check is not None:
                assert exercise_id in RIGHT_FUNCTIONS, exercise_id
                continue
            count = 0
            for part, spec in exercise.parts.items():
                assert (exercise_id, part) in right_values, (exercise_id, part)
                for m in spec.mistakes:
                    assert (exercise_id, part, m.name) in tested_values, (exercise_id, part,
                                                                          m.name)
                    count += 1
            assert count >= 2, exercise_id


def test_each_function_check_has_named_mistakes_that_are_all_tested():
    for exercise_id in RIGHT_FUNCTIONS:
        source = inspect.getsource(EXERCISES[exercise_id].check)
        names = {line.split('M("')[1].split('"')[0] for line in source.splitlines()
                 if 'M("' in line}
        assert len(names) >= 2, exercise_id
        assert names == {n for e, n, _ in BUGGY_FUNCTIONS if e == exercise_id}, exercise_id


def test_three_to_four_exercises_per_lesson():
    for lesson in LESSONS:
        assert 3 <= len(exercises_of(lesson)) <= 4, lesson


def test_every_exercise_has_a_statement_that_says_how_to_check_it():
    for lesson in LESSONS:
        for exercise_id in exercises_of(lesson):
            exercise = EXERCISES[exercise_id]
            assert len(exercise.statement) > 100
            assert "check_" in exercise.statement, exercise_id
            texts = [exercise.statement, exercise.title] + [
                m.message for p in (exercise.parts or {}).values() for m in p.mistakes]
            for phrase in ("the lecture", "the slide", "this lecture", "CS 615", "ECE 285"):
                assert all(phrase not in text for text in texts), (exercise_id, phrase)
            assert all(text.strip() for text in texts), exercise_id


# --------------------------------------------------------------------------- generic messages
def test_unknown_wrong_function_gets_the_shape_or_the_first_difference():
    verdict = check_exercise("09.1", lambda x, g, e: fgsm(x, g, e)[..., :-1])
    assert verdict.mistake is None and "has shape (3,), expected (4,)" in verdict.message
    verdict = check_exercise("08.2", lambda b, w: flip_boxes(b, w) + [0, 1, 0, 0])
    assert verdict.mistake is None and "First at result[0, 1]" in verdict.message


def test_unrecognised_value_gets_a_generic_message():
    verdict = check_exercise("06b.1", dense=591340)[0]
    assert verdict.mistake is None and "power of ten" in verdict.message
    verdict = check_exercise("00.2", shape=(16, 32, 3, 32))[0]
    assert verdict.mistake is None and "entry 1" in verdict.message


def test_stubs_and_blanks_are_reported():
    def stub(boxes, scores, threshold):
        raise NotImplementedError
    assert check_exercise("10.2", stub).mistake == "not written"
    assert check_exercise("09.3", gain=None)[0].mistake == "blank"


def test_quiet_checks_print_nothing(capsys):
    assert check_exercise("10.2", nms, quiet=True).correct
    assert check_exercise("07.3", probe=1130, quiet=True)[0].correct
    assert capsys.readouterr().out == ""
