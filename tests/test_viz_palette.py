"""The colours of cnnlib.viz stay distinct for colour-blind readers, and text is readable.

Colour vision deficiencies are simulated with the matrices of Machado, Oliveira & Fernandes,
"A Physiologically-based Model for Simulation of Color Vision Deficiency", IEEE TVCG 15(6),
2009 (severity 1.0, applied to linear RGB). Colours are compared in CIELAB (sRGB, D65) by
their Euclidean distance (CIE 1976 Delta E): about 2 is just noticeable; colours that must
be told apart at a glance, as lines in a legend, need far more.
"""
import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnnlib import viz  # noqa: E402
from cnnlib.viz import palette  # noqa: E402
from cnnlib.viz.conv_diagram import CURRENT, INPUT, OUTPUT, PADDING, TAP  # noqa: E402

MACHADO_2009 = {
    "protanopia": [[0.152286, 1.052583, -0.204868],
                   [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968],
                     [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779],
                   [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISION = [None, *MACHADO_2009]
# sRGB (linear) to CIE XYZ, D65 (IEC 61966-2-1)
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
# Colours that must be told apart at a glance (lines, bars, categories).
DISTINCT = 15.0


def to_linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(colors, vision=None):
    """CIELAB of matplotlib colours ``(n,)`` as seen with ``vision``: ``(n, 3)``."""
    rgb = to_linear([matplotlib.colors.to_rgb(c) for c in colors])
    if vision is not None:
        rgb = np.clip(rgb @ np.array(MACHADO_2009[vision]).T, 0, 1)
    xyz = rgb @ SRGB_TO_XYZ.T / SRGB_TO_XYZ.sum(axis=1)
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


def closest_pair(colors, vision=None):
    values = lab(colors, vision)
    return min((float(np.linalg.norm(values[i] - values[j])), colors[i], colors[j])
               for i, j in itertools.combinations(range(len(colors)), 2))


def lightness(cmap, vision=None, n=64):
    cmap = matplotlib.colormaps[cmap]
    return lab([cmap(x) for x in np.linspace(0, 1, n)], vision)[:, 0]


# --------------------------------------------------------------------------- the method
def test_simulation_matrices_keep_white_and_lab_matches_published_values():
    for matrix in MACHADO_2009.values():
        np.testing.assert_allclose(np.sum(matrix, axis=1), 1.0, atol=2e-6)
    # CIELAB of sRGB white and pure red, as tabulated (e.g. Lindbloom's calculator)
    np.testing.assert_allclose(lab(["#ffffff"])[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab(["#ff0000"])[0], [53.24, 80.09, 67.20], atol=0.02)


def test_the_check_rejects_red_against_green():
    # matplotlib's default red and green: far apart normally, nearly one colour for a
    # deuteranope; its default cycle has orange and green close for a protanope.
    red_green = ["tab:red", "tab:green"]
    assert closest_pair(red_green)[0] > 100
    assert closest_pair(red_green, "deuteranopia")[0] < DISTINCT
    tab10 = [f"C{i}" for i in range(10)]
    with matplotlib.rc_context({"axes.prop_cycle": matplotlib.cycler(
            color=plt.get_cmap("tab10").colors)}):
        assert closest_pair(tab10, "protanopia")[0] < DISTINCT


# --------------------------------------------------------------------------- the palette
@pytest.mark.parametrize("vision", VISION)
def test_palette_colours_stay_distinct(vision):
    distance, a, b = closest_pair(palette.PALETTE, vision)
    assert distance > DISTINCT, f"{a} and {b} look alike ({vision}): Delta E {distance:.1f}"


def test_palette_is_okabe_ito():
    # Okabe & Ito (2008), Color Universal Design: the eight colours, in 8-bit RGB.
    published = {(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66),
                 (0, 114, 178), (213, 94, 0), (204, 121, 167)}
    ours = {tuple(round(255 * v) for v in matplotlib.colors.to_rgb(c)) for c in palette.PALETTE}
    assert ours == published


@pytest.mark.parametrize("vision", VISION)
@pytest.mark.parametrize("cmap", [palette.SEQUENTIAL, palette.SEQUENTIAL_BLUE, "gray"])
def test_sequential_maps_read_by_lightness_alone(cmap, vision):
    values = lightness(cmap, vision)
    steps = np.diff(values)
    assert np.all(steps > 0) or np.all(steps < 0), f"{cmap} ({vision}) is not monotonic"
    assert abs(values[-1] - values[0]) > 50


@pytest.mark.parametrize("vision", VISION)
def test_diverging_map_is_light_at_zero_and_its_two_ends_differ(vision):
    values = lightness(palette.DIVERGING, vision, n=65)
    assert np.all(np.diff(values[:33]) > 0) and np.all(np.diff(values[32:]) < 0)
    ends = [matplotlib.colormaps[palette.DIVERGING](x) for x in (0.0, 1.0)]
    assert closest_pair(ends, vision)[0] > 2 * DISTINCT


@pytest.mark.parametrize("vision", VISION)
def test_conv_diagram_colours_stay_distinct(vision):
    distance, a, b = closest_pair([INPUT, PADDING, TAP, OUTPUT, CURRENT], vision)
    assert distance > 10, f"{a} and {b} look alike ({vision}): Delta E {distance:.1f}"


def test_light_and_set_style():
    assert palette.light("#0072B2", 0.0) == "#0072b2"
    assert palette.light("#0072B2", 1.0) == "#ffffff"
    with pytest.raises(ValueError, match="amount must be between 0 and 1"):
        palette.light("#0072B2", 1.5)
    assert palette.linestyle(0) == palette.linestyle(7) != palette.linestyle(8)
    with matplotlib.rc_context():
        palette.set_style()
        assert [matplotlib.colors.to_hex(f"C{i}") for i in range(8)] == \
            [c.lower() for c in palette.PALETTE]
        assert matplotlib.rcParams["image.cmap"] == palette.SEQUENTIAL
        # legible on a 1280x720 projector: at least 150 dpi and 14 pt text
        assert matplotlib.rcParams["figure.dpi"] >= 150
        assert min(matplotlib.rcParams["font.size"], matplotlib.rcParams["xtick.labelsize"],
                   matplotlib.rcParams["legend.fontsize"]) >= 14


# --------------------------------------------------------------------------- the figures
@pytest.fixture(autouse=True)
def course_style():
    """Every figure test draws as a notebook does: after ``set_style()``."""
    with matplotlib.rc_context():
        palette.set_style()
        yield


def texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]


def assert_readable(fig):
    for text in texts(fig):
        assert text.get_fontsize() >= palette.MIN_FONT_SIZE, \
            f"{text.get_text()!r} at {text.get_fontsize()} pt"


def in_palette(color):
    return matplotlib.colors.to_hex(color) in {c.lower() for c in palette.PALETTE}


def test_training_curves_use_the_palette():
    run = {"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
           "train_acc": [0.5, 0.8], "val_acc": [0.45, 0.7]}
    fig = viz.plot_history({"a": run, "b": run, "c": run})
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert lines and all(in_palette(line.get_color()) for line in lines)
    assert len({line.get_color() for line in lines}) == 3
    assert_readable(fig)
    plt.close(fig)


def test_precision_recall_curves_differ_even_beyond_eight():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    curves = {f"class {i}": (y, y + rng.normal(0, 1, 200)) for i in range(10)}
    fig = viz.plot_precision_recall(curves)
    lines = fig.axes[0].get_lines()
    assert all(in_palette(line.get_color()) for line in lines)
    styles = {(matplotlib.colors.to_hex(line.get_color()), line.get_linestyle())
              for line in lines}
    assert len(styles) == 10
    assert_readable(fig)
    plt.close(fig)


def test_metric_figures_use_the_palette_and_readable_text():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 10, 300))
    fig = viz.plot_per_class_metrics(y_true, y_pred, num_classes=10)
    bars = fig.axes[0].patches
    assert bars and all(in_palette(bar.get_facecolor()) for bar in bars)
    assert_readable(fig)
    plt.close(fig)
    cm = np.bincount(y_true * 10 + y_pred, minlength=100).reshape(10, 10)
    fig = viz.plot_confusion_matrix(cm)
    assert fig.axes[0].images[0].get_cmap().name == palette.SEQUENTIAL_BLUE
    assert_readable(fig)
    plt.close(fig)


def test_image_figures_are_readable():
    rng = np.random.default_rng(2)
    fig = viz.show_feature_maps(rng.random((1, 12, 6, 6)))
    assert all(ax.images[0].get_cmap().name == palette.SEQUENTIAL
               for ax in fig.axes if ax.images)
    assert_readable(fig)
    plt.close(fig)
    fig = viz.show_images(rng.random((4, 5, 5)), titles=list("abcd"))
    assert_readable(fig)
    plt.close(fig)
    fig = viz.conv_diagram(5, 3, padding=1, stride=2)
    assert_readable(fig)
    plt.close(fig)


@pytest.mark.parametrize("vision", VISION)
def test_segmentation_mask_colours_are_the_palette_then_distinct_tints(vision):
    colours = palette.mask_colors(11)          # background and ten digits, as in lesson 06a
    assert colours[0] == "#000000"
    assert set(colours[:8]) == {c.lower() for c in palette.PALETTE}
    distance, a, b = closest_pair(colours, vision)
    assert distance > 8, f"{a} and {b} look alike ({vision}): Delta E {distance:.1f}"
    cmap = palette.mask_cmap(11)
    assert [matplotlib.colors.to_hex(cmap(k)) for k in range(11)] == colours
    with pytest.raises(ValueError, match="num_classes"):
        palette.mask_colors(16)
