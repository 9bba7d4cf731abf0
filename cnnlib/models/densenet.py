"""DenseNet (Huang, Liu, van der Maaten, Weinberger 2017): every layer sees all earlier ones.

G. Huang et al., "Densely Connected Convolutional Networks", CVPR 2017. Inside a
dense block, layer ``l`` receives the concatenation of the block input and the
outputs of layers ``1 .. l-1`` and adds only ``growth_rate`` (k = 32) new
channels. Features are reused instead of recomputed, so the network is narrow
and has few parameters: DenseNet-121 has 8.0M, a third of ResNet-50's 25.6M, at
similar ImageNet accuracy.

This is DenseNet-BC: each layer first reduces its input with a 1x1 convolution
to ``bn_size * k`` channels (B, bottleneck), and each transition halves the
channels (C, compression 0.5) and the resolution. Names and shapes of the
parameters are torchvision's, so its ImageNet weights load with ``load_state_dict``.
"""
from collections import OrderedDict

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_input, check_positive_int, is_meta

__all__ = ["DenseNet", "densenet121", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-conv1x1 (to ``bn_size * k`` channels), BN-ReLU-conv3x3 (to ``k``)."""

    def __init__(self, in_channels, growth_rate, bn_size):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1,
                               bias=False)

    def forward(self, features):
        """``features``: list of ``(N, C_i, H, W)`` -> the ``(N, k, H, W)`` new channels."""
        x = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
        return self.conv2(self.relu2(self.norm2(x)))


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers; output ``(N, C + num_layers * k, H, W)``."""

    def __init__(self, num_layers, in_channels, bn_size, growth_rate):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}",
                            _DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size))

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-conv1x1 halving the channels, then 2x2 average pool halving H and W."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC for 224x224 images.

    Parameters
    ----------
    growth_rate : int
        ``k``, the channels each layer adds.
    block_config : sequence of 4 int
        Layers per dense block, e.g. ``(6, 12, 24, 16)`` for DenseNet-121.
    num_init_features : int
        Channels of the 7x7 stem convolution.
    bn_size : int
        Bottleneck width factor: the 1x1 convolution outputs ``bn_size * k`` channels.
    num_classes, in_channels : int

    Input ``(N, in_channels, H, W)``, output ``(N, num_classes)``.
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, num_classes=1000, in_channels=3):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        self.in_channels = in_channels
        self.num_transitions = len(block_config) - 1
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2,
                                padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}",
                                     _DenseBlock(num_layers, channels, bn_size, growth_rate))
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(channels, channels // 2))
                channels //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        if is_meta(self):    # built to be measured only: no values to initialise
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        # The stem (stride-2 conv, stride-2 pool) takes H to ceil(H / 4), and each
        # of the T transitions halves it (rounding down): H >= 4 * 2**T - 3 leaves 1 pixel.
        t = self.num_transitions
        check_input(x, "DenseNet", self.in_channels, min_size=4 * 2 ** t - 3,
                    why=f"its stem divides the size by 4 and its {t} transitions halve it")
        x = F.relu(self.features(x))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))


def densenet121(num_classes=1000, in_channels=3, **kwargs):
    """DenseNet-121: blocks (6, 12, 24, 16), k = 32, 8.0M parameters.

    Every other option of :class:`DenseNet` passes through ``**kwargs``.
    """
    return DenseNet(32, (6, 12, 24, 16), 64, 4, num_classes=num_classes, in_channels=in_channels,
                    **kwargs)


def densenet169(num_classes=1000, in_channels=3, **kwargs):
    """DenseNet-169: blocks (6, 12, 32, 32), k = 32, 14.1M parameters.

    Every other option of :class:`DenseNet` passes through ``**kwargs``.
    """
    return DenseNet(32, (6, 12, 32, 32), 64, 4, num_classes=num_classes, in_channels=in_channels,
                    **kwargs)


def densenet201(num_classes=1000, in_channels=3, **kwargs):
    """DenseNet-201: blocks (6, 12, 48, 32), k = 32, 20.0M parameters.

    Every other option of :class:`DenseNet` passes through ``**kwargs``.
    """
    return DenseNet(32, (6, 12, 48, 32), 64, 4, num_classes=num_classes, in_channels=in_channels,
                    **kwargs)
