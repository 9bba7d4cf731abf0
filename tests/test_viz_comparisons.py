"""cnnlib.viz.comparisons: the figures draw the numbers they are given, legends off the data."""
import statistics

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from cnnlib import viz  # noqa: E402
from cnnlib.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _outside(legend):
    return legend is not None and legend.get_bbox_to_anchor().x0 > legend.axes.bbox.x1 - 1


ACC = {"training": {"a": np.array([0.6, 0.7, 0.65]), "b": np.array([0.3, 0.2, 0.25])},
       "validation": {"a": np.array([0.5, 0.1, 0.6]), "b": np.array([0.2, 0.2, 0.3])}}


def test_plot_runs_has_one_legend_beside_the_plots():
    runs = {"x": History(train_loss=[2, 1], train_acc=[0.3, 0.6], val_loss=[2.5, 1.5],
                         val_acc=[0.2, 0.5]),
            "y": History(train_loss=[1.5, 0.8], train_acc=[0.4, 0.7])}
    fig = viz.plot_runs(runs)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_legend() is None and _outside(acc_ax.get_legend())
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [[0.3, 0.6], [0.2, 0.5],
                                                                 [0.4, 0.7]]
    with pytest.raises(TypeError, match="non-empty dict"):
        viz.plot_runs([])


def test_plot_seed_spread_shows_every_seed_and_the_sample_spread():
    fig = viz.plot_seed_spread(ACC, seeds=(0, 1, 2))
    assert len(fig.axes) == 2
    for ax, acc in zip(fig.axes, ACC.values()):
        points = [c.get_offsets()[:, 1] for c in ax.collections if isinstance(c, PathCollection)]
        assert len(points) == 3
        for k, seed_points in enumerate(points):
            np.testing.assert_allclose(seed_points, [acc["a"][k], acc["b"][k]])
        (bars,) = ax.containers
        means = np.asarray(bars.lines[0].get_ydata(), dtype=float)
        np.testing.assert_allclose(means, [np.mean(acc["a"]), np.mean(acc["b"])])
        low, high = (np.asarray(c.get_ydata(), dtype=float) for c in bars.lines[1])
        np.testing.assert_allclose((high - low) / 2, [statistics.stdev(acc["a"].tolist()),
                                                      statistics.stdev(acc["b"].tolist())])
    assert _outside(fig.axes[1].get_legend())
    with pytest.raises(ValueError, match="has 2 values; seeds has 3"):
        viz.plot_seed_spread({"training": {"a": np.array([0.1, 0.2])}}, seeds=(0, 1, 2))
    with pytest.raises(ValueError, match="2 to 6 seeds"):
        viz.plot_seed_spread(ACC, seeds=(0,))


def test_plot_layer_norms_draws_each_network_on_a_log_scale():
    norms = {"plain": [3.0, 2.0, 1.0], "residual": [1.0, 0.5, 0.7]}
    fig = viz.plot_layer_norms(norms)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [list(line.get_ydata()) for line in ax.lines] == list(norms.values())
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3] and _outside(ax.get_legend())
    with pytest.raises(ValueError, match="positive norms"):
        viz.plot_layer_norms({"bad": [1.0, 0.0]})


def test_plot_loss_surfaces_titles_the_centre_loss_and_shares_one_scale():
    steps = np.linspace(-1, 1, 5)
    a, b = np.meshgrid(steps, steps, indexing="ij")
    surfaces = {"p": 1 + 10 * (a ** 2 + b ** 2), "r": 0.5 + a ** 2 + 2 * b ** 2}
    fig = viz.plot_loss_surfaces(surfaces, steps, steps)
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert "loss 1.00 at the trained weights" in titles[0]
    assert "loss 0.50 at the trained weights" in titles[1]
    assert len(fig.axes) == 3                        # two maps and one colour bar
    with pytest.raises(ValueError, match=r"shape \(len\(alphas\), len\(betas\)\)"):
        viz.plot_loss_surfaces({"p": np.ones((4, 5))}, steps, steps)


def test_plot_accuracy_against_cost_labels_only_the_highlighted_models():
    rows = [{"name": "small", "acc@1": 60.0, "gmacs": 0.1, "params": 1e6},
            {"name": "large", "acc@1": 85.0, "gmacs": 300.0, "params": 3e8},
            {"name": "mid", "acc@1": 75.0, "gmacs": 4.0, "params": 2.5e7}]
    fig = viz.plot_accuracy_against_cost(rows, highlight=["small", "large"])
    ax = fig.axes[0]
    labels = {t.get_text(): t.get_horizontalalignment() for t in ax.texts}
    assert labels == {"small": "left", "large": "right"}
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.1, 60], [300, 85], [4, 75]])
    assert ax.get_xscale() == "log"


def test_plot_accuracy_density_draws_one_bar_per_model_in_order():
    density = {"alexnet": 0.93, "googlenet": 10.5, "squeezenet1_1": 47.1}
    fig = viz.plot_accuracy_density(density)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], list(density.values()))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(density)
