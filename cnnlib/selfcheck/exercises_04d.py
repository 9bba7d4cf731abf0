"""Exercises of lesson 04d (batch normalisation taken apart) and their checks.

Two functions to write (batch norm's forward pass in training mode, group norm) and two
values to compute (what a batch-norm layer learns and stores; its output in evaluation
and in training mode).  The right answers are checked in ``tests/test_selfcheck_exercises_04d.py``
against ``torch.nn.functional.batch_norm`` and ``group_norm`` and ``torch.nn.BatchNorm2d``.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "EPS", "check_batch_norm_forward", "check_group_norm"]

EPS = 1e-5     # the epsilon of the exercises, PyTorch's default


def _normalise(x, axes, ddof=0, eps_outside=False):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    spread = np.sqrt(var) + EPS if eps_outside else np.sqrt(var + EPS)
    return (x - mean) / spread


def _affine(xhat, gamma, beta):
    return gamma[None, :, None, None] * xhat + beta[None, :, None, None]


# --------------------------------------------------------------------------- 04d.1
def _batch_norm(x, gamma, beta):
    return _affine(_normalise(np.asarray(x, float), (0, 2, 3)), gamma, beta)


def _bn_cases():
    rng = np.random.default_rng(4)
    cases = []
    for desc, shape in [("2 samples, 3 channels, 4 x 4", (2, 3, 4, 4)),
                        ("1 sample, 2 channels, 3 x 5", (1, 2, 3, 5)),
                        ("5 samples, 4 channels, 2 x 2", (5, 4, 2, 2))]:
        channels = shape[1]
        x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, channels, 1, 1)) \
            + rng.uniform(-2.0, 2.0, (1, channels, 1, 1))
        cases.append((desc, (x, rng.uniform(0.5, 2.0, channels), rng.standard_normal(channels))))
    # a channel whose values hardly vary: there eps decides the result
    flat = np.concatenate([0.3 + 1e-4 * rng.standard_normal((2, 1, 2, 2)),
                           rng.standard_normal((2, 1, 2, 2))], axis=1)
    cases.append(("a nearly constant channel: eps matters",
                  (flat, np.array([1.0, 3.0]), np.array([0.5, 0.0]))))
    return cases


_BN_CASES = _bn_cases()


def check_batch_norm_forward(batch_norm_forward, quiet=False):
    """Check ``batch_norm_forward(x, gamma, beta)``: batch norm in training mode.

    Parameters
    ----------
    batch_norm_forward : callable
        ``x`` of shape ``(N, C, H, W)``, ``gamma`` and ``beta`` of shape ``(C,)`` to the
        output of shape ``(N, C, H, W)``: each channel normalised by the mean and the
        (biased) variance of its ``N * H * W`` values, with ``EPS`` added to the variance,
        then scaled by ``gamma`` and shifted by ``beta``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("per sample", lambda x, g, b: _affine(_normalise(x, (1, 2, 3)), g, b),
          "each sample is normalised over its channels and positions: that is layer norm. "
          "Batch norm takes each channel's statistics over the batch and the positions, "
          "axes (0, 2, 3)."),
        M("whole tensor", lambda x, g, b: _affine(_normalise(x, (0, 1, 2, 3)), g, b),
          "one mean and variance for the whole tensor: each channel has its own, over "
          "axes (0, 2, 3)."),
        M("unbiased variance", lambda x, g, b: _affine(_normalise(x, (0, 2, 3), ddof=1), g, b),
          "the variance is divided by N*H*W - 1 (unbiased): batch norm normalises with the "
          "biased variance, x.var(axis=(0, 2, 3)) with NumPy's default ddof=0."),
        M("no gamma, beta", lambda x, g, b: _normalise(x, (0, 2, 3)),
          "gamma and beta are missing: the normalised x is scaled by gamma and shifted by "
          "beta, per channel."),
        M("per pixel", lambda x, g, b: _affine(_normalise(x, (0,)), g, b),
          "the statistics are per pixel (over N only): batch norm after a convolution "
          "averages each channel over N, H and W, axes (0, 2, 3)."),
        M("eps outside", lambda x, g, b: _affine(_normalise(x, (0, 2, 3), eps_outside=True),
                                                 g, b),
          "eps is added to the standard deviation; it goes under the root: "
          "sqrt(var + eps)."),
        M("gamma and beta swapped", lambda x, g, b: _affine(_normalise(x, (0, 2, 3)), b, g),
          "gamma scales and beta shifts: gamma * x_hat + beta."),
    )
    return check_function("Exercise 04d.1 (batch_norm_forward)", batch_norm_forward,
                          _BN_CASES, _batch_norm, mistakes, quiet)


# --------------------------------------------------------------------------- 04d.2
def _grouped(x, groups, axes, interleaved=False):
    x = np.asarray(x, float)
    n, c, h, w = x.shape
    if interleaved:
        xg = x.reshape(n, c // groups, groups, h, w).transpose(0, 2, 1, 3, 4)
        return _normalise(xg, axes).transpose(0, 2, 1, 3, 4).reshape(x.shape)
    return _normalise(x.reshape(n, groups, c // groups, h, w), axes).reshape(x.shape)


def _group_norm(x, groups):
    return _grouped(x, groups, (2, 3, 4))


def _gn_cases():
    rng = np.random.default_rng(5)
    cases = []
    for desc, shape, groups in [("2 samples, 6 channels, 2 groups", (2, 6, 3, 3), 2),
                                ("3 samples, 4 channels, 1 group (layer norm)", (3, 4, 2, 2), 1),
                                ("2 samples, 4 channels, 4 groups (instance norm)",
                                 (2, 4, 3, 2), 4)]:
        x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, shape[1], 1, 1)) \
            + rng.uniform(-2.0, 2.0, (1, shape[1], 1, 1))
        cases.append((desc, (x, groups)))
    return cases


_GN_CASES = _gn_cases()


def check_group_norm(group_norm, quiet=False):
    """Check ``group_norm(x, groups)``: group norm without its affine parameters.

    Parameters
    ----------
    group_norm : callable
        ``x`` of shape ``(N, C, H, W)`` and an int ``groups`` dividing ``C`` to the output
        of shape ``(N, C, H, W)``: the channels split into ``groups`` consecutive groups
        of ``C // groups``, each sample's group normalised by the mean and the biased
        variance of its ``(C // groups) * H * W`` values, ``EPS`` added to the variance.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("interleaved", lambda x, g: _grouped(x, g, (2, 3, 4), interleaved=True),
          "the groups take every G-th channel (channel c in group c % G): a group is "
          "C // G consecutive channels, as x.reshape(N, G, C // G, H, W) makes them."),
        M("over the batch", lambda x, g: _grouped(x, g, (0, 2, 3, 4)),
          "the statistics include the other samples: group norm is per sample, so it does "
          "not depend on the batch (its point at batch size 2)."),
        M("per channel", lambda x, g: _grouped(x, x.shape[1], (2, 3, 4)),
          "each channel is normalised on its own (instance norm): the groups are ignored."),
    )
    return check_function("Exercise 04d.2 (group_norm)", group_norm, _GN_CASES,
                          _group_norm, mistakes, quiet)


EXERCISES = {
    "04d.1": Exercise(
        "batch norm's forward pass",
        "Write `batch_norm_forward(x, gamma, beta)` for `x` of shape (N, C, H, W) in "
        "training mode: each channel is normalised by the mean and the variance of its "
        "N x H x W values (the biased variance, as `np.var` gives it, plus `eps = 1e-5` "
        "under the square root), then scaled by `gamma[c]` and shifted by `beta[c]`. Check "
        "with `check_exercise('04d.1', batch_norm_forward)`.",
        check=check_batch_norm_forward),
    "04d.2": Exercise(
        "group norm",
        "Write `group_norm(x, groups)` (no gamma and beta) for `x` of shape (N, C, H, W): "
        "split the C channels into `groups` groups of C // groups consecutive channels and "
        "normalise each sample's group by the mean and the biased variance of its values "
        "(`eps = 1e-5`). With one group it is layer norm, with C groups instance norm. "
        "Check with `check_exercise('04d.2', group_norm)`.",
        check=check_group_norm),
    "04d.3": Exercise(
        "what a batch-norm layer learns and stores",
        "`nn.BatchNorm2d(64)` follows a convolution with 64 output channels, on batches of "
        "shape (8, 64, 32, 32). How many numbers does it learn (`params`)? How many "
        "running statistics does it keep for evaluation (`buffers`; leave out the step "
        "counter `num_batches_tracked`)? Over how many values is one channel's mean taken "
        "in training mode (`averaged`)? Check with "
        "`check_exercise('04d.3', params=..., buffers=..., averaged=...)`.",
        parts={
            "params": Part(128, (
                M("gamma only", 64, "beta is learned too: one gamma and one beta per channel."),
                M("buffers counted", 256, "the running mean and variance are not learned by "
                                          "gradient descent: they are buffers, not "
                                          "parameters."))),
            "buffers": Part(128, (
                M("mean only", 64, "the running variance is kept too: one mean and one "
                                   "variance per channel."),
                M("counter counted", 129, "num_batches_tracked is a step counter, not a "
                                          "statistic: leave it out."))),
            "averaged": Part(8 * 32 * 32, (
                M("one image", 32 * 32, "H x W is one image's channel: batch norm averages "
                                        "over the batch too, N x H x W."),
                M("all channels", 8 * 64 * 32 * 32, "each channel has its own mean: the 64 "
                                                    "channels are not pooled."),
                M("batch only", 8, "the positions count too: N x H x W values per channel.")))}),
    "04d.4": Exercise(
        "evaluation mode against training mode",
        "A batch-norm channel has running mean 2, running variance 4, gamma = 3 and "
        "beta = 1 (take eps as 0). In evaluation mode, what does it output for the input "
        "6 (`eval_out`)? In training mode, what does it output for a batch holding the "
        "single value 6 (one sample, one position: `train_single`)? Check with "
        "`check_exercise('04d.4', eval_out=..., train_single=...)`.",
        parts={
            "eval_out": Part(7, (
                M("variance not rooted", 4, "divide by the standard deviation, sqrt(4) = 2, "
                                            "not by the variance."),
                M("beta forgotten", 6, "beta is added after scaling: 3 * (6 - 2) / 2 + 1."),
                M("not normalised", 13, "the input is normalised first: (6 - 2) / 2, then "
                                        "scaled by gamma."),
                M("batch statistics", 1, "that is training mode; in evaluation the running "
                                         "statistics are used.")), rtol=1e-4),
            "train_single": Part(1, (
                M("running statistics", 7, "that is evaluation mode; in training the batch's "
                                           "own mean (6) is subtracted, leaving 0."),
                M("beta forgotten", 0, "x - mean is 0, and then beta = 1 is added.")),
                rtol=1e-4)}),
}
