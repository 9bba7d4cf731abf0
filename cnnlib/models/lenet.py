"""LeNet-5: the course's modern version and LeCun et al.'s 1998 original.

Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
document recognition", Proc. IEEE 86(11), 1998. The original has 60,000 trainable
parameters; trained with randomly distorted copies of the training images it
reaches 0.8% test error on MNIST (0.95% without them), and the paper shows the
82 test digits it misclassifies (its figure 8).
"""
import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_input, check_positive_int

__all__ = ["LeNet5", "LeNet5Classic", "lenet5", "lenet5_classic"]


class LeNet5(nn.Module):
    """The course's LeNet-5: ReLU, max pooling, 28x28 input, 61,706 parameters.

    ==========  ==========================  ==================  ==========
    layer       what                        output (per image)  parameters
    ==========  ==========================  ==================  ==========
    features.0  conv 6 @ 5x5, padding 2     (6, 28, 28)         156
    features.1  ReLU
    features.2  max pool 2x2, stride 2      (6, 14, 14)
    features.3  conv 16 @ 5x5               (16, 10, 10)        2,416
    features.4  ReLU
    features.5  max pool 2x2, stride 2      (16, 5, 5)
    (flatten)   channel-major, as torch     (400,)
    classifier.0  linear 400 -> 120         (120,)              48,120
    classifier.1  ReLU
    classifier.2  linear 120 -> 84          (84,)               10,164
    classifier.3  ReLU
    classifier.4  linear 84 -> 10           (10,)               850
    ==========  ==========================  ==================  ==========

    ``model.parameters()`` (and ``state_dict()``) yield, in this order:
    ``features.0.weight (6, 1, 5, 5)``, ``features.0.bias (6,)``,
    ``features.3.weight (16, 6, 5, 5)``, ``features.3.bias (16,)``,
    ``classifier.0.weight (120, 400)``, ``classifier.0.bias (120,)``,
    ``classifier.2.weight (84, 120)``, ``classifier.2.bias (84,)``,
    ``classifier.4.weight (10, 84)``, ``classifier.4.bias (10,)``.
    Linear weights are ``(out_features, in_features)`` (``y = x @ W.T + b``) and
    the flatten keeps torch's ``(C, H, W)`` order, so a NumPy copy of the network
    computes the same function with these arrays.

    Parameters
    ----------
    num_classes : int
    in_channels : int
        1 for grey images.
    """

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        """``(N, in_channels, 28, 28)`` images -> ``(N, num_classes)`` logits."""
        check_input(x, "lenet5", self.in_channels, (28, 28))
        return self.classifier(torch.flatten(self.features(x), 1))


def lenet5(num_classes=10, in_channels=1, **kwargs):
    """The course's LeNet-5 for 28x28 images (61,706 parameters); see :class:`LeNet5`.

    Every other option of :class:`LeNet5` passes through ``**kwargs``.
    """
    return LeNet5(num_classes=num_classes, in_channels=in_channels, **kwargs)


# --------------------------------------------------------------------------- 1998
class ScaledTanh(nn.Module):
    """The 1998 squashing function ``f(a) = A tanh(S a)`` with ``A = 1.7159``, ``S = 2/3``.

    Chosen so that ``f(1) = 1`` and ``f(-1) = -1``: the targets ±1 sit where the
    curvature of ``f`` is largest, not in its flat saturated tails.
    """

    A = 1.7159
    S = 2 / 3

    def forward(self, a):
        return self.A * torch.tanh(self.S * a)


class Subsampling(nn.Module):
    """LeNet's trainable subsampling (S2, S4): ``coef[c] * (sum of a 2x2 block) + bias[c]``.

    Two parameters per feature map; the squashing function follows in the network.
    Input ``(N, C, H, W)``, output ``(N, C, H/2, W/2)``.
    """

    kernel_size = stride = (2, 2)

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels))
        self.bias = nn.Parameter(torch.empty(channels))

    def forward(self, x):
        block_sum = 4 * F.avg_pool2d(x, kernel_size=2, stride=2)
        return self.weight[:, None, None] * block_sum + self.bias[:, None, None]


# Table I of the paper: the S2 maps (0..5) that each of the 16 C3 maps reads.
# Six maps see 3 neighbouring maps, six see 4 neighbouring, three see 4
# non-neighbouring and the last sees all six: 60 connections.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class ConnectionTableConv2d(nn.Module):
    """A convolution in which output map ``o`` reads only the input maps ``table[o]`` (C3).

    The paper gives two reasons: fewer connections (1,516 parameters instead of
    2,416), and breaking the symmetry so that different maps are forced to
    extract different features. One ``kernel_size x kernel_size`` kernel is stored
    per connection, ``weight`` of shape ``(connections, kH, kW)``; the forward pass
    places them in a dense ``(C_out, C_in, kH, kW)`` kernel, zero where the table
    has no connection, and convolves as usual.
    """

    def __init__(self, in_channels, table, kernel_size):
        super().__init__()
        out_idx = [o for o, inputs in enumerate(table) for _ in inputs]
        in_idx = [i for inputs in table for i in inputs]
        self.in_channels, self.out_channels = in_channels, len(table)
        self.kernel_size = (kernel_size, kernel_size)
        self.stride, self.padding, self.dilation = (1, 1), (0, 0), (1, 1)
        self.register_buffer("out_idx", torch.tensor(out_idx), persistent=False)
        self.register_buffer("in_idx", torch.tensor(in_idx), persistent=False)
        self.weight = nn.Parameter(torch.empty(len(in_idx), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(len(table)))

    def dense_weight(self):
        """The kernel ``(C_out, C_in, kH, kW)`` with zeros for missing connections."""
        dense = self.weight.new_zeros(self.out_channels, self.in_channels, *self.kernel_size)
        dense[self.out_idx, self.in_idx] = self.weight
        return dense

    def forward(self, x):
        return F.conv2d(x, self.dense_weight(), self.bias)

    def macs(self, output):
        """Multiply-accumulates per image: only the connected maps are computed."""
        return output[0, 0].numel() * self.weight.numel()


class RBFOutput(nn.Module):
    """The 1998 output layer: a Euclidean radial basis function unit per class.

    ``y_i = sum_j (x_j - w_ij)^2``: the squared distance of the 84 F6 outputs to
    a fixed code ``w_i`` in {-1, +1}^84, a stylised 7x12 bitmap of digit ``i``.
    The codes are a buffer, not parameters: the paper kept them fixed.

    ``forward`` returns ``-y`` so that, as for every other model of the course,
    the largest score is the predicted class; cross-entropy on ``-y`` is the
    paper's MAP criterion without its constant ``e^{-j}`` term.
    """

    BITMAPS = {
        0: ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#",
            "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
        1: ("...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...",
            "...#...", "...#...", "...#...", "...#...", "...#...", ".#####."),
        2: ("..###..", ".#...#.", "#.....#", "......#", ".....#.", "....#..",
            "...#...", "..#....", ".#.....", "#......", "#......", "#######"),
        3: (".#####.", "#.....#", "......#", "......#", ".....#.", "..###..",
            ".....#.", "......#", "......#", "......#", "#.....#", ".#####."),
        4: (".....#.", "....##.", "...#.#.", "..#..#.", ".#...#.", "#....#.",
            "#######", ".....#.", ".....#.", ".....#.", ".....#.", ".....#."),
        5: ("#######", "#......", "#......", "#......", "######.", "......#",
            "......#", "......#", "......#", "......#", "#.....#", ".#####."),
        6: ("..####.", ".#.....", "#......", "#......", "#.###..", "##...#.",
            "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
        7: ("#######", "......#", ".....#.", ".....#.", "....#..", "....#..",
            "...#...", "...#...", "..#....", "..#....", "..#....", "..#...."),
        8: ("..###..", ".#...#.", "#.....#", "#.....#", ".#...#.", "..###..",
            ".#...#.", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
        9: ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", ".#...##",
            "..###.#", "......#", "......#", ".....#.", "....#..", ".###..."),
    }

    def __init__(self):
        super().__init__()
        codes = [[1.0 if ch == "#" else -1.0 for row in self.BITMAPS[d] for ch in row]
                 for d in range(10)]
        self.register_buffer("codes", torch.tensor(codes))

    def forward(self, x):
        """``(N, 84)`` -> ``(N, 10)`` scores, minus the squared distance to each code."""
        return -torch.cdist(x, self.codes).pow(2)


class LeNet5Classic(nn.Module):
    """LeNet-5 as published in 1998: 32x32 input, exactly 60,000 trainable parameters.

    ======  ==============================================  ===========  ==========
    layer   what                                            output       parameters
    ======  ==============================================  ===========  ==========
    c1      conv 6 @ 5x5                                    (6, 28, 28)  156
    s2      subsampling 2x2: coefficient and bias per map   (6, 14, 14)  12
    c3      conv 16 @ 5x5 over the maps of Table I          (16, 10, 10) 1,516
    s4      subsampling 2x2                                 (16, 5, 5)   32
    c5      conv 120 @ 5x5 (fully connected to S4)          (120, 1, 1)  48,120
    f6      linear 120 -> 84                                (84,)        10,164
    output  RBF units, fixed ±1 codes (not trainable)       (10,)        0
    ======  ==============================================  ===========  ==========

    Every layer up to F6 is followed by the scaled tanh :class:`ScaledTanh`. The
    weights start uniform in ``[-2.4/F, 2.4/F]`` with ``F`` the fan-in of the
    unit, as in the paper. The MNIST digits (28x28) were centred in the 32x32
    field: pad them by 2 pixels (``F.pad(x, (2, 2, 2, 2))``).
    """

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.s2 = Subsampling(6)
        self.c3 = ConnectionTableConv2d(6, C3_TABLE, kernel_size=5)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)
        self.f6 = nn.Linear(120, 84)
        self.output = RBFOutput()
        self.squash = ScaledTanh()
        self._init_weights()

    def _init_weights(self):
        fan_in = {self.c1: 25, self.s2: 4, self.s4: 4, self.c5: 16 * 25, self.f6: 120}
        for layer, f in fan_in.items():
            for p in layer.parameters():
                nn.init.uniform_(p, -2.4 / f, 2.4 / f)
        # C3: a unit's fan-in is 25 times the number of maps its column of Table I reads.
        counts = torch.bincount(self.c3.out_idx, minlength=16).float() * 25
        with torch.no_grad():
            bound = (2.4 / counts)
            self.c3.weight.uniform_(-1, 1).mul_(bound[self.c3.out_idx][:, None, None])
            self.c3.bias.uniform_(-1, 1).mul_(bound)

    def forward(self, x):
        """``(N, 1, 32, 32)`` images -> ``(N, 10)`` scores (minus RBF distances)."""
        check_input(x, "lenet5_classic", 1, (32, 32))
        f = self.squash
        x = f(self.s2(f(self.c1(x))))
        x = f(self.s4(f(self.c3(x))))
        x = f(self.c5(x)).flatten(1)
        return self.output(f(self.f6(x)))


def lenet5_classic():
    """LeNet-5 of LeCun et al. (1998) for 32x32 images; see :class:`LeNet5Classic`."""
    return LeNet5Classic()
