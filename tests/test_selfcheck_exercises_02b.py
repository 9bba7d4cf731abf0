"""Lesson 02b's new exercise, 02b.3 (overlapping pooling), in cnnlib.selfcheck.exercises_02.

The right answers come from PyTorch (``F.max_pool2d`` and ``F.max_pool1d`` with AlexNet's
3x3 windows and stride 2); each known mistake is fed a wrong answer computed here the way a
student would make it (the pooling size floor(D/S), stride 1, non-overlapping windows,
averages), not taken from the module.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of

MAP = torch.zeros(1, 1, 28, 28)
ROW = torch.tensor([[[1.0, 7, 2, 5, 3, 9, 4]]])

RIGHT = {
    "size": F.max_pool2d(MAP, 3, 2).shape[-1],
    "row": F.max_pool1d(ROW, 3, 2)[0, 0].tolist(),
}

WRONG = [
    ("size", 28 // 2, "window left out"),                       # floor(D/S)
    ("size", (28 - 3) / 2 + 1, "not rounded"),
    ("size", (28 - 3) // 2, "plus one"),
    ("size", F.max_pool2d(MAP, 3, 1).shape[-1], "stride ignored"),
    ("row", F.max_pool1d(ROW, 3, 3)[0, 0].tolist(), "no overlap"),
    ("row", F.max_pool1d(ROW, 3, 1)[0, 0].tolist(), "stride 1"),
    ("row", F.avg_pool1d(ROW, 3, 2)[0, 0].tolist(), "average"),
]


def test_02b_has_three_exercises_in_order():
    assert exercises_of("02b") == ["02b.1", "02b.2", "02b.3"]


@pytest.mark.parametrize("part", sorted(RIGHT))
def test_the_right_answer_from_torch_is_accepted(part, capsys):
    (verdict,) = check_exercise("02b.3", **{part: RIGHT[part]})
    assert verdict.correct, verdict.message
    assert "is right" in capsys.readouterr().out


def test_both_parts_at_once_and_the_hidden_test_form():
    assert all(check_exercise("02b.3", size=RIGHT["size"], row=RIGHT["row"], quiet=True))


@pytest.mark.parametrize("part, wrong, name", WRONG, ids=[f"{p}-{n}" for p, _, n in WRONG])
def test_each_mistake_is_named_from_its_wrong_answer(part, wrong, name):
    (verdict,) = check_exercise("02b.3", **{part: wrong}, quiet=True)
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message


def test_every_mistake_of_the_table_is_fed_and_each_part_has_two():
    parts = EXERCISES["02b.3"].parts
    table = {(part, m.name) for part, spec in parts.items() for m in spec.mistakes}
    assert table == {(part, name) for part, _, name in WRONG}
    assert all(len(spec.mistakes) >= 2 for spec in parts.values())


def test_the_wrong_answers_really_differ_from_the_right_ones():
    for part, wrong, _ in WRONG:
        right = RIGHT[part]
        if isinstance(right, list):
            assert len(wrong) != len(right) or not all(
                math.isclose(a, b) for a, b in zip(wrong, right)), part
        else:
            assert wrong != right, part


def test_blank_and_unknown_answers():
    (blank,) = check_exercise("02b.3", size=None, quiet=True)
    assert not blank.correct and "no answer yet" in blank.message
    (other,) = check_exercise("02b.3", row=[7, 5], quiet=True)
    assert not other.correct and other.mistake is None
