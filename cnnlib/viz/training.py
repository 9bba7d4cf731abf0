"""Figures of training runs and of what a CNN learned: curves, filters, feature maps.

These functions take plain arrays (or torch tensors, converted with ``numpy()``)
so this module does not need torch itself.
"""
import numpy as np
import matplotlib.pyplot as plt

from .palette import MIN_FONT_SIZE, SEQUENTIAL, SMALL_FONT_SIZE, cycle


def _numpy(a):
    return np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=np.float64)


def _get(history, key):
    try:
        return list(history[key])
    except (KeyError, TypeError, AttributeError):
        return []


def plot_history(history, title=None, size=(9, 3.2), val_label="val"):
    """Loss and accuracy per epoch, training and validation, side by side.

    Parameters
    ----------
    history : cnnlib.train.History or dict of lists
        With ``train_loss`` and ``train_acc``; ``val_loss`` and ``val_acc`` are
        drawn when present. Several runs can be compared by passing a dict
        ``{label: history}``.
    title : str, optional
    size : (float, float)
        Figure size in inches.
    val_label : str
        Legend name of the validation curves (e.g. ``"test"`` when the data
        passed as ``val_data`` was the test set).

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = history if _is_run_dict(history) else {None: history}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=size)
    for i, (label, run) in enumerate(runs.items()):
        train_loss = _get(run, "train_loss")
        if not train_loss:
            name = "history" if label is None else f"history {label!r}"
            raise ValueError(f"{name} has no 'train_loss' entries to plot")
        color = cycle(i)
        prefix = f"{label} " if label is not None else ""
        for ax, key in ((ax_loss, "loss"), (ax_acc, "acc")):
            for split, style, name in (("train", "-", "train"), ("val", "--", val_label)):
                values = _get(run, f"{split}_{key}")
                if values:
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, style, color=color, marker="o", markersize=3,
                            label=f"{prefix}{name}")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=SMALL_FONT_SIZE)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _is_run_dict(history):
    return (isinstance(history, dict) and len(history) > 0
            and all(not isinstance(v, (list, tuple, np.ndarray)) for v in history.values()))


def _grid(n, ncols, size, title):
    """A figure with ``n`` square image axes (frames off) in rows of ``ncols``."""
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4 * bool(title)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat


def show_filters(weight, ncols=8, size=0.9, title=None, max_filters=64):
    """Show the kernels of a convolution layer as small images.

    Parameters
    ----------
    weight : array or tensor, shape (C_out, C_in, kH, kW)
        E.g. ``model.features[0].weight``. With ``C_in == 3`` each filter is shown
        in colour (RGB, each filter rescaled to [0, 1]); otherwise the first input
        channel of each filter in grey, with one symmetric colour scale for all so
        that positive (light) and negative (dark) weights compare across filters.
    ncols : int
        Filters per row.
    max_filters : int
        Show at most this many filters.

    Returns
    -------
    matplotlib.figure.Figure
    """
    w = _numpy(weight)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (C_out, C_in, kH, kW), got {w.shape}")
    w = w[:max_filters]
    fig, axes = _grid(len(w), ncols, size, title)
    limit = np.abs(w).max() or 1.0
    for ax, f in zip(axes, w):
        if f.shape[0] == 3:
            lo, hi = f.min(), f.max()
            ax.imshow(((f - lo) / (hi - lo + 1e-12)).transpose(1, 2, 0))
        else:
            ax.imshow(f[0], cmap="gray", vmin=-limit, vmax=limit)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(feature_map, ncols=8, size=1.1, title=None, max_maps=64, cmap=SEQUENTIAL):
    """Show the channels of a feature map, one image per channel.

    Parameters
    ----------
    feature_map : array or tensor, shape (C, H, W) or (1, C, H, W)
        The output of a layer for one image.
    ncols : int
        Channels per row.
    max_maps : int
        Show at most this many channels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fm = _numpy(feature_map)
    if fm.ndim == 4 and fm.shape[0] == 1:
        fm = fm[0]
    if fm.ndim != 3:
        raise ValueError(f"feature_map must have shape (C, H, W) or (1, C, H, W), got {fm.shape}")
    fm = fm[:max_maps]
    fig, axes = _grid(len(fm), ncols, size, title)
    for c, (ax, m) in enumerate(zip(axes, fm)):
        ax.imshow(m, cmap=cmap)
        ax.set_title(str(c), fontsize=MIN_FONT_SIZE)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
