"""Figures of backpropagation: grids of numbers, Jacobians, a learned kernel, loss curves.

The figures of lesson 03 (backpropagation through a CNN). They take plain NumPy arrays,
so this module does not need torch.
"""
import numpy as np
import matplotlib.pyplot as plt

from .metrics import readable_text_color
from .palette import DIVERGING, SEQUENTIAL

__all__ = ["show_number_grids", "show_jacobians", "plot_kernel_training", "plot_loss_curves"]


def _matrix(a, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2D arrays (H, W), got shape {a.shape}")
    return a


def _titled(arrays, titles):
    arrays = [_matrix(a, "arrays") for a in arrays]
    if not arrays:
        raise ValueError("arrays must hold at least one array")
    if len(titles) != len(arrays):
        raise ValueError(f"titles must give one title per array: {len(arrays)} arrays, "
                         f"{len(titles)} titles")
    return arrays


def show_number_grids(arrays, titles, max_annotated=49, hide_zeros=False, height=4.6):
    """Show 2D arrays side by side as coloured grids, each cell labelled with its value.

    An array with a negative entry (a gradient) is drawn with the diverging palette
    centred on 0 (white is 0, blue negative, red positive); the others with the
    sequential one. Each number is written in black or white, whichever reads better on
    its cell.

    Parameters
    ----------
    arrays : sequence of array-like, each of shape (H, W)
    titles : sequence of str
        One title per array.
    max_annotated : int
        Arrays with more cells than this are drawn without numbers.
    hide_zeros : bool
        Leave cells that hold exactly 0 without a number (a sparse gradient reads better).
    height : float
        Figure height in inches; the width grows with the number of arrays.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_number_grids([np.eye(2), -np.eye(2)], ["I", "-I"])
    >>> len(fig.axes)
    2
    """
    arrays = _titled(arrays, titles)
    fig, axes = plt.subplots(1, len(arrays), figsize=(4 * len(arrays), height), squeeze=False)
    for ax, title, a in zip(axes[0], titles, arrays):
        if a.min() < 0:
            limit = np.abs(a).max()
            image = ax.imshow(a, cmap=DIVERGING, vmin=-limit, vmax=limit)
        else:
            image = ax.imshow(a, cmap=SEQUENTIAL)
        if a.size <= max_annotated:
            for (i, j), v in np.ndenumerate(a):
                if v != 0 or not hide_zeros:
                    color = readable_text_color(image.cmap(image.norm(v)))
                    ax.text(j, i, f"{v:g}", ha="center", va="center", color=color)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def show_jacobians(jacobians, titles, height=4.6):
    """Show Jacobian matrices side by side: black where an entry is non-zero.

    Parameters
    ----------
    jacobians : sequence of array-like, each of shape (outputs, inputs)
        ``J[k, m]`` is d(output k)/d(input m).
    titles : sequence of str
        One title per matrix.
    height : float
        Figure height in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_jacobians([np.eye(3)], ["identity"])
    >>> fig.axes[0].get_xlabel()
    'input index'
    """
    jacobians = _titled(jacobians, titles)
    fig, axes = plt.subplots(1, len(jacobians), figsize=(6 * len(jacobians), height),
                             squeeze=False)
    for ax, title, jac in zip(axes[0], titles, jacobians):
        ax.imshow(jac != 0, cmap="Greys", vmin=0, vmax=1)
        ax.set_title(title)
        ax.set_xlabel("input index")
        ax.set_ylabel("output index")
    fig.tight_layout()
    return fig


def plot_kernel_training(losses, kernel, title="the learned kernel"):
    """The training loss per iteration (left) and the learned kernel (right).

    Parameters
    ----------
    losses : array-like, shape (T,)
        The loss at each of T iterations.
    kernel : array-like, shape (kH, kW)
        The learned kernel, drawn with the diverging palette centred on 0 and a colour bar.
    title : str
        Title of the kernel's panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_kernel_training([1.0, 0.5, 0.2], np.array([[1.0, -1.0], [0.5, 0.0]]))
    >>> fig.axes[0].get_ylabel()
    'loss (with L2)'
    """
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"losses must be a non-empty 1D sequence (T,), got shape {losses.shape}")
    kernel = _matrix(kernel, "kernel")
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4))
    ax0.plot(losses)
    ax0.set_xlabel("iteration")
    ax0.set_ylabel("loss (with L2)")
    limit = np.abs(kernel).max() or 1.0
    image = ax1.imshow(kernel, cmap=DIVERGING, vmin=-limit, vmax=limit)
    ax1.set_title(title)
    ax1.axis("off")
    fig.colorbar(image, ax=ax1)
    fig.tight_layout()
    return fig


def plot_loss_curves(curves, window=10, xlabel="mini-batch"):
    """Training-loss curves of several runs, each smoothed by a moving mean.

    Parameters
    ----------
    curves : dict of str to array-like, each of shape (T,)
        One loss per step for each run, e.g. ``{"NumPy": [...], "PyTorch": [...]}``.
    window : int
        Steps averaged per point (1: no smoothing); a curve of T steps gives
        T - window + 1 points.
    xlabel : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_loss_curves({"a": [3.0, 2.0, 1.0], "b": [3.0, 2.5, 1.5]}, window=2)
    >>> len(fig.axes[0].lines[0].get_xdata())
    2
    """
    if not curves:
        raise ValueError("curves must hold at least one run")
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size < window:
            raise ValueError(f"curves[{name!r}] must be 1D with at least window={window} "
                             f"values, got shape {values.shape}")
        ax.plot(np.convolve(values, np.ones(window) / window, mode="valid"), label=name,
                linestyle="-" if i == 0 else "--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"training loss ({window}-step mean)" if window > 1 else "training loss")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    return fig
