"""Tests of cnnlib.selfcheck's exercises: each check accepts a right answer from an
independent implementation (PyTorch, SciPy, scikit-learn, torchvision or the formula)
and names each known mistake from a student's buggy answer that makes it.
"""
import math

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
import torchvision
from sklearn.metrics import f1_score, roc_curve
from torch import nn

import test_selfcheck_exercises_05 as ex05
from cnnlib.selfcheck.answers import Verdict
from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# --------------------------------------------------------------------------- right answers
def correlate1d(x, kernel):
    return scipy.signal.correlate(x, kernel, mode="valid")


def correlation_matrix(kernel, n):
    return np.stack([scipy.signal.correlate(e, kernel, mode="valid") for e in np.eye(n)], 1)


def output_size(w, f, s, p):
    return nn.Conv1d(1, 1, f, stride=s, padding=p)(torch.zeros(1, 1, w)).shape[-1]


def receptive_field(layers):
    """Receptive field from autograd: which input pixels reach the centre output."""
    n = 1 + sum((k - 1) * math.prod(s for _, s in layers[:i]) for i, (k, _) in
                enumerate(layers)) * 4 + 64
    x = torch.zeros(1, 1, n, requires_grad=True)
    y = x
    for k, s in layers:
        y = F.conv1d(y, torch.ones(1, 1, k), stride=s)
    y[0, 0, y.shape[-1] // 2].backward()
    return int((x.grad[0, 0] != 0).sum())


def conv1x1(x, weight):
    return F.conv2d(t(x)[None], t(weight)[:, :, None, None])[0].numpy()


def max_pool_jacobian(x):
    return torch.autograd.functional.jacobian(
        lambda v: F.max_pool2d(v[None, None], 2, 2).flatten(), t(x)).reshape(
        -1, x.size).numpy()


def softmax_cross_entropy_grad(logits, y):
    z = t(logits).requires_grad_()
    F.cross_entropy(z, torch.as_tensor(y)).backward()
    return z.grad.numpy()


def conv_params(c_in, c_out, k, groups=1, bias=True):
    return sum(p.numel() for p in nn.Conv2d(c_in, c_out, k, groups=groups,
                                            bias=bias).parameters())


def separable_params(c_in, c_out, k):
    return sum(p.numel() for p in (nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False),
                                   nn.Conv2d(c_in, c_out, 1, bias=False))
               for p in p.parameters())


def roc_point(y_true, y_score, threshold):
    fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=False)
    i = np.flatnonzero(thresholds >= threshold)[-1]
    return fpr[i], tpr[i]


def iou(a, b):
    return torchvision.ops.box_iou(t([a]), t([b])).item()


RIGHT_FUNCTIONS = {"01a.1": correlate1d, "01b.1": correlation_matrix, "02a.1": output_size,
                   "02b.2": receptive_field, "02a.4": conv1x1, "03.1": max_pool_jacobian,
                   "03.2": softmax_cross_entropy_grad, "04a.2": conv_params,
                   "04c.3": separable_params,
                   "05b.2": roc_point, "05b.3": iou}


# --------------------------------------------------------------------------- buggy answers
def _rf_no_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_early(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def _roc_strict(y, s, thr):
    y, pred = np.asarray(y).astype(bool), np.asarray(s) > thr
    return (pred & ~y).sum() / (~y).sum(), (pred & y).sum() / y.sum()


def _jacobian_every_max(x):
    h, w = x.shape
    jac = np.zeros((h // 2 * (w // 2), h * w))
    for i in range(h // 2):
        for j in range(w // 2):
            block = x[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            for u, v in zip(*np.nonzero(block == block.max())):
                jac[i * (w // 2) + j, (2 * i + u) * w + 2 * j + v] = 1
    return jac


def _box_area(a):
    return (a[2] - a[0]) * (a[3] - a[1])


BUGGY_FUNCTIONS = [
    ("01a.1", "flipped", lambda x, k: np.convolve(x, k, "valid")),
    ("01a.1", "last position lost", lambda x, k: correlate1d(x, k)[:-1]),
    ("01a.1", "same", lambda x, k: scipy.signal.correlate(x, k, "same")),
    ("01b.1", "flipped", lambda k, n: correlation_matrix(k[::-1], n)),
    ("01b.1", "transposed", lambda k, n: correlation_matrix(k, n).T),
    ("01b.1", "square", lambda k, n: np.vstack([correlation_matrix(k, n),
                                                np.zeros((len(k) - 1, n))])),
    ("02a.1", "padding once", lambda w, f, s, p: output_size(w + p, f, s, 0)),
    ("02a.1", "plus one", lambda w, f, s, p: output_size(w, f, s, p) - 1),
    ("02a.1", "rounded up", lambda w, f, s, p: math.ceil((w + 2 * p - f) / s) + 1),
    ("02a.1", "not rounded", lambda w, f, s, p: (w + 2 * p - f) / s + 1),
    ("02a.1", "stride ignored", lambda w, f, s, p: output_size(w, f, 1, p)),
    ("02b.2", "strides ignored", _rf_no_strides),
    ("02b.2", "stride too early", _rf_early),
    ("02b.2", "kernels added", lambda layers: sum(k for k, _ in layers)),
    ("02a.4", "weight transposed", lambda x, w: conv1x1(x, w.T)),
    ("02a.4", "reshaped the wrong way", lambda x, w: (x.reshape(-1, x.shape[0]) @ w.T).reshape(
        w.shape[0], *x.shape[1:])),
    ("02a.4", "reshaped back the wrong way", lambda x, w: (w @ x.reshape(
        x.shape[0], -1)).T.reshape(w.shape[0], *x.shape[1:])),
    ("03.1", "average", lambda x: torch.autograd.functional.jacobian(
        lambda v: F.avg_pool2d(v[None, None], 2, 2).flatten(), t(x)).reshape(
        -1, x.size).numpy()),
    ("03.1", "transposed", lambda x: max_pool_jacobian(x).T),
    ("03.1", "every maximum", lambda x: _jacobian_every_max(x)),
    ("03.2", "not averaged", lambda z, y: softmax_cross_entropy_grad(z, y) * len(y)),
    ("03.2", "sign", lambda z, y: -softmax_cross_entropy_grad(z, y)),
    ("03.2", "one-hot missing", lambda z, y: torch.softmax(t(z), 1).numpy() / len(y)),
    ("04a.2", "bias forgotten", lambda ci, co, k, groups=1, bias=True:
     conv_params(ci, co, k, groups, False)),
    ("04a.2", "channels left out", lambda ci, co, k, groups=1, bias=True:
     conv_params(groups, co, k, groups, bias)),
    ("04a.2", "groups ignored", lambda ci, co, k, groups=1, bias=True:
     conv_params(ci, co, k, 1, bias)),
    ("04c.3", "standard", lambda ci, co, k: conv_params(ci, co, k, bias=False)),
    ("04c.3", "depthwise full", lambda ci, co, k: conv_params(ci, ci, k, bias=False)
     + conv_params(ci, co, 1, bias=False)),
    ("04c.3", "pointwise left out", lambda ci, co, k: conv_params(ci, ci, k, ci, False)),
    ("05b.2", "swapped", lambda y, s, thr: roc_point(y, s, thr)[::-1]),
    ("05b.2", "strict", _roc_strict),
    ("05b.2", "over everybody", lambda y, s, thr: (
        ((np.asarray(s) >= thr) & (np.asarray(y) == 0)).sum() / len(y),
        ((np.asarray(s) >= thr) & (np.asarray(y) == 1)).sum() / len(y))),
    ("05b.2", "precision", lambda y, s, thr: (
        roc_point(y, s, thr)[0], np.asarray(y)[np.asarray(s) >= thr].mean())),
    # iou = I / (A + B - I), so I / (A + B) = iou / (1 + iou)
    ("05b.3", "intersection not subtracted", lambda a, b: iou(a, b) / (1 + iou(a, b))),
    ("05b.3", "not clamped", lambda a, b: (
        (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))) / (
        _box_area(a) + _box_area(b)
        - (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1])))),
    ("05b.3", "plus one", lambda a, b: torchvision.ops.box_iou(
        t([a]) + t([[0, 0, 1, 1]]), t([b]) + t([[0, 0, 1, 1]])).item()),
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
def macs(layer, shape):
    """Multiply-accumulates from PyTorch's FLOP counter (2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(shape))
    return counter.get_total_flops() // 2


def conv_backward_macs():
    from torch.utils.flop_counter import FlopCounterMode
    layer = nn.Conv2d(3, 16, 5, padding=2, bias=False)
    x = torch.zeros(1, 3, 32, 32, requires_grad=True)
    y = layer(x)
    with FlopCounterMode(display=False) as counter:
        y.backward(torch.ones_like(y))
    return counter.get_total_flops() // 2


def width(layers, n):
    y = torch.zeros(1, 1, n, n)
    for layer in layers:
        y = layer(y)
    return y.shape[-1]


def n_weights(*layers):
    return sum(layer.weight.numel() for layer in layers)


def meta_model(name):
    """A torchvision model built on the meta device: its layers without their memory."""
    with torch.device("meta"):
        return getattr(torchvision.models, name)()


def weight_layers(name, dense=True, shortcuts=True):
    count = 0
    for module_name, m in meta_model(name).named_modules():
        if isinstance(m, nn.Conv2d) and (shortcuts or "downsample" not in module_name):
            count += 1
        count += dense and isinstance(m, nn.Linear)
    return count


LAPLACIAN = torch.tensor([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]])
FLAT = torch.full((1, 1, 3, 3), 7.0)
BLOCKS = torch.tensor([[6.0, 8, 1, 0], [3, 4, 2, 5], [7, 1, 9, 3], [2, 2, 4, 8]])[None, None]
HAAR = nn.Conv2d(1, 4, 2, stride=2)
SIZE = {f: output_size(32, f, 1, p) for f, p in ((3, 1), (5, 2), (1, 0))}
POOL = {f: F.max_pool1d(torch.zeros(1, 1, 32), f, 2).shape[-1] for f in (2, 3)}

RIGHT_VALUES = [
    ("01a.2", "taps", len(range(-4 // 2, 4 // 2 + 1))), ("01a.2", "last", (5 - 1) // 2),
    ("01a.3", "kind", "derivative" if LAPLACIAN.sum() == 0 else "averaging"),
    ("01a.3", "flat", F.conv2d(FLAT, LAPLACIAN).item()),
    ("01b.2", "terms", len(range(0, 3 + 1))), ("01b.2", "last", list(range(3))[-1]),
    ("01b.3", "stride_2", HAAR(torch.zeros(1, 1, 28, 28)).numel()),
    ("01b.3", "stride_1", nn.Conv2d(1, 4, 2)(torch.zeros(1, 1, 28, 28)).numel()),
    ("02a.2", "f3", SIZE[3]), ("02a.2", "f5", SIZE[5]), ("02a.2", "f1", SIZE[1]),
    ("02a.2", "pool2", POOL[2]), ("02a.2", "pool3", POOL[3]),
    ("02a.3", "size", width([nn.Conv2d(1, 1, 5)] * 7, 32)),
    ("02a.3", "same", width([nn.Conv2d(1, 1, 5, padding="same")] * 7, 32)),
    ("02b.1", "answer", F.max_pool2d(BLOCKS, 2, 2)[0, 0].tolist()),
    ("03.3", "forward", macs(nn.Conv2d(3, 16, 5, padding=2, bias=False), (1, 3, 32, 32))),
    ("03.3", "backward", conv_backward_macs()),
    ("04a.1", "macs", macs(nn.Conv2d(64, 128, 3, padding=1), (1, 64, 56, 56))),
    ("04a.3", "from_224", width([nn.Conv2d(1, 1, 11, stride=4)], 224)),
    ("04a.3", "exact", next(w for w in range(200, 240)
                            if (w - 11) % 4 == 0 and output_size(w, 11, 4, 0) == 55)),
    ("04c.1", "percent", 100 * (1 - 4.2 / 6.8)),
    ("04c.2", "weights", n_weights(nn.Conv2d(64, 128, 1, stride=2))),
    ("04c.4", "vgg16", weight_layers("vgg16")),
    ("04c.4", "resnet50", weight_layers("resnet50", shortcuts=False)),
    ("04c.2", "size", width([nn.Conv2d(1, 1, 1, stride=2)], 56)),
    ("05a.1", "f1", f1_score([1, 1, 0, 0], [1, 1, 1, 1])),
    ("05a.1", "f1_low_recall", f1_score([1] * 90 + [0], [1] * 9 + [0] * 81 + [1])),
]

WRONG_VALUES = [
    ("01a.2", "taps", 4, "M taps"), ("01a.2", "taps", 4 - 1, "both ends left out"),
    ("01a.2", "last", 5 / 2, "M/2"), ("01a.2", "last", 5, "M"),
    ("01a.3", "kind", "averaging", "averaging"), ("01a.3", "kind", "both", "both"),
    ("01a.3", "flat", -4 * 7, "centre only"), ("01a.3", "flat", 4 * 7, "neighbours only"),
    ("01a.3", "flat", F.avg_pool2d(FLAT, 3).item(), "average"),
    ("01b.2", "terms", 3, "channels"), ("01b.2", "terms", len(range(1, 3)), "from one"),
    ("01b.2", "last", 3, "as written"), ("01b.2", "last", 3 + 1, "one based"),
    ("01b.3", "stride_2", 14 * 14, "one filter"),
    ("01b.3", "stride_2", nn.Conv2d(1, 4, 2)(torch.zeros(1, 1, 28, 28)).numel(),
     "stride ignored"),
    ("01b.3", "stride_1", 4 * 28 * 28, "same size"), ("01b.3", "stride_1", 27 * 27, "one filter"),
    ("01b.3", "stride_1", HAAR(torch.zeros(1, 1, 28, 28)).numel(), "stride 2"),
    ("02a.2", "f3", 32 + 1 - 3 + 1, "padding once"), ("02a.2", "f3", output_size(32, 3, 1, 0),
                                                     "padding ignored"),
    ("02a.2", "f5", 32 + 2 - 5 + 1, "padding once"), ("02a.2", "f5", output_size(32, 5, 1, 0),
                                                     "padding ignored"),
    ("02a.2", "f1", 32 - 1, "plus one"), ("02a.2", "f1", output_size(32, 3, 1, 0), "shrinks"),
    ("02a.2", "pool2", (32 - 2) // 2, "plus one"), ("02a.2", "pool2", output_size(32, 2, 1, 0),
                                                   "stride ignored"),
    ("02a.2", "pool3", math.ceil((32 - 3) / 2) + 1, "rounded up"),
    ("02a.2", "pool3", (32 - 3) / 2 + 1, "not rounded"), ("02a.2", "pool3", (32 - 3) // 2,
                                                         "plus one"),
    ("02a.3", "size", 32 - 7 * 5, "kernel subtracted"),
    ("02a.3", "size", 32 - 7 * (5 - 1) + 1, "plus one once"), ("02a.3", "size", 32 - 7,
                                                              "one per layer"),
    ("02a.3", "same", width([nn.Conv2d(1, 1, 5)] * 7, 32), "valid"), ("02a.3", "same", 16, "half"),
    ("02b.1", "answer", F.avg_pool2d(BLOCKS, 2, 2)[0, 0].tolist(), "average"),
    ("02b.1", "answer", F.max_pool2d(BLOCKS, 2, 1)[0, 0].tolist(), "stride 1"),
    ("02b.1", "answer", (-F.max_pool2d(-BLOCKS, 2, 2))[0, 0].tolist(), "min"),
    ("03.3", "forward", macs(nn.Conv2d(1, 16, 5, padding=2, bias=False), (1, 1, 32, 32)),
     "channels left out"),
    ("03.3", "forward", 16 * 3 * 5 * 5, "per position"),
    ("03.3", "backward", conv_backward_macs() // 2, "one gradient"),
    ("03.3", "backward", 3 * conv_backward_macs() // 2, "with forward"),
    ("03.3", "backward", conv_backward_macs() + 16 * 32 * 32, "dbias too"),
    ("04a.1", "macs", (56 + 56) * 3 * 3 * 64 * 128, "w plus h"),
    ("04a.1", "macs", macs(nn.Conv2d(1, 128, 3, padding=1), (1, 1, 56, 56)),
     "channels in left out"),
    ("04a.1", "macs", macs(nn.Conv2d(64, 128, 1), (1, 64, 56, 56)), "kernel left out"),
    ("04a.3", "from_224", 55, "paper"), ("04a.3", "from_224", (224 - 11) / 4 + 1, "not rounded"),
    ("04a.3", "from_224", 224 // 4, "stride only"),
    ("04a.3", "exact", 224, "paper"), ("04a.3", "exact", 55 * 4 + 11, "plus one"),
    ("04c.1", "percent", 100 * 2 / 3, "slide"), ("04c.1", "percent", 100 * 4.2 / 6.8, "ratio"),
    ("04c.1", "percent", 6.8 - 4.2, "difference"),
    ("04c.2", "weights", n_weights(nn.Conv2d(64, 128, 3)), "3x3"),
    ("04c.2", "weights", n_weights(nn.Conv2d(128, 128, 1)), "square"),
    ("04c.2", "weights", conv_params(64, 128, 1), "with bias"),
    ("04c.4", "vgg16", weight_layers("vgg16", dense=False), "convolutions only"),
    ("04c.4", "vgg16", weight_layers("vgg16") + sum(
        isinstance(m, nn.MaxPool2d) for m in meta_model("vgg16").modules()), "with pooling"),
    ("04c.4", "resnet50", weight_layers("resnet50", shortcuts=False, dense=False),
     "convolutions only"),
    ("04c.4", "resnet50", weight_layers("resnet50"), "with shortcuts"),
    ("04c.4", "resnet50", sum(len(stage) for stage in (
        meta_model("resnet50").layer1, meta_model("resnet50").layer2,
        meta_model("resnet50").layer3, meta_model("resnet50").layer4)), "blocks"),
    ("04c.2", "size", 56, "stride ignored"), ("04c.2", "size", (56 - 1) // 2, "plus one"),
    ("05a.1", "f1", (0.5 + 1) / 2, "arithmetic mean"), ("05a.1", "f1", 0.5 * 1, "product"),
    ("05a.1", "f1_low_recall", (0.9 + 0.1) / 2, "arithmetic mean"),
    ("05a.1", "f1_low_recall", 0.9 * 0.1, "product"),
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
# Exercises 05a.2, 05a.3 and 05b.1 are tested in test_selfcheck_exercises_05.py; their tables
# join these (new objects: the parametrized tests above keep their own lists).
RIGHT_FUNCTIONS = {**RIGHT_FUNCTIONS, **ex05.RIGHT_FUNCTIONS}
BUGGY_FUNCTIONS = BUGGY_FUNCTIONS + ex05.BUGGY_FUNCTIONS
RIGHT_VALUES = RIGHT_VALUES + [r for r in ex05.RIGHT if (r[0], r[1]) not in
                               {(e, p) for e, p, _ in RIGHT_VALUES}]
WRONG_VALUES = WRONG_VALUES + ex05.WRONG


def test_every_mistake_is_fed_its_wrong_answer_and_every_exercise_its_right_one():
    tested = {(e, n) for e, n, _ in BUGGY_FUNCTIONS}
    tested_values = {(e, p, n) for e, p, _, n in WRONG_VALUES}
    right_values = {(e, p) for e, p, _ in RIGHT_VALUES}
    for exercise_id, exercise in EXERCISES.items():
        if exercise_id.split(".")[0] not in LESSONS:   # lessons 00, 06a-10: their own file
            continue
        if exercise_id in OWN_FILE or exercise_id.startswith("04b"):
            continue       # their own test files
        if exercise.check is not None:
            assert exercise_id in RIGHT_FUNCTIONS
            continue
        count = 0
        for part, spec in exercise.parts.items():
            assert (exercise_id, part) in right_values, (exercise_id, part)
            for m in spec.mistakes:
                assert (exercise_id, part, m.name) in tested_values, (exercise_id, part, m.name)
                count += 1
        assert count >= 2, exercise_id
    for exercise_id in RIGHT_FUNCTIONS:
        names = {n for e, n in tested if e == exercise_id}
        assert len(names) >= 2, exercise_id


def test_each_function_check_has_named_mistakes_that_are_all_tested():
    # the check's own table, read from the verdicts of the buggy answers: every name a
    # check can give must appear in BUGGY_FUNCTIONS (a mistake nobody tests is dead text)
    import inspect
    for exercise_id in RIGHT_FUNCTIONS:
        source = inspect.getsource(EXERCISES[exercise_id].check)
        names = {line.split('M("')[1].split('"')[0] for line in source.splitlines()
                 if 'M("' in line}
        assert names == {n for e, n, _ in BUGGY_FUNCTIONS if e == exercise_id}, exercise_id


LESSONS = ("01a", "01b", "02a", "02b", "03", "04a", "04b", "04c", "05a", "05b")
# exercises of these lessons tested in a file of their own
OWN_FILE = {"02b.3"}   # tests/test_selfcheck_exercises_02b.py


def test_three_to_six_exercises_per_lesson():
    for lesson in LESSONS:
        assert 3 <= len(exercises_of(lesson)) <= 6, lesson


def test_every_exercise_has_a_statement_that_says_how_to_check_it():
    for exercise_id, exercise in EXERCISES.items():
        assert len(exercise.statement) > 100
        assert "check_" in exercise.statement, exercise_id
        texts = [exercise.statement] + [m.message for p in (exercise.parts or {}).values()
                                        for m in p.mistakes]
        for phrase in ("the lecture", "the slide", "this lecture", "CS 615", "ECE 285"):
            assert all(phrase not in text for text in texts), (exercise_id, phrase)


# --------------------------------------------------------------------------- generic messages
def test_unknown_wrong_function_gets_where_and_how_much():
    verdict = check_exercise("01a.1", lambda x, k: correlate1d(x, k) + (np.arange(
        len(x) - len(k) + 1) == 1))
    assert verdict.mistake is None
    assert "First at result[1]" in verdict.message and "relative error" in verdict.message


def test_wrong_shape_is_reported():
    verdict = check_exercise("02a.4", lambda x, w: conv1x1(x, w)[:, :2])
    assert verdict.mistake is None and "has shape (3, 2, 4), expected (3, 4, 4)" in \
        verdict.message


def test_stub_and_none_are_reported():
    def stub(x, kernel):
        raise NotImplementedError("loop over the positions")
    assert check_exercise("01a.1", stub).mistake == "not written"
    assert "forget `return`" in check_exercise("01a.1", lambda x, k: None).message


def test_students_own_error_is_raised_with_the_case():
    with pytest.raises(ZeroDivisionError) as info:
        check_exercise("04b.2", lambda n: 1 / 0)
    assert "case 1" in "".join(getattr(info.value, "__notes__", []))


def test_unrecognised_value_gets_a_generic_message():
    verdict = check_exercise("04a.1", macs=231211008 * 10)[0]
    assert verdict.mistake is None and "power of ten" in verdict.message


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        check_exercise("02a.9", 3)
    with pytest.raises(ValueError, match="checks a function"):
        check_exercise("02b.2", size=3)
    with pytest.raises(ValueError, match="several parts"):
        check_exercise("02a.2", 32)
    with pytest.raises(ValueError, match="has no part 'f7'"):
        check_exercise("02a.2", f7=32)
    with pytest.raises(TypeError, match="fn must be your function"):
        check_exercise("02b.2", 11)
    with pytest.raises(TypeError, match="lesson must be"):
        exercises_of(2)


def test_quiet_checks_print_nothing(capsys):
    assert check_exercise("02b.2", receptive_field, quiet=True).correct
    assert check_exercise("02a.2", f3=32, quiet=True)[0].correct
    assert capsys.readouterr().out == ""
