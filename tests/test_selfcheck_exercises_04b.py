"""Lesson 04b's exercises (cnnlib.selfcheck.exercises_04): the Inception branch of a
published slide, He initialisation, and what GoogLeNet's 1x1 reduction saves.

Each check accepts a right answer computed independently (torchvision's Inception module,
PyTorch's ``kaiming_normal_``, PyTorch's FLOP counter on real layers) and names each known
mistake from a buggy answer written here, not taken from the module.
"""
import inspect
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models.googlenet import Inception

from cnnlib import models
from cnnlib.selfcheck.answers import Verdict
from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of


# --------------------------------------------------------------------------- oracles
def he_std(fan_in):
    """The standard deviation kaiming_normal_ draws with, measured on many weights."""
    w = nn.init.kaiming_normal_(torch.empty(1000, fan_in, dtype=torch.float64),
                                nonlinearity="relu", generator=torch.Generator().manual_seed(0))
    measured = w.std().item()
    exact = nn.init.calculate_gain("relu") / math.sqrt(fan_in)   # fan_in mode: gain/sqrt(n)
    assert abs(measured / exact - 1) < 0.05
    return exact


def n_weights(*layers):
    return sum(layer.weight.numel() for layer in layers)


def macs(layers, shape=(1, 192, 28, 28)):
    """Multiply-accumulates of a stack of layers, from PyTorch's FLOP counter (2 per MAC)."""
    with FlopCounterMode(display=False) as counter:
        nn.Sequential(*layers)(torch.zeros(shape))
    return counter.get_total_flops() // 2


def conv(c_in, c_out, k):
    return nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)


INCEPTION_3A = Inception(192, 64, 96, 128, 16, 32, 32)
DIRECT = [conv(192, 32, 5)]
REDUCED = [conv(192, 16, 1), conv(16, 32, 5)]

# --------------------------------------------------------------------------- function exercises
RIGHT_FUNCTIONS = {"04b.2": he_std}
BUGGY_FUNCTIONS = [
    ("04b.2", "no factor 2", lambda n: 1 / math.sqrt(n)),
    ("04b.2", "variance", lambda n: he_std(n) ** 2),
    ("04b.2", "gain outside the root", lambda n: nn.init.calculate_gain("relu") ** 2
     / math.sqrt(n)),
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


def test_he_std_as_the_course_grader_sends_it_back():
    """The grader's kernel sends a NumPy scalar back as an array of shape (1,)
    (``np.ascontiguousarray``); the check must give the notebook's verdict on it."""
    from course_admin.checks.lessons import exercise_cases, replay
    exercise = EXERCISES["04b.2"]
    cases = exercise_cases(exercise)
    sent = [{"ok": np.ascontiguousarray(np.sqrt(np.float64(2.0) / n))} for _, (n,) in cases]
    assert all(out["ok"].shape == (1,) for out in sent)
    assert exercise.check(replay(cases, sent), quiet=True).correct
    wrong = [{"ok": np.ascontiguousarray(np.sqrt(np.float64(1.0) / n))} for _, (n,) in cases]
    assert exercise.check(replay(cases, wrong), quiet=True).mistake == "no factor 2"


# --------------------------------------------------------------------------- value exercises
RIGHT_VALUES = [
    ("04b.1", "branch", "5x5" if INCEPTION_3A.branch2[0].conv.out_channels == 96
     and INCEPTION_3A.branch3[0].conv.out_channels == 16 else "3x3"),
    ("04b.1", "weights", sum(m.weight.numel() for m in INCEPTION_3A.branch2.modules()
                             if isinstance(m, nn.Conv2d))),
    ("04b.1", "slide", n_weights(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 128, 3))),
    ("04b.3", "direct", macs(DIRECT)),
    ("04b.3", "reduced", macs(REDUCED)),
]
WRONG_VALUES = [
    ("04b.1", "branch", "3x3", "3x3"), ("04b.1", "branch", "pool", "pool"),
    ("04b.1", "weights", n_weights(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 128, 3)), "slide"),
    ("04b.1", "weights", n_weights(nn.Conv2d(192, 128, 3)), "no reduction"),
    ("04b.1", "weights", n_weights(nn.Conv2d(96, 128, 3)), "1x1 left out"),
    ("04b.1", "slide", n_weights(nn.Conv2d(192, 16, 1)), "3x3 left out"),
    ("04b.1", "slide", n_weights(nn.Conv2d(16, 128, 3)), "1x1 left out"),
    ("04b.3", "direct", n_weights(*DIRECT), "per position"),
    ("04b.3", "direct", macs([nn.Conv2d(192, 32, (5, 1), padding=(2, 0), bias=False)]),
     "kernel not squared"),
    ("04b.3", "direct", macs([conv(1, 32, 5)], (1, 1, 28, 28)), "inputs left out"),
    ("04b.3", "reduced", macs(REDUCED[1:], (1, 16, 28, 28)), "1x1 left out"),
    ("04b.3", "reduced", macs(REDUCED[:1]) + macs(DIRECT), "not reduced"),
    ("04b.3", "reduced", n_weights(*REDUCED), "per position"),
    ("04b.3", "reduced", macs([conv(192, 16, 1), nn.Conv2d(16, 32, (5, 1), padding=(2, 0),
                                                           bias=False)]),
     "kernel not squared"),
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
    message = dict((m.name, m.message) for m in EXERCISES[exercise].parts[part].mistakes)[name]
    assert verdict.message.endswith(message)


def test_the_reduction_counts_agree_with_the_course_summary():
    """The same MACs from cnnlib.models.summary, the tool the statement names."""
    assert models.summary(nn.Sequential(*DIRECT), (192, 28, 28)).total_macs == macs(DIRECT)
    assert models.summary(nn.Sequential(*REDUCED), (192, 28, 28)).total_macs == macs(REDUCED)


# --------------------------------------------------------------------------- completeness
def test_every_mistake_is_tested_and_every_exercise_has_two():
    assert exercises_of("04b") == ["04b.1", "04b.2", "04b.3"]
    for exercise_id in exercises_of("04b"):
        exercise = EXERCISES[exercise_id]
        if exercise.check is not None:
            source = inspect.getsource(exercise.check)
            names = {line.split('M("')[1].split('"')[0] for line in source.splitlines()
                     if 'M("' in line}
            tested = {n for e, n, _ in BUGGY_FUNCTIONS if e == exercise_id}
            assert exercise_id in RIGHT_FUNCTIONS and names == tested and len(tested) >= 2
            continue
        count = 0
        for part, spec in exercise.parts.items():
            assert (exercise_id, part) in {(e, p) for e, p, _ in RIGHT_VALUES}
            for m in spec.mistakes:
                assert (exercise_id, part, m.name) in {(e, p, n) for e, p, _, n in WRONG_VALUES}
                count += 1
        assert count >= 2, exercise_id
