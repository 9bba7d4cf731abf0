"""Backward passes of cnnlib.pool against torch.autograd, finite differences and the decks."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from cnnlib import (
    avg_pool2d, avg_pool2d_backward, conv2d_backward, lp_pool2d, lp_pool2d_backward, max_pool2d,
    max_pool2d_backward, max_pool2d_backward_naive,
)
# The same random pooling settings as the forward tests.
from test_pool import _fits, pool_cases


def torch_grad(f, x, dout):
    """The oracle: the gradient torch.autograd computes for f at x with upstream dout."""
    xt = torch.from_numpy(x).requires_grad_()
    f(xt).backward(torch.from_numpy(dout))
    return xt.grad.numpy()


@given(pool_cases(), st.integers(0, 2**31 - 1))
def test_max_pool2d_backward_equals_torch_autograd_with_ties(case, seed):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    assume(_fits(shape, kernel, padding, dilation))
    rng = np.random.default_rng(seed)
    # Small integers make ties common: the gradient must go to the same tied cell as in torch.
    x = rng.integers(-2, 3, size=shape).astype(np.float64)
    out = max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    dout = rng.normal(size=out.shape)
    expected = torch_grad(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode),
                          x, dout)
    got = max_pool2d_backward(dout, x, kernel, stride, padding, dilation, ceil_mode)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    _, indices = max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    again = max_pool2d_backward(dout, x, kernel, stride, padding, dilation, ceil_mode, indices)
    np.testing.assert_array_equal(again, got)
    naive = max_pool2d_backward_naive(dout, x, kernel, stride, padding, dilation, ceil_mode)
    assert naive.dtype == np.float64
    np.testing.assert_allclose(naive, expected, rtol=0, atol=1e-12)


def test_max_pool2d_backward_ties_nan_and_float32_like_torch():
    x = np.array([[[[1.0, 1, 0], [1, 1, np.nan], [0, np.nan, np.nan]]]], dtype=np.float32)
    dout = np.array([[[[1.0, 2], [3, 4]]]], dtype=np.float32)
    expected = torch_grad(lambda t: F.max_pool2d(t, 2, 1), x, dout)
    got = max_pool2d_backward(dout, x, 2, 1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    # By hand: the first window's tie of four 1s goes to its first cell; the other windows
    # hold NaNs, and torch takes the last NaN of each window (row-major order).
    np.testing.assert_array_equal(got[0, 0], [[1, 0, 0], [0, 0, 2], [0, 3, 4]])


@given(pool_cases(with_dilation=False), st.booleans(), st.integers(0, 2**31 - 1))
def test_avg_pool2d_backward_equals_torch_autograd(case, count_include_pad, seed):
    shape, kernel, stride, padding, _, ceil_mode = case
    assume(_fits(shape, kernel, padding, (1, 1)))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    out = avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)
    dout = rng.normal(size=out.shape)
    expected = torch_grad(
        lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad), x, dout)
    got = avg_pool2d_backward(dout, x, kernel, stride, padding, ceil_mode, count_include_pad)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@given(pool_cases(with_dilation=False), st.sampled_from([1, 2, 3, 1.5, np.inf]),
       st.integers(0, 2**31 - 1))
def test_lp_pool2d_backward_equals_torch_autograd(case, p, seed):
    shape, kernel, stride, _, _, ceil_mode = case
    assume(_fits(shape, kernel, (0, 0), (1, 1)))
    rng = np.random.default_rng(seed)
    # Positive inputs: a fractional power of a negative number is NaN (in torch too).
    x = rng.uniform(0.1, 2.0, size=shape)
    out = lp_pool2d(x, p, kernel, stride, ceil_mode)
    dout = rng.normal(size=out.shape)
    expected = torch_grad(lambda t: F.lp_pool2d(t, float(p), kernel, stride, ceil_mode), x, dout)
    got = lp_pool2d_backward(dout, x, p, kernel, stride, ceil_mode)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_lp_pool2d_backward_hoelder_mean_equals_torch_composition(p):
    rng = np.random.default_rng(4)
    x = rng.uniform(0.1, 2.0, size=(2, 3, 7, 6))
    out = lp_pool2d(x, p, 3, 2, ceil_mode=True, mean=True)
    dout = rng.normal(size=out.shape)
    expected = torch_grad(
        lambda t: F.avg_pool2d(t.pow(p), 3, 2, ceil_mode=True).pow(1 / p), x, dout)
    got = lp_pool2d_backward(dout, x, p, 3, 2, ceil_mode=True, mean=True)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_lp_pool2d_backward_is_zero_where_the_window_is_zero_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 2.0], [3.0, 4.0]]
    dout = np.ones((1, 1, 2, 2))
    expected = torch_grad(lambda t: F.lp_pool2d(t, 2.0, 2), x, dout)
    got = lp_pool2d_backward(dout, x, 2, 2)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def _numerical(f, x, dout, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f(x) * dout)
        x[i] = old - eps
        minus = np.sum(f(x) * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def test_pool_backwards_match_finite_differences():
    rng = np.random.default_rng(5)
    # Distinct values far apart: no tie can flip under a 1e-6 nudge.
    x = rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0 + 0.5
    cases = [
        (lambda a: max_pool2d(a, 3, 2, 1, 1, True),
         lambda d, a: max_pool2d_backward(d, a, 3, 2, 1, 1, True)),
        (lambda a: avg_pool2d(a, (3, 2), 2, (1, 1), True, False),
         lambda d, a: avg_pool2d_backward(d, a, (3, 2), 2, (1, 1), True, False)),
        (lambda a: lp_pool2d(a, 3, 2, 1), lambda d, a: lp_pool2d_backward(d, a, 3, 2, 1)),
    ]
    for forward, backward in cases:
        dout = rng.normal(size=forward(x).shape)
        np.testing.assert_allclose(backward(dout, x), _numerical(forward, x, dout),
                                   rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------------ lectures
LECTURE = np.array([3.0, 5, 6, 2, 2, 9, 4])


def test_lecture_1d_max_pool_window_3_same_padding_routes_gradients():
    # The issue quotes: max pooling [3,5,6,2,2,9,4] with window 3 sends [1..7] back as
    # [0,1,9,0,0,18,0].  Seven upstream values need seven outputs, so the window is the
    # "same"-padded one (stride 1, padding 1), whose forward is [5,6,6,6,9,9,9]: the 6 wins
    # windows 2-4 (2+3+4 = 9), the 9 windows 5-7 (5+6+7 = 18), the 5 window 1.  Verified.
    x = LECTURE.reshape(1, 1, 1, 7)
    np.testing.assert_array_equal(max_pool2d(x, (1, 3), 1, (0, 1))[0, 0, 0], [5, 6, 6, 6, 9, 9, 9])
    dout = np.arange(1.0, 8.0).reshape(1, 1, 1, 7)
    got = max_pool2d_backward(dout, x, (1, 3), 1, (0, 1))
    np.testing.assert_array_equal(got[0, 0, 0], [0, 1, 9, 0, 0, 18, 0])
    expected = torch_grad(lambda t: F.max_pool1d(t, 3, 1, 1), LECTURE.reshape(1, 1, 7),
                          dout.reshape(1, 1, 7))
    np.testing.assert_array_equal(got.reshape(1, 1, 7), expected)


def test_lecture_1d_max_pool_window_3_without_padding():
    # Without padding there are only five windows; [1..5] comes back as [0,0,6,0,0,9,0]
    # (6 wins windows 1-3: 1+2+3, 9 windows 4-5: 4+5), worked out by hand.
    x = LECTURE.reshape(1, 1, 1, 7)
    got = max_pool2d_backward(np.arange(1.0, 6.0).reshape(1, 1, 1, 5), x, (1, 3), 1)
    np.testing.assert_array_equal(got[0, 0, 0], [0, 0, 6, 0, 0, 9, 0])


def test_lecture_striding_by_2_sends_gradients_to_the_kept_positions():
    # Striding [3,5,6,2,2,9,4,5] by 2 keeps [3,6,2,4]; [1,2,3,4] comes back as
    # [1,0,2,0,3,0,4,0]: the skipped positions had no influence.  Striding is a 1-wide
    # pooling (or a 1x1 identity convolution) with stride 2.
    x = np.array([3.0, 5, 6, 2, 2, 9, 4, 5]).reshape(1, 1, 1, 8)
    np.testing.assert_array_equal(max_pool2d(x, 1, (1, 2))[0, 0, 0], [3, 6, 2, 4])
    dout = np.array([1.0, 2, 3, 4]).reshape(1, 1, 1, 4)
    want = [1, 0, 2, 0, 3, 0, 4, 0]
    np.testing.assert_array_equal(max_pool2d_backward(dout, x, 1, (1, 2))[0, 0, 0], want)
    dx, _, _ = conv2d_backward(dout, x, np.ones((1, 1, 1, 1)), stride=(1, 2))
    np.testing.assert_array_equal(dx[0, 0, 0], want)


# ------------------------------------------------------------------------------ errors
def test_bad_dout_shapes_are_named():
    x = np.zeros((2, 3, 6, 6))
    with pytest.raises(ValueError, match=r"dout must have the shape of the max_pool2d output "
                                         r"\(N, C, H_out, W_out\) = \(2, 3, 3, 3\), got "
                                         r"\(2, 3, 6, 6\)"):
        max_pool2d_backward(np.zeros((2, 3, 6, 6)), x, 2)
    with pytest.raises(ValueError, match=r"avg_pool2d output .* = \(2, 3, 2, 2\), got \(2, 3\)"):
        avg_pool2d_backward(np.zeros((2, 3)), x, 3)
    with pytest.raises(ValueError, match=r"lp_pool2d output .* = \(2, 3, 3, 3\), got \(1,\)"):
        lp_pool2d_backward(np.zeros(1), x, 2, 2)
    with pytest.raises(ValueError, match=r"= \(3, 3, 3\), got \(1, 3, 3, 3\)"):
        max_pool2d_backward(np.zeros((1, 3, 3, 3)), x[0], 2)


def test_other_backward_argument_errors():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"indices must have the shape of dout \(1, 1, 2, 2\)"):
        max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, indices=np.zeros((1, 1, 4), int))
    with pytest.raises(ValueError, match="p must be non-zero"):
        lp_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 0, 2)
    with pytest.raises(ValueError, match="padding must be at most half the kernel size"):
        max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, padding=2)


def test_max_pool2d_backward_checks_its_indices():
    x, dout = np.zeros((1, 1, 4, 4)), np.ones((1, 1, 2, 2))
    with pytest.raises(TypeError, match=r"indices must hold integers"):
        max_pool2d_backward(dout, x, 2, indices=np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"indices must be flat positions h \* W \+ w inside the "
                                         r"4x4 input plane \(0 to 15\), got values from 0 to 16"):
        max_pool2d_backward(dout, x, 2, indices=np.array([[[[0, 2], [8, 16]]]]))
    with pytest.raises(ValueError, match=r"indices must be flat positions"):
        max_pool2d_backward_naive(dout, x, 2, indices=np.full((1, 1, 2, 2), -1))
