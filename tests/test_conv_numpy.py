"""cnnlib.conv and cnnlib.pool with SciPy and NumPy as the oracles, no torch needed.

These run wherever the NumPy core runs, also in CI's NumPy-only environments of other
Python versions (the PyTorch comparisons sit in test_conv*.py and test_pool*.py).
A convolution layer is, per image and output channel, a sum over input channels of
SciPy's 2-D cross-correlation ("valid") of the padded input with one kernel; its weight
gradient is the correlation of the input with ``dout``, its input gradient the full
convolution of ``dout`` with the kernel.
"""
import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings, strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from cnnlib import (avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward, conv2d_naive,
                    conv_transpose2d, max_pool2d, max_pool2d_backward)
from cnnlib.conv import conv2d_backward_im2col, conv2d_im2col, conv2d_backward_naive


def scipy_conv2d(x, w, stride, padding, dilation, groups):
    """The layer from scipy.signal.correlate2d: pad, dilate the kernel, correlate, subsample."""
    n, c_in = x.shape[:2]
    c_out, c_per_group, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dilated = np.zeros((c_out, c_per_group, dilation * (kh - 1) + 1, dilation * (kw - 1) + 1))
    dilated[:, :, ::dilation, ::dilation] = w
    out = []
    for b in range(n):
        maps = []
        for o in range(c_out):
            first = o // (c_out // groups) * c_per_group
            full = sum(scipy.signal.correlate2d(xp[b, first + c], dilated[o, c], "valid")
                       for c in range(c_per_group))
            maps.append(full[::stride, ::stride])
        out.append(maps)
    return np.array(out)


@st.composite
def cases(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 2))
    size = draw(st.integers(dilation * (k - 1) + 1, 7))
    return draw(st.integers(1, 2)), c_in, c_out, size, k, stride, padding, dilation, groups


@settings(max_examples=40, deadline=None)
@given(cases(), st.integers(0, 2**31 - 1))
def test_every_tier_equals_scipy(case, seed):
    n, c_in, c_out, size, k, stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, size, size))
    w = rng.normal(size=(c_out, c_in // groups, k, k))
    expected = scipy_conv2d(x, w, stride, padding, dilation, groups)
    for forward in (conv2d_naive, conv2d_im2col, conv2d):
        np.testing.assert_allclose(forward(x, w, stride=stride, padding=padding,
                                           dilation=dilation, groups=groups),
                                   expected, atol=1e-10, err_msg=forward.__name__)


@pytest.mark.parametrize("backward", [conv2d_backward_naive, conv2d_backward_im2col,
                                      conv2d_backward])
def test_gradients_are_a_correlation_and_a_full_convolution_as_scipy_computes(backward):
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    dout = rng.normal(size=(2, 4, 5, 5))
    dx, dw, db = backward(dout, x, w)
    expected_dw = np.array([[sum(scipy.signal.correlate2d(x[b, c], dout[b, o], "valid")
                                 for b in range(2)) for c in range(3)] for o in range(4)])
    expected_dx = np.array([[sum(scipy.signal.convolve2d(dout[b, o], w[o, c], "full")
                                 for o in range(4)) for c in range(3)] for b in range(2)])
    np.testing.assert_allclose(dw, expected_dw, atol=1e-10)
    np.testing.assert_allclose(dx, expected_dx, atol=1e-10)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), atol=1e-12)


def test_transposed_convolution_stamps_the_kernel_as_scipy_convolves():
    # Stride 1, no padding: conv_transpose2d is the full convolution with the kernel.
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(1, 2, 4, 5)), rng.normal(size=(2, 3, 3, 3))
    expected = np.array([[sum(scipy.signal.convolve2d(x[0, c], w[c, o], "full")
                              for c in range(2)) for o in range(3)]])
    np.testing.assert_allclose(conv_transpose2d(x, w), expected, atol=1e-10)


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1), (3, 2)])
def test_pooling_equals_numpy_windows(kernel, stride):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 9, 8))
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    np.testing.assert_allclose(max_pool2d(x, kernel, stride), windows.max(axis=(-2, -1)))
    np.testing.assert_allclose(avg_pool2d(x, kernel, stride), windows.mean(axis=(-2, -1)))


def test_pooling_gradients_go_to_the_maximum_and_are_shared_by_the_mean():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(1, 2, 6, 6))
    dout = rng.normal(size=(1, 2, 3, 3))
    windows = x.reshape(1, 2, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 3, 3, 4)
    winner = windows.argmax(axis=-1)
    expected = np.zeros((1, 2, 3, 3, 4))
    np.put_along_axis(expected, winner[..., None], dout[..., None], axis=-1)
    expected = expected.reshape(1, 2, 3, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    np.testing.assert_allclose(max_pool2d_backward(dout, x, 2), expected)
    np.testing.assert_allclose(avg_pool2d_backward(dout, x, 2),
                               np.kron(dout, np.ones((2, 2))) / 4)
