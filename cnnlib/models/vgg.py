"""VGG (Simonyan and Zisserman 2014): deep stacks of 3x3 convolutions.

K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015. Second in ILSVRC 2014 classification (7.3% top-5
error). The networks are written as data, one list per column of the paper's
table 1: numbers are 3x3 convolutions with that many output channels (padding 1,
ReLU), ``"M"`` is a 2x2 max pool with stride 2, and a pair ``(channels, 1)`` is a
1x1 convolution (configuration C only, ``conv1-256`` and ``conv1-512`` in the table).
Configuration A-LRN is A with local response normalisation (as in AlexNet) after
its first convolution; the paper found it did not help (its table 3) and used it
nowhere else, so it is not written out here.

The argument for 3x3: three stacked 3x3 convolutions see a 7x7 window of the
input (receptive field 7) with ``3 * 9 c^2 = 27 c^2`` weights for ``c`` channels
in and out, where one 7x7 convolution needs ``49 c^2``, and they put three
ReLUs where there would be one.

Names and shapes of the parameters are torchvision's, so
``model.load_state_dict(torchvision.models.vgg16(weights=...).state_dict())``
loads its ImageNet weights.
"""
import torch
from torch import nn

from ._checks import check_input, check_positive_int, is_meta

__all__ = ["VGG", "CONFIGS", "make_layers", "vgg11", "vgg13", "vgg16c", "vgg16", "vgg19",
           "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]

CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],                 # VGG-11
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],         # VGG-13
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M",
          512, 512, (512, 1), "M"],                                  # VGG-16 with 1x1
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],                                                              # VGG-16
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],                                                         # VGG-19
}


def make_layers(cfg, batch_norm=False, in_channels=3):
    """The convolutional part of a VGG net from its configuration list.

    Parameters
    ----------
    cfg : list of int, (int, 1) or "M"
        E.g. ``CONFIGS["D"]``; ``(c, 1)`` is a 1x1 convolution to ``c`` channels.
    batch_norm : bool
        Put a BatchNorm2d between each convolution and its ReLU (the ``_bn``
        variants; not in the 2014 paper, which came before batch normalisation).
    in_channels : int

    Returns
    -------
    nn.Sequential

    Notes
    -----
    Assignment 2's ``make_vgg_layers(cfg, in_channels, batch_norm)`` builds the same
    layers, with two differences: its arguments come in another order, and with
    batch normalisation its convolutions have no bias (BatchNorm's beta is the bias).
    This function keeps the bias, as torchvision's ``vgg16_bn`` does, so that
    torchvision's weights load into it unchanged.
    """
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        v, kernel_size = v if isinstance(v, tuple) and len(v) == 2 and v[1] == 1 else (v, 3)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"cfg entries must be positive ints, (int, 1) pairs or 'M', got {v!r}")
        layers.append(nn.Conv2d(in_channels, v, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A VGG network: ``features`` (convolutions), ``avgpool`` to 7x7, ``classifier``.

    Input ``(N, in_channels, 224, 224)`` as in the paper (other sizes work: the
    adaptive average pool brings the last feature map to 7x7); output
    ``(N, num_classes)`` logits.

    Parameters
    ----------
    cfg : list of int, (int, 1) or "M"
    batch_norm : bool
    num_classes : int
    in_channels : int
    dropout : float
        Dropout probability after each of the two 4096-wide layers (paper: 0.5).
    """

    def __init__(self, cfg, batch_norm=False, num_classes=1000, in_channels=3, dropout=0.5):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        self.in_channels = in_channels
        self.features = make_layers(cfg, batch_norm, in_channels)
        self.num_pools = cfg.count("M")
        last = [v for v in cfg if v != "M"][-1]
        last = last[0] if isinstance(last, tuple) else last
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(last * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        if is_meta(self):    # built to be measured only: no values to initialise
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # He et al. 2015: variance 2/fan keeps the signal's scale through ReLUs.
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        check_input(x, "VGG", self.in_channels, min_size=2 ** self.num_pools,
                    why=f"its {self.num_pools} max-poolings halve the size {self.num_pools} times")
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def vgg11(num_classes=1000, in_channels=3, **kwargs):
    """VGG-11 (configuration A): 8 convolutions + 3 dense layers, 132.9M parameters.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["A"], False, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg13(num_classes=1000, in_channels=3, **kwargs):
    """VGG-13 (configuration B): 10 convolutions + 3 dense layers, 133.0M parameters.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["B"], False, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg16c(num_classes=1000, in_channels=3, **kwargs):
    """VGG-16 of configuration C: 133.6M parameters.

    Configuration D with a 1x1 as the last convolution of stages 3-5.

    Not in torchvision (no published weights); the paper's C is 1% worse than D
    in top-1 error (its table 3), the argument that 3x3 context beats 1x1 mixing.
    """
    return VGG(CONFIGS["C"], False, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg16(num_classes=1000, in_channels=3, **kwargs):
    """VGG-16 (configuration D): 13 convolutions + 3 dense layers, 138.4M parameters.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["D"], False, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg19(num_classes=1000, in_channels=3, **kwargs):
    """VGG-19 (configuration E): 16 convolutions + 3 dense layers, 143.7M parameters.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["E"], False, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg11_bn(num_classes=1000, in_channels=3, **kwargs):
    """VGG-11 with batch normalisation after every convolution.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["A"], True, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg13_bn(num_classes=1000, in_channels=3, **kwargs):
    """VGG-13 with batch normalisation after every convolution.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["B"], True, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg16_bn(num_classes=1000, in_channels=3, **kwargs):
    """VGG-16 with batch normalisation after every convolution.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["D"], True, num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg19_bn(num_classes=1000, in_channels=3, **kwargs):
    """VGG-19 with batch normalisation after every convolution.

    Every other option of :class:`VGG` passes through ``**kwargs``.
    """
    return VGG(CONFIGS["E"], True, num_classes=num_classes, in_channels=in_channels, **kwargs)
