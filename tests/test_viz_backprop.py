"""cnnlib.viz.backprop: the figures of lesson 03 show the numbers they are given."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.ndimage  # noqa: E402

from cnnlib import viz  # noqa: E402
from cnnlib.viz import palette  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_number_grids_write_every_value_and_leave_big_arrays_bare():
    small, big = np.array([[1.0, 2.5], [0.0, 4.0]]), np.arange(64.0).reshape(8, 8)
    fig = viz.show_number_grids([big, small], ["big", "small"], max_annotated=36)
    bare, labelled = fig.axes
    assert len(bare.texts) == 0 and bare.get_title() == "big"
    assert [t.get_text() for t in labelled.texts] == ["1", "2.5", "0", "4"]
    # each number sits on its cell: text (x, y) = (column, row)
    assert [t.get_position() for t in labelled.texts] == [(0, 0), (1, 0), (0, 1), (1, 1)]


def test_hide_zeros_leaves_the_zero_cells_blank():
    delta = np.zeros((3, 3))
    delta[1, 2], delta[2, 0] = -1.0, -3.0
    fig = viz.show_number_grids([delta], ["delta"], hide_zeros=True)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["-1", "-3"]


def test_signed_arrays_get_the_diverging_palette_centred_on_zero():
    fig = viz.show_number_grids([np.array([[-2.0, 1.0]]), np.array([[0.0, 5.0]])], ["g", "x"])
    signed, positive = (ax.images[0] for ax in fig.axes)
    assert signed.get_cmap().name == palette.DIVERGING and signed.get_clim() == (-2.0, 2.0)
    assert positive.get_cmap().name == palette.SEQUENTIAL


def test_numbers_are_black_on_light_cells_and_white_on_dark_ones():
    # viridis runs from dark purple (the minimum) to light yellow (the maximum)
    fig = viz.show_number_grids([np.array([[0.0, 1.0]])], ["x"])
    low, high = fig.axes[0].texts
    assert (low.get_color(), high.get_color()) == ("white", "black")


@pytest.mark.parametrize("arrays, titles, match", [
    ([np.zeros(3)], ["a"], "2D"),
    ([np.zeros((2, 2))], ["a", "b"], "one title per array"),
    ([], [], "at least one"),
])
def test_number_grids_reject_bad_input(arrays, titles, match):
    with pytest.raises(ValueError, match=match):
        viz.show_number_grids(arrays, titles)


def test_jacobians_are_drawn_black_where_non_zero():
    jac = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    fig = viz.show_jacobians([jac], ["J"])
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("input index", "output index")
    shown = ax.images[0].get_array()
    assert np.array_equal(np.asarray(shown, dtype=bool), jac != 0)


def test_kernel_training_draws_the_losses_and_the_kernel_with_a_colour_bar():
    losses, kernel = [0.7, 0.3, 0.2], np.array([[0.5, -1.0], [0.0, 0.25]])
    fig = viz.plot_kernel_training(losses, kernel, title="k")
    curve_ax, kernel_ax, colour_bar = fig.axes
    assert curve_ax.lines[0].get_ydata().tolist() == losses
    assert np.array_equal(kernel_ax.images[0].get_array(), kernel)
    assert kernel_ax.images[0].get_clim() == (-1.0, 1.0) and kernel_ax.get_title() == "k"
    with pytest.raises(ValueError, match="losses"):
        viz.plot_kernel_training([], kernel)


def test_loss_curves_are_moving_means_with_the_legend_outside():
    rng = np.random.default_rng(0)
    curves = {"NumPy": rng.random(30), "PyTorch": rng.random(30)}
    fig = viz.plot_loss_curves(curves, window=5)
    ax = fig.axes[0]
    for line, values in zip(ax.lines, curves.values()):
        # scipy's uniform filter, centred, away from the ends, is the same moving mean
        centred = scipy.ndimage.uniform_filter1d(values, 5, mode="nearest")[2:-2]
        np.testing.assert_allclose(line.get_ydata(), centred)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["NumPy", "PyTorch"]
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.bbox.x1 - 1      # beside, not on, the data


@pytest.mark.parametrize("curves, window, match", [
    ({}, 3, "at least one"), ({"a": [1.0, 2.0]}, 0, "window"), ({"a": [1.0, 2.0]}, 3, "at least"),
])
def test_loss_curves_reject_bad_input(curves, window, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_loss_curves(curves, window=window)
