"""Hand-crafted kernels (filters), as float64 arrays.

Before CNNs learned their kernels, image processing designed them by hand:
smoothing (box, Gaussian), sharpening, edge and line detectors (Prewitt, Sobel,
Laplacian), oriented texture detectors (Gabor) and wavelets (Haar).  The first
layer of a trained CNN rediscovers many of them.

Every kernel here is meant for **cross-correlation**, the deep-learning
convention: ``cnnlib.correlate2d(image, kernel)`` slides it over the image as it
is printed.  Symmetric kernels give the same result with ``convolve2d``;
antisymmetric ones (Prewitt, Sobel, odd Gabor, Haar details) change sign.

Orientation: ``x`` runs along the columns (to the right), ``y`` along the rows
(downwards), as in an image.  A "vertical" edge detector responds to vertical
edges, i.e. to brightness changing along ``x``; with these kernels its output is
positive where the image gets brighter to the right (or downwards for the
"horizontal" ones).
"""
import math

import numpy as np

from ._validate import check_choice, check_positive, check_positive_int, check_real

__all__ = [
    "identity", "box", "gaussian1d", "gaussian", "sharpen", "edge", "laplacian",
    "prewitt", "sobel", "gabor", "haar", "KERNELS",
]

DIRECTIONS = ("vertical", "horizontal")
HAAR_BANDS = ("LL", "LH", "HL", "HH")


def _check_size(size, odd=False):
    """``size`` as an int >= 1 (odd with ``odd``: the kernel needs a centre pixel)."""
    check_positive_int(size, "size")
    if odd and size % 2 == 0:
        raise ValueError(f"size must be an odd integer >= 1 (the kernel needs a centre pixel), "
                         f"got {size}")


def _offsets(size):
    """Distances of the pixels from the kernel's centre: ``-(size-1)/2 ... (size-1)/2``."""
    return np.arange(size) - (size - 1) / 2


def _oriented(gradient_x, direction):
    """The x-derivative kernel for "vertical" edges, its transpose for "horizontal" ones."""
    check_choice(direction, "direction", DIRECTIONS)
    kernel = np.array(gradient_x, dtype=np.float64)
    return kernel if direction == "vertical" else kernel.T.copy()


def identity(size=3):
    """The kernel that changes nothing: a 1 in the centre, zeros elsewhere.

    Parameters
    ----------
    size : int, odd

    Returns
    -------
    ndarray, shape (size, size), float64
    """
    _check_size(size, odd=True)
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def box(size=3):
    """Box (boxcar) blur: the mean of a ``size x size`` patch, every entry ``1/size**2``.

    Returns
    -------
    ndarray, shape (size, size), float64, sums to 1
    """
    _check_size(size)
    return np.full((size, size), 1.0 / size**2)


def gaussian1d(size, sigma):
    """A sampled 1-D Gaussian ``exp(-t**2 / (2 sigma**2))``, normalised to sum 1.

    Parameters
    ----------
    size : int
        Number of taps, centred (``t = -(size-1)/2 ... (size-1)/2``).
    sigma : float
        Standard deviation in pixels; ``size ~ 6 * sigma`` keeps almost all the mass.

    Returns
    -------
    ndarray, shape (size,), float64
    """
    _check_size(size)
    check_positive(sigma, "sigma")
    g = np.exp(-_offsets(size) ** 2 / (2.0 * sigma**2))
    return g / g.sum()


def gaussian(size, sigma):
    """Gaussian blur ``exp(-(x**2 + y**2) / (2 sigma**2))``, normalised to sum 1.

    It is separable: ``gaussian(size, sigma) == np.outer(g, g)`` with
    ``g = gaussian1d(size, sigma)``, so one 2-D pass equals a vertical and a
    horizontal 1-D pass (``2 * size`` instead of ``size**2`` products per pixel).

    Returns
    -------
    ndarray, shape (size, size), float64
    """
    g = gaussian1d(size, sigma)
    return np.outer(g, g)


def sharpen():
    """Sharpening: the image plus its (negative) Laplacian, ``[[0,-1,0],[-1,5,-1],[0,-1,0]]``."""
    return np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)


def edge():
    """Edge (outline) detector ``[[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]``: zero on flat regions."""
    return np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64)


def laplacian():
    """The discrete Laplacian ``[[0,1,0],[1,-4,1],[0,1,0]]`` (sum of second differences)."""
    return np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64)


def prewitt(direction="vertical"):
    """Prewitt edge detector: a central difference averaged over three rows.

    Parameters
    ----------
    direction : {"vertical", "horizontal"}
        ``"vertical"`` finds vertical edges (brightness changing along x):
        ``[[-1,0,1],[-1,0,1],[-1,0,1]]``; ``"horizontal"`` is its transpose.

    Returns
    -------
    ndarray, shape (3, 3), float64
    """
    return _oriented([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], direction)


def sobel(direction="vertical"):
    """Sobel edge detector: a central difference smoothed with ``[1, 2, 1]``.

    Parameters
    ----------
    direction : {"vertical", "horizontal"}
        ``"vertical"`` finds vertical edges (brightness changing along x):
        ``[[-1,0,1],[-2,0,2],[-1,0,1]]``; ``"horizontal"`` is its transpose.
        ``correlate2d(img, sobel("vertical"), "same", "symm")`` equals
        ``scipy.ndimage.sobel(img, axis=1)``.

    Returns
    -------
    ndarray, shape (3, 3), float64
    """
    return _oriented([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], direction)


def gabor(size, theta, frequency, sigma, phase=0.0):
    """Gabor filter: a cosine wave under a Gaussian window.

    ``g(x, y) = exp(-(x**2 + y**2) / (2 sigma**2)) * cos(2 pi frequency x' + phase)``
    with ``x' = x cos(theta) + y sin(theta)`` the coordinate across the stripes.
    Unnormalised (the centre is 1 for ``phase=0``), as in Gabor's and Daugman's
    formulas; its mean is not zero, so it also responds to plain brightness.

    Parameters
    ----------
    size : int
        The kernel is ``size x size``, centred.
    theta : float
        Direction of the wave, in radians from the x axis (right) towards the y
        axis (down).  ``theta=0`` gives vertical stripes and detects vertical
        edges and bars; ``theta=pi/2`` horizontal ones.
    frequency : float
        Cycles per pixel (the wavelength is ``1 / frequency`` pixels).
    sigma : float
        Width of the Gaussian window in pixels.
    phase : float
        ``0`` gives the even (cosine, line-detecting) filter, ``pi/2`` the odd
        (sine, edge-detecting) one.

    Returns
    -------
    ndarray, shape (size, size), float64
    """
    _check_size(size)
    check_positive(sigma, "sigma")
    check_real(frequency, "frequency")
    if frequency < 0:
        raise ValueError(f"frequency must be a number >= 0 (cycles per pixel), got {frequency!r}")
    check_real(theta, "theta")
    check_real(phase, "phase")
    y, x = np.meshgrid(_offsets(size), _offsets(size), indexing="ij")
    across = x * math.cos(theta) + y * math.sin(theta)
    envelope = np.exp(-(x**2 + y**2) / (2.0 * sigma**2))
    return envelope * np.cos(2 * np.pi * frequency * across + phase)


def haar(band="LL"):
    """One of the four 2x2 filters of the 2-D Haar wavelet (orthonormal).

    In 1D the Haar wavelet has a low-pass (L) filter ``[1, 1] / sqrt(2)``
    (average) and a high-pass (H) one ``[1, -1] / sqrt(2)`` (difference).  The
    2-D filters are their outer products; the first letter of ``band`` is the
    filter along x (across the columns), the second along y (down the rows).

    Parameters
    ----------
    band : {"LL", "LH", "HL", "HH"}
        ``"LL"`` ``[[.5,.5],[.5,.5]]`` the local average; ``"LH"``
        ``[[.5,.5],[-.5,-.5]]`` horizontal edges; ``"HL"`` ``[[.5,-.5],[.5,-.5]]``
        vertical edges; ``"HH"`` ``[[.5,-.5],[-.5,.5]]`` diagonal detail.  The four
        flattened filters form an orthonormal basis of 2x2 patches, so applied
        with stride 2 they lose nothing.

    Returns
    -------
    ndarray, shape (2, 2), float64
    """
    check_choice(band, "band", HAAR_BANDS)
    # Each 1-D filter carries a factor 1/sqrt(2); their product 1/2 is applied
    # once so the entries are exactly +-0.5.
    signs = {"L": np.array([1.0, 1.0]), "H": np.array([1.0, -1.0])}
    along_x, along_y = signs[band[0]], signs[band[1]]
    return np.outer(along_y, along_x) / 2


def _registry():
    kernels = {
        "identity": identity(),
        "box": box(3),
        "gaussian": gaussian(5, 1.0),
        "sharpen": sharpen(),
        "edge": edge(),
        "laplacian": laplacian(),
        "prewitt vertical": prewitt("vertical"),
        "prewitt horizontal": prewitt("horizontal"),
        "sobel vertical": sobel("vertical"),
        "sobel horizontal": sobel("horizontal"),
    }
    for degrees in (0, 45, 90, 135):
        kernels[f"gabor {degrees}"] = gabor(11, math.radians(degrees), frequency=0.2, sigma=2.5)
    for band in HAAR_BANDS:
        kernels[f"haar {band}"] = haar(band)
    for kernel in kernels.values():
        kernel.flags.writeable = False  # shared by everyone who imports the registry
    return kernels


KERNELS = _registry()
"""Every kernel above with default parameters, by name (for the kernel explorer).

``box`` is 3x3, ``gaussian`` 5x5 with sigma 1, ``gabor <angle in degrees>`` is
11x11 with frequency 0.2 and sigma 2.5.  The arrays are read-only; call the
functions for a copy to modify.
"""
