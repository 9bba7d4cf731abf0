"""Figures of lesson 04a on the history of CNNs: LeNet-5's parts, ReLU, ILSVRC, data sets.

The notebook keeps the facts (the ILSVRC results, the data set sizes, the 1998 connection
table) and the code that computes them; these functions only draw them.
"""
import numpy as np
import matplotlib.pyplot as plt

from .palette import MIN_FONT_SIZE

__all__ = ["plot_ilsvrc_winners", "plot_dataset_sizes", "plot_activation_slopes",
           "show_connection_table"]


def plot_ilsvrc_winners(entries, human_error=5.1, size=(12, 5)):
    """Bar chart of the ILSVRC winners' top-5 error, with the human error as a dashed line.

    Parameters
    ----------
    entries : sequence of (int, str, float, int)
        ``(year, entry, top-5 error in %, layers)`` per bar, in order; ``layers`` 0 marks
        an entry without a CNN (a grey bar labelled "no CNN").
    human_error : float or None
        The human top-5 error in % (Russakovsky et al. 2015 measured about 5.1);
        None leaves the line out.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    entries = list(entries)
    if not entries:
        raise ValueError("entries must hold at least one (year, entry, error, layers) tuple")
    for e in entries:
        if len(e) != 4 or not 0 <= e[2] <= 100 or e[3] < 0:
            raise ValueError(f"entries must be (year, entry, top-5 error in % from 0 to 100, "
                             f"layers >= 0) tuples, got {e!r}")
    fig, ax = plt.subplots(figsize=size)
    bars = ax.bar([f"{year}\n{name}" for year, name, _, _ in entries],
                  [err for _, _, err, _ in entries],
                  color=["grey" if depth == 0 else "C0" for *_, depth in entries])
    for bar, (_, _, err, depth) in zip(bars, entries):
        text = f"{err}%" + (f"\n{depth} layers" if depth else "\nno CNN")
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, err), ha="center", va="bottom",
                    fontsize=MIN_FONT_SIZE)
    if human_error is not None:
        ax.axhline(human_error, color="C3", ls="--", label=f"human, about {human_error}%")
        ax.legend(loc="upper right")    # above the short bars of the last years
    top = max(err for _, _, err, _ in entries)
    ax.set(ylabel="top-5 error (%)", ylim=(0, top * 1.35), title="ILSVRC classification winners")
    fig.tight_layout()
    return fig


def plot_dataset_sizes(megabytes, title=None, size=(10, 4.5)):
    """Horizontal bars, on a log scale, of the sizes of data sets, first on top.

    Parameters
    ----------
    megabytes : dict of str to float
        Data set name to its size in MB (all > 0), in the order to draw.
    title : str, optional
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not megabytes or any(not mb > 0 for mb in megabytes.values()):
        raise ValueError(f"megabytes must map at least one name to a size > 0 (a log scale), "
                         f"got {megabytes!r}")
    fig, ax = plt.subplots(figsize=size)
    ax.barh(list(megabytes), list(megabytes.values()), color="C0")
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set(xlabel="training set as uint8 arrays (MB, log scale)", title=title)
    fig.tight_layout()
    return fig


def plot_activation_slopes(activations, low=-4.0, high=4.0, size=(11, 3.8)):
    """Activation functions (left) and their slopes by autograd (right), side by side.

    The slope is what backpropagation multiplies the gradient by at each unit.

    Parameters
    ----------
    activations : dict of str to callable
        Name to a function of a torch tensor of shape ``(n,)`` returning shape ``(n,)``,
        e.g. ``{"tanh": torch.tanh, "ReLU": torch.relu}``.
    low, high : float
        The range of inputs ``a`` (``low < high``), 201 points.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import torch

    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
    if not activations:
        raise ValueError("activations must name at least one function")
    a = torch.linspace(low, high, 201, requires_grad=True)
    fig, axes = plt.subplots(1, 2, figsize=size)
    for name, f in activations.items():
        y = f(a)
        slope, = torch.autograd.grad(y.sum(), a)
        axes[0].plot(a.detach(), y.detach(), label=name)
        axes[1].plot(a.detach(), slope, label=name)
    axes[0].set(title="activation", xlabel="a")
    axes[1].set(title="slope (what backpropagation multiplies by)", xlabel="a")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    return fig


def show_connection_table(table, codes, n_inputs=6, n_codes=5, code_shape=(12, 7),
                          size=(12, 3.6)):
    """LeNet-5's (1998) C3 connection table beside the bitmap codes of its RBF output.

    Parameters
    ----------
    table : sequence of sequence of int
        For each output map, the input maps it reads (the paper's Table I: 16 entries
        of indices in ``range(n_inputs)``).
    codes : array-like, shape (n_classes, H * W)
        One code per class, drawn as an ``H x W`` bitmap (``code_shape``, 12 x 7 in the
        paper); a torch tensor works too.
    n_inputs : int
        Input maps, the rows of the table.
    n_codes : int
        How many codes to draw, from class 0.
    code_shape : (int, int)
        ``(H, W)`` of a code.
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    codes = np.asarray(codes.detach().cpu() if hasattr(codes, "detach") else codes)
    h, w = code_shape
    if codes.ndim != 2 or codes.shape[1] != h * w:
        raise ValueError(f"codes must have shape (n_classes, {h * w}) for code_shape "
                         f"{code_shape}, got {codes.shape}")
    if not 1 <= n_codes <= len(codes):
        raise ValueError(f"n_codes must be between 1 and {len(codes)}, got {n_codes}")
    connections = np.zeros((n_inputs, len(table)))
    for out_map, in_maps in enumerate(table):
        if not all(0 <= i < n_inputs for i in in_maps):
            raise ValueError(f"table[{out_map}] must hold input maps in range({n_inputs}), "
                             f"got {in_maps!r}")
        connections[list(in_maps), out_map] = 1
    fig, axes = plt.subplots(1, 2, figsize=size, gridspec_kw={"width_ratios": [2.2, 1]})
    axes[0].imshow(connections, cmap="Greys")
    axes[0].set(title=f"C3 connection table ({int(connections.sum())} of {connections.size})",
                xlabel="C3 map", ylabel="S2 map", xticks=range(0, len(table), 3),
                yticks=range(n_inputs))
    axes[1].imshow(np.concatenate(list(codes[:n_codes].reshape(n_codes, h, w)), axis=1),
                   cmap="Greys")
    axes[1].set(title=f"RBF codes of 0-{n_codes - 1}", xticks=[], yticks=[])
    fig.tight_layout()
    return fig
