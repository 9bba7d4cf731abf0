"""The quizzes of lesson 04d (batch normalisation taken apart) that have a check.

:data:`QUIZZES` maps a quiz id to ``(topic, parts, choices)``; :mod:`cnnlib.selfcheck.quiz`
adds them to its table (as :class:`~cnnlib.selfcheck.quiz.Quiz`), so ``check_quiz("04d.3",
"b")`` works like every other quiz.  The right answers are derived in
``tests/test_selfcheck_exercises_04d.py`` from PyTorch, not copied from here.
"""
from __future__ import annotations

from .answers import Mistake as M
from .answers import Part

__all__ = ["QUIZZES"]

QUIZZES = {
    "04d.3": ("normalisation at batch size 2", {"answer": Part("b", (
        M("smoother averages", "a", "the running averages would move more slowly, but each "
                                    "training step still normalises with the statistics of "
                                    "2 images: noisy, and each image depends on the other."),
        M("evaluation statistics", "c", "the running averages lag behind the weights they "
                                        "summarise: training with them is unstable (batch "
                                        "renormalisation exists for this)."),
        M("dropout", "d", "dropout does not normalise anything; the problem is the "
                          "statistics of a batch of 2.")))},
        {"a": "a", "b": "b", "c": "c", "d": "d"}),
    "04d.4": ("what batch norm fixes", {"answer": Part("a", (
        M("whole distribution", "b", "only two numbers per channel are fixed, the batch mean "
                                     "and variance; the shape of the distribution still "
                                     "moves (and gamma, beta move those two)."),
        M("mean only", "c", "the variance is fixed too: x_hat has variance 1 (up to eps).")))},
        {"a": "a", "b": "b", "c": "c"}),
    "04d.5": ("the backward pass", {
        "channel_sum": Part(0, (
            M("constants", 0.5 * 12, "treating mean and sigma as constants gives gamma/sigma "
                                     "= 0.5 per input, 6 over the 12 inputs; the true "
                                     "gradient subtracts its mean: the sum is 0."),
            M("count", 12, "the sum is over dL/dx, not over dL/dy.")), rtol=1e-6),
        "constant_dx": Part(0.5, (
            M("gamma", 2, "divide by sigma = 4 too: gamma * dL/dy / sigma."),
            M("true gradient", 0, "that is the true gradient; the question asks what the "
                                  "backward pass with constant statistics gives."),
            M("sigma squared", 2 / 16, "divide by sigma = 4, the standard deviation, not by "
                                       "the variance 16.")), rtol=1e-6)}, {}),
}
