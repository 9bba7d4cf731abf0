"""Grids of images: digits, feature maps, filters."""
import numpy as np
import matplotlib.pyplot as plt

from .palette import SMALL_FONT_SIZE


def show_images(images, titles=None, ncols=8, cmap="gray", size=1.2, vmin=None, vmax=None,
                suptitle=None):
    """Show images in a grid and return the figure.

    Parameters
    ----------
    images : array-like, shape (N, H, W), (N, 1, H, W) or (N, H, W, 3)
        A torch tensor works too (it is converted with ``numpy()``).
    titles : sequence of str, optional
        One title per image.
    ncols : int
        Images per row.
    """
    images = np.asarray(images.detach().cpu() if hasattr(images, "detach") else images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, H, W), (N, 1, H, W) or (N, H, W, 3), "
                         f"got {images.shape}")
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    height = size * nrows + 0.3 * (titles is not None)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, height),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.flat, images)):
        ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=SMALL_FONT_SIZE)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
