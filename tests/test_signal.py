"""cnnlib.signal against NumPy, SciPy and the source decks' worked examples."""
import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.signal
from hypothesis import given, strategies as st

from cnnlib import (
    correlation_matrix, convolve1d, convolve2d, correlate1d, correlate1d_naive, correlate2d,
    correlate2d_naive, kernels,
)

MODES = ("full", "same", "valid")
SCIPY_BOUNDARIES = ("fill", "wrap", "symm")
NP_PAD = {"fill": "constant", "wrap": "wrap", "symm": "symmetric", "extend": "edge"}


# --------------------------------------------------------------------------- strategies
def _random(rng, dtype, shape):
    # Values from a seeded generator rather than hypothesis' element strategy,
    # which tends to fill arrays with one repeated value and would hide
    # indexing mistakes.
    if np.dtype(dtype).kind == "i":
        return rng.integers(-20, 21, size=shape).astype(dtype)
    return rng.uniform(-10, 10, size=shape).astype(dtype)


@st.composite
def signal_pairs(draw, ndim, max_side, kernel_may_be_larger):
    """A signal, a kernel (same dtype) and a mode in which NumPy/SciPy define the same result."""
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    shape = tuple(draw(st.integers(1, max_side)) for _ in range(ndim))
    mode = draw(st.sampled_from(MODES))
    if mode == "valid" or not kernel_may_be_larger:
        kshape = tuple(draw(st.integers(1, n)) for n in shape)
    else:
        kshape = tuple(draw(st.integers(1, max_side + 2)) for _ in range(ndim))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return _random(rng, dtype, shape), _random(rng, dtype, kshape), mode


def assert_matches(result, expected, x, k):
    """Equal dtype and values; floats within a few roundings of a sum of k.size products."""
    assert result.dtype == expected.dtype
    assert result.shape == expected.shape
    if result.dtype.kind == "i":
        np.testing.assert_array_equal(result, expected)
    else:
        scale = k.size * (np.abs(x).max() * np.abs(k).max() + 1)
        atol = 8 * np.finfo(result.dtype).eps * scale
        np.testing.assert_allclose(result, expected, rtol=0, atol=atol)


# --------------------------------------------------------------------------- 1D vs NumPy
@given(signal_pairs(ndim=1, max_side=30, kernel_may_be_larger=False))
def test_correlate1d_equals_numpy(case):
    u, w, mode = case
    assert_matches(correlate1d(u, w, mode), np.correlate(u, w, mode), u, w)


@given(signal_pairs(ndim=1, max_side=30, kernel_may_be_larger=False))
def test_convolve1d_equals_numpy(case):
    u, w, mode = case
    assert_matches(convolve1d(u, w, mode), np.convolve(u, w, mode), u, w)


@given(signal_pairs(ndim=1, max_side=12, kernel_may_be_larger=True))
def test_1d_kernel_longer_than_signal_equals_scipy(case):
    # NumPy's "same" returns max(N, K) samples when the kernel is longer; cnnlib
    # returns N, like scipy.signal.correlate / convolve.
    u, w, mode = case
    u, w = u.astype(np.float64), w.astype(np.float64)
    assert_matches(correlate1d(u, w, mode), scipy.signal.correlate(u, w, mode, "direct"), u, w)
    assert_matches(convolve1d(u, w, mode), scipy.signal.convolve(u, w, mode, "direct"), u, w)


@given(signal_pairs(ndim=1, max_side=25, kernel_may_be_larger=False), st.integers(1, 5))
def test_stride_subsamples_the_stride1_result(case, stride):
    u, w, mode = case
    assert_matches(correlate1d(u, w, mode, stride), np.correlate(u, w, mode)[::stride], u, w)
    assert_matches(convolve1d(u, w, mode, stride), np.convolve(u, w, mode)[::stride], u, w)


@given(signal_pairs(ndim=1, max_side=15, kernel_may_be_larger=True), st.integers(1, 4))
def test_correlate1d_naive_equals_vectorised(case, stride):
    u, w, mode = case
    assert_matches(correlate1d_naive(u, w, mode, stride), correlate1d(u, w, mode, stride), u, w)


def test_same_mode_centring_of_even_kernels():
    # numpy.correlate puts tap w[K // 2] over each output sample, scipy's
    # correlate2d tap k[(K - 1) // 2]: for even kernels the two differ by a shift.
    u, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 10.0])
    np.testing.assert_array_equal(correlate1d(u, w, "same"), np.correlate(u, w, "same"))
    np.testing.assert_array_equal(correlate1d(u, w, "same"), [10, 21, 32, 43])
    row = correlate2d(u[None], w[None], "same")[0]
    np.testing.assert_array_equal(row, scipy.signal.correlate2d(u[None], w[None], "same")[0])
    np.testing.assert_array_equal(row, [21, 32, 43, 4])


# --------------------------------------------------------------------------- 2D vs SciPy
@st.composite
def image_cases(draw, boundaries):
    x, k, mode = draw(signal_pairs(ndim=2, max_side=8, kernel_may_be_larger=True))
    boundary = draw(st.sampled_from(boundaries))
    fillvalue = draw(st.sampled_from([0, 0, 2.5])) if boundary == "fill" else 0
    return x, k, mode, boundary, fillvalue


@given(image_cases(SCIPY_BOUNDARIES))
def test_correlate2d_equals_scipy(case):
    x, k, mode, boundary, fillvalue = case
    expected = scipy.signal.correlate2d(x, k, mode, boundary, fillvalue)
    if fillvalue == 2.5 and x.dtype.kind == "i":
        # SciPy casts the fill value to the integer dtype; cnnlib promotes to float.
        expected = scipy.signal.correlate2d(x.astype(float), k, mode, boundary, fillvalue)
    assert_matches(correlate2d(x, k, mode, boundary, fillvalue), expected, x, k)


@given(image_cases(SCIPY_BOUNDARIES))
def test_convolve2d_equals_scipy(case):
    x, k, mode, boundary, fillvalue = case
    x = x.astype(np.float64) if fillvalue == 2.5 else x
    expected = scipy.signal.convolve2d(x, k, mode, boundary, fillvalue)
    assert_matches(convolve2d(x, k, mode, boundary, fillvalue), expected, x, k)


def _extend_then_valid(x, k, mode, same_before, scipy_valid):
    """The "extend" oracle: replicate the edge with numpy.pad, then SciPy's valid mode."""
    pads = []
    for n in k.shape:
        before = {"full": n - 1, "valid": 0, "same": same_before(n)}[mode]
        pads.append((before, {"full": n - 1, "valid": 0, "same": n - 1 - before}[mode]))
    return scipy_valid(np.pad(x, pads, mode="edge"), k, "valid")


@given(image_cases(["extend"]))
def test_extend_boundary_equals_edge_padding(case):
    x, k, mode, _, _ = case
    # Same-mode centring as SciPy's correlate2d / convolve2d for the other boundaries.
    expected = _extend_then_valid(x, k, mode, lambda n: (n - 1) // 2, scipy.signal.correlate2d)
    assert_matches(correlate2d(x, k, mode, "extend"), expected, x, k)
    expected = _extend_then_valid(x, k, mode, lambda n: n // 2, scipy.signal.convolve2d)
    assert_matches(convolve2d(x, k, mode, "extend"), expected, x, k)


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 3), st.integers(0, 3),
       st.integers(0, 2**32 - 1))
def test_extend_boundary_equals_ndimage_nearest(h, w, half_h, half_w, seed):
    # scipy.ndimage calls the same boundary "nearest"; with odd kernels it
    # centres like the "same" mode.
    rng = np.random.default_rng(seed)
    x = rng.uniform(-10, 10, (h, w))
    k = rng.uniform(-10, 10, (2 * half_h + 1, 2 * half_w + 1))
    expected = scipy.ndimage.correlate(x, k, mode="nearest")
    np.testing.assert_allclose(correlate2d(x, k, "same", "extend"), expected, atol=1e-10)


@given(image_cases(("fill", "wrap", "symm", "extend")))
def test_correlate2d_naive_equals_vectorised(case):
    x, k, mode, boundary, fillvalue = case
    assert_matches(correlate2d_naive(x, k, mode, boundary, fillvalue),
                   correlate2d(x, k, mode, boundary, fillvalue), x, k)


# --------------------------------------------------------------------------- correlation_matrix
@given(image_cases(SCIPY_BOUNDARIES + ("extend",)))
def test_correlation_matrix_reproduces_correlate2d(case):
    x, k, mode, boundary, _ = case
    W = correlation_matrix(k, x.shape, mode, boundary)
    if boundary == "extend":
        expected = correlate2d(x, k, mode, boundary)   # checked against numpy.pad above
    else:
        expected = scipy.signal.correlate2d(x, k, mode, boundary)
    assert_matches(W @ x.ravel(), expected.ravel(), x, k)


@given(signal_pairs(ndim=1, max_side=20, kernel_may_be_larger=False),
       st.sampled_from(("fill", "wrap", "symm", "extend")))
def test_correlation_matrix_1d(case, boundary):
    u, w, mode = case
    W = correlation_matrix(w, len(u), mode, boundary)
    if boundary == "fill":
        expected = np.correlate(u, w, mode)
    else:
        before = {"full": len(w) - 1, "same": len(w) // 2, "valid": 0}[mode]
        after = {"full": len(w) - 1, "same": (len(w) - 1) // 2, "valid": 0}[mode]
        expected = np.correlate(np.pad(u, (before, after), mode=NP_PAD[boundary]), w, "valid")
    assert_matches(W @ u, expected, u, w)
    if boundary == "fill":
        # Toeplitz: constant along every diagonal.
        np.testing.assert_array_equal(W, scipy.linalg.toeplitz(W[:, 0], W[0, :]))


def test_correlation_matrix_1d_is_the_lectures_band_matrix():
    w = np.array([1.0, 2.0, 3.0])
    W = correlation_matrix(w, 6)
    band = scipy.linalg.toeplitz([1, 0, 0, 0], [1, 2, 3, 0, 0, 0])
    np.testing.assert_array_equal(W, band)
    np.testing.assert_array_equal(correlation_matrix([1, 2, 3], 5), [[1, 2, 3, 0, 0],
                                                                     [0, 1, 2, 3, 0],
                                                                     [0, 0, 1, 2, 3]])


@given(st.integers(1, 6), st.integers(0, 4), st.sampled_from(["full", "same", "valid"]))
def test_correlation_matrix_is_scipys_convolution_matrix_of_the_flipped_kernel(k, extra, mode):
    kernel = np.arange(1.0, k + 1)
    n = k + extra
    np.testing.assert_array_equal(correlation_matrix(kernel[::-1], n, mode),
                                  scipy.linalg.convolution_matrix(kernel, n, mode))
    if k > 1 and len(set(kernel)) > 1:      # not symmetric: the names are not interchangeable
        assert not np.array_equal(correlation_matrix(kernel, n, mode),
                                  scipy.linalg.convolution_matrix(kernel, n, mode))


@pytest.mark.parametrize("n, k", [(6, 3), (5, 4), (7, 1), (4, 4)])
def test_correlation_matrix_wrap_same_is_circulant(n, k):
    W = correlation_matrix(np.arange(1.0, k + 1), n, mode="same", boundary="wrap")
    np.testing.assert_array_equal(W, scipy.linalg.circulant(W[:, 0]))


@pytest.mark.parametrize("shape, kshape", [((4, 5), (2, 3)), ((5, 5), (3, 3)), ((3, 6), (1, 2))])
def test_correlation_matrix_2d_is_doubly_block_toeplitz(shape, kshape):
    k = np.arange(1.0, np.prod(kshape) + 1).reshape(kshape)
    W = correlation_matrix(k, shape)
    out_h, out_w = shape[0] - kshape[0] + 1, shape[1] - kshape[1] + 1
    blocks = W.reshape(out_h, out_w, shape[0], shape[1]).transpose(0, 2, 1, 3)
    for i in range(out_h):
        for r in range(shape[0]):
            block = blocks[i, r]
            np.testing.assert_array_equal(block, scipy.linalg.toeplitz(block[:, 0], block[0, :]))
            if i + 1 < out_h and r + 1 < shape[0]:
                np.testing.assert_array_equal(block, blocks[i + 1, r + 1])


# --------------------------------------------------------------------------- lecture examples
X = np.arange(9).reshape(3, 3)
K = np.array([[0, 1], [2, 3]])


def test_lecture_valid_correlation():
    np.testing.assert_array_equal(correlate2d(X, K, "valid"), [[19, 25], [37, 43]])
    np.testing.assert_array_equal(correlate2d_naive(X, K, "valid"), [[19, 25], [37, 43]])


def test_lecture_zero_padding_one_is_full_mode():
    expected = [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]
    np.testing.assert_array_equal(correlate2d(X, K, "full"), expected)
    np.testing.assert_array_equal(correlate2d(np.pad(X, 1), K, "valid"), expected)


def test_lecture_true_convolution():
    x = np.array([[11, 12, 13, 14], [21, 22, 23, 24], [31, 32, 33, 34], [41, 42, 43, 44]])
    k = np.array([[0.11, 0.12, 0.13], [0.21, 0.22, 0.23], [0.31, 0.32, 0.33]])
    np.testing.assert_allclose(convolve2d(x, k, "valid"), [[37.5, 39.48], [57.3, 59.28]],
                               rtol=1e-13)


def seitz_image():
    """The classic 10x10 box-filter example (S. Seitz's slides): a 90 block, a hole, a stray 90."""
    image = np.zeros((10, 10))
    image[2:7, 3:8] = 90
    image[5, 4] = 0
    image[8, 2] = 90
    return image


def test_lecture_boxcar_on_seitz_image():
    out = correlate2d(seitz_image(), kernels.box(3), "valid")
    table = [[0, 10, 20, 30, 30, 30, 20, 10],
             [0, 20, 40, 60, 60, 60, 40, 20],
             [0, 30, 60, 90, 90, 90, 60, 30],
             [0, 30, 50, 80, 80, 90, 60, 30],
             [0, 30, 50, 80, 80, 90, 60, 30],
             [0, 20, 30, 50, 50, 60, 40, 20],
             [10, 20, 30, 30, 30, 30, 20, 10],
             [10, 10, 10, 0, 0, 0, 0, 0]]
    np.testing.assert_allclose(out, table, atol=1e-12)
    np.testing.assert_allclose(out[0], [0, 10, 20, 30, 30, 30, 20, 10], atol=1e-12)
    # stride 2: the kernel moves two pixels per step, i.e. every other output
    np.testing.assert_allclose(out[::2, ::2][0], [0, 20, 30, 20], atol=1e-12)


def test_lecture_striding_a_signal():
    u = [3, 5, 6, 2, 2, 9, 4, 5]
    np.testing.assert_array_equal(correlate1d(u, [1], "valid", stride=2), [3, 6, 2, 4])
    np.testing.assert_array_equal(correlate1d_naive(u, [1], "valid", stride=2), [3, 6, 2, 4])


@pytest.mark.parametrize("n, k", [(7, 3), (28, 5), (10, 10), (5, 1)])
def test_lecture_output_sizes(n, k):
    u, w = np.ones(n), np.ones(k)
    assert len(correlate1d(u, w, "valid")) == n - k + 1
    assert len(correlate1d(u, w, "full")) == n + k - 1
    assert len(correlate1d(u, w, "same")) == n
    assert correlate2d(np.ones((n, n)), np.ones((k, k)), "valid").shape == (n - k + 1,) * 2


def test_lecture_stride_sizes_7_by_3():
    # 7x7 input, 3x3 kernel: 5 positions with stride 1, 3 with stride 2.
    assert len(correlate1d(np.ones(7), np.ones(3), "valid", stride=1)) == 5
    assert len(correlate1d(np.ones(7), np.ones(3), "valid", stride=2)) == 3


# --------------------------------------------------------------------------- errors
ERRORS = [
    (lambda: correlate1d(np.ones((2, 2)), [1.0]), ValueError,
     r"u must be 1-D with shape \(N,\), got shape \(2, 2\)"),
    (lambda: correlate1d([1.0, 2.0], np.ones((1, 1))), ValueError, r"w must be 1-D"),
    (lambda: correlate2d(np.ones(3), np.ones((1, 1))), ValueError,
     r"x must be 2-D with shape \(H, W\), got shape \(3,\)"),
    (lambda: convolve2d(np.ones((3, 3)), np.ones(2)), ValueError, r"kernel must be 2-D"),
    (lambda: correlate1d([1.0, 2.0], [1.0], mode="fulll"), ValueError,
     r"mode must be one of 'full', 'same', 'valid', got 'fulll'"),
    (lambda: correlate2d(np.ones((3, 3)), np.ones((2, 2)), boundary="reflect"), ValueError,
     r"boundary must be one of 'fill', 'wrap', 'symm', 'extend', got 'reflect'"),
    (lambda: correlate1d(["a", "b"], [1.0]), TypeError,
     r"u must hold real numbers \(an integer or float dtype\), got dtype <U1"),
    (lambda: correlate2d(np.ones((2, 2), complex), np.ones((1, 1))), TypeError,
     r"x must hold real numbers .* got dtype complex128"),
    (lambda: convolve1d([True, False], [1.0]), TypeError, r"got dtype bool \(convert with"),
    (lambda: correlate1d([], [1.0]), ValueError, r"u must not be empty, got shape \(0,\)"),
    (lambda: correlate2d(np.ones((3, 0)), np.ones((1, 1))), ValueError, r"x must not be empty"),
    (lambda: correlate1d([1.0, 2.0], [1.0], stride=0), ValueError,
     r"stride must be >= 1 \(the positions the kernel moves per step\), got 0"),
    (lambda: convolve1d([1.0, 2.0], [1.0], stride=1.5), TypeError,
     r"stride must be an int, got float 1.5"),
    (lambda: correlate1d([1.0, 2.0, 3.0], np.ones(5), mode="valid"), ValueError,
     r"kernel \(5\) is larger than the input \(3\) in mode='valid'"),
    (lambda: convolve2d(np.ones((3, 3)), np.ones((4, 2)), mode="valid"), ValueError,
     r"kernel \(4x2\) is larger than the input \(3x3\) in mode='valid'"),
    (lambda: correlate2d(np.ones((3, 3)), np.ones((2, 2)), fillvalue="zero"), TypeError,
     r"fillvalue must be a number, got str 'zero'"),
    (lambda: correlation_matrix(np.ones((2, 2)), 5), ValueError,
     r"input_shape must be 2 positive integer\(s\) to match the 2-D kernel, got \(5,\)"),
    (lambda: correlation_matrix(np.ones((2, 2, 2)), (3, 3)), ValueError,
     r"kernel must be 1-D \(K,\) or 2-D \(kH, kW\), got shape \(2, 2, 2\)"),
    (lambda: correlation_matrix(np.ones(4), 3), ValueError,
     r"kernel \(4\) is larger than the input"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors_name_the_argument_and_rule(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("naive, fast", [(correlate1d_naive, correlate1d),
                                         (correlate2d_naive, correlate2d)])
def test_naive_versions_validate_like_the_fast_ones(naive, fast):
    args = ([1.0, 2.0], [1.0]) if fast is correlate1d else (np.ones((2, 2)), np.ones((1, 1)))
    with pytest.raises(ValueError, match="mode must be one of"):
        naive(*args, mode="bad")
    with pytest.raises(ValueError, match="is larger than the input"):
        naive(*args[::-1], mode="valid")
