"""WaveNet's dilated causal convolutions (van den Oord et al., 2016), in PyTorch.

A *causal* convolution computes output ``t`` from inputs ``t, t-1, ...`` only: pad the
left of the signal by ``dilation * (kernel_size - 1)`` and nothing on the right.  That
is what ``cnnlib.conv1d(..., padding="causal")`` does in NumPy; here it is a PyTorch
layer, :class:`CausalConv1d`.

Stacking causal convolutions with dilations 1, 2, 4, 8, ... doubles the receptive field
with every layer at the cost of one layer::

    receptive_field = 1 + (kernel_size - 1) * sum(dilations)

(16 samples for kernel size 2 and dilations 1, 2, 4, 8), where undilated layers would
need one layer per sample.  :class:`CausalCNN` is such a stack with residual
connections, predicting the next value of a signal at every time step at once.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_ints, check_positive_int

__all__ = ["CausalConv1d", "CausalCNN", "causal_cnn"]


class CausalConv1d(nn.Conv1d):
    """``nn.Conv1d`` that pads ``dilation * (kernel_size - 1)`` on the left only.

    ``(N, in_channels, L) -> (N, out_channels, L)``; output ``t`` depends on inputs
    ``t - dilation * (kernel_size - 1) .. t``.  Stride 1 only.
    """

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias)

    def forward(self, x):
        left = self.dilation[0] * (self.kernel_size[0] - 1)
        return super().forward(F.pad(x, (left, 0)))


class CausalCNN(nn.Module):
    """A stack of dilated causal convolutions: ``(N, in_channels, L) -> (N, out_channels, L)``.

    Layer ``i`` is ``h + relu(CausalConv1d(h, dilation=dilations[i]))`` (a residual
    connection keeps deep stacks trainable); a 1x1 convolution reads out the prediction.

    Parameters
    ----------
    dilations : sequence of int
        One causal convolution per entry, e.g. ``(1, 2, 4, 8)``.
    channels : int
        Width of the hidden layers.
    kernel_size : int
        Taps per causal convolution (WaveNet uses 2).
    in_channels, out_channels : int

    Attributes
    ----------
    receptive_field : int
        ``1 + (kernel_size - 1) * sum(dilations)`` input samples per output.
    """

    def __init__(self, dilations=(1, 2, 4, 8), channels=16, kernel_size=2, in_channels=1,
                 out_channels=1):
        super().__init__()
        dilations = check_ints(dilations, "dilations", min_len=0, what="one per layer")
        if not dilations:
            raise ValueError("dilations must hold at least one dilation")
        for value, name in ((channels, "channels"), (kernel_size, "kernel_size"),
                            (in_channels, "in_channels"), (out_channels, "out_channels")):
            check_positive_int(value, name)
        self.in_channels = in_channels
        self.receptive_field = 1 + (kernel_size - 1) * sum(dilations)
        self.input = nn.Conv1d(in_channels, channels, 1)
        self.layers = nn.ModuleList(CausalConv1d(channels, channels, kernel_size, dilation=d)
                                    for d in dilations)
        self.output = nn.Conv1d(channels, out_channels, 1)

    def forward(self, x):
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"causal_cnn expects input of shape (N, {self.in_channels}, L), "
                             f"got {tuple(x.shape)}")
        h = self.input(x)
        for layer in self.layers:
            h = h + torch.relu(layer(h))
        return self.output(h)


def causal_cnn(dilations=(1, 2, 4, 8), channels=16, kernel_size=2, in_channels=1,
               out_channels=1):
    """A dilated causal CNN (receptive field 16 with the defaults); see :class:`CausalCNN`."""
    return CausalCNN(dilations, channels, kernel_size, in_channels, out_channels)
