"""Lesson 04d's exercises and quizzes (cnnlib.selfcheck.exercises_04d, quiz_04d).

Each check accepts a right answer computed independently, with PyTorch
(``torch.nn.functional.batch_norm`` and ``group_norm``, ``nn.BatchNorm2d``, autograd), and
names each known mistake from a buggy answer written here, not taken from the module.
"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.selfcheck.answers import Verdict
from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of
from cnnlib.selfcheck.quiz import QUIZZES, check_quiz

EPS = 1e-5


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# --------------------------------------------------------------------------- right answers
def batch_norm_torch(x, gamma, beta):
    return F.batch_norm(t(x), None, None, t(gamma), t(beta), training=True, eps=EPS).numpy()


def group_norm_torch(x, groups):
    return F.group_norm(t(x), groups, eps=EPS).numpy()


# --------------------------------------------------------------------------- buggy answers
def _norm(x, axes, ddof=0):
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, ddof=ddof, keepdims=True) + EPS)


def _scale(y, gamma, beta):
    return y * np.asarray(gamma)[:, None, None] + np.asarray(beta)[:, None, None]


def layer_norm_torch(x, gamma, beta):      # "per sample": torch's layer norm over (C, H, W)
    return _scale(F.layer_norm(t(x), x.shape[1:], eps=EPS).numpy(), gamma, beta)


def gn_interleaved(x, groups):
    n, c, h, w = x.shape
    order = np.argsort(np.arange(c) % groups, kind="stable")     # channel c to group c % G
    out = np.empty_like(x)
    out[:, order] = group_norm_torch(x[:, order], groups)
    return out


def gn_over_batch(x, groups):
    n, c, h, w = x.shape
    g = x.reshape(n, groups, -1).transpose(1, 0, 2).reshape(groups, -1)
    y = (g - g.mean(1, keepdims=True)) / np.sqrt(g.var(1, keepdims=True) + EPS)
    return y.reshape(groups, n, -1).transpose(1, 0, 2).reshape(x.shape)


RIGHT_FUNCTIONS = {"04d.1": batch_norm_torch, "04d.2": group_norm_torch}
BUGGY_FUNCTIONS = [
    ("04d.1", "per sample", layer_norm_torch),
    ("04d.1", "whole tensor", lambda x, g, b: _scale(_norm(x, (0, 1, 2, 3)), g, b)),
    ("04d.1", "unbiased variance", lambda x, g, b: _scale(_norm(x, (0, 2, 3), ddof=1), g, b)),
    ("04d.1", "no gamma, beta", lambda x, g, b: batch_norm_torch(x, np.ones_like(g),
                                                                  np.zeros_like(b))),
    ("04d.1", "per pixel", lambda x, g, b: _scale(_norm(x, 0), g, b)),
    ("04d.1", "eps outside", lambda x, g, b: _scale(
        (x - x.mean((0, 2, 3), keepdims=True)) / (x.std((0, 2, 3), keepdims=True) + EPS), g, b)),
    ("04d.1", "gamma and beta swapped", lambda x, g, b: batch_norm_torch(x, b, g)),
    ("04d.2", "interleaved", gn_interleaved),
    ("04d.2", "over the batch", gn_over_batch),
    ("04d.2", "per channel", lambda x, g: F.instance_norm(t(x), eps=EPS).numpy()),
]


@pytest.mark.parametrize("exercise", sorted(RIGHT_FUNCTIONS))
def test_function_exercise_accepts_pytorch(exercise, capsys):
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


def test_eps_is_checked_where_it_matters():
    # Where a channel's variance is far above eps = 1e-5, leaving eps out changes little;
    # on a nearly constant channel it decides the result. An answer that drops eps only for
    # such channels must still be caught, on the case that has one.
    def eps_dropped_for_flat_channels(x, gamma, beta):
        var = x.var((0, 2, 3), keepdims=True)
        eps = np.where(var < 1e-6, 0.0, EPS)
        return _scale((x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(var + eps), gamma, beta)
    verdict = check_exercise("04d.1", eps_dropped_for_flat_channels, quiet=True)
    assert not verdict.correct and "nearly constant channel" in verdict.message, verdict.message


def test_a_stub_is_not_written_yet_and_an_unknown_bug_gets_where():
    def stub(x, gamma, beta):
        raise NotImplementedError("normalise each channel")
    verdict = check_exercise("04d.1", stub, quiet=True)
    assert verdict.mistake == "not written" and "not written yet" in verdict.message
    verdict = check_exercise("04d.2", lambda x, g: group_norm_torch(x, g) * 1.01, quiet=True)
    assert verdict.mistake is None and "case 1" in verdict.message


# --------------------------------------------------------------------------- value exercises
BN = nn.BatchNorm2d(64)
BATCH = torch.zeros(8, 64, 32, 32)


def eval_output(x, mean, var, gamma, beta):
    return F.batch_norm(t([[[[x]]]]), t([mean]), t([var]), t([gamma]), t([beta]),
                        training=False, eps=0.0).item()


def train_output_single(x, gamma, beta):
    # PyTorch refuses training statistics from one value; torch's own mean and (biased)
    # variance of that one value, normalised as batch norm does
    v = t([x])
    return (gamma * (v - v.mean()) / torch.sqrt(v.var(unbiased=False) + EPS) + beta).item()


RIGHT_VALUES = [
    ("04d.3", "params", sum(p.numel() for p in BN.parameters())),
    ("04d.3", "buffers", sum(b.numel() for name, b in BN.named_buffers()
                             if name != "num_batches_tracked")),
    ("04d.3", "averaged", BATCH.numel() // BATCH.shape[1]),
    ("04d.4", "eval_out", eval_output(6.0, 2.0, 4.0, 3.0, 1.0)),
    ("04d.4", "train_single", train_output_single(6.0, 3.0, 1.0)),
]
WRONG_VALUES = [
    ("04d.3", "params", BN.weight.numel(), "gamma only"),
    ("04d.3", "params", sum(p.numel() for p in BN.parameters()) + BN.running_mean.numel()
     + BN.running_var.numel(), "buffers counted"),
    ("04d.3", "buffers", BN.running_mean.numel(), "mean only"),
    ("04d.3", "buffers", sum(b.numel() for b in BN.buffers()), "counter counted"),
    ("04d.3", "averaged", BATCH[0, 0].numel(), "one image"),
    ("04d.3", "averaged", BATCH.numel(), "all channels"),
    ("04d.3", "averaged", BATCH.shape[0], "batch only"),
    ("04d.4", "eval_out", 3.0 * (6.0 - 2.0) / 4.0 + 1.0, "variance not rooted"),
    ("04d.4", "eval_out", eval_output(6.0, 2.0, 4.0, 3.0, 0.0), "beta forgotten"),
    ("04d.4", "eval_out", 3.0 * 6.0 - 3.0 * 2.0 + 1.0, "not normalised"),
    ("04d.4", "eval_out", train_output_single(6.0, 3.0, 1.0), "batch statistics"),
    ("04d.4", "train_single", eval_output(6.0, 2.0, 4.0, 3.0, 1.0), "running statistics"),
    ("04d.4", "train_single", train_output_single(6.0, 3.0, 0.0), "beta forgotten"),
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
    verdict = check_exercise(exercise, quiet=True, **{part: wrong})[0]
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message


# --------------------------------------------------------------------------- quizzes
def backward_sums():
    """Quiz 04d.5 from autograd: a channel of 12 inputs with sigma = 4, gamma = 2, dL/dy = 1."""
    x = t(np.array([-4.0, 4.0] * 6).reshape(3, 1, 2, 2) + 1.0).requires_grad_()
    gamma, beta = t([2.0]), t([0.0])
    F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-12).sum().backward()
    true_sum = round(x.grad.sum().item(), 9) + 0.0     # a student writes 0, not 1e-16
    x2 = x.detach().clone().requires_grad_()
    mean, std = x2.mean().detach(), x2.std(unbiased=False).detach()
    (gamma * (x2 - mean) / std).sum().backward()
    return true_sum, x2.grad[0, 0, 0, 0].item(), x2.grad.sum().item(), std.item()


TRUE_SUM, CONSTANT_DX, CONSTANT_SUM, SIGMA = backward_sums()
QUIZ_RIGHT = [("04d.3", "answer", "b"), ("04d.4", "answer", "a"),
              ("04d.5", "channel_sum", TRUE_SUM), ("04d.5", "constant_dx", CONSTANT_DX)]
QUIZ_WRONG = [
    ("04d.3", "answer", "a", "smoother averages"), ("04d.3", "answer", "c",
                                                    "evaluation statistics"),
    ("04d.3", "answer", "d", "dropout"),
    ("04d.4", "answer", "b", "whole distribution"), ("04d.4", "answer", "c", "mean only"),
    ("04d.5", "channel_sum", CONSTANT_SUM, "constants"), ("04d.5", "channel_sum", 12, "count"),
    ("04d.5", "constant_dx", 2.0, "gamma"), ("04d.5", "constant_dx", TRUE_SUM, "true gradient"),
    ("04d.5", "constant_dx", 2.0 / SIGMA ** 2, "sigma squared"),
]


def test_the_quiz_setting_is_the_stated_one():
    assert SIGMA == pytest.approx(4.0) and abs(TRUE_SUM) < 1e-9


@pytest.mark.parametrize("quiz, part, right", QUIZ_RIGHT,
                         ids=[f"{q}-{p}" for q, p, _ in QUIZ_RIGHT])
def test_quiz_accepts_the_right_answer(quiz, part, right):
    verdict = check_quiz(quiz, quiet=True, **{part: right})[0]
    assert verdict.correct, verdict.message


@pytest.mark.parametrize("quiz, part, wrong, name", QUIZ_WRONG,
                         ids=[f"{q}-{p}-{n}" for q, p, _, n in QUIZ_WRONG])
def test_quiz_names_the_misconception(quiz, part, wrong, name):
    verdict = check_quiz(quiz, quiet=True, **{part: wrong})[0]
    assert not verdict.correct and verdict.mistake == name, verdict.message


# --------------------------------------------------------------------------- completeness
def test_every_mistake_is_tested_and_every_exercise_has_two():
    assert exercises_of("04d") == ["04d.1", "04d.2", "04d.3", "04d.4"]
    for exercise_id in exercises_of("04d"):
        exercise = EXERCISES[exercise_id]
        if exercise.check is not None:
            names = {n for e, n, _ in BUGGY_FUNCTIONS if e == exercise_id}
            assert exercise_id in RIGHT_FUNCTIONS and len(names) >= 2
            source = inspect.getsource(exercise.check)       # every named mistake is fed
            assert names == {line.split('M("')[1].split('"')[0] for line in source.splitlines()
                             if 'M("' in line}, exercise_id
            continue
        count = 0
        for part, spec in exercise.parts.items():
            assert (exercise_id, part) in {(e, p) for e, p, _ in RIGHT_VALUES}
            for m in spec.mistakes:
                assert (exercise_id, part, m.name) in {(e, p, n) for e, p, _, n in WRONG_VALUES}
                count += 1
        assert count >= 2, exercise_id
    for quiz_id in ("04d.3", "04d.4", "04d.5"):
        for part, spec in QUIZZES[quiz_id].parts.items():
            assert (quiz_id, part) in {(q, p) for q, p, _ in QUIZ_RIGHT}
            for m in spec.mistakes:
                assert (quiz_id, part, m.name) in {(q, p, n) for q, p, _, n in QUIZ_WRONG}
