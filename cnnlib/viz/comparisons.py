"""Figures that compare network designs: runs, seeds, layers, loss slices, size and cost.

Runs over seeds, per-layer norms, loss slices, and accuracy against size and cost: the
figures of lesson 04c (ResNet and after). They take plain arrays and dicts, so this
module does not need torch.
"""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm
from matplotlib.ticker import PercentFormatter

from .training import plot_history

__all__ = ["plot_runs", "plot_seed_spread", "plot_layer_norms", "plot_loss_surfaces",
           "plot_accuracy_against_cost", "plot_accuracy_density"]

_OUTSIDE = dict(loc="upper left", bbox_to_anchor=(1.02, 1))   # legends beside the data


def plot_runs(histories, size=(13, 4.5), val_label="validation"):
    """Loss and accuracy per epoch of several runs, with one legend beside the two plots.

    :func:`cnnlib.viz.plot_history` for a dict of runs, its legend moved off the data.

    Parameters
    ----------
    histories : dict
        ``{label: History or dict of lists}`` with ``train_loss`` and ``train_acc`` (and
        ``val_loss``, ``val_acc`` when drawn).
    size : (float, float)
        Figure size in inches.
    val_label : str
        Legend name of the validation curves.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict {label: history}")
    fig = plot_history(histories, size=size, val_label=val_label)
    fig.axes[0].get_legend().remove()
    fig.axes[1].legend(**_OUTSIDE)
    fig.tight_layout()
    return fig


def plot_seed_spread(accuracies, seeds, size=(13, 5)):
    """One marker per seed and the mean ± standard deviation, per design and split.

    Parameters
    ----------
    accuracies : dict
        ``{split: {name: array of shape (len(seeds),)}}``, e.g. ``{"training": ...,
        "validation": ...}``: one panel per split, one column of markers per name.
    seeds : sequence of int
        The seeds, in the order of the arrays (at most 6 are given distinct markers).
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    seeds = list(seeds)
    if not 2 <= len(seeds) <= 6:
        raise ValueError(f"seeds must hold 2 to 6 seeds, got {len(seeds)}")
    fig, axes = plt.subplots(1, len(accuracies), figsize=size, sharey=True, squeeze=False)
    for ax, (split, acc) in zip(axes[0], accuracies.items()):
        names = list(acc)
        for name in names:
            if len(acc[name]) != len(seeds):
                raise ValueError(f"accuracies[{split!r}][{name!r}] has {len(acc[name])} "
                                 f"values; seeds has {len(seeds)}")
        positions = np.arange(len(names))
        for k, (seed, marker) in enumerate(zip(seeds, "os^vPX")):
            ax.scatter(positions + 0.12 * (k - (len(seeds) - 1) / 2), [acc[n][k] for n in names],
                       marker=marker, label=f"seed {seed}", zorder=3)
        ax.errorbar(positions + 0.3, [np.mean(acc[n]) for n in names],
                    yerr=[np.std(acc[n], ddof=1) for n in names], fmt="D", color="k",
                    markersize=4, capsize=4, label="mean ± std")
        ax.set(xticks=positions, xticklabels=names, title=f"final {split} accuracy")
        ax.yaxis.set_major_formatter(PercentFormatter(1))
        ax.grid(axis="y", alpha=0.3)
    axes[0, -1].legend(**_OUTSIDE)
    fig.tight_layout()
    return fig


def plot_layer_norms(norms, ylabel="gradient norm", title="gradient norm per layer",
                     xlabel="layer (input side → output side)", size=(11, 4.5)):
    """A norm per layer, input side to output side, on a log scale; one line per network.

    Parameters
    ----------
    norms : dict
        ``{name: sequence of L positive floats}``, layer 1 (input side) first.
    ylabel, title, xlabel : str
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=size)
    for name, values in norms.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or not np.all(values > 0):
            raise ValueError(f"norms[{name!r}] must be a 1-D sequence of positive norms")
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=name)
    ax.set(yscale="log", xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(**_OUTSIDE)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_loss_surfaces(surfaces, alphas, betas, vmax=1e3, size=(13, 6),
                       ticks=(0.5, 1, 2, 5, 10, 100, 1000)):
    """Contour maps of loss slices on one shared log colour scale, the centre starred.

    Parameters
    ----------
    surfaces : dict
        ``{name: ndarray of shape (len(alphas), len(betas))}``, ``surface[i, j]`` the loss at
        ``(alphas[i], betas[j])`` as :func:`cnnlib.landscape.loss_surface` returns it; the
        trained weights are at the middle of the grid.
    alphas, betas : array of shape (A,) and (B,)
        The steps along the two directions.
    vmax : float
        Top of the colour scale (larger losses get the "over" colour).
    size : (float, float)
        Figure size in inches.
    ticks : sequence of float
        Colour-bar ticks.

    Returns
    -------
    matplotlib.figure.Figure
    """
    alphas, betas = np.asarray(alphas), np.asarray(betas)
    for name, s in surfaces.items():
        if np.shape(s) != (len(alphas), len(betas)):
            raise ValueError(f"surfaces[{name!r}] must have shape (len(alphas), len(betas)) = "
                             f"{(len(alphas), len(betas))}, got {np.shape(s)}")
    low = min(np.min(s) for s in surfaces.values())
    levels = np.geomspace(low, vmax, 21)                # shared and log-spaced
    norm = LogNorm(levels[0], levels[-1])
    centre = len(alphas) // 2, len(betas) // 2
    fig, axes = plt.subplots(1, len(surfaces), figsize=size, sharey=True, squeeze=False)
    for ax, (name, s) in zip(axes[0], surfaces.items()):
        s = np.asarray(s)
        # contour wants z[y, x]: beta runs along the rows of s.T
        filled = ax.contourf(alphas, betas, s.T, levels=levels, norm=norm, cmap="viridis",
                             extend="max")
        ax.contour(alphas, betas, s.T, levels=levels, colors="k", linewidths=0.3)
        ax.plot(0, 0, "w*", markersize=10, markeredgecolor="k")
        ax.set(title=f"{name}\nloss {s[centre]:.2f} at the trained weights (star)",
               xlabel="α (along d1)", aspect="equal")
    axes[0, 0].set_ylabel("β (along d2)")
    bar = fig.colorbar(filled, ax=axes[0], label="training loss on the batch (log scale)",
                       ticks=list(ticks))
    bar.ax.set_yticklabels([f"{t:g}" for t in ticks])
    return fig


def plot_accuracy_against_cost(rows, highlight=(), size=(13, 7)):
    """ImageNet top-1 accuracy against G MACs per image, coloured by parameters.

    Parameters
    ----------
    rows : list of dict
        With keys ``"name"``, ``"acc@1"`` (%), ``"gmacs"`` and ``"params"``, as
        :func:`cnnlib.models.imagenet_zoo` returns them.
    highlight : iterable of str
        Names to label (the labels of models above 100 G MACs go to the left).
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    highlight = set(highlight)
    fig, ax = plt.subplots(figsize=size)
    gmacs = np.array([r["gmacs"] for r in rows], dtype=float)
    acc1 = np.array([r["acc@1"] for r in rows], dtype=float)
    params = np.array([r["params"] for r in rows], dtype=float) / 1e6
    points = ax.scatter(gmacs, acc1, s=25, c=np.log10(params), cmap="viridis",
                        alpha=0.8, edgecolors="k", linewidths=0.3)
    for r in rows:
        if r["name"] in highlight:
            right = r["gmacs"] < 100
            ax.annotate(r["name"], (r["gmacs"], r["acc@1"]), xytext=(4 if right else -4, -3),
                        textcoords="offset points", ha="left" if right else "right")
    ax.set(xscale="log", xlabel="G MACs per image (log scale)",
           ylabel="ImageNet top-1 accuracy (%)", title="torchvision's ImageNet models")
    fig.colorbar(points, ax=ax, label="log10(parameters in millions)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_accuracy_density(density, size=(12, 5.5)):
    """Bars, on a log scale, of top-1 accuracy per million parameters (Canziani et al., 2016).

    Parameters
    ----------
    density : dict
        ``{name: % top-1 per million parameters}`` in the order to draw.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=size)
    ax.bar(list(density), list(density.values()))
    ax.set_yscale("log")
    ax.set_ylabel("top-1 % per M-params")
    ax.set_title("accuracy density (Canziani et al. 2016),\nroughly in order of publication")
    ax.tick_params(axis="x", rotation=45)
    plt.setp(ax.get_xticklabels(), ha="right")
    fig.tight_layout()
    return fig
