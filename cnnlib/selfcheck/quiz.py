"""Check a quiz answer in a cell: right, or which misconception gives it.

Every quiz of the lessons whose answer is a number, a shape, a list of numbers or a
choice has an entry in :data:`QUIZZES`, keyed by its id (``"02a.3"`` is the third
``**Quiz`` cell of notebook 02a).  The quizzes of lessons 01a-05 are written below; the
others are in one module per lesson (``quiz_00``, ``quiz_04b``, ``quiz_05``, ``quiz_06``,
``quiz_10``), each registered by one line at the end of this file.  A quiz may ask several
things; each is a *part* with its own right answer and its own table of mistakes::

    check_quiz("02a.1", "b")                      # one part: the answer itself
    check_quiz("02a.3", stride_2=3, stride_3=2)   # several parts, any of them

The written answer stays in the notebook, below the check, for afterwards.  The right
answers are derived in ``tests/test_selfcheck_quiz.py`` from PyTorch, scikit-learn,
torchvision and the formulas, not copied from here.

Quizzes whose answer is an explanation (``"why ...?"``) have no check.
"""
from __future__ import annotations

from importlib import import_module
from typing import NamedTuple

from .answers import Mistake as M
from .answers import Part, check_parts
from . import quiz_04d

__all__ = ["Quiz", "QUIZZES", "check_quiz"]


class Quiz(NamedTuple):
    """A quiz: its ``topic``, its ``parts`` by name, the letters of its ``choices``."""

    topic: str
    parts: dict
    choices: dict = {}


_PAD_ONCE = "the padding was counted once; it is added on both sides: + 2P."
_PLUS_ONE = "the + 1 is missing: the kernel's first position counts too."
_NO_BIAS = "the bias is missing: one per filter."
_NO_CHANNELS = "the input channels are left out: each filter spans all of them."

QUIZZES = {
    "01a.1": Quiz("parameter count", {
        "shape": Part((32, 32, 10), (
            M("padding ignored", (28, 28, 10), "that is without padding; padding 2 keeps 32."),
            M("padding once", (30, 30, 10), _PAD_ONCE),
            M("channels in", (32, 32, 3), "the output has one channel per filter: 10."))),
        "params": Part(760, (
            M("bias forgotten", 750, _NO_BIAS),
            M("channels left out", 260, _NO_CHANNELS),
            M("channels and bias", 250, _NO_CHANNELS + " And " + _NO_BIAS))),
        "fc_weights": Part(31457280, (
            M("with biases", 31467520, "that adds the 10,240 biases; the weights alone?"),
            M("added", 13312, "inputs times outputs, not plus."))),
    }),
    "01a.2": Quiz("output lengths", {
        "valid": Part(94, (M("plus one", 93, _PLUS_ONE),
                           M("full", 106, "that is full mode."))),
        "same": Part(100, (M("valid", 94, "that is valid mode; same keeps N."),)),
        "full": Part(106, (M("plus one", 107, "full is N + K - 1, not N + K."),
                           M("plus one forgotten", 105, "full is N + K - 1."))),
        "valid_stride_3": Part(32, (
            M("plus one", 31, _PLUS_ONE),
            M("stride ignored", 94, "the stride is ignored: (N - K) // s + 1."),
            M("not rounded down", 94 / 3, "(N - K + 1)/s is not the formula, and output "
                                          "counts are whole: floor((N - K)/s) + 1."))),
    }),
    "01a.4": Quiz("modes", {
        "valid": Part(24, (M("plus one", 23, _PLUS_ONE),)),
        "same": Part(28, (M("valid", 24, "that is valid; same keeps the size."),)),
        "full": Part(32, (M("plus one", 33, "full is N + K - 1, not N + K."),)),
        "padding": Part(2, (
            M("total", 4, "4 is the total; per side it is half: (K - 1)/2."),
            M("kernel size", 5, "the padding per side is (K - 1)/2, not K."))),
    }),
    "01b.1": Quiz("the matrix of a 2D kernel", {
        "entries": Part(614656, (
            M("image size", 784, "784 is the image; the matrix is 784 x 784."),
            M("kernel matrix", 81, "the matrix maps the whole image to the whole output."))),
        "nonzero": Part(7056, (
            M("all", 614656, "each row uses only 9 pixels, the kernel's window."),
            M("one per row", 784, "each row has up to 9 non-zero entries."))),
        "free": Part(9, (
            M("nonzero", 7056, "the non-zero entries are copies of 9 shared values."),
            M("one per row", 784, "every row repeats the same 9 kernel values."))),
    }),
    "01b.2": Quiz("pooling and equivariance", {"answer": Part("yes", (
        M("no", "no", "with stride 1 every window is computed: a shift of the input shifts "
                      "the output (away from the borders). The stride breaks it."),))}),
    "01b.3": Quiz("equivariance and weight sharing", {"answer": Part("no", (
        M("yes", "yes", "each position has its own weights: a shifted input meets "
                        "different weights."),))}),
    "02a.1": Quiz("valid output size", {"answer": Part("b", (
        M("plus one", "a", "(N - K) forgets the first position: " + _PLUS_ONE),
        M("full", "c", "N + K - 1 is full mode, with K - 1 zeros on each side."),
        M("same", "d", "N is same mode, which needs padding.")))}),
    "02a.2": Quiz("padding 2", {
        "padded": Part(28, (M("padding once", 26, _PAD_ONCE),
                            M("plus one", 27, _PLUS_ONE))),
        "unpadded": Part(24, (M("plus one", 23, _PLUS_ONE),
                              M("kernel not subtracted", 28, "without padding the size "
                                                             "shrinks: N - K + 1."))),
    }),
    "02a.3": Quiz("stride", {
        "stride_2": Part(3, (
            M("plus one", 2, "(7 - 3)/2 = 2 windows after the first: " + _PLUS_ONE),
            M("divided the input", 4, "7/2 rounded up divides the input, not the free "
                                      "room (7 - 3)."),
            M("stride ignored", 5, "5 is stride 1: the stride divides (N - K)."))),
        "stride_1": Part(5, (M("plus one", 4, _PLUS_ONE),)),
        "stride_3": Part(2, (
            M("not rounded down", 7 / 3, "(7 - 3)/3 + 1 is not whole: PyTorch rounds down."),
            M("rounded up", 3, "a third window would start at 6 and run off the input."),
            M("plus one", 4 / 3, _PLUS_ONE))),
    }, choices={"a": 2, "b": 3, "c": 4, "d": 5}),
    "02a.4": Quiz("F = 5, S = 2, P = ?", {
        "fits": Part("none", (
            M("two", 2, "P = 2 gives (32 - 5 + 4)/2 = 15.5: the last column is dropped. "
                        "32 - 5 + 2P is odd for every P."),
            M("half", 1.5, "padding is a whole number of cells per side."))),
        "half": Part(2, (
            M("one", 1, "P = 1 gives floor(29/2) + 1 = 15."),
            M("three", 3, "P = 3 gives floor(33/2) + 1 = 17."))),
    }),
    "02a.5": Quiz("AlexNet's first layer", {
        "params": Part(34944, (
            M("bias forgotten", 34848, _NO_BIAS),
            M("channels left out", 11712, _NO_CHANNELS),
            M("channels and bias", 11616, _NO_CHANNELS + " And " + _NO_BIAS))),
        "fc_weights": Part(44892064800, (
            M("outputs as channels", 14840352, "each of the 55 x 55 x 96 outputs needs its "
                                               "own weights, not each channel."),
            M("added", 444987, "inputs times outputs, not plus.")), rtol=1e-3),
    }),
    "02b.1": Quiz("average pooling", {"answer": Part("b", (
        M("max", "a", "that is max pooling: the average is the mean of the 4 values."),
        M("sum", "c", "those are the block sums: divide by the 4 values."),
        M("stride 1", "d", "that is stride 1: with stride 2 the blocks do not overlap.")))}),
    "02b.2": Quiz("1D max pooling with same padding", {"answer": Part([5, 6, 6, 6, 9, 9, 9], (
        M("valid", [6, 6, 6, 9, 9], "without padding; 'same' pads one cell each side and "
                                    "keeps 7 outputs."),
        M("stride 3", [5, 6, 9], "that is stride 3; with stride 1 every window counts."),
        M("average", [8 / 3, 14 / 3, 13 / 3, 10 / 3, 13 / 3, 5, 13 / 3],
          "those are averages: max pooling keeps the largest value.")), rtol=1e-3)}),
    "02b.4": Quiz("receptive field", {
        "five_3x3": Part(11, (
            M("kernel sizes added", 15, "each 3x3 adds k - 1 = 2, not 3."),
            M("plus one", 10, "1 + 5 x 2: the centre pixel counts too."),
            M("multiplied", 243, "receptive fields grow by adding, not multiplying."))),
        "dilated": Part(13, (
            M("dilation ignored", 5, "dilation d spreads a 3x3 kernel over 2d + 1 pixels."),
            M("sizes added", 14, "5 + 9 adds sizes: add (size - 1) to 1."),
            M("last layer", 9, "the first layer's 5 pixels widen it further."))),
    }),
    "03.2": Quiz("gradient shapes and cost", {
        "dweight": Part((16, 3, 5, 5), (
            M("channels left out", (16, 5, 5), "dweight has the shape of weight, "
                                               "(C_out, C_in, kH, kW)."),
            M("swapped", (3, 16, 5, 5), "weight is (C_out, C_in, kH, kW)."))),
        "dbias": Part((16,), (
            M("per position", (16, 32, 32), "one bias per filter, so dbias is (C_out,): "
                                            "sum dout over N, H and W."),)),
        "mults": Part(1228800, (
            M("channels left out", 409600, _NO_CHANNELS),
            M("filters left out", 76800, "all 16 output maps contribute."),
            M("per position", 1200, "that is per output position; there are 32 x 32."))),
    }),
    "03.3": Quiz("ties in max pooling", {"answer": Part("first", (
        M("both", "both", "copying the gradient to both doubles it: the output moved by "
                          "one unit, not two."),
        M("split", "split", "splitting is a valid subgradient, but PyTorch gives all of it "
                            "to one."),
        M("last", "last", "PyTorch keeps the first maximum in row-major order.")))}),
    "04a.1": Quiz("MNIST's size", {"answer": Part(60000, (
        M("split", 50000, "50,000 is mnist.pkl.gz's training split; the files hold 60,000."),
        M("with test", 70000, "70,000 includes the 10,000 test images."),
        M("our split", 55000, "55,000 is this notebook's training split.")))}),
    "04a.2": Quiz("parameters of conv2", {"answer": Part(2416, (
        M("channels left out", 416, _NO_CHANNELS + " 6 of them."),
        M("bias forgotten", 2400, _NO_BIAS)))}),
    "04a.3": Quiz("padding and fc1", {
        "size": Part(24, (M("padded", 28, "that is with padding 2."),
                          M("plus one", 23, _PLUS_ONE))),
        "fc1_inputs": Part(256, (
            M("padded", 400, "400 = 16 x 5 x 5 is with padding."),
            M("pool forgotten", 1024, "pool2 halves 8 to 4: 16 x 4 x 4."))),
        "fc1_params": Part(30840, (M("bias forgotten", 30720, _NO_BIAS),
                                   M("padded", 48120, "48,120 is fc1 with padding."))),
    }),
    "04a.4": Quiz("receptive field", {"answer": Part(14, (
        M("pool stride ignored", 10, "pool1's stride 2 doubles conv2's step: 6 + 4 x 2."),
        M("pool left out", 9, "pool1 is between the convolutions."),
        M("pixels counted", 25, "the question asks the side of the square, 14.")))}),
    "04a.5": Quiz("C3's parameters", {"answer": Part(1516, (
        M("bias forgotten", 1500, _NO_BIAS),
        M("full connection", 2416, "that is a full connection; C3 has only 60.")))}),
    "04a.6": Quiz("AlexNet's largest layers", {
        "params": Part("fc6", (
            M("conv", "conv2", "a shared 5x5 filter is cheap in parameters."),
            M("last dense", "fc8", "fc8 has 4096 x 1000; fc6 9216 x 4096."))),
        "macs": Part("conv2", (
            M("dense", "fc6", "a dense weight is used once per image, a filter at each "
                              "of 27 x 27 positions."),
            M("first conv", "conv1", "conv1 does 105 M MACs, conv2 224 M."))),
    }),
    "04a.7": Quiz("grouped convolutions", {"answer": Part(307456, (
        M("no groups", 614656, "that is without groups: each filter sees 48 maps."),
        M("bias forgotten", 307200, _NO_BIAS),
        M("filters halved", 153728, "groups halve the inputs per filter, not the 256 "
                                    "filters.")))}),
    "04b.1": Quiz("3x3 against 5x5", {
        "two_3x3": Part(18, (M("one 3x3", 9, "there are two 3x3 layers."),
                             M("channels once", 6, "a 3x3 layer has 9c², not 3c."))),
        "one_5x5": Part(25, (M("channels once", 5, "a 5x5 layer has 25c²."),)),
        "fewer_percent": Part(28, (
            M("wrong base", 700 / 18, "relative to the 5x5: (25 - 18)/25."),
            M("one 3x3", 64, "two 3x3 layers: (25 - 18)/25.")), rtol=0.02),
    }),
    "04b.2": Quiz("memory against parameters", {
        "conv1_1": Part(1792, (M("bias forgotten", 1728, _NO_BIAS),
                               M("channels left out", 640, _NO_CHANNELS))),
        "fc6": Part(102764544, (M("bias forgotten", 102760448, _NO_BIAS),
                                M("inputs", 25088, "that is its inputs: times 4096 outputs."))),
    }),
    "04b.3": Quiz("a 1x1 convolution's cost", {
        "weights": Part(16384, (M("added", 320, "in times out, not plus."),
                                M("with bias", 16448, "the question asks the weights."))),
        "macs": Part(12845056, (
            M("per position", 16384, "that is one position; there are 28 x 28."),
            M("outputs left out", 200704, "each of the 64 outputs uses all 256 inputs."),
            M("inputs left out", 50176, "each output sums over all 256 inputs."))),
    }),
    "04b.4": Quiz("updates against epochs", {"answer": Part(843750, (
        M("epochs", 90, "an epoch is 1.2M / 128 updates."),
        M("images", 108e6, "that counts images; divide by the batch of 128."),
        M("one epoch", 9375, "that is one epoch; there were 90.")), rtol=0.01)}),
    "04b.5": Quiz("ResNet's weight decay", {"answer": Part(1e-4, (
        M("slide", 1e-5, "10^-5 is the published slide's value; He et al. (2016) used 10^-4."),
        M("ten times more", 1e-3, "too much: He et al. used 10^-4.")), rtol=1e-6)}),
    "04c.1": Quiz("could the plain network do it?", {"answer": Part("yes", (
        M("no", "no", "the plain network can represent it (layers adding an identity); "
                      "gradient descent just does not find it."),))}),
    "04c.3": Quiz("parameters per MAC", {
        "answer": Part("vgg-16", (
            M("resnet", "resnet-50", "ResNet-50: 25.6M / 4.1G MACs = 6.3 per thousand, "
                                     "VGG-16 8.9: VGG's dense layers."),)),
        "vgg16": Part(8.9, (M("inverted", 1000 / 8.9, "MACs per parameter; inverted."),
                            M("per mac", 0.0089, "per thousand MACs: x 1000.")), rtol=0.02),
        "resnet50": Part(6.3, (M("inverted", 1000 / 6.3, "MACs per parameter; inverted."),
                               M("per mac", 0.0063, "per thousand MACs: x 1000.")),
                         rtol=0.02),
    }, choices={"vgg16": "vgg-16", "vgg": "vgg-16", "resnet50": "resnet-50",
                "resnet": "resnet-50"}),
    "05a.1": Quiz("a lazy test", {
        "recall": Part(1, (M("precision", 0.3, "0.3 is its precision: recall is TP / "
                                               "ill people, and no ill person is missed."),
                           M("zero", 0, "it says 'ill' to every ill person."))),
        "specificity": Part(0, (
            M("swapped", 1, "specificity is TN / healthy: every healthy person gets 'ill'."),
            M("prevalence", 0.7, "0.7 is the fraction healthy; none gets 'healthy'."))),
        "precision": Part(0.3, (
            M("recall", 1, "that is recall; precision is TP / (TP + FP) = 6/20."),
            M("healthy", 0.7, "0.7 is the fraction healthy: precision is the fraction ill."))),
    }),
    "05a.2": Quiz("macro recall against accuracy", {"answer": Part("macro recall", (
        M("accuracy", "accuracy", "accuracy is dominated by the frequent class: 0.99 for "
                                  "ignoring every ill person."),
        M("micro", "micro recall", "micro recall over both classes equals accuracy, 0.99: "
                                   "it weights classes by their size.")))},
        choices={"balanced accuracy": "macro recall", "macro": "macro recall"}),
    "05a.3": Quiz("a rare disease", {"answer": Part(99 / 1098, (
        M("sensitivity", 0.99, "0.99 is P(positive | ill); asked is P(ill | positive): "
                               "the base rate of 1 in 1,000 was neglected."),
        M("prevalence", 0.001, "that is the prevalence before the test."),
        M("false positive rate", 0.01, "that is the false positive rate.")), rtol=0.05)}),
    "05a.4": Quiz("chance level of top-k", {
        "top1": Part(0.9, (M("accuracy", 0.1, "0.1 is the accuracy; the error is 1 - 0.1."),
                           M("all", 1, "a random guess is right 1 time in 10."))),
        "top5": Part(0.5, (
            M("independent", 0.9 ** 5, "the five guesses are five different classes, not "
                                       "five independent draws: 1 - 5/10."),
            M("accuracy", 0.05, "5 guesses of 10 classes miss half the time."))),
    }),
    "05b.2": Quiz("choosing by the operating point", {"answer": Part("b", (
        M("higher AP", "a", "AP averages over recalls you do not use; at recall 0.95 B is "
                            "more precise."),
        M("either", "either", "not a tie: at your operating point, recall 0.95, B is more "
                              "precise; AP is an average over all recalls.")))}),
}

QUIZZES.update({k: Quiz(*v) for k, v in quiz_04d.QUIZZES.items()})   # lesson 04d

_NOT_GIVEN = object()


def check_quiz(quiz_id, answer=_NOT_GIVEN, *, quiet=False, **parts):
    """Check a quiz answer: print right, or the misconception that gives it.

    Parameters
    ----------
    quiz_id : str
        The quiz id as in the notebook, e.g. ``"02a.3"`` (``**Quiz 02a.3**``).
    answer : number, tuple, list or str, optional
        The answer of a one-part quiz (a number, a shape such as ``(16, 3, 5, 5)``, a list
        of numbers or a choice such as ``"b"``).
    **parts
        The answers of a quiz with several parts, by name (e.g. ``stride_2=3``); any
        subset. ``check_quiz(quiz_id)`` alone lists the parts.
    quiet : bool
        If True, print nothing (for hidden tests and the class report).

    Returns
    -------
    list of Verdict
        One verdict per part checked (``correct``, ``mistake`` name, ``message``).

    Raises
    ------
    ValueError
        If ``quiz_id`` is not a quiz with a check, or a part name is unknown.

    Examples
    --------
    >>> _ = check_quiz("02a.2", padded=26)
    ✘ Quiz 02a.2, padded: 26 — the padding was counted once; it is added on both sides: + 2P.
    """
    if not isinstance(quiz_id, str) or quiz_id not in QUIZZES:
        raise ValueError(f"quiz_id must be one of the quizzes with a check "
                         f"({', '.join(QUIZZES)}), got {quiz_id!r}")
    quiz = QUIZZES[quiz_id]
    if answer is not _NOT_GIVEN:
        if "answer" not in quiz.parts:
            raise ValueError(f"quiz {quiz_id} has several parts: pass them by name, "
                             f"e.g. check_quiz({quiz_id!r}, {next(iter(quiz.parts))}=...); "
                             f"its parts: {', '.join(quiz.parts)}")
        parts = {"answer": answer, **parts}
    return check_parts(f"Quiz {quiz_id}", quiz.parts, parts, quiz.choices, quiet)


# The quizzes of the other lessons, one module per lesson, one line each. They import
# Quiz from this module, so they are registered after everything above is defined.
QUIZZES.update(import_module(".quiz_00", __package__).QUIZZES)
QUIZZES.update(import_module(".quiz_04b", __package__).QUIZZES)
QUIZZES.update(import_module(".quiz_05", __package__).QUIZZES)
QUIZZES.update(import_module(".quiz_06", __package__).QUIZZES)
QUIZZES.update(import_module(".quiz_10", __package__).QUIZZES)
