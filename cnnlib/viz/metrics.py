"""Figures for evaluating a classifier: confusion matrix, per-class scores, PR curves, mistakes.

The numbers come from :mod:`cnnlib.metrics`; these functions only draw them.
They take NumPy arrays (torch tensors work too) and return the figure.
"""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import colors as mcolors

from .. import metrics
from .images import show_images
from .palette import (FONT_SIZE, MIN_FONT_SIZE, SEQUENTIAL_BLUE, SMALL_FONT_SIZE, cycle,
                      linestyle)

__all__ = ["plot_confusion_matrix", "plot_per_class_metrics", "plot_precision_recall",
           "readable_text_color", "relative_luminance", "show_confident_mistakes",
           "show_confused_pairs"]


def _numpy(a):
    return np.asarray(a.detach().cpu() if hasattr(a, "detach") else a)


def relative_luminance(color):
    """WCAG 2 relative luminance of a colour: 0 for black, 1 for white.

    Each sRGB channel ``c`` in [0, 1] is linearised (``c / 12.92`` up to 0.04045, else
    ``((c + 0.055) / 1.055) ** 2.4``) and the three are weighted by the eye's sensitivity:
    ``L = 0.2126 R + 0.7152 G + 0.0722 B``.

    Parameters
    ----------
    color : matplotlib colour
        A name, hex string or RGB(A) tuple in [0, 1]; alpha is ignored.

    Returns
    -------
    float
    """
    rgb = np.array(mcolors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def readable_text_color(background):
    """``"black"`` or ``"white"``, whichever contrasts more with ``background``.

    The WCAG 2 contrast ratio of two colours is ``(L1 + 0.05) / (L2 + 0.05)`` with ``L1`` the
    lighter relative luminance. Against black it is ``(L + 0.05) / 0.05``, against white
    ``1.05 / (L + 0.05)``; their product is 21, so the better of the two is always at least
    sqrt(21) = 4.58, above the 4.5:1 that WCAG asks of normal text.

    Parameters
    ----------
    background : matplotlib colour

    Returns
    -------
    str
    """
    luminance = relative_luminance(background)
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


def _names(class_names, num_classes):
    if class_names is None:
        return [str(c) for c in range(num_classes)]
    if len(class_names) != num_classes:
        raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
    return [str(name) for name in class_names]


def plot_confusion_matrix(cm, class_names=None, normalize=None, ax=None, cmap=SEQUENTIAL_BLUE,
                          title=None):
    """Heat map of a confusion matrix with the value of every cell written in it.

    Parameters
    ----------
    cm : array-like, shape (C, C)
        Counts from :func:`cnnlib.metrics.confusion_matrix`: rows true
        classes, columns predicted classes.
    class_names : sequence of str, optional
        Tick labels, one per class.
    normalize : None or "true"
        ``"true"`` divides each row by its sum, so every row shows how one true
        class is spread over the predictions (its recall on the diagonal);
        useful when the classes have very different sizes.
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.
    cmap : str
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    cm = _numpy(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (C, C) confusion matrix, got shape {cm.shape}")
    if normalize not in (None, "true"):
        raise ValueError(f"normalize must be None or 'true', got {normalize!r}")
    num_classes = len(cm)
    names = _names(class_names, num_classes)
    if normalize == "true":
        rows = cm.sum(axis=1, keepdims=True)
        values = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows != 0)
        texts = [[f"{v:.2f}" for v in row] for row in values]
    else:
        values = cm
        texts = [[f"{v:g}" for v in row] for row in cm]
    if ax is None:
        side = max(3.5, 0.55 * num_classes + 1.5)
        fig, ax = plt.subplots(figsize=(side + 1, side))
    else:
        fig = ax.figure
    image = ax.imshow(values, cmap=cmap, vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    # Black or white text, whichever contrasts more with the cell's own colour, so every
    # number keeps a contrast of at least 4.5:1 whatever the colour map.
    cell_colors = image.cmap(image.norm(values))
    for i in range(num_classes):
        for j in range(num_classes):
            ax.text(j, i, texts[i][j], ha="center", va="center",
                    fontsize=MIN_FONT_SIZE if num_classes > 6 else FONT_SIZE,
                    color=readable_text_color(cell_colors[i, j]))
    ax.set_xticks(range(num_classes), names, rotation=45 if class_names is not None else 0,
                  ha="right" if class_names is not None else "center")
    ax.set_yticks(range(num_classes), names)
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.set_title(title or ("confusion matrix (row-normalised)" if normalize else
                           "confusion matrix (counts)"))
    fig.tight_layout()
    return fig


def plot_per_class_metrics(y_true, y_pred, class_names=None, num_classes=None, ax=None,
                           title=None):
    """Precision and recall of every class as side-by-side bars.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
    class_names : sequence of str, optional
    num_classes : int, optional
        Default ``max label + 1``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        A dashed line marks the accuracy for comparison.
    """
    y_true, y_pred = _numpy(y_true), _numpy(y_pred)
    p = metrics.precision_score(y_true, y_pred, num_classes, average=None)
    r = metrics.recall_score(y_true, y_pred, num_classes, average=None)
    names = _names(class_names, len(p))
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(p) + 1.5), 3.2))
    else:
        fig = ax.figure
    x = np.arange(len(p))
    ax.bar(x - 0.2, p, width=0.4, label="precision", color=cycle(0))
    ax.bar(x + 0.2, r, width=0.4, label="recall", color=cycle(1))
    ax.axhline(metrics.accuracy_score(y_true, y_pred), color="k", ls="--", lw=1, label="accuracy")
    ax.set_xticks(x, names, rotation=45 if class_names is not None else 0,
                  ha="right" if class_names is not None else "center")
    lowest = min(p.min(), r.min())
    # Zoom in on the interesting range: good classifiers have all bars near 1.
    ax.set_ylim(max(0.0, lowest - 0.1) if lowest > 0.3 else 0.0, 1.0)
    ax.set_ylabel("score")
    ax.set_title(title or "precision and recall per class")
    ax.legend(fontsize=SMALL_FONT_SIZE, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_precision_recall(curves, ax=None, title=None):
    """Several precision-recall curves on one plot, with their AP in the legend.

    Parameters
    ----------
    curves : dict of label -> (y_true, y_score)
        Each value is a detection problem: 0/1 (or bool) labels ``(N,)`` and
        the score of the positive class ``(N,)``.  For several classes of one
        model use ``{name: (y == c, probs[:, c])}``, for several models
        ``{model: (y == c, probs_model[:, c])}``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Curves drawn as steps (the step area is the AP), recall on x.
    """
    if not curves:
        raise ValueError("curves is empty; pass a dict {label: (y_true, y_score)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 5))
    else:
        fig = ax.figure
    for i, (label, (y_true, y_score)) in enumerate(curves.items()):
        y_true, y_score = _numpy(y_true), _numpy(y_score)
        precision, recall, _ = metrics.precision_recall_curve(y_true, y_score)
        ap = metrics.average_precision_score(y_true, y_score)
        ax.plot(recall, precision, drawstyle="steps-post", label=f"{label} (AP {ap:.3f})",
                color=cycle(i), linestyle=linestyle(i))
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.02))
    ax.set_title(title or "precision-recall curves")
    # Beside the axes, not on the curves.
    ax.legend(fontsize=SMALL_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.02, 1))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def show_confident_mistakes(images, y_true, probs, k=16, class_names=None, ncols=8,
                            size=1.4):
    """The ``k`` wrong predictions the model was most sure of, with true and predicted class.

    Parameters
    ----------
    images : array-like, shape (N, 1, H, W) or (N, H, W)
    y_true : array-like of int, shape (N,)
    probs : array-like, shape (N, C)
        Class probabilities (e.g. ``cnnlib.train.predict(...).probs``).
    k : int
    class_names : sequence of str, optional
    ncols : int
    size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure
        Titles read "true / predicted" and the probability given to the prediction.
    """
    images, y_true, probs = _numpy(images), _numpy(y_true), _numpy(probs)
    if len(images) != len(y_true):
        raise ValueError(f"images and y_true must have the same length, "
                         f"got {len(images)} and {len(y_true)}")
    worst = metrics.confident_mistakes(y_true, probs, k)
    if len(worst) == 0:
        raise ValueError("there are no mistakes to show: every prediction is right")
    names = _names(class_names, probs.shape[1])
    pred = probs.argmax(axis=1)
    titles = [f"{names[y_true[i]]} / {names[pred[i]]}\n{probs[i, pred[i]]:.2f}" for i in worst]
    return show_images(images[worst], titles=titles, ncols=ncols, size=size,
                       suptitle="most confident mistakes (true / predicted, confidence)")


def show_confused_pairs(images, y_true, y_pred, pairs, per_pair=6, class_names=None,
                        size=1.1):
    """Example images of the most confused class pairs, one row per pair.

    Parameters
    ----------
    images : array-like, shape (N, 1, H, W) or (N, H, W)
    y_true, y_pred : array-like of int, shape (N,)
    pairs : list of (true, predicted, count)
        E.g. ``cnnlib.metrics.most_confused(cm, k=3)``.
    per_pair : int
        Images per row (the first ones in data order).
    class_names : sequence of str, optional
    size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    images, y_true, y_pred = _numpy(images), _numpy(y_true), _numpy(y_pred)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if not pairs:
        raise ValueError("pairs is empty: there is no confusion to show")
    names = class_names if class_names is not None else \
        [str(c) for c in range(int(max(y_true.max(), y_pred.max())) + 1)]
    fig, axes = plt.subplots(len(pairs), per_pair, squeeze=False,
                             figsize=(size * per_pair + 1.5, size * len(pairs) + 0.3))
    for row, (t, p, count) in zip(axes, pairs):
        chosen = np.flatnonzero((y_true == t) & (y_pred == p))[:per_pair]
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        for ax, i in zip(row, chosen):
            ax.imshow(images[i], cmap="gray")
        row[0].set_ylabel(f"{names[t]}\nas {names[p]}\n({count}x)", rotation=0,
                          ha="right", va="center", fontsize=SMALL_FONT_SIZE)
    fig.suptitle("most confused pairs: true class predicted as another")
    fig.tight_layout()
    return fig
