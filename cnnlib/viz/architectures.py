"""Figures of the deep ImageNet networks (lesson 04b): layer costs, the ILSVRC winners.

Where a network's memory and parameters sit, layer by layer, and how the ILSVRC winners'
top-5 error fell from 2010 to 2017. The numbers drawn come from the caller
(:func:`plot_layer_costs` takes the rows of :func:`cnnlib.models.summary`) or from the
published results quoted in ``ILSVRC_WINNERS`` and ``IMAGENET_PAPERS``; this module
does not need torch.
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["ILSVRC_WINNERS", "IMAGENET_PAPERS", "LAYER_COLOURS", "plot_layer_costs",
           "plot_imagenet_progress"]

#: Winner of the ILSVRC classification task per year: (name, top-5 test error in %).
#: 2010-2014 from Russakovsky et al., *ImageNet large scale visual recognition challenge*,
#: IJCV 2015 (its results table); 2015-2017 from the challenge results and the winners'
#: papers (He et al. 2016, 3.57%; the Trimps-Soushen team 2016, 2.99%; Hu et al. 2018,
#: 2.251%, drawn as 2.25).
ILSVRC_WINNERS = {2010: ("NEC-UIUC", 28.2), 2011: ("XRCE", 25.8), 2012: ("AlexNet", 15.3),
                  2013: ("Clarifai", 11.7), 2014: ("GoogLeNet", 6.7), 2015: ("ResNet", 3.57),
                  2016: ("Trimps-Soushen", 2.99), 2017: ("SENet", 2.25)}

#: Networks published on ImageNet that were not challenge entries: label to (when the paper
#: appeared, as a fractional year; top-5 error in %; where the label is drawn, (year, error)).
#: Inception-v4 with three Inception-ResNet-v2, an ensemble on the test set (Szegedy et al.,
#: AAAI 2017; arXiv February 2016); one Xception on the validation set (Chollet, CVPR 2017,
#: table 1: top-5 accuracy 0.945).
IMAGENET_PAPERS = {
    "Inception-v4 + 3 Inception-\nResNet-v2: 3.08%": (2016.15, 3.08, (2015.35, 6.3)),
    "Xception (one net,\nvalidation): 5.5%": (2016.8, 5.5, (2015.35, 13)),
}

#: Bar colour of each layer type in :func:`plot_layer_costs`.
LAYER_COLOURS = {"Input": "grey", "Conv2d": "C0", "MaxPool2d": "C2", "Linear": "C3"}


def plot_layer_costs(rows, labels=None, size=(12, 7)):
    """Two bar charts, one bar per layer on log scales: activations per image, parameters.

    Parameters
    ----------
    rows : sequence of dict
        One per layer, in order, with ``"type"`` (e.g. ``"Conv2d"``; coloured by
        ``LAYER_COLOURS``, other types grey), ``"activations"`` (the numbers the
        layer outputs for one image, e.g. 64 x 224 x 224) and ``"params"``: the rows of
        ``cnnlib.models.summary(model, (C, H, W)).rows``.
    labels : sequence of str, optional
        The x tick label of each layer; by default its type.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing x: "memory: outputs per image" above, "parameters" below.

    Raises
    ------
    ValueError
        If ``rows`` is empty, a row lacks a key, or ``labels`` has another length.

    Examples
    --------
    >>> rows = [{"type": "Conv2d", "activations": 64 * 224 * 224, "params": 1792},
    ...         {"type": "Linear", "activations": 4096, "params": 102764544}]
    >>> fig = plot_layer_costs(rows, labels=["CONV3", "FC"])
    >>> [ax.get_title() for ax in fig.axes], [int(p.get_height()) for p in fig.axes[1].patches]
    (['memory: outputs per image', 'parameters'], [1792, 102764544])
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows must hold at least one layer, got none")
    for i, row in enumerate(rows):
        missing = {"type", "activations", "params"} - set(row)
        if missing:
            raise ValueError(f"rows[{i}] must have the keys 'type', 'activations' and "
                             f"'params'; missing {sorted(missing)}")
    labels = [row["type"] for row in rows] if labels is None else list(labels)
    if len(labels) != len(rows):
        raise ValueError(f"labels must have one entry per row ({len(rows)}), "
                         f"got {len(labels)}")
    fig, axes = plt.subplots(2, 1, figsize=size, sharex=True)
    positions = np.arange(len(rows))
    colours = [LAYER_COLOURS.get(row["type"], "grey") for row in rows]
    for ax, key, title in ((axes[0], "activations", "memory: outputs per image"),
                           (axes[1], "params", "parameters")):
        ax.bar(positions, [row[key] for row in rows], color=colours)
        ax.set(yscale="log", title=title)
    axes[1].set_xticks(positions, labels, rotation=90)
    fig.tight_layout()
    return fig


def plot_imagenet_progress(winners=None, papers=None, size=(12, 6)):
    """The ILSVRC winners' top-5 error by year on a log scale, with papers as open markers.

    Parameters
    ----------
    winners : dict, optional
        Year to (name, top-5 error in %); ``ILSVRC_WINNERS`` by default. Drawn as a
        line of filled markers, each labelled with its name and error.
    papers : dict, optional
        Label to (year, top-5 error in %, (label year, label error)) for results that
        were not challenge entries; ``IMAGENET_PAPERS`` by default. Drawn as open
        markers with their label at the given place, joined by a thin line.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x the year, y the top-5 error in % on a log scale (ticks 2 to 30), the
        legend below the axes.

    Raises
    ------
    ValueError
        If an error rate is not positive (a log scale cannot draw it).

    Examples
    --------
    >>> fig = plot_imagenet_progress()
    >>> line = fig.axes[0].lines[0]
    >>> [(int(year), float(error)) for year, error in zip(line.get_xdata(), line.get_ydata())][2]
    (2012, 15.3)
    """
    winners = ILSVRC_WINNERS if winners is None else winners
    papers = IMAGENET_PAPERS if papers is None else papers
    errors = [e for _, e in winners.values()] + [e for _, e, _ in papers.values()]
    if any(not e > 0 for e in errors):
        raise ValueError(f"every top-5 error must be a positive percentage, got {errors}")
    fig, ax = plt.subplots(figsize=size)
    ax.plot(list(winners), [e for _, e in winners.values()], "o-", color="C0",
            label="ILSVRC winner")
    for year, (name, error) in winners.items():
        ax.annotate(f"{name}\n{error}%", (year, error), textcoords="offset points",
                    xytext=(0, 6), ha="center")
    for name, (year, error, place) in papers.items():
        ax.plot(year, error, "o", mfc="none", color="C3")
        ax.annotate(name, (year, error), xytext=place, va="bottom", color="C3",
                    arrowprops=dict(arrowstyle="-", color="C3", lw=0.8))
    ax.plot([], [], "o", mfc="none", color="C3", label="paper, not a challenge entry")
    ax.set_yscale("log")
    ax.minorticks_off()
    ax.set_yticks([2, 3, 5, 10, 20, 30], ["2", "3", "5", "10", "20", "30"])
    ax.set(xlabel="year", ylabel="top-5 error (%, log scale)", ylim=(1.5, 45),
           xlim=(min(winners) - 0.5, max(winners) + 0.7))
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.15), ncol=2)
    fig.tight_layout()
    return fig
