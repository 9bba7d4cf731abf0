"""The course's LeNet-5 in NumPy, built from the layers of :mod:`cnnlib.nn.modules`.

Examples
--------
>>> import numpy as np
>>> net = lenet5(rng=0)
>>> net(np.zeros((2, 1, 28, 28), np.float32)).shape
(2, 10)
"""
from __future__ import annotations

import numpy as np

from .._validate import as_generator, check_positive_int
from .modules import Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential

__all__ = ["LeNet5", "lenet5"]


class LeNet5(Module):
    """The course's LeNet-5 for 28x28 digits in NumPy, layer for layer ``cnnlib.models.LeNet5``.

    ==============  ==========================  ==================
    layer           what                        output (per image)
    ==============  ==========================  ==================
    features.0      conv 6 @ 5x5, padding 2     (6, 28, 28)
    features.1      ReLU
    features.2      max pool 2x2, stride 2      (6, 14, 14)
    features.3      conv 16 @ 5x5               (16, 10, 10)
    features.4      ReLU
    features.5      max pool 2x2, stride 2      (16, 5, 5)
    flatten         (C, H, W) order, as torch   (400,)
    classifier.0    linear 400 -> 120           (120,)
    classifier.1    ReLU
    classifier.2    linear 120 -> 84            (84,)
    classifier.3    ReLU
    classifier.4    linear 84 -> num_classes    (num_classes,) class scores
    ==============  ==========================  ==================

    The parameter names (``features.0.weight`` ... ``classifier.4.bias``) and shapes
    are those of the PyTorch model, so ``load_state_dict`` takes its ``state_dict()``
    and the other way round.
    """

    def __init__(self, num_classes=10, in_channels=1, dtype=np.float32, rng=None):
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        rng = as_generator(rng)
        self.features = Sequential(
            # The images need no gradient: skip it in the first layer.
            Conv2d(in_channels, 6, 5, padding=2, input_grad=False, dtype=dtype, rng=rng),
            ReLU(), MaxPool2d(2),
            Conv2d(6, 16, 5, dtype=dtype, rng=rng), ReLU(), MaxPool2d(2),
        )
        self.flatten = Flatten()
        self.classifier = Sequential(
            Linear(16 * 5 * 5, 120, dtype=dtype, rng=rng), ReLU(),
            Linear(120, 84, dtype=dtype, rng=rng), ReLU(),
            Linear(84, num_classes, dtype=dtype, rng=rng),
        )

    def forward(self, x):
        """``(N, in_channels, 28, 28)`` images -> ``(N, num_classes)`` class scores."""
        return self.classifier(self.flatten(self.features(x)))

    def backward(self, dout):
        """Gradients of all parameters from ``dout`` ``(N, num_classes)``.

        Returns None: the first layer skips the gradient of the images.
        """
        return self.features.backward(self.flatten.backward(self.classifier.backward(dout)))


def lenet5(num_classes=10, in_channels=1, dtype=np.float32, rng=None):
    """The course's LeNet-5 in NumPy (61,706 parameters); see :class:`LeNet5`."""
    return LeNet5(num_classes, in_channels, dtype, rng)
