"""U-Net (Ronneberger, Fischer and Brox, 2015): a fully convolutional network for segmentation.

A classifier ends in one vector per image; a segmentation network must give a class to every
pixel, so it needs its output at the input's resolution.  U-Net has two halves::

    contracting path (encoder)            expansive path (decoder)
    x ── double conv ───────────────── skip ──────────────► concat ─ double conv ─ 1x1 ─► scores
            │ max pool 2x2                                     ▲
            ▼                                              up-conv 2x2
         double conv ──────────────── skip ──► concat ─ double conv
            │ max pool 2x2                        ▲
            ▼                                 up-conv 2x2
         double conv (bottleneck) ────────────────┘

Going down, each level doubles the channels and halves the resolution: the features see
more context but lose where things are.  Going up, a 2x2 transposed convolution with stride
2 (an "up-convolution") doubles the resolution, and the *skip connection* concatenates the
encoder's feature map of the same size, which still knows where the edges are.

Differences from the paper, to suit 28x28-scale images on a CPU: 3x3 convolutions with
padding 1 (the paper's are unpadded, so its output is smaller than its input and it tiles
large images), batch normalisation after each convolution, and widths 16-32-64 instead of
64-128-256-512-1024.  With ``skips=False`` the decoder gets only the upsampled features: the
same network without its skip connections, to see what they add.
"""
import torch
from torch import nn

from ._checks import check_input, check_ints, check_positive_int

__all__ = ["UNet", "unet"]


def double_conv(in_channels, out_channels, batch_norm=True):
    """Two 3x3 convolutions (padding 1) with ReLU: ``(N, in, H, W) -> (N, out, H, W)``."""
    layers = []
    for c_in in (in_channels, out_channels):
        layers.append(nn.Conv2d(c_in, out_channels, 3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class UNet(nn.Module):
    """A small U-Net: ``(N, in_channels, H, W)`` images -> ``(N, num_classes, H, W)`` scores.

    Parameters
    ----------
    num_classes : int
        Classes per pixel (e.g. background + 10 digits = 11).
    in_channels : int
    widths : sequence of int
        Channels of each level of the contracting path, the last one the bottleneck;
        ``len(widths) - 1`` poolings, so ``H`` and ``W`` must be multiples of
        ``2 ** (len(widths) - 1)``.
    skips : bool
        Concatenate the encoder's feature maps into the decoder (the U-Net).  False gives
        a plain encoder-decoder with the same depth.
    batch_norm : bool

    Attributes
    ----------
    down : nn.ModuleList
        The contracting path's double convolutions, ``widths[i]`` channels each.
    up : nn.ModuleList
        The up-convolutions, ``ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)``.
    decode : nn.ModuleList
        The expansive path's double convolutions, taking ``2 * widths[i]`` channels with
        skips and ``widths[i]`` without.
    head : nn.Conv2d
        1x1 convolution to the class scores.
    """

    def __init__(self, num_classes=11, in_channels=1, widths=(16, 32, 64), skips=True,
                 batch_norm=True):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(in_channels, "in_channels")
        widths = check_ints(widths, "widths", min_len=2,
                            what="one per level: at least two levels, one pooling")
        self.in_channels, self.widths, self.skips = in_channels, widths, skips
        self.down = nn.ModuleList(double_conv(c_in, c_out, batch_norm) for c_in, c_out
                                  in zip((in_channels,) + widths[:-1], widths))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                for i in range(len(widths) - 1))
        self.decode = nn.ModuleList(double_conv((2 if skips else 1) * widths[i], widths[i],
                                                batch_norm) for i in range(len(widths) - 1))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x):
        check_input(x, "unet", self.in_channels)
        factor = 2 ** (len(self.widths) - 1)
        if x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(f"unet with {len(self.widths) - 1} poolings needs H and W that are "
                             f"multiples of {factor}, got {x.shape[2]}x{x.shape[3]}; resize or pad "
                             f"the images first")
        features = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            features.append(x)
        x = features.pop()                                   # the bottleneck
        for i in reversed(range(len(self.up))):
            x = self.up[i](x)                                # (N, widths[i], 2h, 2w)
            if self.skips:
                x = torch.cat([features[i], x], dim=1)       # encoder channels first
            x = self.decode[i](x)
        return self.head(x)


def unet(num_classes=11, in_channels=1, widths=(16, 32, 64), **kwargs):
    """A small U-Net: 117,243 parameters with the defaults, 105,723 without skips.

    See :class:`UNet` for the arguments; every other option passes through ``**kwargs``.
    """
    return UNet(num_classes, in_channels, widths, **kwargs)
