"""MobileNet v1 (Howard et al. 2017): depthwise separable convolutions.

A. G. Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", 2017. A standard ``k x k`` convolution from ``M``
to ``N`` channels costs ``k^2 M N`` weights (and multiply-accumulates per output
pixel). MobileNet factors it into a depthwise ``k x k`` convolution, one filter
per input channel (``groups = M``: ``k^2 M``), and a pointwise 1x1 convolution
mixing channels (``M N``): a fraction ``1/N + 1/k^2`` of the cost, about 1/8 to
1/9 for 3x3 kernels. At width 1.0 the network has 4.2M parameters and 569M
multiply-accumulates (the paper's table 4, 70.6% ImageNet top-1).

torchvision has no MobileNet v1, so the names here are our own.
"""
from torch import nn

from ._checks import check_input, check_positive_int, check_positive_real, is_meta

__all__ = ["MobileNetV1", "DepthwiseSeparable", "MOBILENET_V1_CONFIG", "mobilenet_v1"]

# (output channels, stride) of the 13 depthwise separable layers (the paper's table 1).
MOBILENET_V1_CONFIG = [
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
]


def _conv_bn(in_channels, out_channels, kernel_size, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                  padding=kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DepthwiseSeparable(nn.Sequential):
    """3x3 depthwise convolution + BN + ReLU, then 1x1 pointwise convolution + BN + ReLU.

    ``(N, in_channels, H, W)`` -> ``(N, out_channels, H/stride, W/stride)``.
    """

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.depthwise = _conv_bn(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = _conv_bn(in_channels, out_channels, 1)


class MobileNetV1(nn.Module):
    """MobileNet v1 for 224x224 images.

    Parameters
    ----------
    num_classes : int
    width_multiplier : float
        ``alpha`` of the paper: every layer has ``alpha`` times the channels
        (parameters and cost shrink by about ``alpha^2``).
    in_channels : int
    dropout : float
        Dropout before the classifier (0 as in the paper's table).
    """

    def __init__(self, num_classes=1000, width_multiplier=1.0, in_channels=3, dropout=0.0):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        check_positive_real(width_multiplier, "width_multiplier")
        self.in_channels = in_channels

        def width(c):
            return max(1, int(c * width_multiplier))

        layers = [_conv_bn(in_channels, width(32), 3, stride=2)]
        channels = width(32)
        for out, stride in MOBILENET_V1_CONFIG:
            layers.append(DepthwiseSeparable(channels, width(out), stride))
            channels = width(out)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(channels, num_classes))
        if is_meta(self):    # built to be measured only: no values to initialise
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        check_input(x, "mobilenet_v1", self.in_channels)
        return self.classifier(self.avgpool(self.features(x)))


def mobilenet_v1(num_classes=1000, width_multiplier=1.0, in_channels=3, **kwargs):
    """MobileNet v1: 4,231,976 parameters at width 1.0 with 1000 classes.

    See :class:`MobileNetV1`; every other option of it passes through ``**kwargs``.
    """
    return MobileNetV1(num_classes, width_multiplier, in_channels, **kwargs)
