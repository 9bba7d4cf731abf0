"""Small-input versions of the classic designs, sized to train on a laptop CPU.

The ImageNet networks expect 224x224 colour images and take hours per epoch on a
GPU. The same ideas at the scale of MNIST (28x28 grey images, 10 classes) train
in a minute on a CPU: a VGG-style stack of 3x3 convolutions and a ResNet of basic
blocks. Both take ``num_classes``, ``in_channels`` and (for VGG, whose dense layers
depend on it) the input size.
"""
from torch import nn
import torch

from ._checks import check_input, check_int_pair, check_positive_int
from .resnet import CifarResNet
from .vgg import make_layers

__all__ = ["SMALL_VGG_CONFIG", "VGGSmall", "vgg_small", "resnet_small"]

SMALL_VGG_CONFIG = [32, 32, "M", 64, 64, "M"]


class VGGSmall(nn.Module):
    """A VGG-style network for small images: 3x3 convolutions, 2x2 max pools, two dense layers.

    Parameters
    ----------
    num_classes, in_channels : int
    input_size : int or (int, int)
        ``(H, W)`` of the images; every ``"M"`` halves it (rounding down), and the
        first dense layer is sized for what is left.
    cfg : list of int or "M"
        As in :data:`cnnlib.models.vgg.CONFIGS`; default ``[32, 32, "M", 64, 64, "M"]``.
    batch_norm : bool
        BatchNorm after each convolution (trains faster and more reliably).
    hidden : int
        Width of the hidden dense layer.
    dropout : float
        Dropout before the last layer.

    Input ``(N, in_channels, H, W)``, output ``(N, num_classes)``.
    """

    def __init__(self, num_classes=10, in_channels=1, input_size=28, cfg=None, batch_norm=True,
                 hidden=128, dropout=0.3):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        cfg = SMALL_VGG_CONFIG if cfg is None else cfg
        if not isinstance(cfg, (list, tuple)) or not any(v != "M" for v in cfg):
            raise ValueError(f"cfg must be a list holding at least one convolution (an int "
                             f"number of kernels) besides the 'M' poolings, got {cfg!r}")
        cfg = list(cfg)
        h, w = check_int_pair(input_size, "input_size")
        pools = cfg.count("M")
        if h >> pools < 1 or w >> pools < 1:
            raise ValueError(f"input_size {h}x{w} is too small for {pools} 2x2 poolings; "
                             f"it must be at least {2 ** pools}x{2 ** pools}")
        self.in_channels, self.input_size = in_channels, (h, w)
        self.features = make_layers(cfg, batch_norm, in_channels)
        channels = [v for v in cfg if v != "M"][-1]
        self.classifier = nn.Sequential(
            nn.Linear(channels * (h >> pools) * (w >> pools), hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        check_input(x, "vgg_small", self.in_channels, self.input_size)
        return self.classifier(torch.flatten(self.features(x), 1))


def vgg_small(num_classes=10, in_channels=1, input_size=28, **kwargs):
    """A VGG-style net for 28x28 grey images (468,202 parameters); see :class:`VGGSmall`.

    Every other option of :class:`VGGSmall` passes through ``**kwargs``.
    """
    return VGGSmall(num_classes, in_channels, input_size, **kwargs)


def resnet_small(num_classes=10, in_channels=1, blocks=(1, 1, 1), widths=(16, 32, 64),
                 **kwargs):
    """A ResNet for small images: the CIFAR design of :class:`~cnnlib.models.resnet.CifarResNet`.

    The defaults give 8 layers (``2 * sum(blocks) + 2``) and 75,002 parameters for 28x28
    grey images; ``blocks=(3, 3, 3)`` is ResNet-20. ``residual=False`` builds
    the plain network of the same depth; every other option of :class:`CifarResNet`
    passes through ``**kwargs``.
    """
    return CifarResNet(blocks, widths, num_classes, in_channels, **kwargs)
