"""The course's colours and font sizes: readable by everyone, including colour-blind readers.

About one man in twelve has a red-green colour vision deficiency, so a figure must never
tell two things apart by red against green alone. Every figure of ``cnnlib.viz`` takes its
colours from here:

* ``PALETTE``: the eight colours of Okabe & Ito, *Color Universal Design* (2008), chosen to
  stay distinct under protanopia, deuteranopia and tritanopia, for lines, bars and
  categories. ``cycle(i)`` is the i-th; ``linestyle(i)`` changes once the colours run out,
  so that even the ninth curve differs from the first.
* ``SEQUENTIAL`` (``"viridis"``, van der Walt & Smith 2015) and ``SEQUENTIAL_BLUE``
  (``"Blues"``) for maps of magnitudes (feature maps, confusion matrices): their lightness
  rises monotonically, so the order reads without any hue.
* ``DIVERGING`` (``"RdBu_r"``, Brewer's red-blue) for signed values, centred on 0: blue
  against red stays distinct under every common deficiency, and the lightness says the
  magnitude.
* ``mask_colors(num_classes)`` / ``mask_cmap(num_classes)`` for segmentation masks: class 0
  (background) black, the next seven classes the other Okabe-Ito colours, further classes
  light tints of them, which differ from the full colours in lightness.
* ``FONT_SIZE`` (titles, labels), ``SMALL_FONT_SIZE`` (legends, panel titles) and
  ``MIN_FONT_SIZE`` (numbers inside crowded cells), in points: no text is smaller.

``set_style()`` makes matplotlib use the same colours and sizes for any figure of a
notebook (``plt.plot`` without a colour, ``"C0"``, ``"C1"`` ...).

tests/test_viz_palette.py simulates the three colour vision deficiencies (Machado, Oliveira
& Fernandes 2009) and checks that the colours stay apart.
"""
import matplotlib as mpl
from cycler import cycler
from matplotlib import colors as mcolors

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE = list(OKABE_ITO.values())
LINESTYLES = ["-", "--", ":", "-."]

SEQUENTIAL = "viridis"
SEQUENTIAL_BLUE = "Blues"
DIVERGING = "RdBu_r"

# Sized for a projector as much as a laptop: a figure rendered at FIGURE_DPI with text of at
# least 14 pt stays legible when a slide shows it on a 1280x720 screen.
FONT_SIZE = 15
SMALL_FONT_SIZE = 14
MIN_FONT_SIZE = 14
FIGURE_DPI = 150


def cycle(i):
    """The ``i``-th colour of ``PALETTE`` (it repeats after eight)."""
    return PALETTE[i % len(PALETTE)]


def linestyle(i):
    """The line style of the ``i``-th curve: solid for the first eight, then dashed..."""
    return LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)]


def light(color, amount=0.7):
    """``color`` mixed with white (``amount`` of white, in [0, 1]), as a hex string.

    A light tint of a palette colour fills a large area (a grid cell) without hiding the
    text on it; its hue stays that of the palette.
    """
    if not 0 <= amount <= 1:
        raise ValueError(f"amount must be between 0 and 1 (the share of white); got {amount}")
    r, g, b = mcolors.to_rgb(color)
    return mcolors.to_hex([c + (1 - c) * amount for c in (r, g, b)])


def mask_colors(num_classes):
    """One colour per class of a segmentation mask: black background, then the palette.

    Class 0 (the background) is black; classes 1-7 take the seven other Okabe-Ito colours;
    classes 8 and up take light tints (60% white) of blue, vermillion, reddish purple, ...,
    which stay apart from the full colours by their lightness.

    Parameters
    ----------
    num_classes : int
        At least 1 and at most 15 (background, seven colours, seven tints).

    Returns
    -------
    list of str, length num_classes
        Hex colours; ``mask_colors(n)[c]`` is the colour of class ``c``.
    """
    colours = [c for c in PALETTE if c != OKABE_ITO["black"]]
    tints = [light(OKABE_ITO[name], 0.6) for name in
             ("blue", "vermillion", "reddish purple", "bluish green", "orange", "sky blue",
              "yellow")]
    available = [OKABE_ITO["black"], *colours, *tints]
    if not isinstance(num_classes, int) or not 1 <= num_classes <= len(available):
        raise ValueError(f"num_classes must be an int from 1 to {len(available)} (background, "
                         f"seven colours and seven tints); got {num_classes!r}")
    return [mcolors.to_hex(c) for c in available[:num_classes]]


def mask_cmap(num_classes):
    """A ``ListedColormap`` of ``mask_colors(num_classes)``, one colour per class.

    Draw a mask ``(H, W)`` of class indices with
    ``imshow(mask, cmap=mask_cmap(n), vmin=0, vmax=n - 1, interpolation="nearest")``.

    Parameters
    ----------
    num_classes : int

    Returns
    -------
    matplotlib.colors.ListedColormap
    """
    return mcolors.ListedColormap(mask_colors(num_classes), name=f"course_mask_{num_classes}")


def set_style():
    """Make matplotlib's defaults the course's: the palette, colour maps and font sizes.

    Call once in a notebook's set-up cell. Afterwards ``"C0"``, ``"C1"``... and every
    colour matplotlib picks by itself come from ``PALETTE`` (lines change style after
    eight), images default to ``SEQUENTIAL``, and text is at least ``SMALL_FONT_SIZE``.
    """
    styles = [style for style in LINESTYLES for _ in PALETTE]
    mpl.rcParams["axes.prop_cycle"] = (cycler(color=PALETTE * len(LINESTYLES))
                                       + cycler(linestyle=styles))
    mpl.rcParams["image.cmap"] = SEQUENTIAL
    mpl.rcParams["figure.dpi"] = FIGURE_DPI
    mpl.rcParams["savefig.dpi"] = FIGURE_DPI
    mpl.rcParams["font.size"] = FONT_SIZE
    for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
        mpl.rcParams[key] = SMALL_FONT_SIZE
    mpl.rcParams["axes.titlesize"] = FONT_SIZE + 1
