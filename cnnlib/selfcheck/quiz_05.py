"""Quizzes of lesson 05 (metrics) not in :mod:`.quiz`: ROC AUC at a low prevalence."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "05.7": Quiz("AUC and a rare disease", {"answer": Part("no", (
        M("yes", "yes", "ROC AUC does not see the prevalence: at a false positive rate of 2%, "
                        "999 healthy people give about 20 false alarms per ill person found, "
                        "a precision under 5%."),))}),
}
