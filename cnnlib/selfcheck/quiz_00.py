"""Quizzes of lesson 00 (welcome) with a check: the numbers in one batch."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "00.3": Quiz("shapes", {"answer": Part(50176, (
        M("one image", 784, "784 is one image; the batch holds 64 of them: 64 x 1 x 28 x 28."),
        M("three channels", 150528, "MNIST is grey: C = 1, not 3."),
        M("bytes", 200704, "200,704 is the batch's bytes in float32 (4 per number); asked "
                           "is how many numbers.")))}),
}
