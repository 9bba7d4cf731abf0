"""Quizzes of lesson 04b (VGG and GoogLeNet) not in :mod:`.quiz`: SE blocks."""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part
from .quiz import Quiz

__all__ = ["QUIZZES"]

QUIZZES = {
    "04b.6": Quiz("SE blocks and equivariance", {"answer": Part("approximately", (
        M("yes", "yes", "exactly only with periodic (circular) boundaries: with zero padding "
                        "and content moving in or out of the frame, the channel averages "
                        "change a little, and so do the gates."),
        M("no", "no", "the squeeze averages each channel over the whole map, which a "
                      "circular shift does not change: the gates are shift-invariant, so the "
                      "block is equivariant up to the borders.")))},
        choices={"only approximately": "approximately", "approximate": "approximately",
                 "approx": "approximately", "almost": "approximately"}),
}
