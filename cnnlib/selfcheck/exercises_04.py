"""Exercises of lesson 04 and their checks.

04a LeNet to AlexNet, 04b VGG and GoogLeNet, 04c ResNet and after.
"""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_conv_params", "check_he_std",
           "check_separable_params"]


# --------------------------------------------------------------------------- 04a.2
def _params(c_in, c_out, k, groups=1, bias=True):
    return c_out * (c_in // groups) * k * k + (c_out if bias else 0)


_PARAM_CASES = [("LeNet conv1: 1 -> 6, 5x5", (1, 6, 5)), ("LeNet conv2: 6 -> 16, 5x5", (6, 16, 5)),
                ("no bias: 64 -> 128, 3x3", (64, 128, 3, 1, False)),
                ("AlexNet conv2, 2 groups: 96 -> 256, 5x5", (96, 256, 5, 2))]


def check_conv_params(conv_params, quiet=False):
    """Check ``conv_params(c_in, c_out, k, groups=1, bias=True)``: a layer's parameters.

    Parameters
    ----------
    conv_params : callable
        Input channels, output channels, kernel side ``k``, ``groups`` and ``bias`` to the
        number of parameters of ``torch.nn.Conv2d(c_in, c_out, k, groups=groups,
        bias=bias)``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("bias forgotten", lambda c_in, c_out, k, groups=1, bias=True:
          _params(c_in, c_out, k, groups, False),
          "the bias is missing: one per output channel (unless bias=False)."),
        M("channels left out", lambda c_in, c_out, k, groups=1, bias=True:
          _params(groups, c_out, k, groups, bias),
          "each filter spans all its input channels (c_in / groups of them)."),
        M("groups ignored", lambda c_in, c_out, k, groups=1, bias=True:
          _params(c_in, c_out, k, 1, bias),
          "with groups, each filter sees only c_in / groups channels."),
    )
    return check_function("Exercise 04a.2 (conv_params)", conv_params, _PARAM_CASES, _params,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 04b.2
def _he_std(fan_in):
    return np.sqrt(2.0 / fan_in)


def _one_number(fn):
    """``fn`` with a one-element array result read as that number.

    The course grader sends a student's NumPy scalar (``np.sqrt(...)``) back from the
    kernel as an array of shape (1,); the check must give it the verdict the notebook gave.
    """
    def number(*args):
        result = fn(*args)
        return result[0] if isinstance(result, np.ndarray) and result.shape == (1,) else result
    return number


def check_he_std(he_std, quiet=False):
    """Check ``he_std(fan_in)``: the standard deviation of He initialisation.

    Parameters
    ----------
    he_std : callable
        The fan-in of a layer (``C_in * kH * kW``) to the standard deviation of its
        Gaussian weights under He et al.'s (2015) initialisation for ReLU networks.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("no factor 2", lambda n: np.sqrt(1.0 / n),
          "sqrt(1 / fan_in) keeps the variance of a linear layer; a ReLU zeroes half of "
          "its inputs, so the variance halves at every layer: He et al. use sqrt(2 / fan_in)."),
        M("variance", lambda n: 2.0 / n,
          "2 / fan_in is the variance; the standard deviation is its square root."),
        M("gain outside the root", lambda n: 2.0 / np.sqrt(n),
          "the factor 2 is under the root: sqrt(2 / fan_in), not 2 / sqrt(fan_in)."),
    )
    cases = [("a 3x3 layer of 64 channels", (576,)), ("a dense layer of 4096", (4096,)),
             ("fan-in 2", (2,))]
    return check_function("Exercise 04b.2 (he_std)", _one_number(he_std), cases, _he_std,
                          mistakes, quiet)


# --------------------------------------------------------------------------- 04c.3
def _separable(c_in, c_out, k):
    return c_in * k * k + c_in * c_out


_SEP_CASES = [("32 -> 64, 3x3", (32, 64, 3)), ("512 -> 512, 3x3", (512, 512, 3)),
              ("16 -> 8, 5x5", (16, 8, 5))]


def check_separable_params(separable_params, quiet=False):
    """Check ``separable_params(c_in, c_out, k)``: weights of a depthwise separable conv.

    Parameters
    ----------
    separable_params : callable
        Channels in and out and kernel side to the number of weights (no bias) of a
        k x k depthwise convolution (``groups=c_in``) followed by a 1x1 convolution.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("standard", lambda c_in, c_out, k: c_in * c_out * k * k,
          "that is a standard convolution: the depthwise step has one k x k filter per "
          "input channel, c_in k^2, then the 1x1 step c_in c_out."),
        M("depthwise full", lambda c_in, c_out, k: c_in * c_in * k * k + c_in * c_out,
          "the depthwise filters see one channel each (groups = c_in): c_in k^2, not "
          "c_in^2 k^2."),
        M("pointwise left out", lambda c_in, c_out, k: c_in * k * k,
          "the 1x1 pointwise convolution, c_in c_out weights, is missing."),
    )
    return check_function("Exercise 04c.3 (separable_params)", separable_params, _SEP_CASES,
                          _separable, mistakes, quiet)


EXERCISES = {
    "04a.1": Exercise(
        "spot the bug: the cost of a convolution",
        "A published lecture slide gives the complexity of a convolution layer as "
        "'O~(w + h)'. Count the multiply-accumulates (`macs`) of a 3x3 convolution from 64 "
        "to 128 channels whose output is 56x56 (padding 1). Then build it as "
        "`torch.nn.Conv2d(64, 128, 3, padding=1)` and compare with "
        "`cnnlib.models.summary(layer, (1, 64, 56, 56))`. Check with "
        "`check_exercise('04a.1', macs=...)`.",
        parts={"macs": Part(231211008, (
            M("w plus h", 8257536, "the cost grows with the area w h, not w + h: "
                                   "O(w h k^2 c_in c_out)."),
            M("channels in left out", 3612672, "each output sums over all 64 input channels."),
            M("kernel left out", 25690112, "each output takes 3 x 3 x 64 products.")))}),
    "04a.2": Exercise(
        "a parameter counter",
        "Write `conv_params(c_in, c_out, k, groups=1, bias=True)`: the number of "
        "parameters of `torch.nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)`. Check "
        "with `check_exercise('04a.2', conv_params)`, then with PyTorch's "
        "`sum(p.numel() for p in layer.parameters())`.",
        check=check_conv_params),
    "04a.3": Exercise(
        "224 or 227?",
        "AlexNet's paper says its input is 224x224 and its first layer has 11x11 kernels "
        "with stride 4 and 55x55 outputs. Compute the output width for a 224-wide input "
        "without padding (`from_224`, as PyTorch rounds) and the input width that gives "
        "exactly 55 (`exact`). Check with `check_exercise('04a.3', from_224=..., exact=...)`.",
        parts={
            "from_224": Part(54, (
                M("paper", 55, "(224 - 11)/4 + 1 = 54.25 rounds down to 54, not 55."),
                M("not rounded", 54.25, "output sizes are whole: round down."),
                M("stride only", 56, "224/4 ignores the kernel: (W - F)/S + 1."))),
            "exact": Part(227, (
                M("paper", 224, "224 does not fit: (224 - 11)/4 is not whole."),
                M("plus one", 231, "(W - 11)/4 + 1 = 55 gives W = 227.")))}),
    "04b.1": Exercise(
        "spot the bug: an Inception branch",
        "A published lecture slide shows an Inception branch 192 -> 1x1 -> 16 -> 3x3 -> 128. "
        "Which branch of GoogLeNet's module 3a (section 4; Szegedy et al., 2015, table 1) "
        "reduces to 16 (`branch`: '3x3', '5x5' or 'pool')? Count the weights, biases left "
        "out, of module 3a's real 3x3 branch (`weights`) and of the published one "
        "(`slide`). Check with `check_exercise('04b.1', branch=..., weights=..., slide=...)`.",
        parts={
            "branch": Part("5x5", (
                M("3x3", "3x3", "module 3a reduces to 96 before the 3x3; 16 is before the 5x5."),
                M("pool", "pool", "the pool branch ends with a 1x1 to 32."))),
            "weights": Part(129024, (
                M("slide", 21504, "that is the published branch, with 16."),
                M("no reduction", 221184, "the 1x1 to 96 comes first: 192 x 96 + 96 x 9 x 128."),
                M("1x1 left out", 110592, "add the 1x1 reduction's 192 x 96."))),
            "slide": Part(21504, (
                M("3x3 left out", 3072, "add the 3x3's 16 x 9 x 128."),
                M("1x1 left out", 18432, "add the 1x1's 192 x 16.")))}),
    "04b.2": Exercise(
        "He initialisation",
        "He et al. (2015) showed that a plain 30-layer ReLU network does not learn from "
        "scratch with the variance-1/fan_in initialisation, but does with theirs. Write "
        "`he_std(fan_in)`, the "
        "standard deviation of their Gaussian initialisation, and check with "
        "`check_exercise('04b.2', he_std)`. Then push a batch through 30 ReLU layers of width 256 "
        "initialised with it and with sqrt(1/fan_in), and compare the last layer's "
        "standard deviation.",
        check=check_he_std),
    "04b.3": Exercise(
        "what GoogLeNet's 1x1 reduction saves",
        "Module 3a's 5x5 branch takes 192 channels at 28x28 to 32 (padding 2). Count its "
        "multiply-accumulates, biases left out, as one 5x5 convolution 192 -> 32 "
        "(`direct`) and as GoogLeNet builds it, a 1x1 reduction 192 -> 16 then a 5x5 "
        "16 -> 32 (`reduced`). Check with `check_exercise('04b.3', direct=..., "
        "reduced=...)`, then with `cnnlib.models.summary`.",
        parts={
            "direct": Part(120422400, (
                M("per position", 153600, "that is one output position (the weights); each "
                                          "of the 28 x 28 positions uses all of them."),
                M("kernel not squared", 24084480, "a 5x5 kernel has 25 taps per input "
                                                  "channel, not 5."),
                M("inputs left out", 627200, "each output sums over all 192 input "
                                             "channels: 28 x 28 x 192 x 25 x 32."))),
            "reduced": Part(12443648, (
                M("1x1 left out", 10035200, "the 1x1 reduction costs too: 28 x 28 x 192 x 16 "
                                            "more."),
                M("not reduced", 122830848, "after the reduction the 5x5 sees 16 channels, "
                                            "not 192: 28 x 28 x 16 x 25 x 32."),
                M("per position", 15872, "that is one output position; there are 28 x 28."),
                M("kernel not squared", 4415488, "a 5x5 kernel has 25 taps per input "
                                                 "channel, not 5.")))}),
    "04c.1": Exercise(
        "spot the bug: how much smaller is MobileNet?",
        "A published lecture slide says MobileNet has '2/3 fewer parameters than "
        "GoogLeNet'. Howard et al. (2017, table 9) give 4.2 million against 6.8 million. By "
        "how many percent are the parameters fewer (`percent`)? Check with "
        "`check_exercise('04c.1', percent=...)`.",
        parts={"percent": Part(38.2, (
            M("slide", 66.7, "2/3 fewer would be 2.3 million; 4.2M against 6.8M is 38% fewer."),
            M("ratio", 61.8, "4.2/6.8 = 62% is the ratio; fewer is 1 - 4.2/6.8."),
            M("difference", 2.6, "2.6 million is the difference; as a percentage of "
                                 "GoogLeNet's 6.8 million it is (6.8 - 4.2)/6.8.")),
            rtol=0.01)}),
    "04c.2": Exercise(
        "a projection shortcut",
        "A ResNet block goes from 64 channels at 56x56 to 128 channels at 28x28, so the "
        "skip connection needs equal shapes: a 1x1 convolution with stride 2. How many "
        "weights does it have (`weights`, no bias) and what spatial size is its output "
        "(`size`)? Check with `check_exercise('04c.2', weights=..., size=...)`.",
        parts={
            "weights": Part(8192, (
                M("3x3", 73728, "the projection is 1x1, not 3x3."),
                M("square", 16384, "from 64 to 128 channels: 64 x 128."),
                M("with bias", 8320, "ResNet's convolutions have no bias (batch norm "
                                     "follows)."))),
            "size": Part(28, (M("stride ignored", 56, "the stride 2 halves it."),
                              M("plus one", 27, "(56 - 1)/2 + 1 rounds down to 28.")))}),
    "04c.3": Exercise(
        "depthwise separable parameters",
        "Write `separable_params(c_in, c_out, k)`: the weights (no bias) of MobileNet's "
        "depthwise separable convolution, a k x k depthwise convolution (groups = c_in) "
        "then a 1x1 convolution. Check with `check_exercise('04c.3', separable_params)`, "
        "then with PyTorch layers.",
        check=check_separable_params),
    "04c.4": Exercise(
        "spot the bug: deep networks beyond depth two",
        "A published lecture slide says that generic deep networks beyond depth two are not "
        "successful. Count the weight layers (convolutions and dense layers, not the 1x1 "
        "projection shortcuts) of VGG-16 (`vgg16`) and of ResNet-50 (`resnet50`), both "
        "trained with SGD on ImageNet, and check with "
        "`check_exercise('04c.4', vgg16=..., resnet50=...)`. Then count them in "
        "`torchvision.models.vgg16()` and `resnet50()`.",
        parts={
            "vgg16": Part(16, (
                M("convolutions only", 13, "the three dense layers are weight layers too."),
                M("with pooling", 21, "pooling layers have no weights."))),
            "resnet50": Part(50, (
                M("convolutions only", 49, "the final dense layer counts too."),
                M("with shortcuts", 54, "the name leaves out the 4 projection shortcuts."),
                M("blocks", 16, "16 is the number of bottleneck blocks, 3 layers each.")))}),
}
