"""Figures of the convolution operator itself (lesson 01a).

The notebook computes; these functions only draw what it computed: a row of images of
different sizes, weight counts on a log scale, the connections of a dense, a locally
connected and a convolution layer, a kernel sliding over a 1D signal, small matrices with
their numbers written in the cells, a separable kernel, a filter's output made displayable,
and the outputs of the *full*, *same* and *valid* modes in one frame.
"""
import matplotlib.pyplot as plt
import numpy as np

from .palette import MIN_FONT_SIZE, SEQUENTIAL, SEQUENTIAL_BLUE, cycle

__all__ = ["show_image_row", "plot_weight_counts", "plot_connections", "plot_sliding_window",
           "show_matrices", "plot_separable", "filtered_for_display", "show_modes"]

MODES = ("full", "same", "valid")


def _matrix(m, name):
    m = np.asarray(m)
    if m.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {m.shape}")
    return m


def _titles(titles, n, name="titles"):
    titles = [None] * n if titles is None else list(titles)
    if len(titles) != n:
        raise ValueError(f"{name} must give one title per panel ({n}), got {len(titles)}")
    return titles


def show_image_row(images, titles=None, width_ratios=None, figsize=(13, 2.6), cmap="gray"):
    """Images of different sizes side by side, one panel each, axes hidden.

    Parameters
    ----------
    images : sequence of arrays, each (H_i, W_i)
    titles : sequence of str, optional
        One per image.
    width_ratios : sequence of float, optional
        Relative panel widths, one per image (e.g. a photograph twice as wide as digits).
    figsize : (float, float)
    cmap : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    images = [_matrix(img, f"images[{i}]") for i, img in enumerate(images)]
    titles = _titles(titles, len(images))
    if width_ratios is not None and len(width_ratios) != len(images):
        raise ValueError(f"width_ratios must give one ratio per image ({len(images)}), "
                         f"got {len(width_ratios)}")
    fig, axes = plt.subplots(1, len(images), figsize=figsize, squeeze=False,
                             gridspec_kw={"width_ratios": width_ratios})
    for ax, img, title in zip(axes[0], images, titles):
        ax.imshow(img, cmap=cmap)
        if title is not None:
            ax.set_title(title)
        ax.axis("off")
    return fig


def plot_weight_counts(counts, title=None, ax=None):
    """Horizontal bars of weight counts on a log scale, the first on top.

    Parameters
    ----------
    counts : dict of str to int
        A layer's name to its number of weights (all > 0).
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not counts or any(n <= 0 for n in counts.values()):
        raise ValueError(f"counts must be a non-empty dict of positive numbers, got {counts}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 + 0.6 * len(counts)))
    ax.barh(list(counts), list(counts.values()), color=[cycle(i) for i in range(len(counts))])
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("weights (log scale)")
    if title:
        ax.set_title(title)
    return ax


def plot_connections(n_in, n_hidden, kernel_size):
    """A fully connected, a locally connected and a convolution layer as connection diagrams.

    Inputs ``x`` (bottom row, ``n_in`` units) and hidden units ``h`` (top row, ``n_hidden``)
    with one line per weight; hidden unit ``i`` sees inputs ``i ... i + kernel_size - 1``
    in the local layers (valid positions, so ``n_hidden = n_in - kernel_size + 1``). The
    dense and locally connected lines are grey (every weight its own); the convolution's
    lines have one colour per shared kernel tap.

    Parameters
    ----------
    n_in, n_hidden, kernel_size : int

    Returns
    -------
    matplotlib.figure.Figure
        Three panels, titled with their weight counts.
    """
    if not 1 <= kernel_size <= n_in or n_hidden != n_in - kernel_size + 1:
        raise ValueError(f"n_hidden must be n_in - kernel_size + 1 with 1 <= kernel_size <= "
                         f"n_in, got n_in={n_in}, n_hidden={n_hidden}, kernel_size={kernel_size}")
    rows, cols = np.arange(n_hidden)[:, None], np.arange(n_in)[None, :]
    band = (rows <= cols) & (cols < rows + kernel_size)
    layers = [(f"fully connected: {n_in * n_hidden} weights", np.ones_like(band), False),
              (f"locally connected: {band.sum()} weights", band, False),
              (f"convolution: {kernel_size} shared weights", band, True)]
    offset = (kernel_size - 1) / 2                   # hidden unit i sits above its window
    fig, axes = plt.subplots(1, 3, figsize=(11, 2.6))
    for ax, (title, mask, shared) in zip(axes, layers):
        for i, j in zip(*np.nonzero(mask)):
            colour = cycle(j - i) if shared else "0.6"
            ax.plot([j, i + offset], [0, 1], color=colour, ls="-", lw=2 if shared else 1)
        ax.scatter(range(n_in), [0] * n_in, s=120, color="white", edgecolor="k", zorder=3)
        ax.scatter(np.arange(n_hidden) + offset, [1] * n_hidden, s=120, color="0.85",
                   edgecolor="k", zorder=3)
        ax.set_title(title)
        ax.set_axis_off()
    axes[0].text(-0.6, 0, "x", ha="right", va="center")
    axes[0].text(offset - 0.6, 1, "h", ha="right", va="center")
    fig.tight_layout()
    return fig


def plot_sliding_window(u, w, y, positions):
    """A kernel sliding over a 1D signal: the window at a few positions, then the output.

    Parameters
    ----------
    u : array-like, shape (N,)
        The signal, drawn as bars.
    w : array-like, shape (K,)
        The kernel; its weights are written above the window.
    y : array-like, shape (N - K + 1,)
        The valid output, drawn as stems in the last panel.
    positions : sequence of int
        Output positions ``i`` to show, each ``0 <= i <= N - K``.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(positions) + 1`` panels.
    """
    u, w, y = np.asarray(u), np.asarray(w), np.asarray(y)
    n, k = len(u), len(w)
    if len(y) != n - k + 1:
        raise ValueError(f"y must have the valid length N - K + 1 = {n - k + 1}, got {len(y)}")
    if any(not 0 <= i <= n - k for i in positions):
        raise ValueError(f"positions must lie in 0 ... N - K = {n - k}, got {list(positions)}")
    top = max(u.max(), 0) * 1.1 + 1
    fig, axes = plt.subplots(1, len(positions) + 1, figsize=(3.5 * (len(positions) + 1), 3.2))
    for ax, i in zip(axes, positions):
        colours = [cycle(1) if i <= j < i + k else "lightgray" for j in range(n)]
        ax.bar(range(n), u, color=colours)
        for m in range(k):
            ax.text(i + m, u[i + m] + 0.04 * top, f"×{w[m]:g}", ha="center")
        ax.set_ylim(min(u.min(), 0), top)
        ax.set_xticks(range(n))
        ax.set_title(f"position {i}: y[{i}] = {y[i]:g}")
    axes[-1].stem(range(len(y)), y)
    axes[-1].axhline(0, color="gray", lw=0.8)
    axes[-1].set_title(f"output y (N - K + 1 = {len(y)} values)")
    fig.tight_layout()
    return fig


def show_matrices(matrices, titles=None, cell_size=0.6, fmt="{:g}"):
    """Small matrices side by side as shaded grids with every number written in its cell.

    Panels are as wide as their matrices (a cell has the same size in every panel).

    Parameters
    ----------
    matrices : sequence of arrays, each (H_i, W_i)
    titles : sequence of str, optional
    cell_size : float
        Inches per cell.
    fmt : str
        Format of the numbers.

    Returns
    -------
    matplotlib.figure.Figure
    """
    matrices = [_matrix(m, f"matrices[{i}]") for i, m in enumerate(matrices)]
    titles = _titles(titles, len(matrices))
    widths = [m.shape[1] for m in matrices]
    height = max(m.shape[0] for m in matrices)
    fig, axes = plt.subplots(1, len(matrices), squeeze=False,
                             figsize=(cell_size * sum(widths) + 0.6 * len(matrices),
                                      cell_size * height + 0.9),
                             gridspec_kw={"width_ratios": widths})
    for ax, m, title in zip(axes[0], matrices, titles):
        top = float(np.max(m))
        ax.imshow(m, cmap=SEQUENTIAL_BLUE, vmin=min(float(np.min(m)), 0),
                  vmax=top * 1.3 if top > 0 else 1.0)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=MIN_FONT_SIZE)
        if title is not None:
            ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_separable(g, kernel, filtered, titles=("g", "outer(g, g)", "filtered")):
    """A separable kernel: its 1D factor, the 2D kernel, and an image filtered with it.

    Parameters
    ----------
    g : array-like, shape (K,)
        The 1D factor, drawn as a line with markers.
    kernel : array-like, shape (K, K)
        The 2D kernel, drawn as an image.
    filtered : array-like, shape (H, W)
        An image filtered with the kernel.
    titles : three str

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = np.asarray(g)
    kernel, filtered = _matrix(kernel, "kernel"), _matrix(filtered, "filtered")
    if g.ndim != 1:
        raise ValueError(f"g must be 1-D (K,), got shape {g.shape}")
    titles = _titles(titles, 3)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(g, "o-")
    axes[1].imshow(kernel, cmap=SEQUENTIAL)
    axes[2].imshow(filtered, cmap="gray")
    for ax, title in zip(axes, titles):
        ax.set_title(title)
    for ax in axes[1:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def filtered_for_display(output, kernel, percentile=99):
    """A filter's output made displayable in ``[0, 1]``.

    A kernel whose weights sum to 1 (a blur, sharpening) gives an image again: it is
    clipped to ``[0, 1]`` (sharpening overshoots). One whose weights sum to 0 (an edge
    detector) gives a signed response: its absolute value is shown, scaled so that the
    strongest ``100 - percentile`` % of pixels saturate.

    Parameters
    ----------
    output : array-like, shape (H, W)
        The filtered image.
    kernel : array-like, shape (kH, kW)
        The kernel that produced it (only the sum of its weights is used).
    percentile : float

    Returns
    -------
    numpy.ndarray, shape (H, W), values in [0, 1]
    """
    output = _matrix(output, "output").astype(float)
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    if np.isclose(np.sum(kernel), 0):
        size = np.abs(output)
        scale = np.percentile(size, percentile)
        return np.clip(size / scale if scale > 0 else size, 0, 1)
    return np.clip(output, 0, 1)


def show_modes(outputs, image_shape, kernel_shape):
    """The outputs of the *full*, *same* and *valid* modes in the full output's coordinates.

    Each output pixel sits over the image pixel the kernel's centre covers: *full* starts at
    0, *same* ``(k - 1) // 2`` pixels in, *valid* ``k - 1`` pixels in (per axis); a dashed
    frame marks the image itself, ``(k - 1) // 2`` pixels in.

    Parameters
    ----------
    outputs : dict of str to array
        Mode (``"full"``, ``"same"`` or ``"valid"``) to its output, (H_out, W_out).
    image_shape : (int, int)
        The input image's (H, W).
    kernel_shape : (int, int)
        The kernel's (kH, kW).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per mode, titled with the output's size.
    """
    unknown = sorted(set(outputs) - set(MODES))
    if unknown or not outputs:
        raise ValueError(f"outputs must map modes among {MODES} to arrays, got {list(outputs)}")
    (h, w), (kh, kw) = image_shape, kernel_shape
    starts = {"full": (0, 0), "same": ((kh - 1) // 2, (kw - 1) // 2), "valid": (kh - 1, kw - 1)}
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.4 * len(outputs), 4.6), squeeze=False)
    for ax, (mode, out) in zip(axes[0], outputs.items()):
        out = _matrix(out, f"outputs[{mode!r}]")
        (top, left), (oh, ow) = starts[mode], out.shape
        ax.imshow(out, cmap="gray", extent=(left, left + ow, top + oh, top))
        ax.add_patch(plt.Rectangle(starts["same"][::-1], w, h, fill=False, ls="--",
                                   color=cycle(3)))
        ax.set_xlim(0, w + kw - 1)
        ax.set_ylim(h + kh - 1, 0)
        ax.set_title(f"{mode}: {oh}x{ow}")
    fig.tight_layout()
    return fig
