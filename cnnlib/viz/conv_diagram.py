"""Convolution-arithmetic diagrams: input grid, padding, kernel taps, output grid.

In the spirit of the figures of Dumoulin & Visin, "A guide to convolution arithmetic for
deep learning" (2016), but drawn for any setting: the padded input on the left
(padding cells shaded grey), the kernel at one output position with its taps spaced by
the dilation, and the output grid on the right with that position's cell highlighted.
``conv_geometry`` holds the arithmetic; ``conv_diagram`` only draws it.
"""
import matplotlib.pyplot as plt
from matplotlib import colors as mcolors
from matplotlib.patches import Rectangle

from .._validate import as_ints
from ..padding import conv_output_size, conv_padding
from .palette import FONT_SIZE, OKABE_ITO, light

# Input blue, output orange (never green against red); the kernel's taps and the current
# output cell are the dark versions of these hues, padding is grey.
INPUT, PADDING = light(OKABE_ITO["sky blue"], 0.6), "#e6e6e6"
TAP = mcolors.to_hex(OKABE_ITO["blue"])
OUTPUT, CURRENT = light(OKABE_ITO["orange"], 0.7), mcolors.to_hex(OKABE_ITO["vermillion"])


def conv_geometry(input_size, kernel_size, padding=0, stride=1, dilation=1, position=(0, 0)):
    """Where everything sits in a convolution, per axis (H, W).

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int or (int, int)
    padding : int, (int, int) or {"valid", "same", "full"}
        As in ``cnnlib.conv2d`` ("same" with an even kernel pads one more cell at the
        bottom / right).
    position : (int, int)
        Output cell ``(i, j)`` whose kernel placement is described.

    Returns
    -------
    dict with
        ``input_size``, ``padding`` (``((top, bottom), (left, right))``),
        ``padded_size``, ``output_size`` (each an (H, W) pair),
        ``taps``: the kernel cells ``(row, col)`` in padded-input coordinates for
        ``position`` (``row = i * stride + u * dilation``), ``starts``: the top-left tap
        of every output position, ``position``.
    """
    input_size = as_ints(input_size, "input_size", 2, 1)
    kernel_size = as_ints(kernel_size, "kernel_size", 2, 1)
    stride = as_ints(stride, "stride", 2, 1)
    dilation = as_ints(dilation, "dilation", 2, 1)
    pads = conv_padding(padding, kernel_size, dilation)
    # conv_output_size takes one padding per side; an odd "same" total is split by hand.
    output = tuple(conv_output_size(n + a + b, k, s, 0, d)
                   for n, (a, b), k, s, d in zip(input_size, pads, kernel_size, stride, dilation))
    position = as_ints(position, "position", 2, 0)
    if any(p >= o for p, o in zip(position, output)):
        raise ValueError(f"position {position} is outside the {output[0]}x{output[1]} output")
    (i, j), (kh, kw), (sh, sw), (dh, dw) = position, kernel_size, stride, dilation
    taps = [(i * sh + u * dh, j * sw + v * dw) for u in range(kh) for v in range(kw)]
    starts = [(a * sh, b * sw) for a in range(output[0]) for b in range(output[1])]
    padded = tuple(n + a + b for n, (a, b) in zip(input_size, pads))
    return {"input_size": input_size, "padding": pads, "padded_size": padded,
            "output_size": output, "taps": taps, "starts": starts, "position": position}


def _cell(ax, row, col, x0, y0, **style):
    # Rows grow downwards, like an image.
    ax.add_patch(Rectangle((x0 + col, y0 - row - 1), 1, 1, **style))


def conv_diagram(input_size=5, kernel_size=3, padding=0, stride=1, dilation=1,
                 position=(0, 0), show_starts=True, ax=None, title=None):
    """Draw one convolution setting: padded input, kernel taps at ``position``, output.

    Parameters
    ----------
    input_size, kernel_size, padding, stride, dilation, position
        See ``conv_geometry``.
    show_starts : bool
        Mark with a dot the top-left tap of every kernel placement, so the stride is
        visible.
    ax : matplotlib Axes, optional
        Draw here; a new figure is made otherwise.
    title : str, optional
        Defaults to a summary of the setting.

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = conv_geometry(input_size, kernel_size, padding, stride, dilation, position)
    if ax is None:
        width = g["padded_size"][1] + 2 + g["output_size"][1]
        height = max(g["padded_size"][0], g["output_size"][0])
        _, ax = plt.subplots(figsize=(min(max(0.32 * width + 0.6, 4), 9),
                                      min(0.32 * height + 1.0, 6)))
    (top, _), (left, _) = g["padding"]
    hp, wp = g["padded_size"]
    ho, wo = g["output_size"]
    for r in range(hp):
        for c in range(wp):
            inside = top <= r < top + g["input_size"][0] and left <= c < left + g["input_size"][1]
            _cell(ax, r, c, 0, 0, facecolor=INPUT if inside else PADDING, edgecolor="grey",
                  linewidth=0.6, linestyle="-" if inside else ":")
    for r, c in g["taps"]:
        _cell(ax, r, c, 0, 0, facecolor=TAP, alpha=0.55, edgecolor=TAP, linewidth=1.2)
    if show_starts:
        for r, c in g["starts"]:
            ax.plot(c + 0.5, -r - 0.5, "o", color="black", markersize=2.5)
    # The output grid, to the right, vertically centred on the input.
    x0, y0 = wp + 2, -(hp - ho) / 2
    for r in range(ho):
        for c in range(wo):
            current = (r, c) == g["position"]
            _cell(ax, r, c, x0, y0, facecolor=CURRENT if current else OUTPUT,
                  edgecolor="grey", linewidth=0.6)
    ax.annotate("", xy=(x0 - 0.2, -hp / 2), xytext=(wp + 0.2, -hp / 2),
                arrowprops={"arrowstyle": "->", "color": "black"})
    if title is None:
        (pt, pb), (pl, pr) = g["padding"]
        pad_text = f"{pt}" if pt == pb == pl == pr else f"({pt},{pb})x({pl},{pr})"
        kernel = as_ints(kernel_size, "kernel_size", 2, 1)
        title = (f"{_size(g['input_size'])} input, {_size(kernel)} kernel, padding {pad_text}\n"
                 f"stride {_compact(stride)}, dilation {_compact(dilation)} "
                 f"-> {_size(g['output_size'])} output")
    ax.set_title(title, fontsize=FONT_SIZE)
    ax.set_xlim(-0.5, x0 + wo + 0.5)
    ax.set_ylim(-max(hp, ho - y0) - 0.5, max(0, y0) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure


def _size(pair):
    return f"{pair[0]}x{pair[1]}"


def _compact(value):
    pair = as_ints(value, "value", 2, 1)
    return str(pair[0]) if pair[0] == pair[1] else str(pair)
