"""GoogLeNet (Inception v1; Szegedy et al. 2014): parallel branches and 1x1 reductions.

C. Szegedy et al., "Going Deeper with Convolutions", CVPR 2015. Winner of
ILSVRC 2014 classification (6.67% top-5 error) with 6.6M parameters, a
twentieth of VGG-16's.

An Inception module runs four branches on the same input and concatenates
their outputs along the channels: a 1x1 convolution, a 1x1 reduction followed
by a 3x3, a 1x1 reduction followed by a 5x5, and a 3x3 max pool followed by a
1x1 projection. The 1x1 reductions make the wide 3x3 and 5x5 convolutions
affordable: 192 channels into 128 through a 3x3 cost ``192*3*3*128 = 221,184``
weights directly, but ``192*16 + 16*3*3*128 = 21,504`` through a 16-channel
1x1 bottleneck.

Names and shapes of the parameters are torchvision's (which adds batch
normalisation to every convolution, published later in Inception v2), so its
ImageNet weights load with ``load_state_dict``. torchvision also uses a 3x3
convolution where the paper has the 5x5 (its pretrained weights were trained
that way); ``five_by_five=True`` builds the paper's 5x5 instead.
"""
from collections import namedtuple

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_input, check_positive_int, is_meta

__all__ = ["GoogLeNet", "Inception", "InceptionAux", "BasicConv2d", "GoogLeNetOutputs",
           "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """Convolution (no bias: the BatchNorm's shift replaces it), BatchNorm, ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """One Inception module; the arguments are the columns of the paper's table 1.

    Input ``(N, in_channels, H, W)``, output ``(N, ch1x1 + ch3x3 + ch5x5 +
    pool_proj, H, W)``.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 five_by_five=False):
        super().__init__()
        k = 5 if five_by_five else 3
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=k, padding=k // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate feature map (training only).

    The paper adds its loss with weight 0.3 to push gradient into the lower
    layers of the 22-layer network.
    """

    def __init__(self, in_channels, num_classes, dropout=0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))          # (N, 128, 4, 4)
        x = F.relu(self.fc1(torch.flatten(x, 1)), inplace=True)  # (N, 1024)
        return self.fc2(self.dropout(x))


class GoogLeNet(nn.Module):
    """GoogLeNet for 224x224 RGB images.

    Parameters
    ----------
    num_classes : int
    aux_logits : bool
        Build the two auxiliary classifiers. In training mode the forward pass
        then returns ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``; in eval
        mode always the logits ``(N, num_classes)``.
    five_by_five : bool
        The paper's 5x5 convolutions in the third branch instead of torchvision's 3x3.
    dropout, dropout_aux : float
    """

    def __init__(self, num_classes=1000, aux_logits=False, five_by_five=False, dropout=0.2,
                 dropout_aux=0.7):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        self.aux_logits = aux_logits
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        inc = lambda *channels: Inception(*channels, five_by_five=five_by_five)  # noqa: E731
        self.inception3a = inc(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inc(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inc(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inc(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inc(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inc(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inc(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inc(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inc(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if is_meta(self):    # built to be measured only: no values to initialise
            return
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        # conv1 and maxpool1..2 (stride 2 each) take 15 pixels to 2, the least
        # maxpool3 can pool (torchvision's GoogLeNet has the same limit).
        check_input(x, "googlenet", 3, min_size=15,
                    why="its stride-2 stem and poolings must leave maxpool3 a pixel to pool")
        x = self.maxpool1(self.conv1(x))                   # (N, 64, 56, 56)
        x = self.maxpool2(self.conv3(self.conv2(x)))       # (N, 192, 28, 28)
        x = self.maxpool3(self.inception3b(self.inception3a(x)))   # (N, 480, 14, 14)
        x = self.inception4a(x)                            # (N, 512, 14, 14)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (N, 528, 14, 14)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))             # (N, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))          # (N, 1024, 7, 7)
        x = torch.flatten(self.avgpool(x), 1)
        x = self.fc(self.dropout(x))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(num_classes=1000, **kwargs):
    """GoogLeNet (Inception v1) for 224x224 RGB images; see :class:`GoogLeNet`.

    Every other option of :class:`GoogLeNet` passes through ``**kwargs``.
    """
    return GoogLeNet(num_classes=num_classes, **kwargs)
