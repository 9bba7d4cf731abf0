"""Quizzes of lesson 06a (applications) with a check: mIoU of a small class, WaveNet."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "06a.2": Quiz("pixel accuracy against mIoU", {
        "pixel_accuracy_drop": Part(0.02, (
            M("points", 2, "as a fraction: 2 points of accuracy are 0.02."),
            M("miou", 1 / 11, "that is mIoU's drop; pixel accuracy weighs each class by its "
                              "pixels: the 1s are 2% of them."))),
        "miou_drop": Part(1 / 11, (
            M("pixel weighted", 0.02, "mIoU gives each class the same weight: class 1's IoU "
                                      "falls from 1 to 0, one of 11 terms."),
            M("background left out", 1 / 10, "there are 11 classes: the background is one."),
            M("nothing", 0, "class 1's IoU is 0 when it is predicted nowhere.")), rtol=0.05),
    }),
    "06a.3": Quiz("WaveNet's receptive field", {
        "samples": Part(1024, (
            M("plus one", 1023, "1 + (k - 1)(1 + 2 + ... + 512): the current sample counts "
                                "too."),
            M("kernel size", 2047, "a kernel of size 2 adds k - 1 = 1 step per dilation, "
                                   "not 2."),
            M("dilation ignored", 11, "that is 10 undilated layers; dilation d reaches d "
                                      "samples back."),
            M("last layer", 513, "the earlier layers widen it too: add every dilation."))),
        "ms": Part(64, (
            M("seconds", 0.064, "that is in seconds; asked is milliseconds."),
            M("multiplied", 16.384, "16,000 samples per second are 16 per millisecond: divide "
                                    "1024 by 16.")), rtol=0.01),
    }),
}
