"""Squeeze-and-excitation (Hu et al. 2018): reweight the channels by what the whole map says.

J. Hu, L. Shen, G. Sun, "Squeeze-and-Excitation Networks", CVPR 2018. Winner of
ILSVRC 2017 classification (2.251% top-5 error, an ensemble of SENets).

A convolution mixes channels only within its window. An SE block adds a global,
per-channel gate after it:

1. **squeeze**: average each channel over the whole map, ``s = mean_{h,w} x``
   (shape ``(N, C)``);
2. **excite**: a bottleneck of two dense layers, ``e = sigmoid(W2 relu(W1 s))``,
   with ``W1`` of shape ``(C/r, C)`` and ``W2`` of shape ``(C, C/r)``;
3. **scale**: ``y = x * e``, each channel multiplied by its gate in ``(0, 1)``.

It costs ``2 C^2 / r + C / r + C`` parameters (``r = 16`` in the paper) and
almost no computation, and can follow any convolution block (SE-ResNet puts it
on the residual branch before the addition).
"""
import torch
from torch import nn

from ._checks import check_input, check_positive_int

__all__ = ["SqueezeExcitation"]


class SqueezeExcitation(nn.Module):
    """An SE block: input ``(N, channels, H, W)``, output of the same shape.

    Parameters
    ----------
    channels : int
        Number of channels ``C`` of the feature map it gates.
    reduction : int
        Bottleneck ratio ``r``: the hidden layer has ``channels // reduction``
        units (paper: 16).

    Examples
    --------
    >>> se = SqueezeExcitation(64, reduction=16)
    >>> se(torch.randn(2, 64, 7, 7)).shape
    torch.Size([2, 64, 7, 7])
    """

    def __init__(self, channels, reduction=16):
        super().__init__()
        check_positive_int(channels, "channels")
        check_positive_int(reduction, "reduction")
        if reduction > channels:
            raise ValueError(f"reduction ({reduction}) must be at most channels ({channels}): "
                             f"the bottleneck needs channels // reduction >= 1 units")
        self.channels = channels
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        check_input(x, "SqueezeExcitation", self.channels)
        squeezed = x.mean(dim=(2, 3))                                          # (N, C)
        gates = torch.sigmoid(self.fc2(torch.relu(self.fc1(squeezed))))        # (N, C)
        return x * gates[:, :, None, None]
