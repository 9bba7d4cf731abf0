"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) and ZFNet (Zeiler, Fergus 2013).

AlexNet won ILSVRC 2012 with 16.4% top-5 error (ensemble; 18.2% for one net),
ZFNet 2013 with 11.7%. Both are built here as their papers describe them, for
the fixed input size their fully connected layers need.
"""
import torch
from torch import nn

from ._checks import check_input, check_positive_int

__all__ = ["AlexNet", "ZFNet", "alexnet", "zfnet", "local_response_norm"]


def local_response_norm(n=5, k=2.0, alpha=1e-4, beta=0.75):
    """The paper's local response normalisation as an ``nn.LocalResponseNorm``.

    AlexNet section 3.3: ``b_c = a_c / (k + alpha * sum_{c' near c} a_{c'}^2)^beta``,
    the sum over ``n`` adjacent channels. PyTorch divides ``alpha`` by ``n`` in
    its formula, so it is given ``n * alpha`` to compute the paper's expression.
    """
    return nn.LocalResponseNorm(size=n, alpha=n * alpha, beta=beta, k=k)


def dense_head(num_classes, dropout):
    """The dense head of AlexNet and ZFNet (fc6-fc8), on the flattened pool5 output.

    Dropout, 9216 -> 4096, ReLU, dropout, 4096 -> 4096, ReLU, 4096 -> num_classes;
    input ``(N, 256 * 6 * 6)``, output ``(N, num_classes)``.
    """
    return nn.Sequential(
        nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


class AlexNet(nn.Module):
    """AlexNet as lesson 04a tables it: 227x227x3 input.

    ======  ==============================================  ==============
    layer   what                                            output
    ======  ==============================================  ==============
    conv1   96 @ 11x11, stride 4, ReLU, LRN                 (96, 55, 55)
    pool1   max 3x3, stride 2 (overlapping)                 (96, 27, 27)
    conv2   256 @ 5x5, padding 2, ReLU, LRN                 (256, 27, 27)
    pool2   max 3x3, stride 2                               (256, 13, 13)
    conv3   384 @ 3x3, padding 1, ReLU                      (384, 13, 13)
    conv4   384 @ 3x3, padding 1, ReLU                      (384, 13, 13)
    conv5   256 @ 3x3, padding 1, ReLU                      (256, 13, 13)
    pool5   max 3x3, stride 2                               (256, 6, 6)
    fc6     dropout, 9216 -> 4096, ReLU                     (4096,)
    fc7     dropout, 4096 -> 4096, ReLU                     (4096,)
    fc8     4096 -> num_classes                             (1000,)
    ======  ==============================================  ==============

    Parameters
    ----------
    num_classes : int
    grouped : bool
        The paper split the network over two GPUs: conv2, conv4 and conv5 see
        only the half of the previous layer's maps on their own GPU
        (``groups=2``); conv3 and the dense layers see both halves. 60,965,224
        parameters grouped, 62,378,344 ungrouped (with 1000 classes).
    dropout : float
        Dropout probability before fc6 and fc7.
    """

    def __init__(self, num_classes=1000, grouped=False, dropout=0.5):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        g = 2 if grouped else 1
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU(inplace=True),
            local_response_norm(), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=g), nn.ReLU(inplace=True),
            local_response_norm(), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=g), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=g), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = dense_head(num_classes, dropout)

    def forward(self, x):
        """``(N, 3, 227, 227)`` -> ``(N, num_classes)`` logits."""
        check_input(x, "alexnet", 3, (227, 227))
        return self.classifier(torch.flatten(self.features(x), 1))


class ZFNet(nn.Module):
    """ZFNet (Zeiler and Fergus 2013, figure 3): AlexNet with a finer first layer.

    Visualising AlexNet's first layer showed dead filters and aliasing from its
    11x11 stride-4 convolution; ZFNet uses 7x7 filters with stride 2 instead, and
    dense (ungrouped) layers 3-5. Input 224x224x3; the pools round up (as in the
    paper's Caffe-style implementation) to give its sizes 110 -> 55 -> 26 -> 13 -> 6.

    ======  ==============================================  ==============
    layer   what                                            output
    ======  ==============================================  ==============
    conv1   96 @ 7x7, stride 2, padding 1, ReLU             (96, 110, 110)
    pool1   max 3x3, stride 2, LRN                          (96, 55, 55)
    conv2   256 @ 5x5, stride 2, ReLU                       (256, 26, 26)
    pool2   max 3x3, stride 2, LRN                          (256, 13, 13)
    conv3-5 384, 384, 256 @ 3x3, padding 1, ReLU            (256, 13, 13)
    pool5   max 3x3, stride 2                               (256, 6, 6)
    fc6-8   dropout, 4096, 4096, num_classes                (1000,)
    ======  ==============================================  ==============
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), local_response_norm(),
            nn.Conv2d(96, 256, kernel_size=5, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), local_response_norm(),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        )
        self.classifier = dense_head(num_classes, dropout)

    def forward(self, x):
        """``(N, 3, 224, 224)`` -> ``(N, num_classes)`` logits."""
        check_input(x, "zfnet", 3, (224, 224))
        return self.classifier(torch.flatten(self.features(x), 1))


def alexnet(num_classes=1000, **kwargs):
    """AlexNet for 227x227 RGB images; see :class:`AlexNet`.

    Every other option of :class:`AlexNet` passes through ``**kwargs``.
    """
    return AlexNet(num_classes=num_classes, **kwargs)


def zfnet(num_classes=1000, **kwargs):
    """ZFNet for 224x224 RGB images; see :class:`ZFNet`.

    Every other option of :class:`ZFNet` passes through ``**kwargs``.
    """
    return ZFNet(num_classes=num_classes, **kwargs)
