"""Residual networks (He, Zhang, Ren, Sun 2015): learn a change, not a mapping.

K. He et al., "Deep Residual Learning for Image Recognition", CVPR 2016. Winner
of ILSVRC 2015 classification with 3.57% top-5 error (an ensemble).

A residual block computes ``relu(F(x) + shortcut(x))``: the layers ``F`` learn
only the change to their input, and the identity path lets the signal and its
gradient pass through a deep stack unchanged. Without the shortcut ("plain"
networks) training error grows with depth beyond about 20 layers, the
degradation problem this design solves.

Two families:

* ImageNet ResNets (``resnet18`` ... ``resnet152``, table 1 of the paper) with
  torchvision's parameter names and shapes, so its ImageNet weights load with
  ``load_state_dict``. As in torchvision, a bottleneck block that halves the
  resolution does so in its 3x3 convolution, not in the first 1x1 (this
  variant is known as ResNet v1.5; the paper strides the 1x1).
* CIFAR ResNets (``resnet20`` ... ``resnet110``, section 4.2): 3 stages of
  ``n`` basic blocks with 16, 32, 64 channels on 32x32 images, depth ``6n + 2``,
  "option A" shortcuts that add no parameters. They take any image size, so they
  also run on 28x28 MNIST on a CPU; ``residual=False`` builds the plain network
  of the same depth for the degradation experiment.
"""
import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_input, check_ints, check_positive_int, is_meta

__all__ = ["BasicBlock", "Bottleneck", "ShortcutA", "ResNet", "CifarResNet",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]


def conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                     bias=False)


def conv1x1(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut: ``relu(bn(conv(relu(bn(conv(x))))) + x)``.

    Parameters
    ----------
    in_channels, channels : int
    stride : int
        2 halves the resolution (in the first convolution).
    downsample : nn.Module, optional
        Maps ``x`` to the shape of the block's output when they differ (a 1x1
        convolution with BatchNorm, or :class:`ShortcutA`).
    residual : bool
        False drops the shortcut: a "plain" block.
    """

    expansion = 1

    def __init__(self, in_channels, channels, stride=1, downsample=None, residual=True):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels, stride)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample
        self.residual = residual

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) with a shortcut: the block of ResNet-50 and deeper.

    The 1x1 convolutions shrink 256 channels to 64 for the 3x3 and back, so a
    block costs about as much as a basic block on 64 channels while the network
    stays 256 channels wide between blocks.
    """

    expansion = 4

    def __init__(self, in_channels, channels, stride=1, downsample=None, residual=True):
        super().__init__()
        self.conv1 = conv1x1(in_channels, channels)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels, stride)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = conv1x1(channels, channels * self.expansion)
        self.bn3 = nn.BatchNorm2d(channels * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.residual = residual

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class ShortcutA(nn.Module):
    """The paper's option A shortcut: subsample by ``stride``, zero-pad the new channels.

    No parameters: ``(N, C, H, W)`` -> ``(N, out_channels, H/stride, W/stride)``,
    the first ``C`` channels are ``x[:, :, ::stride, ::stride]``, the rest zeros.
    """

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.extra, self.stride = out_channels - in_channels, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


class ResNet(nn.Module):
    """An ImageNet ResNet: 7x7 stem, four stages of blocks, global average pool, linear.

    Parameters
    ----------
    block : BasicBlock or Bottleneck
    layers : sequence of 4 int
        Blocks per stage, e.g. ``(3, 4, 6, 3)`` for ResNet-50.
    num_classes, in_channels : int
    residual : bool
        False gives the plain network of the same depth (no shortcuts).

    Input ``(N, in_channels, H, W)`` (224x224 in the paper), output ``(N, num_classes)``.
    """

    def __init__(self, block, layers, num_classes=1000, in_channels=3, residual=True):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        self.in_channels, self.residual = in_channels, residual
        self._width = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_stage(block, 64, layers[0], stride=1)
        self.layer2 = self._make_stage(block, 128, layers[1], stride=2)
        self.layer3 = self._make_stage(block, 256, layers[2], stride=2)
        self.layer4 = self._make_stage(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_weights(self)

    def _make_stage(self, block, channels, blocks, stride):
        downsample = None
        if self.residual and (stride != 1 or self._width != channels * block.expansion):
            # Option B: a strided 1x1 convolution matches shape where it changes.
            downsample = nn.Sequential(conv1x1(self._width, channels * block.expansion, stride),
                                       nn.BatchNorm2d(channels * block.expansion))
        stage = [block(self._width, channels, stride, downsample, self.residual)]
        self._width = channels * block.expansion
        stage += [block(self._width, channels, residual=self.residual) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x):
        check_input(x, "ResNet", self.in_channels)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))   # (N, 64, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 512 e, H/32, W/32)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class CifarResNet(nn.Module):
    """The CIFAR-10 ResNet of section 4.2: 3x3 stem, three stages, average pool, linear.

    Parameters
    ----------
    blocks : sequence of int
        Basic blocks per stage; ``(n, n, n)`` gives depth ``6n + 2``.
    widths : sequence of int
        Channels per stage; the paper uses ``(16, 32, 64)``. Each stage after
        the first halves the resolution.
    num_classes, in_channels : int
    residual : bool
        False drops every shortcut: the paper's plain network of the same depth.

    Input ``(N, in_channels, H, W)`` of any size (32x32 in the paper, 28x28 for
    MNIST), output ``(N, num_classes)``.
    """

    def __init__(self, blocks=(3, 3, 3), widths=(16, 32, 64), num_classes=10, in_channels=3,
                 residual=True):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        blocks, widths = check_ints(blocks, "blocks"), check_ints(widths, "widths")
        if len(blocks) != len(widths):
            raise ValueError(f"blocks and widths need one entry per stage, got {len(blocks)} "
                             f"and {len(widths)}")
        self.in_channels = in_channels
        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        stages, width = [], widths[0]
        for i, (n, channels) in enumerate(zip(blocks, widths)):
            check_positive_int(n, "blocks per stage")
            stride = 1 if i == 0 else 2
            shortcut = (ShortcutA(width, channels, stride)
                        if residual and (stride != 1 or width != channels) else None)
            stage = [BasicBlock(width, channels, stride, shortcut, residual)]
            stage += [BasicBlock(channels, channels, residual=residual) for _ in range(1, n)]
            stages.append(nn.Sequential(*stage))
            width = channels
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width, num_classes)
        _init_weights(self)

    def forward(self, x):
        check_input(x, "CifarResNet", self.in_channels)
        x = self.stages(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _init_weights(model):
    if is_meta(model):    # built to be measured only: no values to initialise
        return
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def resnet18(num_classes=1000, in_channels=3, **kwargs):
    """ResNet-18: basic blocks (2, 2, 2, 2), 11.7M parameters.

    Every other option of :class:`ResNet` passes through ``**kwargs``.
    """
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes, in_channels=in_channels,
                  **kwargs)


def resnet34(num_classes=1000, in_channels=3, **kwargs):
    """ResNet-34: basic blocks (3, 4, 6, 3), 21.8M parameters.

    Every other option of :class:`ResNet` passes through ``**kwargs``.
    """
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes=num_classes, in_channels=in_channels,
                  **kwargs)


def resnet50(num_classes=1000, in_channels=3, **kwargs):
    """ResNet-50: bottleneck blocks (3, 4, 6, 3), 25.6M parameters.

    Every other option of :class:`ResNet` passes through ``**kwargs``.
    """
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, in_channels=in_channels,
                  **kwargs)


def resnet101(num_classes=1000, in_channels=3, **kwargs):
    """ResNet-101: bottleneck blocks (3, 4, 23, 3), 44.5M parameters.

    Every other option of :class:`ResNet` passes through ``**kwargs``.
    """
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes=num_classes, in_channels=in_channels,
                  **kwargs)


def resnet152(num_classes=1000, in_channels=3, **kwargs):
    """ResNet-152: bottleneck blocks (3, 8, 36, 3), 60.2M parameters.

    Every other option of :class:`ResNet` passes through ``**kwargs``.
    """
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes=num_classes, in_channels=in_channels,
                  **kwargs)


def resnet20(num_classes=10, in_channels=3, **kwargs):
    """CIFAR ResNet-20 (n = 3): 0.27M parameters.

    Every other option of :class:`CifarResNet` passes through ``**kwargs``.
    """
    return CifarResNet((3, 3, 3), (16, 32, 64), num_classes=num_classes, in_channels=in_channels,
                       **kwargs)


def resnet32(num_classes=10, in_channels=3, **kwargs):
    """CIFAR ResNet-32 (n = 5): 0.46M parameters.

    Every other option of :class:`CifarResNet` passes through ``**kwargs``.
    """
    return CifarResNet((5, 5, 5), (16, 32, 64), num_classes=num_classes, in_channels=in_channels,
                       **kwargs)


def resnet44(num_classes=10, in_channels=3, **kwargs):
    """CIFAR ResNet-44 (n = 7): 0.66M parameters.

    Every other option of :class:`CifarResNet` passes through ``**kwargs``.
    """
    return CifarResNet((7, 7, 7), (16, 32, 64), num_classes=num_classes, in_channels=in_channels,
                       **kwargs)


def resnet56(num_classes=10, in_channels=3, **kwargs):
    """CIFAR ResNet-56 (n = 9): 0.85M parameters.

    Every other option of :class:`CifarResNet` passes through ``**kwargs``.
    """
    return CifarResNet((9, 9, 9), (16, 32, 64), num_classes=num_classes, in_channels=in_channels,
                       **kwargs)


def resnet110(num_classes=10, in_channels=3, **kwargs):
    """CIFAR ResNet-110 (n = 18): 1.7M parameters.

    Every other option of :class:`CifarResNet` passes through ``**kwargs``.
    """
    return CifarResNet((18, 18, 18), (16, 32, 64), num_classes=num_classes, in_channels=in_channels,
                       **kwargs)
