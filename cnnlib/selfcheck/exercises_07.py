"""Exercises of lesson 07 (transfer learning) and their checks.

The Lite models' preprocessing, counting the parameters that train when blocks are frozen,
and the weights of an inverted residual block and of a linear probe.  torch is imported
inside the check, so ``import cnnlib.selfcheck`` stays light.
"""
from __future__ import annotations

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_count_trainable"]


# --------------------------------------------------------------------------- 07.2
def _count_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# The cases are Python source, not objects built here: a torch module is not plain data, so
# the course grader (which never pickles) sends this text to the student's kernel to build
# the same models there (Exercise.cases_code).  The notebook's check builds them from the
# same text, so both sides run one definition.  Only the models' layers and which
# parameters are frozen matter to a count, not their random initial weights.
_TRAINABLE_CASES = """
from torch import nn


def frozen(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


head_only = nn.Sequential(frozen(nn.Conv2d(3, 8, 3)), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
blocks = nn.Sequential(
    frozen(nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), nn.BatchNorm2d(4))),
    nn.Sequential(nn.Conv2d(4, 4, 3, groups=4, bias=False), nn.BatchNorm2d(4)),
    nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10)))
cases = [("one linear layer, nothing frozen", (nn.Linear(4, 3),)),
         ("a frozen convolution under batch norm and a linear head", (head_only,)),
         ("three blocks, the first frozen", (blocks,))]
"""


def _trainable_cases():
    """Small torch models, some of whose parameters are frozen: ``_TRAINABLE_CASES`` run."""
    namespace = {}
    exec(_TRAINABLE_CASES, namespace)      # a namespace of its own: nothing leaks out
    return namespace["cases"]


def check_count_trainable(count_trainable, quiet=False):
    """Check ``count_trainable(model)``: how many numbers an optimizer would update.

    Parameters
    ----------
    count_trainable : callable
        A ``torch.nn.Module`` to the number of elements of its parameters that have
        ``requires_grad`` set, an int (frozen parameters and buffers such as batch norm's
        running statistics are not counted).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("frozen counted", lambda m: sum(p.numel() for p in m.parameters()),
          "the frozen parameters are counted: keep those with p.requires_grad."),
        M("tensors counted", lambda m: sum(1 for p in m.parameters() if p.requires_grad),
          "that counts parameter tensors; count their numbers, p.numel()."),
        M("buffers counted", lambda m: _count_trainable(m) + sum(
            b.numel() for b in m.buffers()),
          "batch norm's running mean and variance are buffers, not parameters: no gradient "
          "updates them."),
    )
    return check_function("Exercise 07.2 (count_trainable)", count_trainable,
                          _trainable_cases(), _count_trainable, mistakes, quiet)


EXERCISES = {
    "07.1": Exercise(
        "two preprocessings",
        "The Lite models map a pixel value v in 0..255 to (v - 127) / 128. What does a black "
        "pixel (v = 0) become (`black`)? torchvision's ImageNet networks divide by 255 and "
        "then normalise the red channel with mean 0.485 and standard deviation 0.229: what "
        "does a pure red value v = 255 become there (`red_torchvision`, to 3 digits)? Check "
        "with `check_exercise('07.1', black=..., red_torchvision=...)`, then with "
        "`torchvision.transforms.v2.Normalize` on a tensor of the values divided by 255 "
        "(the Lite scale is mean 127/255, standard deviation 128/255).",
        parts={
            "black": Part(-127 / 128, (
                M("unit range", 0.0, "0 is black on the [0, 1] scale; the Lite models use "
                                     "[-1, 1]: (0 - 127)/128."),
                M("sign", 127 / 128, "(0 - 127)/128 is negative: black is near -1."),
                M("divided by 255", -127 / 255, "the Lite scale divides by 128: "
                                                "(0 - 127)/128.")), rtol=0.005),
            "red_torchvision": Part((1 - 0.485) / 0.229, (
                M("not divided by 255", (255 - 0.485) / 0.229,
                  "torchvision first divides by 255: (255/255 - 0.485)/0.229."),
                M("lite scale", 1.0, "that is the Lite scale; torchvision's is "
                                     "(1 - 0.485)/0.229."),
                M("std forgotten", 1 - 0.485, "divide by the standard deviation 0.229 too.")),
                rtol=0.005)}),
    "07.2": Exercise(
        "what trains when blocks are frozen",
        "Fine-tuning freezes part of a network with `p.requires_grad_(False)`. Write "
        "`count_trainable(model)`: the number of values (not tensors) in the parameters "
        "the optimizer will update. Check with `check_exercise('07.2', count_trainable)`, "
        "then compare with `cnnlib.models.summary`'s trainable count on a model whose first "
        "block you froze.",
        check=check_count_trainable, cases_code=_TRAINABLE_CASES),
    "07.3": Exercise(
        "the weights of an inverted residual and of a probe",
        "MobileNetV2's inverted residual (Sandler et al., 2018; EfficientNet-Lite0's building "
        "block) expands 16 "
        "channels to 96 with a 1x1 convolution, filters each of the 96 channels with a "
        "depthwise 3x3, and projects them to 24 with a 1x1. How many convolution weights "
        "does it have (`block`, no biases, no batch norm)? The linear probe reads the 112 "
        "channels of block 11, averaged over positions, and gives 10 class scores: how many "
        "parameters does it train (`probe`, with its bias)? Check with "
        "`check_exercise('07.3', block=..., probe=...)`, then with "
        "`torchvision.models.mobilenetv2.InvertedResidual(16, 24, 1, 6)` and "
        "`torch.nn.Linear`.",
        parts={
            "block": Part(4704, (
                M("depthwise full", 86784, "a depthwise filter sees one channel: 96 x 3 x 3, "
                                           "not 96 x 96 x 3 x 3."),
                M("expansion left out", 528, "the block first expands 16 -> 96 (16 x 96 "
                                             "weights); the depthwise and 1x1 act on 96."),
                M("projection left out", 2400, "add the projection 96 -> 24, 96 x 24 "
                                               "weights."))),
            "probe": Part(1130, (
                M("bias forgotten", 1120, "a linear layer has one bias per class: +10."),
                M("positions kept", 4490, "the 2x2 positions are averaged: 112 features, "
                                          "not 448."),
                M("last layer", 12810, "that is a probe on the last layer's 1,280 features; "
                                       "block 11 has 112.")))}),
}
