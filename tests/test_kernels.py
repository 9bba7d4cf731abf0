"""cnnlib.kernels: the decks' values, and the filters against scipy.ndimage / scipy.signal."""
import math

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given, strategies as st

from cnnlib import convolve2d, correlate1d, correlate2d, kernels


@pytest.fixture
def image():
    return np.random.default_rng(0).uniform(0, 1, (17, 23))


def step_edge(vertical):
    """Dark (0) then bright (1): left/right for a vertical edge, top/bottom for a horizontal one."""
    img = np.zeros((8, 8))
    if vertical:
        img[:, 4:] = 1
    else:
        img[4:, :] = 1
    return img


# --------------------------------------------------------------------------- the decks' values
def test_fixed_kernels_have_the_source_decks_values():
    np.testing.assert_array_equal(kernels.sharpen(), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(kernels.edge(), [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(kernels.laplacian(), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(kernels.box(3), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(kernels.identity(3), [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(kernels.sobel("vertical"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(kernels.sobel("horizontal"),
                                  [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(kernels.prewitt("vertical"), [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(kernels.prewitt("horizontal"),
                                  [[-1, -1, -1], [0, 0, 0], [1, 1, 1]])


@pytest.mark.parametrize("make", [
    kernels.identity, kernels.box, kernels.sharpen, kernels.edge, kernels.laplacian,
    kernels.prewitt, kernels.sobel, lambda: kernels.gaussian(5, 1.0),
    lambda: kernels.gabor(7, 0.3, 0.2, 2.0), kernels.haar,
])
def test_kernels_are_fresh_float64_arrays(make):
    kernel = make()
    assert kernel.dtype == np.float64 and kernel.ndim == 2
    kernel[0, 0] = 123.0            # a copy the caller may change ...
    assert make()[0, 0] != 123.0    # ... without changing the next one


@pytest.mark.parametrize("make, total", [
    (kernels.sharpen, 1), (kernels.edge, 0), (kernels.laplacian, 0),
    (lambda: kernels.box(5), 1), (lambda: kernels.identity(5), 1),
    (lambda: kernels.sobel("horizontal"), 0), (lambda: kernels.prewitt("vertical"), 0),
])
def test_kernel_sums(make, total):
    # Sum 1 keeps flat regions unchanged (blur, sharpen); sum 0 maps them to 0 (edges).
    assert math.isclose(make().sum(), total, abs_tol=1e-12)
    flat = np.full((6, 6), 0.7)
    np.testing.assert_allclose(correlate2d(flat, make(), "valid"), 0.7 * total, atol=1e-12)


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_identity_changes_nothing(image, size):
    np.testing.assert_array_equal(correlate2d(image, kernels.identity(size), "same"), image)


@pytest.mark.parametrize("size", [2, 3, 4, 5])
def test_box_is_scipy_uniform_filter(image, size):
    # ndimage centres an even window one pixel further right/down than
    # scipy.signal's "same" mode does; origin=-1 moves it back.
    origin = -1 if size % 2 == 0 else 0
    expected = scipy.ndimage.uniform_filter(image, size, mode="reflect", origin=origin)
    np.testing.assert_allclose(correlate2d(image, kernels.box(size), "same", "symm"), expected,
                               atol=1e-12)


# --------------------------------------------------------------------------- Gaussian
@given(st.integers(1, 15), st.floats(0.3, 5.0))
def test_gaussian_is_scipy_window_normalised(size, sigma):
    window = scipy.signal.windows.gaussian(size, std=sigma)
    np.testing.assert_allclose(kernels.gaussian1d(size, sigma), window / window.sum(), rtol=1e-12)
    g2 = kernels.gaussian(size, sigma)
    assert g2.shape == (size, size)
    assert math.isclose(g2.sum(), 1.0, rel_tol=1e-12)
    np.testing.assert_allclose(g2, np.outer(window, window) / window.sum() ** 2, rtol=1e-12)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_gaussian_equals_ndimage_gaussian_filter(image, sigma):
    radius = 3
    expected = scipy.ndimage.gaussian_filter(image, sigma, mode="reflect", truncate=radius / sigma)
    result = correlate2d(image, kernels.gaussian(2 * radius + 1, sigma), "same", "symm")
    np.testing.assert_allclose(result, expected, atol=1e-12)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm", "extend"])
@pytest.mark.parametrize("size, sigma", [(5, 1.0), (4, 0.8), (9, 2.0)])
def test_gaussian_is_separable(image, boundary, size, sigma):
    g = kernels.gaussian1d(size, sigma)
    g2 = kernels.gaussian(size, sigma)
    assert np.linalg.matrix_rank(g2) == 1
    one_pass = correlate2d(image, g2, "same", boundary)
    two_passes = correlate2d(correlate2d(image, g[:, None], "same", boundary), g[None, :],
                             "same", boundary)
    np.testing.assert_allclose(two_passes, one_pass, atol=1e-12)


def test_gaussian_two_1d_passes_with_correlate1d(image):
    g = kernels.gaussian1d(5, 1.2)
    rows = np.array([correlate1d(r, g, "valid") for r in image])
    both = np.array([correlate1d(c, g, "valid") for c in rows.T]).T
    np.testing.assert_allclose(both, correlate2d(image, kernels.gaussian(5, 1.2), "valid"),
                               atol=1e-12)


# --------------------------------------------------------------------------- edges
@pytest.mark.parametrize("name, axis", [("vertical", 1), ("horizontal", 0)])
def test_sobel_and_prewitt_equal_ndimage(image, name, axis):
    # scipy.ndimage.sobel(axis=1) differentiates along the columns (x): vertical edges.
    np.testing.assert_allclose(correlate2d(image, kernels.sobel(name), "same", "symm"),
                               scipy.ndimage.sobel(image, axis=axis, mode="reflect"), atol=1e-12)
    np.testing.assert_allclose(correlate2d(image, kernels.prewitt(name), "same", "symm"),
                               scipy.ndimage.prewitt(image, axis=axis, mode="reflect"), atol=1e-12)


@pytest.mark.parametrize("make", [kernels.sobel, kernels.prewitt])
def test_edge_orientation_convention(make):
    for vertical, name, other in [(True, "vertical", "horizontal"),
                                  (False, "horizontal", "vertical")]:
        img = step_edge(vertical)
        response = correlate2d(img, make(name), "valid")
        assert response.min() == 0 and response.max() > 0   # positive: dark -> bright
        np.testing.assert_array_equal(correlate2d(img, make(other), "valid"), 0)
        # true convolution flips the kernel, hence the sign
        np.testing.assert_array_equal(convolve2d(img, make(name), "valid"), -response)


def test_laplacian_is_sum_of_second_differences(image):
    expected = scipy.ndimage.laplace(image, mode="reflect")
    np.testing.assert_allclose(correlate2d(image, kernels.laplacian(), "same", "symm"), expected,
                               atol=1e-12)


# --------------------------------------------------------------------------- Gabor
@pytest.mark.parametrize("size, frequency, sigma", [(9, 0.2, 2.0), (11, 0.1, 3.0), (8, 0.25, 1.5)])
def test_gabor_theta0_is_window_times_cosine(size, frequency, sigma):
    window = scipy.signal.windows.gaussian(size, std=sigma)     # peak 1, not normalised
    x = np.arange(size) - (size - 1) / 2
    expected = np.outer(window, window * np.cos(2 * np.pi * frequency * x))
    np.testing.assert_allclose(kernels.gabor(size, 0.0, frequency, sigma), expected, atol=1e-14)
    sine = np.outer(window, window * np.sin(2 * np.pi * frequency * x))
    np.testing.assert_allclose(kernels.gabor(size, 0.0, frequency, sigma, phase=np.pi / 2),
                               -sine, atol=1e-14)


def test_gabor_rotations():
    g0 = kernels.gabor(9, 0.0, 0.2, 2.0)
    np.testing.assert_allclose(kernels.gabor(9, np.pi / 2, 0.2, 2.0), g0.T, atol=1e-14)
    np.testing.assert_allclose(kernels.gabor(9, np.pi, 0.2, 2.0), g0, atol=1e-14)
    g45 = kernels.gabor(9, np.pi / 4, 0.2, 2.0)
    np.testing.assert_allclose(g45, g45.T, atol=1e-14)     # symmetric about the diagonal


def test_gabor_with_zero_frequency_is_a_gaussian():
    g = kernels.gabor(7, 0.4, 0.0, 1.5)
    np.testing.assert_allclose(g / g.sum(), kernels.gaussian(7, 1.5), atol=1e-14)


@pytest.mark.parametrize("theta", [0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
def test_gabor_prefers_gratings_of_its_orientation(theta):
    y, x = np.mgrid[0:40, 0:40]

    def grating(angle):
        return np.cos(2 * np.pi * 0.2 * (x * np.cos(angle) + y * np.sin(angle)))

    g = kernels.gabor(15, theta, 0.2, 3.0)
    energy = {a: np.abs(correlate2d(grating(a), g, "valid")).mean()
              for a in (theta, theta + np.pi / 2)}
    assert energy[theta] > 5 * energy[theta + np.pi / 2]


# --------------------------------------------------------------------------- Haar
def test_haar_filters_form_an_orthonormal_basis():
    basis = np.stack([kernels.haar(b).ravel() for b in ("LL", "LH", "HL", "HH")])
    np.testing.assert_allclose(basis @ basis.T, np.eye(4), atol=1e-15)
    np.testing.assert_array_equal(kernels.haar("LL"), np.full((2, 2), 0.5))


def test_haar_with_stride_2_loses_nothing(image):
    x = image[:16, :22]
    bands = {b: correlate2d(x, kernels.haar(b), "valid")[::2, ::2] for b in kernels.HAAR_BANDS}
    rebuilt = np.zeros_like(x)
    for b, coefficients in bands.items():
        # orthonormal: the inverse is the transpose, each coefficient times its filter
        rebuilt += np.kron(coefficients, kernels.haar(b))
    np.testing.assert_allclose(rebuilt, x, atol=1e-12)


def test_haar_band_orientation():
    vertical = step_edge(True)[:, 1:]     # odd offset so the edge falls inside a 2x2 block
    horizontal = step_edge(False)[1:, :]
    assert np.abs(correlate2d(vertical, kernels.haar("HL"), "valid")[::2, ::2]).max() > 0
    np.testing.assert_array_equal(correlate2d(vertical, kernels.haar("LH"), "valid"), 0)
    assert np.abs(correlate2d(horizontal, kernels.haar("LH"), "valid")[::2, ::2]).max() > 0
    np.testing.assert_array_equal(correlate2d(horizontal, kernels.haar("HL"), "valid"), 0)


# --------------------------------------------------------------------------- registry
def test_registry_holds_read_only_defaults():
    assert {"identity", "box", "gaussian", "sharpen", "edge", "laplacian", "sobel vertical",
            "sobel horizontal", "prewitt vertical", "prewitt horizontal", "gabor 0", "gabor 90",
            "haar LL", "haar HH"} <= set(kernels.KERNELS)
    for name, kernel in kernels.KERNELS.items():
        assert kernel.dtype == np.float64 and kernel.ndim == 2, name
        with pytest.raises(ValueError, match="read-only"):
            kernel[0, 0] = 1.0
    np.testing.assert_array_equal(kernels.KERNELS["sharpen"], kernels.sharpen())
    np.testing.assert_array_equal(kernels.KERNELS["gaussian"], kernels.gaussian(5, 1.0))
    np.testing.assert_array_equal(kernels.KERNELS["gabor 90"],
                                  kernels.gabor(11, np.pi / 2, 0.2, 2.5))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, message", [
    (lambda: kernels.identity(4), ValueError,
     r"size must be an odd integer >= 1 \(the kernel needs a centre pixel\), got 4"),
    (lambda: kernels.box(0), ValueError, r"size must be >= 1, got 0"),
    (lambda: kernels.gaussian(2.5, 1.0), TypeError, r"size must be an int, got float 2.5"),
    (lambda: kernels.gaussian(5, 0), ValueError, r"sigma must be a number > 0, got 0"),
    (lambda: kernels.gaussian1d(5, "wide"), TypeError, r"sigma must be a number, got str 'wide'"),
    (lambda: kernels.gabor(5, 0.0, -0.1, 1.0), ValueError,
     r"frequency must be a number >= 0 \(cycles per pixel\), got -0.1"),
    (lambda: kernels.sobel("diagonal"), ValueError,
     r"direction must be one of 'vertical', 'horizontal', got 'diagonal'"),
    (lambda: kernels.haar("LX"), ValueError,
     r"band must be one of 'LL', 'LH', 'HL', 'HH', got 'LX'"),
    (lambda: kernels.haar(["LL"]), ValueError, r"band must be one of 'LL'"),
    (lambda: kernels.gabor(5, "north", 0.2, 1.0), TypeError, r"theta must be a number, got str"),
    (lambda: kernels.gabor(5, 0.0, 0.2, 1.0, phase=None), TypeError,
     r"phase must be a number, got NoneType None"),
    (lambda: kernels.gabor(5, 0.0, "fast", 1.0), TypeError, r"frequency must be a number"),
])
def test_errors_name_the_argument_and_rule(call, error, message):
    with pytest.raises(error, match=message):
        call()
