"""Kernel explorer: pick a kernel or type one, apply it to an image, see the feature map.

The arithmetic lives in plain functions that the tests call without a browser:
``parse_kernel`` reads a typed kernel, ``apply_kernel`` filters an image and
``kernel_explorer_state`` does both for one setting of the controls.
``kernel_explorer`` only wires the controls to them and draws ``plot_filtering``.
"""
import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib import cbook

from .. import kernels
from ..data import mnist_arrays
from ..signal import BOUNDARIES, MODES, convolve2d, correlate2d
from ._layout import controls_layout, picture_layout, row_layout, status_html

CUSTOM = "custom (type below)"
OPERATIONS = ("correlate", "convolve")
EXAMPLE = "0,-1,0; -1,5,-1; 0,-1,0"


def parse_kernel(text, max_size=15):
    """Read a kernel typed as rows of numbers.

    Rows are separated by ``;`` or new lines, entries by commas or spaces;
    an entry may be a fraction such as ``1/9``.

    Parameters
    ----------
    text : str
        E.g. ``"0,-1,0; -1,5,-1; 0,-1,0"`` (the sharpen kernel).
    max_size : int
        Largest number of rows or columns accepted (keeps the explorer live).

    Returns
    -------
    ndarray, shape (rows, columns), float64

    Examples
    --------
    >>> parse_kernel("1 2 1; 2 4 2; 1 2 1")
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string such as {EXAMPLE!r}, got {type(text).__name__}")
    rows = [row.strip() for row in re.split(r"[;\n]", text)]
    rows = [row for row in rows if row]
    if not rows:
        raise ValueError(f"the kernel is empty: type rows of numbers, e.g. {EXAMPLE!r}")
    values = []
    for r, row in enumerate(rows, start=1):
        values.append([_number(entry, r) for entry in re.split(r"[,\s]+", row.strip(", "))])
        if len(values[-1]) != len(values[0]):
            raise ValueError(f"row {r} has {len(values[-1])} entries but row 1 has "
                             f"{len(values[0])}: every row needs the same number")
    kernel = np.array(values, dtype=np.float64)
    if max(kernel.shape) > max_size:
        raise ValueError(f"the kernel is {kernel.shape[0]}x{kernel.shape[1]}; the explorer "
                         f"accepts at most {max_size}x{max_size}")
    return kernel


def _number(entry, row):
    """One entry of a typed kernel: a number or a fraction ``a/b``."""
    try:
        parts = [float(p) for p in entry.split("/")]
        if len(parts) > 2:
            raise ValueError
        value = parts[0] / parts[1] if len(parts) == 2 else parts[0]
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"entry {entry!r} in row {row} is not a number "
                         f"(write e.g. 0.5, -1 or 1/9)") from None
    if not np.isfinite(value):
        raise ValueError(f"entry {entry!r} in row {row} must be finite")
    return value


def format_kernel(kernel):
    """The text :func:`parse_kernel` reads back as ``kernel`` (to 4 significant digits)."""
    return "; ".join(", ".join(f"{v:.4g}" for v in row) for row in np.atleast_2d(kernel))


def apply_kernel(image, kernel, operation="correlate", mode="same", boundary="fill", stride=1):
    """Filter a greyscale image with a kernel: the feature map the explorer shows.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kH, kW)
    operation : {"correlate", "convolve"}
        Cross-correlation (what CNN layers compute) or true convolution (kernel
        flipped).
    mode : {"full", "same", "valid"}
    boundary : {"fill", "wrap", "symm", "extend"}
        Zero padding, periodic, mirror or extension; see :mod:`cnnlib.signal`.
    stride : int
        The kernel jumps ``stride`` positions per step along each axis, as in a
        strided CNN layer, starting at the first position.

    Returns
    -------
    ndarray, shape ``(ceil(H' / stride), ceil(W' / stride))`` for the stride-1
    output ``(H', W')`` of ``mode``
    """
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be 'correlate' or 'convolve', got {operation!r}")
    if not isinstance(stride, (int, np.integer)) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    apply = correlate2d if operation == "correlate" else convolve2d
    # Positions 0, s, 2s, ... of the stride-1 output are exactly the strided layer's.
    return apply(image, kernel, mode=mode, boundary=boundary)[::stride, ::stride]


def kernel_explorer_state(image, kernel_name="sharpen", kernel_text=EXAMPLE,
                          operation="correlate", mode="same", boundary="fill", stride=1):
    """Everything the explorer shows for one setting of its controls.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    kernel_name : str
        A key of ``cnnlib.kernels.KERNELS``, or ``CUSTOM`` to read ``kernel_text``.
    kernel_text : str
        The typed kernel, used when ``kernel_name`` is ``CUSTOM``.
    operation, mode, boundary : str
    stride : int
        As in :func:`apply_kernel`.

    Returns
    -------
    dict with ``kernel`` and ``output`` (arrays, or None when the setting is
    invalid), ``error`` (the message then, else None) and ``text``: the line the
    widget shows.
    """
    try:
        if kernel_name == CUSTOM:
            kernel = parse_kernel(kernel_text)
        elif kernel_name in kernels.KERNELS:
            kernel = kernels.KERNELS[kernel_name]
        else:
            raise ValueError(f"kernel_name must be {CUSTOM!r} or one of cnnlib.kernels.KERNELS, "
                             f"got {kernel_name!r}")
        output = apply_kernel(image, kernel, operation, mode, boundary, stride)
    except (TypeError, ValueError) as error:
        return {"kernel": None, "output": None, "error": str(error), "text": f"Error: {error}"}
    h, w = output.shape
    text = (f"{operation} {image.shape[0]}x{image.shape[1]} image with a "
            f"{kernel.shape[0]}x{kernel.shape[1]} kernel (sum {kernel.sum():.4g}), "
            f"mode={mode!r}, boundary={boundary!r}, stride {stride}: output {h}x{w}, "
            f"values {output.min():.3g} to {output.max():.3g}")
    return {"kernel": kernel, "output": output, "error": None, "text": text}


def plot_filtering(image, kernel, output, title=None):
    """Input, kernel and output side by side; returns the figure.

    A kernel whose weights sum to zero (an edge detector) gives a signed output,
    drawn with a red-blue map centred on 0 so that both signs show.  Any other
    output is an image again (a blur, a sharpening) and is drawn in grey on the
    input's scale, so overshoots clip and a kernel that is not normalised
    visibly changes the brightness.  The kernel's entries are printed on it
    when it is at most 7x7.
    """
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.8),
                             gridspec_kw={"width_ratios": [1, 0.6, 1]})
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}")
    limit = np.abs(kernel).max() or 1.0
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[1].set_title(f"kernel {kernel.shape[0]}x{kernel.shape[1]}")
    if max(kernel.shape) <= 7:
        for (i, j), v in np.ndenumerate(kernel):
            colour = "white" if abs(v) > 0.6 * limit else "black"
            axes[1].text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color=colour)
    if np.isclose(kernel.sum(), 0.0, atol=1e-9):
        limit = np.abs(output).max() or 1.0
        shown = axes[2].imshow(output, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        shown = axes[2].imshow(output, cmap="gray", vmin=image.min(), vmax=image.max())
    fig.colorbar(shown, ax=axes[2], fraction=0.046)
    axes[2].set_title(f"output {output.shape[0]}x{output.shape[1]}")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def explorer_images(digits=3):
    """The explorer's images: the matplotlib sample photo and a few MNIST test digits.

    Returns
    -------
    dict of name -> ndarray (H, W), float64 greyscale in [0, 1]
    """
    rgb = plt.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) / 255.0
    # ITU-R BT.601 luma weights, the usual colour-to-grey conversion.
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    # Average 2x2 blocks (a box filter with stride 2) so the explorer stays quick.
    h, w = grey.shape[0] // 2 * 2, grey.shape[1] // 2 * 2
    photo = grey[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    images = {f"photo (Grace Hopper, {photo.shape[0]}x{photo.shape[1]})": photo}
    x, y = mnist_arrays(train=False)
    for i in range(digits):
        images[f"MNIST test digit {i} (a {y[i]})"] = x[i, 0].astype(np.float64)
    return images


def kernel_explorer(images=None, kernel_name="sharpen", operation="correlate", mode="same",
                    boundary="fill", stride=1):
    """Pick an image and a kernel (or type one) and see the feature map live.

    Parameters
    ----------
    images : dict of name -> ndarray (H, W), optional
        Default :func:`explorer_images` (the sample photo and MNIST digits).
    kernel_name, operation, mode, boundary : str
    stride : int
        Initial values of the controls.

    Returns
    -------
    ipywidgets.VBox
        Its ``controls`` attribute maps names to the controls, ``label`` is the
        status line (an ``HTML`` widget, so long lines wrap), ``picture`` the
        output area of the figure and ``state`` the latest
        :func:`kernel_explorer_state`, so code (and tests) can drive it.
    """
    if kernel_name != CUSTOM and kernel_name not in kernels.KERNELS:
        raise ValueError(f"kernel_name must be {CUSTOM!r} or one of cnnlib.kernels.KERNELS, "
                         f"got {kernel_name!r}")
    images = explorer_images() if images is None else images
    typed = EXAMPLE if kernel_name == CUSTOM else format_kernel(kernels.KERNELS[kernel_name])
    style = {"description_width": "80px"}
    layout = widgets.Layout(width="330px")
    controls = {
        "image": widgets.Dropdown(options=list(images), description="image", style=style,
                                  layout=layout),
        "kernel": widgets.Dropdown(options=list(kernels.KERNELS) + [CUSTOM], value=kernel_name,
                                   description="kernel", style=style, layout=layout),
        "text": widgets.Textarea(value=typed,
                                 description="typed", continuous_update=False, style=style,
                                 layout=widgets.Layout(width="330px", height="70px")),
        "operation": widgets.ToggleButtons(options=OPERATIONS, value=operation,
                                           description="operation",
                                           style={**style, "button_width": "90px"}),
        "mode": widgets.Dropdown(options=MODES, value=mode, description="mode", style=style,
                                 layout=layout),
        "boundary": widgets.Dropdown(options=BOUNDARIES, value=boundary, description="boundary",
                                     style=style, layout=layout),
        "stride": widgets.IntSlider(value=stride, min=1, max=4, description="stride",
                                    continuous_update=False, style=style, layout=layout),
    }
    label = widgets.HTML()
    picture = widgets.Output(layout=picture_layout())
    box = widgets.VBox()
    updating = []        # non-empty while update() runs: it sets controls itself

    def update(change=None):
        if updating:
            return
        updating.append(True)
        if change is not None and change["owner"] is controls["kernel"] and \
                change["new"] != CUSTOM:
            # Show the chosen kernel's numbers, ready to be edited.
            controls["text"].value = format_kernel(kernels.KERNELS[change["new"]])
        elif change is not None and change["owner"] is controls["text"]:
            controls["kernel"].value = CUSTOM     # typing a kernel selects it
        image = images[controls["image"].value]
        state = kernel_explorer_state(image, controls["kernel"].value, controls["text"].value,
                                      controls["operation"].value, controls["mode"].value,
                                      controls["boundary"].value, controls["stride"].value)
        box.state = state
        label.value = status_html(state["text"])
        if state["error"] is not None:
            # No figure of an earlier setting may stay beside an error: say why it is gone.
            picture.outputs = ()
            picture.append_stdout("No feature map for this setting: see the error below.\n")
        else:
            if picture.outputs and picture.outputs[0].get("output_type") == "stream":
                picture.outputs = ()
            with picture:
                picture.clear_output(wait=True)
                fig = plot_filtering(image, state["kernel"], state["output"])
                display(fig)
                plt.close(fig)
        updating.clear()

    for control in controls.values():
        control.observe(update, names="value")
    controls_box = widgets.VBox(list(controls.values()), layout=controls_layout())
    box.children = [widgets.HBox([controls_box, picture], layout=row_layout()), label]
    box.controls, box.label, box.picture = controls, label, picture
    update()
    return box
