"""Quizzes of lesson 10 (object detection) with a check: IoU and the COCO thresholds."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "10.1": Quiz("IoU of a near miss", {
        "iou": Part(0.5, (
            M("over one box", 2 / 3, "that divides the overlap by one box (or is the Dice "
                                     "score); the union covers 4/3 of a box."),
            M("shift", 1 / 3, "1/3 is the shift (or the overlap over both areas added, 2A); "
                              "IoU is overlap over union, (2/3)/(4/3).")), rtol=1e-3),
        "voc": Part("yes", (
            M("no", "no", "VOC counts IoU >= 0.5 as correct: exactly 0.5 passes."),)),
        "coco_095": Part("no", (
            M("yes", "yes", "0.5 is far from 0.95: the box may be off by only about 2.5% of "
                            "its width."),)),
    }),
    "10.2": Quiz("two numbers", {"answer": Part("loose boxes", (
        M("wrong classes", "wrong classes", "a wrong class costs at every IoU threshold "
                                            "alike; only loose boxes are right at 0.5 and "
                                            "wrong at 0.8."),
        M("missed digits", "missed digits", "a missed digit costs at every IoU threshold "
                                            "alike; only loose boxes are right at 0.5 and "
                                            "wrong at 0.8.")))},
        choices={"loose": "loose boxes", "localisation": "loose boxes",
                 "localization": "loose boxes", "wrong class": "wrong classes",
                 "classes": "wrong classes", "missed": "missed digits",
                 "missed digit": "missed digits"}),
}
