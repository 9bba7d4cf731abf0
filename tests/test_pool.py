"""cnnlib.pool against torch.nn.functional pooling and the source decks' worked examples."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from cnnlib import (avg_pool2d, global_avg_pool2d, lp_pool2d, max_pool2d, max_pool2d_naive,
                    pool_output_size)


@st.composite
def pool_cases(draw, with_dilation=True):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if with_dilation else (1, 1)
    size = (draw(st.integers(1, 10)), draw(st.integers(1, 10)))
    ceil_mode = draw(st.booleans())
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return (n, c) + size, kernel, stride, padding, dilation, ceil_mode


def _fits(shape, kernel, padding, dilation):
    return all(n + 2 * p >= d * (k - 1) + 1
               for n, k, p, d in zip(shape[2:], kernel, padding, dilation))


@given(pool_cases(), st.integers(0, 2**31 - 1), st.sampled_from([np.float64, np.float32]))
def test_max_pool2d_and_naive_equal_torch_with_indices(case, seed, dtype):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    assume(_fits(shape, kernel, padding, dilation))
    # Small integers make ties common: both must pick the first maximum, as torch does.
    x = np.random.default_rng(seed).integers(-3, 4, size=shape).astype(dtype)
    expected, expected_idx = F.max_pool2d(torch.from_numpy(x), kernel, stride, padding, dilation,
                                          ceil_mode, return_indices=True)
    for f in (max_pool2d, max_pool2d_naive):
        out, idx = f(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
        assert out.dtype == dtype and idx.dtype == np.int64
        np.testing.assert_array_equal(out, expected.numpy())
        np.testing.assert_array_equal(idx, expected_idx.numpy())


@given(pool_cases(with_dilation=False), st.booleans(), st.integers(0, 2**31 - 1))
def test_avg_pool2d_equals_torch(case, count_include_pad, seed):
    shape, kernel, stride, padding, _, ceil_mode = case
    assume(_fits(shape, kernel, padding, (1, 1)))
    x = np.random.default_rng(seed).normal(size=shape)
    expected = F.avg_pool2d(torch.from_numpy(x), kernel, stride, padding, ceil_mode,
                            count_include_pad).numpy()
    out = avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
    out32 = avg_pool2d(x.astype(np.float32), kernel, stride, padding, ceil_mode, count_include_pad)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-5, atol=1e-5)


@given(pool_cases(with_dilation=False), st.sampled_from([1, 2, 3, 1.5, np.inf]),
       st.integers(0, 2**31 - 1))
def test_lp_pool2d_equals_torch(case, p, seed):
    shape, kernel, stride, _, _, ceil_mode = case
    assume(_fits(shape, kernel, (0, 0), (1, 1)))
    x = np.random.default_rng(seed).uniform(0, 2, size=shape)     # after a ReLU: non-negative
    expected = F.lp_pool2d(torch.from_numpy(x), p, kernel, stride, ceil_mode).numpy()
    np.testing.assert_allclose(lp_pool2d(x, p, kernel, stride, ceil_mode), expected,
                               rtol=1e-10, atol=1e-12)


def test_lp_pool2d_mean_is_the_hoelder_mean():
    x = np.random.default_rng(0).uniform(0, 1, size=(2, 3, 8, 8))
    # p=1: average pooling (torch's avg_pool2d as the oracle).
    np.testing.assert_allclose(lp_pool2d(x, 1, 2, mean=True),
                               F.avg_pool2d(torch.from_numpy(x), 2).numpy(), atol=1e-12)
    # p=2: root mean square of each window, computed by NumPy directly.
    windows = x.reshape(2, 3, 4, 2, 4, 2)
    np.testing.assert_allclose(lp_pool2d(x, 2, 2, mean=True),
                               np.sqrt((windows ** 2).mean(axis=(3, 5))), atol=1e-12)
    # large p approaches max pooling, from below, monotonically in p.
    maximum = F.max_pool2d(torch.from_numpy(x), 2).numpy()
    gaps = [np.abs(lp_pool2d(x, p, 2, mean=True) - maximum).max() for p in (1, 4, 16, 64)]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 0.03


def test_max_pool2d_nan_and_all_minus_inf_windows_like_torch():
    x = np.array([[[[1, np.nan, 3], [np.nan, 2, 1], [0, 0, 0]]]])
    expected = F.max_pool2d(torch.from_numpy(x), 3, return_indices=True)
    for f in (max_pool2d, max_pool2d_naive):
        out, idx = f(x, 3, return_indices=True)
        assert np.isnan(out).all() and idx.item() == expected[1].item() == 3
    x = np.full((1, 1, 3, 3), -np.inf)
    expected = F.max_pool2d(torch.from_numpy(x), 2, padding=1, dilation=2, return_indices=True)
    for f in (max_pool2d, max_pool2d_naive):
        out, idx = f(x, 2, padding=1, dilation=2, return_indices=True)
        np.testing.assert_array_equal(idx, expected[1].numpy())


def test_global_avg_pool2d_equals_adaptive_avg_pool():
    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype(np.float32)
    out = global_avg_pool2d(x)
    assert out.shape == (2, 5, 1, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, F.adaptive_avg_pool2d(torch.from_numpy(x), 1).numpy(),
                               atol=1e-6)


def test_unbatched_input():
    x = np.random.default_rng(0).normal(size=(3, 6, 6))
    np.testing.assert_array_equal(max_pool2d(x, 2), F.max_pool2d(torch.from_numpy(x), 2).numpy())


@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2),
       st.integers(1, 3), st.booleans())
def test_pool_output_size_equals_torch(n, k, s, p, d, ceil_mode):
    assume(p <= k // 2 and n + 2 * p >= d * (k - 1) + 1)
    out = F.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil_mode)
    assert pool_output_size(n, k, s, p, d, ceil_mode) == out.shape[-1]


# ---- lecture worked examples ------------------------------------------------------------
X = np.arange(9.0).reshape(1, 1, 3, 3)             # [[0,1,2],[3,4,5],[6,7,8]]


def test_lecture_2x2_stride_1_pools_of_0_to_8():
    np.testing.assert_array_equal(max_pool2d(X, 2, stride=1)[0, 0], [[4, 5], [7, 8]])
    np.testing.assert_array_equal(avg_pool2d(X, 2, stride=1)[0, 0], [[2, 3], [5, 6]])


def test_lecture_2x2_stride_2_average_pool():
    x = np.array([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]], float)
    np.testing.assert_array_equal(avg_pool2d(x[None, None], 2, 2)[0, 0], [[16, 8], [20, 25]])


def test_lecture_2x2_stride_2_max_pool():
    x = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]], float)
    np.testing.assert_array_equal(max_pool2d(x[None, None], 2, 2)[0, 0], [[20, 30], [112, 37]])


def test_lecture_overlapping_3x3_stride_2_pooling():
    # AlexNet (Krizhevsky et al., 2012): 55x55 -> 27x27, 27 -> 13, 13 -> 6.
    assert [pool_output_size(n, 3, 2) for n in (55, 27, 13)] == [27, 13, 6]
    x = np.random.default_rng(0).normal(size=(1, 2, 55, 55))
    assert max_pool2d(x, 3, 2).shape == (1, 2, 27, 27)
    # Overlap: each interior input cell belongs to more than one window.
    _, idx = max_pool2d(np.arange(25.0).reshape(1, 1, 5, 5), 3, 2, return_indices=True)
    np.testing.assert_array_equal(idx[0, 0], [[12, 14], [22, 24]])


def test_lecture_1d_max_pool_window_3_same_padding():
    x = np.array([3, 5, 6, 2, 2, 9, 4], float)[None, None, None, :]
    out = max_pool2d(x, (1, 3), stride=1, padding=(0, 1))
    np.testing.assert_array_equal(out[0, 0, 0], [5, 6, 6, 6, 9, 9, 9])


# ---- errors that teach ------------------------------------------------------------------
x4 = np.zeros((1, 2, 4, 4))


@pytest.mark.parametrize("call, error, message", [
    (lambda: max_pool2d(np.zeros((4, 4)), 2), ValueError, r"x must have shape \(N, C, H, W\)"),
    (lambda: avg_pool2d(np.zeros((1, 1, 1, 4, 4)), 2), ValueError, r"x must have shape"),
    (lambda: max_pool2d(x4, 0), ValueError, r"kernel_size must be >= 1, got 0"),
    (lambda: max_pool2d(x4, 2, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: max_pool2d(x4, 2, dilation=0), ValueError, r"dilation must be >= 1, got 0"),
    (lambda: avg_pool2d(x4, 2, padding=-1), ValueError, r"padding must be non-negative, got -1"),
    (lambda: max_pool2d(x4, 2, padding=2), ValueError,
     r"padding must be at most half the kernel size \(kernel_size // 2\)"),
    (lambda: max_pool2d(x4, 5), ValueError,
     r"kernel \(5x5, dilation 1\) is larger than the padded input \(4x4\)"),
    (lambda: max_pool2d(x4, 3, dilation=2), ValueError,
     r"kernel \(3x3, dilation 2\) is larger than the padded input \(4x4\)"),
    (lambda: max_pool2d(x4, 2.0), TypeError, r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: avg_pool2d(x4.astype(bool), 2), TypeError, r"x must hold real numbers"),
    (lambda: lp_pool2d(x4, 0, 2), ValueError, r"p must be non-zero"),
    (lambda: lp_pool2d(x4, "2", 2), TypeError, r"p must be a number"),
    (lambda: global_avg_pool2d(np.zeros((2, 3))), ValueError, r"x must have shape \(N, C, H, W\)"),
])
def test_errors_name_the_argument_and_rule(call, error, message):
    with pytest.raises(error, match=message):
        call()
