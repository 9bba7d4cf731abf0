"""cnnlib.viz.milestones: lesson 04a's figures draw the numbers given, and refuse bad ones."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from cnnlib import viz  # noqa: E402
from cnnlib.models.lenet import C3_TABLE  # noqa: E402

ILSVRC = [(2010, "NEC-UIUC", 28.2, 0), (2012, "AlexNet", 15.3, 8), (2015, "ResNet", 3.57, 152)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_ilsvrc_bars_have_the_errors_grey_without_a_cnn_and_a_human_line():
    fig = viz.plot_ilsvrc_winners(ILSVRC, human_error=5.1)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([28.2, 15.3, 3.57])
    grey = matplotlib.colors.to_rgba("grey")
    assert [p.get_facecolor() == grey for p in ax.patches] == [True, False, False]
    assert [t.get_text() for t in ax.texts] == ["28.2%\nno CNN", "15.3%\n8 layers",
                                                 "3.57%\n152 layers"]
    (line,) = ax.get_lines()
    assert line.get_ydata()[0] == 5.1
    assert ax.get_ylim()[1] > 28.2            # the tallest label fits
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2010\nNEC-UIUC", "2012\nAlexNet",
                                                           "2015\nResNet"]


def test_ilsvrc_without_human_line_and_bad_entries():
    assert not viz.plot_ilsvrc_winners(ILSVRC, human_error=None).axes[0].get_lines()
    with pytest.raises(ValueError, match="entries"):
        viz.plot_ilsvrc_winners([])
    with pytest.raises(ValueError, match="entries"):
        viz.plot_ilsvrc_winners([(2010, "x", 128.0, 0)])


def test_dataset_sizes_on_a_log_scale_first_on_top():
    mb = {"MNIST": 47.04, "ImageNet": 192_852.0}
    fig = viz.plot_dataset_sizes(mb, title="sizes")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([47.04, 192_852.0])
    # y axis inverted: the first data set is drawn at the top.
    assert ax.get_ylim()[0] > ax.get_ylim()[1]
    with pytest.raises(ValueError, match="megabytes"):
        viz.plot_dataset_sizes({"empty": 0.0})


def test_activation_slopes_are_the_derivatives():
    fig = viz.plot_activation_slopes({"tanh": torch.tanh, "ReLU": torch.relu}, low=-4, high=4)
    left, right = fig.axes
    a = np.linspace(-4, 4, 201)
    (tanh, relu), (dtanh, drelu) = left.get_lines(), right.get_lines()
    np.testing.assert_allclose(tanh.get_ydata(), np.tanh(a), atol=1e-6)
    np.testing.assert_allclose(relu.get_ydata(), np.maximum(a, 0), atol=1e-6)
    np.testing.assert_allclose(dtanh.get_ydata(), 1 - np.tanh(a) ** 2, atol=1e-5)
    np.testing.assert_array_equal(drelu.get_ydata()[a < 0], 0)
    np.testing.assert_array_equal(drelu.get_ydata()[a > 0], 1)
    with pytest.raises(ValueError, match="low must be smaller"):
        viz.plot_activation_slopes({"tanh": torch.tanh}, low=1, high=1)


def test_connection_table_marks_the_papers_60_connections():
    codes = np.arange(10 * 84).reshape(10, 84) % 2
    fig = viz.show_connection_table(C3_TABLE, codes, n_codes=5)
    table, bitmaps = fig.axes
    grid = table.get_images()[0].get_array()
    assert grid.shape == (6, 16) and grid.sum() == 60
    # LeCun et al. (1998), Table I: C3 map 0 reads S2 maps 0, 1, 2; map 15 reads all six.
    assert list(np.flatnonzero(grid[:, 0])) == [0, 1, 2]
    assert grid[:, 15].sum() == 6
    strip = bitmaps.get_images()[0].get_array()
    assert strip.shape == (12, 5 * 7)
    np.testing.assert_array_equal(strip[:, 7:14], codes[1].reshape(12, 7))
    assert "60 of 96" in table.get_title()


def test_connection_table_refuses_bad_codes_and_maps():
    with pytest.raises(ValueError, match="codes must have shape"):
        viz.show_connection_table(C3_TABLE, np.zeros((10, 80)))
    with pytest.raises(ValueError, match=r"table\[0\]"):
        viz.show_connection_table([(0, 7)], np.zeros((10, 84)))
    with pytest.raises(ValueError, match="n_codes"):
        viz.show_connection_table(C3_TABLE, np.zeros((10, 84)), n_codes=11)
