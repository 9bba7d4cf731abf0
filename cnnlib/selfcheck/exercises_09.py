"""Exercises of lesson 09 (adversarial examples) and their checks.

The FGSM step, PGD's projection, and what an L-infinity budget does to a linear score.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_fgsm", "check_project"]


# --------------------------------------------------------------------------- 09.1
def _fgsm(x, grad, epsilon):
    return np.clip(np.asarray(x) + epsilon * np.sign(grad), 0.0, 1.0)


def _fgsm_cases():
    rng = np.random.default_rng(10)
    return [("4 pixels in the middle of the range", (np.array([0.5, 0.4, 0.6, 0.5]),
                                                    np.array([2.0, -0.5, 0.01, -3.0]), 0.1)),
            ("pixels at 0 and 1: clip", (np.array([0.0, 1.0, 0.95, 0.02, 0.5]),
                                         np.array([-1.0, 1.0, 0.3, -0.2, 0.7]), 0.1)),
            ("a 6x6 digit-like image", (np.clip(rng.standard_normal((6, 6)), 0, 1),
                                        rng.standard_normal((6, 6)), 0.25))]


def check_fgsm(fgsm, quiet=False):
    """Check ``fgsm(x, grad, epsilon)``: one step of the fast gradient sign method.

    Parameters
    ----------
    fgsm : callable
        An image ``x`` of any shape with values in [0, 1], the gradient of the loss with
        respect to it (same shape) and the budget ``epsilon`` to the attacked image,
        ``clip(x + epsilon sign(grad), 0, 1)``, same shape.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("descends", lambda x, g, e: _fgsm(x, -np.asarray(g), e),
          "the step goes down the loss; the attack goes up it: x + epsilon sign(grad)."),
        M("no sign", lambda x, g, e: np.clip(np.asarray(x) + e * np.asarray(g), 0, 1),
          "epsilon x grad breaks the budget where |grad| > 1 and wastes it where it is "
          "small: FGSM steps by epsilon sign(grad)."),
        M("not clipped", lambda x, g, e: np.asarray(x) + e * np.sign(g),
          "pixels leave [0, 1]: clip the result, as an image cannot be brighter than white."),
    )
    return check_function("Exercise 09.1 (fgsm)", fgsm, _fgsm_cases(), _fgsm, mistakes, quiet)


# --------------------------------------------------------------------------- 09.2
def _project(x_adv, x, epsilon):
    x = np.asarray(x)
    return np.clip(np.clip(x_adv, x - epsilon, x + epsilon), 0.0, 1.0)


def _project_cases():
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, (5, 5))
    return [("inside the box already", (np.array([0.45, 0.55]), np.array([0.5, 0.5]), 0.1)),
            ("outside the box on both sides and above 1", (np.array([0.9, 0.1, 0.52, 1.3]),
                                                           np.array([0.5, 0.5, 0.5, 0.95]),
                                                           0.1)),
            ("near 0 and 1", (np.array([-0.1, 1.2, 0.75, 0.3]), np.array([0.05, 0.95, 1.0,
                                                                            0.0]), 0.3)),
            ("5x5 after a few steps", (x + rng.uniform(-0.5, 0.5, (5, 5)), x, 0.2))]


def check_project(project, quiet=False):
    """Check ``project(x_adv, x, epsilon)``: PGD's projection back into the budget.

    Parameters
    ----------
    project : callable
        A perturbed image ``x_adv``, the clean image ``x`` (same shape, values in [0, 1])
        and ``epsilon`` to the nearest image that differs from ``x`` by at most epsilon per
        pixel and lies in [0, 1], same shape.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("range only", lambda a, x, e: np.clip(a, 0.0, 1.0),
          "clipping to [0, 1] is not enough: each pixel must stay within epsilon of the "
          "clean image, clip(x_adv, x - epsilon, x + epsilon)."),
        M("box only", lambda a, x, e: np.clip(a, np.asarray(x) - e, np.asarray(x) + e),
          "the box around x may leave [0, 1]: clip to [0, 1] too."),
        M("nothing clipped", lambda a, x, e: np.asarray(a, dtype=float),
          "nothing was clipped: the box is centred on the clean image x (a box around x_adv "
          "always holds x_adv), and the result must lie in [0, 1]."),
        M("epsilon sign step", lambda a, x, e: np.clip(np.asarray(x) + e * np.sign(
            np.asarray(a) - x), 0.0, 1.0),
          "projecting keeps a pixel that is inside the box where it is; only the pixels "
          "outside are moved to the box's edge."),
    )
    return check_function("Exercise 09.2 (project)", project, _project_cases(), _project,
                          mistakes, quiet)


EXERCISES = {
    "09.1": Exercise(
        "the FGSM step",
        "Write `fgsm(x, grad, epsilon)`: from an image `x` with values in [0, 1] and the "
        "gradient of the loss with respect to it, the image attacked by the fast gradient "
        "sign method (Goodfellow, Shlens and Szegedy, 2015), kept in [0, 1]. Check with "
        "`check_exercise('09.1', fgsm)`, then attack a digit with a gradient from "
        "`torch.autograd.grad` and compare with `cnnlib.adversarial`'s FGSM.",
        check=check_fgsm),
    "09.2": Exercise(
        "PGD's projection",
        "After each step, projected gradient descent (Madry et al., 2018) puts the image "
        "back into the budget: each pixel within epsilon of the clean image `x`, and in "
        "[0, 1]. Write `project(x_adv, x, epsilon)`. Check with `check_exercise('09.2', project)`, "
        "then with `torch.clamp(x_adv, x - epsilon, x + epsilon).clamp(0, 1)`.",
        check=check_project),
    "09.3": Exercise(
        "why a small epsilon is enough",
        "Goodfellow, Shlens and Szegedy (2015) explain adversarial examples with a linear "
        "score w . x. Take 784 weights, each +0.1 or -0.1, and the FGSM perturbation "
        "delta = epsilon sign(w) with epsilon = 0.1. By how much does the score rise "
        "(`gain`)? How long is delta in the Euclidean norm (`l2`)? Check with "
        "`check_exercise('09.3', gain=..., l2=...)`, then with a random `w` in torch.",
        parts={
            "gain": Part(7.84, (
                M("one pixel", 0.01, "every one of the 784 pixels adds epsilon |w_i|: "
                                     "epsilon ||w||_1 = 0.1 x 784 x 0.1."),
                M("euclidean", 0.28, "epsilon ||w||_2 is the gain of a step of L2 length "
                                     "epsilon; FGSM's gain is epsilon ||w||_1."),
                M("epsilon times n", 78.4, "each pixel adds epsilon |w_i| = 0.01, not "
                                           "epsilon.")), rtol=0.001),
            "l2": Part(2.8, (
                M("max norm", 0.1, "0.1 is the largest change of one pixel (the L-infinity "
                                   "norm); the L2 norm is sqrt(784) x 0.1."),
                M("l1", 78.4, "784 x 0.1 is the L1 norm; the L2 norm is sqrt(784 x 0.01)."),
                M("squared", 7.84, "7.84 is the squared length; take its root.")),
                rtol=0.001)}),
}
