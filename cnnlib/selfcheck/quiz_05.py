"""Quizzes of lesson 05b (curves and calibration) not in :mod:`.quiz`: AUC, rare disease."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "05b.3": Quiz("AUC and a rare disease", {"answer": Part("no", (
        M("yes", "yes", "ROC AUC does not see the prevalence: at a false positive rate of 2%, "
                        "999 healthy people give about 20 false alarms per ill person found, "
                        "a precision under 5%."),))}),
}
