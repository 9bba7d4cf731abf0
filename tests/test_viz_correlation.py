"""cnnlib.viz.correlation draws what lesson 01a computes, where it belongs.

The expected values come from NumPy and SciPy (``np.correlate``, ``scipy.signal.correlate2d``,
``scipy.linalg.toeplitz``, ``np.percentile``), not from the module; bad input raises a
ValueError that names the parameter.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.signal  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402

from cnnlib import viz  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _hex(colour):
    return mcolors.to_hex(colour)


# --------------------------------------------------------------------------- show_image_row
def test_image_row_has_one_panel_per_image_with_its_width_and_title():
    photo, digits = RNG.random((30, 26)), RNG.random((3, 8, 8))
    fig = viz.show_image_row([photo, *digits], ["photo", "a", "b", "c"],
                             width_ratios=[2, 1, 1, 1])
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["photo", "a", "b", "c"]
    widths = [ax.get_position(original=True).width for ax in axes]
    assert widths[0] > 1.5 * widths[1]
    np.testing.assert_array_equal(axes[0].images[0].get_array(), photo)
    assert not axes[1].axison


@pytest.mark.parametrize("kwargs, name", [({"titles": ["only one"]}, "titles"),
                                          ({"width_ratios": [1]}, "width_ratios")])
def test_image_row_refuses_mismatched_titles_and_ratios(kwargs, name):
    with pytest.raises(ValueError, match=name):
        viz.show_image_row([np.zeros((4, 4)), np.zeros((4, 4))], **kwargs)


def test_image_row_refuses_a_1d_image():
    with pytest.raises(ValueError, match=r"images\[1\]"):
        viz.show_image_row([np.zeros((4, 4)), np.zeros(4)])


# --------------------------------------------------------------------------- plot_weight_counts
def test_weight_counts_are_bars_on_a_log_scale_first_on_top():
    counts = {"fully connected": 200 * 200 * 40_000, "local": 40_000 * 100, "conv": 100}
    ax = viz.plot_weight_counts(counts, title="t")
    assert ax.get_xscale() == "log"
    bars = ax.patches
    assert [b.get_width() for b in bars] == list(counts.values())
    tops = [b.get_y() for b in bars]
    assert ax.yaxis_inverted() and tops == sorted(tops)       # the first count on top
    assert len({_hex(b.get_facecolor()) for b in bars}) == 3


def test_weight_counts_refuse_a_zero():
    with pytest.raises(ValueError, match="counts"):
        viz.plot_weight_counts({"none": 0})


# --------------------------------------------------------------------------- plot_connections
def _segments(ax):
    """Each connection line as (input j, hidden i) with its colour and line style."""
    out = []
    for line in ax.lines:
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert (y0, y1) == (0, 1)
        out.append((x0, x1, _hex(line.get_color()), line.get_linestyle()))
    return out


@pytest.mark.parametrize("n_in, k", [(7, 3), (9, 4)])
def test_connections_count_the_weights_and_colour_the_shared_taps(n_in, k):
    n_hidden = n_in - k + 1
    # The band of a valid correlation matrix, from SciPy: row i, columns i ... i + k - 1.
    band = scipy.linalg.toeplitz(np.r_[1, np.zeros(n_hidden - 1)],
                                 np.r_[np.ones(k), np.zeros(n_in - k)]) != 0
    with plt.rc_context():
        viz.set_style()                 # the course's style cycles line styles too
        fig = viz.plot_connections(n_in, n_hidden, k)
    dense, local, conv = (_segments(ax) for ax in fig.axes)
    assert len(dense) == n_in * n_hidden and len(local) == len(conv) == band.sum()
    assert all(style == "-" for *_, style in dense + local + conv)
    offset = (k - 1) / 2
    pairs = {(int(x0), int(round(x1 - offset))) for x0, x1, _, _ in local}
    assert pairs == {(j, i) for i, j in zip(*np.nonzero(band))}
    # One colour per kernel tap j - i, the same on every row: the shared weights.
    tap_colours = {}
    for x0, x1, colour, _ in conv:
        tap_colours.setdefault(int(x0) - int(round(x1 - offset)), set()).add(colour)
    assert sorted(tap_colours) == list(range(k))
    assert all(len(c) == 1 for c in tap_colours.values())
    assert len(set.union(*tap_colours.values())) == k
    assert len({c for _, _, c, _ in local}) == 1
    titles = [ax.get_title() for ax in fig.axes]
    assert str(n_in * n_hidden) in titles[0] and str(band.sum()) in titles[1]
    assert str(k) in titles[2]


def test_connections_refuse_inconsistent_sizes():
    with pytest.raises(ValueError, match="n_hidden"):
        viz.plot_connections(7, 6, 3)


# --------------------------------------------------------------------------- plot_sliding_window
def test_sliding_window_highlights_the_kernel_and_shows_numpy_s_output():
    u, w = np.array([3, 5, 6, 2, 2, 9, 4, 5]), np.array([-1, 0, 1])
    y = np.correlate(u, w, "valid")
    positions = [0, 1, 5]
    fig = viz.plot_sliding_window(u, w, y, positions)
    assert len(fig.axes) == len(positions) + 1
    for ax, i in zip(fig.axes, positions):
        colours = [_hex(b.get_facecolor()) for b in ax.patches]
        grey = _hex("lightgray")
        assert [j for j, c in enumerate(colours) if c != grey] == list(range(i, i + len(w)))
        assert [b.get_height() for b in ax.patches] == list(u)
        assert [t.get_text() for t in ax.texts] == [f"×{v}" for v in w]
        assert ax.get_title() == f"position {i}: y[{i}] = {y[i]}"
    stem = fig.axes[-1].containers[0]
    np.testing.assert_array_equal(stem.markerline.get_ydata(), y)


@pytest.mark.parametrize("y, positions, name", [(np.zeros(5), [0], "y"),
                                                (np.zeros(6), [6], "positions")])
def test_sliding_window_refuses_a_wrong_output_or_position(y, positions, name):
    with pytest.raises(ValueError, match=name):
        viz.plot_sliding_window(np.arange(8), np.ones(3), y, positions)


# --------------------------------------------------------------------------- show_matrices
def test_matrices_write_every_number_in_its_cell_and_keep_cells_equal():
    x, k = np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]])
    full = scipy.signal.correlate2d(x, k, "full")
    fig = viz.show_matrices([x, k, full], titles=["X", "K", "full"])
    for ax, m in zip(fig.axes, [x, k, full]):
        texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
                 for t in ax.texts}
        assert texts == {(i, j): f"{v:g}" for (i, j), v in np.ndenumerate(m)}
    widths = [ax.get_position(original=True).width for ax in fig.axes]
    per_cell = [w / m.shape[1] for w, m in zip(widths, [x, k, full])]
    assert max(per_cell) / min(per_cell) < 1.05
    assert [ax.get_title() for ax in fig.axes] == ["X", "K", "full"]


def test_matrices_refuse_a_vector():
    with pytest.raises(ValueError, match=r"matrices\[1\]"):
        viz.show_matrices([np.eye(2), np.ones(3)])


# --------------------------------------------------------------------------- plot_separable
def test_separable_draws_the_factor_the_kernel_and_the_image():
    g = scipy.signal.windows.gaussian(9, 1.5)
    kernel, image = np.outer(g, g), RNG.random((20, 16))
    fig = viz.plot_separable(g, kernel, image, titles=["g", "G", "out"])
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), g)
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), kernel)
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), image)
    assert [ax.get_title() for ax in fig.axes] == ["g", "G", "out"]


def test_separable_refuses_a_2d_factor():
    with pytest.raises(ValueError, match="g must be 1-D"):
        viz.plot_separable(np.eye(3), np.eye(3), np.eye(3))


# --------------------------------------------------------------------------- filtered_for_display
def test_a_kernel_summing_to_one_gives_the_image_clipped():
    out = RNG.normal(0.5, 0.6, size=(40, 30))
    np.testing.assert_array_equal(viz.filtered_for_display(out, np.full((3, 3), 1 / 9)),
                                  np.clip(out, 0, 1))


def test_a_kernel_summing_to_zero_gives_the_size_of_the_response():
    out = RNG.normal(size=(100, 100))
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    shown = viz.filtered_for_display(out, laplacian)
    np.testing.assert_allclose(shown, np.minimum(np.abs(out) / np.percentile(np.abs(out), 99), 1))
    assert shown.min() >= 0 and shown.max() == 1
    assert 0.005 < np.mean(shown == 1) <= 0.011          # the strongest 1 % saturate
    assert np.array_equal(viz.filtered_for_display(np.zeros((4, 4)), laplacian), np.zeros((4, 4)))


def test_filtered_for_display_refuses_a_bad_percentile():
    with pytest.raises(ValueError, match="percentile"):
        viz.filtered_for_display(np.zeros((4, 4)), np.eye(3), percentile=0)


# --------------------------------------------------------------------------- show_modes
@pytest.mark.parametrize("k", [25, 5])
def test_modes_sit_where_scipy_puts_them_around_the_image(k):
    image = RNG.random((40, 32))
    kernel = np.ones((k, k)) / k ** 2
    outputs = {m: scipy.signal.correlate2d(image, kernel, m) for m in ("full", "same", "valid")}
    fig = viz.show_modes(outputs, image.shape, kernel.shape)
    half = (k - 1) // 2
    for ax, (mode, out), start in zip(fig.axes, outputs.items(), [0, half, k - 1]):
        left, right, bottom, top = ax.images[0].get_extent()
        assert (left, top) == (start, start)
        assert (right - left, bottom - top) == out.shape[::-1]
        frame = ax.patches[0]
        assert frame.get_xy() == (half, half)                 # where the image lies
        assert (frame.get_width(), frame.get_height()) == image.shape[::-1]
        assert ax.get_xlim() == (0, outputs["full"].shape[1])
        assert ax.get_title() == f"{mode}: {out.shape[0]}x{out.shape[1]}"


def test_modes_refuse_an_unknown_mode():
    with pytest.raises(ValueError, match="outputs"):
        viz.show_modes({"wrap": np.zeros((3, 3))}, (3, 3), (1, 1))
