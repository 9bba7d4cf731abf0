"""Backward passes of cnnlib.conv against torch.autograd, SciPy and finite differences."""
from unittest import mock

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

import cnnlib._conv_fast

from cnnlib import (
    col2im, conv2d, conv2d_backward, conv2d_backward_naive, conv_padding, conv_transpose2d,
    im2col,
)

# torch warns that an even kernel with padding="same" needs an extra copy; that case is tested.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

MODES = ("zeros", "reflect", "replicate", "circular")


def torch_conv2d_grads(x, w, b, dout, stride, padding, dilation, groups, padding_mode):
    """The oracle: torch.autograd through torch.nn.Conv2d."""
    c_out, _, kh, kw = w.shape
    layer = torch.nn.Conv2d(x.shape[1], c_out, (kh, kw), stride=stride, padding=padding,
                            dilation=dilation, groups=groups, padding_mode=padding_mode,
                            dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        layer.bias.copy_(torch.from_numpy(b))
    xt = torch.from_numpy(x).requires_grad_()
    layer(xt).backward(torch.from_numpy(dout))
    return xt.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy()


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    mode = draw(st.sampled_from(MODES))
    padding = draw(st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                             st.sampled_from(["valid", "same"])))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    n = draw(st.integers(1, 3))
    return n, c_in, c_out, size, kernel, stride, padding, dilation, groups, mode


def _fits(size, kernel, padding, dilation, mode):
    for n, k, d, (a, b) in zip(size, kernel, dilation, conv_padding(padding, kernel, dilation)):
        if n + a + b < d * (k - 1) + 1:
            return False
        if mode == "reflect" and max(a, b) >= n or mode == "circular" and max(a, b) > n:
            return False
    return True


def _random_arrays(case, seed):
    """x, weight and bias for a drawn case that fits (hypothesis skips the others)."""
    n, c_in, c_out, size, kernel, stride, padding, dilation, groups, mode = case
    assume(_fits(size, kernel, padding, dilation, mode))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size)
    w = rng.normal(size=(c_out, c_in // groups) + kernel)
    return rng, x, w, rng.normal(size=c_out)


@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv2d_backward_and_naive_equal_torch_autograd(case, seed):
    _, _, _, _, _, stride, padding, dilation, groups, mode = case
    rng, x, w, b = _random_arrays(case, seed)
    out = conv2d(x, w, b, stride, padding, dilation, groups, mode)
    dout = rng.normal(size=out.shape)
    expected = torch_conv2d_grads(x, w, b, dout, stride, padding, dilation, groups, mode)
    for backward in (conv2d_backward, conv2d_backward_naive):
        grads = backward(dout, x, w, stride, padding, dilation, groups, mode)
        for got, want, name in zip(grads, expected, ("dx", "dweight", "dbias")):
            assert got.shape == want.shape and got.dtype == np.float64, name
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=name)


@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_input_gradient_is_the_transposed_convolution_of_dout(case, seed):
    n, c_in, c_out, size, kernel, stride, padding, dilation, groups, _ = case
    assume(not isinstance(padding, str) and _fits(size, kernel, padding, dilation, "zeros"))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size)
    w = rng.normal(size=(c_out, c_in // groups) + kernel)
    dout = rng.normal(size=conv2d(x, w, None, stride, padding, dilation, groups).shape)
    dx, _, _ = conv2d_backward(dout, x, w, stride, padding, dilation, groups)
    # conv2d's weight (C_out, C_in/g, kH, kW) is conv_transpose2d's (C_in', C_out'/g, kH, kW)
    # with the roles of input and output exchanged; output_padding restores the rows a
    # strided convolution never reached.
    pad = (padding, padding) if isinstance(padding, int) else padding
    output_padding = tuple(
        h + 2 * p - d * (k - 1) - 1 - (o - 1) * s
        for h, p, d, k, o, s in zip(size, pad, dilation, kernel, dout.shape[2:], stride))
    assume(all(op < max(s, d) for op, s, d in zip(output_padding, stride, dilation)))
    transposed = conv_transpose2d(dout, w, None, stride, padding, output_padding, groups,
                                  dilation)
    np.testing.assert_allclose(transposed, dx, rtol=0, atol=1e-12)


@st.composite
def transpose_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in = groups * draw(st.integers(1, 3))
    c_out_per_group = draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    return (draw(st.integers(1, 2)), c_in, c_out_per_group, size, kernel, stride, padding,
            output_padding, dilation, groups, draw(st.booleans()))


@given(transpose_cases(), st.integers(0, 2**31 - 1))
def test_conv_transpose2d_equals_torch(case, seed):
    n, c_in, c_opg, size, kernel, stride, padding, output_padding, dilation, groups, bias = case
    out_size = [(h - 1) * s - 2 * p + d * (k - 1) + op + 1
                for h, s, p, d, k, op in zip(size, stride, padding, dilation, kernel,
                                             output_padding)]
    assume(min(out_size) >= 1)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size)
    w = rng.normal(size=(c_in, c_opg) + kernel)
    b = rng.normal(size=c_opg * groups) if bias else None
    expected = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w),
                                  None if b is None else torch.from_numpy(b), stride, padding,
                                  output_padding, groups, dilation).numpy()
    got = conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_conv_transpose2d_float32_and_unbatched():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    got = conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    expected = F.conv_transpose2d(torch.from_numpy(x[None]), torch.from_numpy(w), stride=2,
                                  padding=1, output_padding=1)[0].numpy()
    assert got.dtype == np.float32 and got.shape == expected.shape == (2, 8, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_float32_and_unbatched_backward():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 7, 6)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    dout = rng.normal(size=(3, 3, 2)).astype(np.float32)
    dx, dw, db = conv2d_backward(dout, x, w, stride=2)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    want = torch_conv2d_grads(x[None].astype(np.float64), w.astype(np.float64), np.zeros(3),
                              dout[None].astype(np.float64), 2, 0, 1, 1, "zeros")
    for got, exp in zip((dx[None], dw, db), want):
        np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-5)


def _numerical(f, a, dout, eps=1e-6):
    """Central differences of sum(f() * dout) with respect to the array a (changed in place)."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        plus = np.sum(f() * dout)
        a[i] = old - eps
        minus = np.sum(f() * dout)
        a[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("stride, padding, dilation, groups, mode", [
    (1, 0, 1, 1, "zeros"), (2, 1, 1, 2, "zeros"), (1, "same", 2, 1, "reflect"),
    ((2, 1), (1, 2), (1, 2), 2, "circular"), (1, 1, 1, 1, "replicate"),
])
def test_conv2d_backward_matches_finite_differences(stride, padding, dilation, groups, mode):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 6, 5))
    w = rng.normal(size=(4, 4 // groups, 3, 2))
    b = rng.normal(size=4)

    def f():
        return conv2d(x, w, b, stride, padding, dilation, groups, mode)

    dout = rng.normal(size=f().shape)
    dx, dw, db = conv2d_backward(dout, x, w, stride, padding, dilation, groups, mode)
    np.testing.assert_allclose(dx, _numerical(f, x, dout), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dw, _numerical(f, w, dout), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, _numerical(f, b, dout), rtol=1e-6, atol=1e-7)


def test_lecture_example_weight_and_input_gradients_by_hand_and_scipy():
    # X and K from a source deck's 2D example; with dout all ones each kernel tap's gradient
    # is the sum of the 2x2 block of X it touched: 0+1+3+4 = 8, 1+2+4+5 = 12, ...
    x = np.arange(9.0).reshape(3, 3)
    k = np.array([[0.0, 1.0], [2.0, 3.0]])
    dx, dk, db = conv2d_backward(np.ones((1, 1, 2, 2)), x[None, None], k[None, None])
    np.testing.assert_array_equal(dk[0, 0], [[8, 12], [20, 24]])
    assert db.tolist() == [4.0]
    # Each input cell collects the kernel taps that touched it: the corner only K[0,0]=0,
    # the centre all four (0+1+2+3 = 6).
    np.testing.assert_array_equal(dx[0, 0], [[0, 1, 1], [2, 6, 4], [2, 5, 3]])


@pytest.mark.parametrize("seed", range(5))
def test_weight_gradient_is_correlation_and_input_gradient_full_convolution(seed):
    # Stride 1, one channel: dL/dK = correlate(X, dout, 'valid') and
    # dL/dX = convolve(dout, K, 'full') (full correlation with the flipped kernel), by SciPy.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(7, 6))
    k = rng.normal(size=(3, 2))
    dout = rng.normal(size=(5, 5))
    dx, dk, _ = conv2d_backward(dout[None, None], x[None, None], k[None, None])
    np.testing.assert_allclose(dk[0, 0], scipy.signal.correlate2d(x, dout, "valid"), atol=1e-12)
    np.testing.assert_allclose(dx[0, 0], scipy.signal.convolve2d(dout, k, "full"), atol=1e-12)


@pytest.mark.parametrize("kernel, stride, dilation, groups",
                         [(3, 1, 1, 1), ((2, 3), (2, 1), (1, 2), 2), (1, 3, 1, 4)])
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, dilation, groups):
    # <im2col(x), c> == <x, col2im(c)> for every x and c defines the adjoint.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 8, 7))
    cols = rng.normal(size=im2col(x, kernel, stride, dilation, groups).shape)
    lhs = np.sum(im2col(x, kernel, stride, dilation, groups) * cols)
    rhs = np.sum(x * col2im(cols, x.shape, kernel, stride, dilation))
    assert lhs == pytest.approx(rhs, rel=1e-12)


# ------------------------------------------------------------------------------ errors
def test_bad_dout_shape_is_named():
    x, w = np.zeros((2, 3, 6, 6)), np.zeros((4, 3, 3, 3))
    for backward in (conv2d_backward, conv2d_backward_naive):
        with pytest.raises(ValueError, match=r"dout must have the shape of the conv2d output "
                                             r"\(N, C, H_out, W_out\) = \(2, 4, 4, 4\), got "
                                             r"\(2, 4, 6, 6\)"):
            backward(np.zeros((2, 4, 6, 6)), x, w)
    with pytest.raises(ValueError, match=r"= \(4, 2, 2\), got \(2, 4, 2, 2\)"):
        conv2d_backward(np.zeros((2, 4, 2, 2)), x[0], w, stride=2)


def test_backward_checks_the_forward_arguments():
    x, w = np.zeros((1, 3, 6, 6)), np.zeros((4, 2, 3, 3))
    with pytest.raises(ValueError, match="channel mismatch"):
        conv2d_backward(np.zeros((1, 4, 4, 4)), x, w)
    with pytest.raises(TypeError, match="dout must hold real numbers"):
        conv2d_backward(np.full((1, 4, 4, 4), "a"), x, np.zeros((4, 3, 3, 3)))


def test_conv_transpose2d_errors():
    x, w = np.zeros((1, 2, 4, 4)), np.zeros((2, 3, 3, 3))
    with pytest.raises(ValueError, match="output_padding must be smaller than the stride or the "
                                         "dilation"):
        conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"channel mismatch: x has 3 channels"):
        conv_transpose2d(np.zeros((1, 3, 4, 4)), w)
    with pytest.raises(TypeError, match="padding must be an int or a tuple of 2 ints"):
        conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(3,\)"):
        conv_transpose2d(x, w, bias=np.zeros(2))
    with pytest.raises(ValueError, match="groups=2 must divide the input channels"):
        conv_transpose2d(np.zeros((1, 3, 4, 4)), np.zeros((3, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="crops the whole output"):
        conv_transpose2d(np.zeros((1, 2, 1, 1)), np.zeros((2, 3, 1, 1)), padding=1)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C_in, H, W\)"):
        conv_transpose2d(np.zeros((4, 4)), w)


def test_col2im_rejects_columns_of_another_shape():
    with pytest.raises(ValueError, match="do not come from an input of shape"):
        col2im(np.zeros((1, 1, 9, 10)), (1, 1, 5, 5), 3)


def test_input_grad_false_skips_dx_and_keeps_the_weight_gradients():
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3))
    dout = rng.normal(size=(2, 4, 6, 6))
    full = conv2d_backward(dout, x, w, padding=1)
    dx, dw, db = conv2d_backward(dout, x, w, padding=1, input_grad=False)
    assert dx is None
    np.testing.assert_array_equal(dw, full[1])
    np.testing.assert_array_equal(db, full[2])


# ---- the fast path's layouts, row blocks and column cache --------------------------------
@pytest.mark.parametrize("short_rows, chunk_bytes", [(0, None), (10**9, None), (0, 1), (10**9, 1)])
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_both_layouts_and_row_blocks_equal_torch(short_rows, chunk_bytes, case, seed):
    # Every layout the fast path can choose (images last or not) and blocks of one output
    # row each, forced on the small random cases, against torch.autograd.
    _, _, _, _, _, stride, padding, dilation, groups, mode = case
    rng, x, w, b = _random_arrays(case, seed)
    # The layout and the row blocks are chosen in cnnlib._conv_fast: patch the constants there.
    with mock.patch.object(cnnlib._conv_fast, "SHORT_ROWS", short_rows), \
            mock.patch.object(cnnlib._conv_fast, "CHUNK_BYTES",
                              chunk_bytes or cnnlib._conv_fast.CHUNK_BYTES):
        cache = {}
        out = conv2d(x, w, b, stride, padding, dilation, groups, mode, cache=cache)
        dout = rng.normal(size=out.shape)
        grads = conv2d_backward(dout, x, w, stride, padding, dilation, groups, mode, cache=cache)
    expected = torch_conv2d_grads(x, w, b, dout, stride, padding, dilation, groups, mode)
    for got, want, name in zip(grads, expected, ("dx", "dweight", "dbias")):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=name)


def test_the_cache_reuses_the_columns_and_refuses_another_input():
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3))
    dout = rng.normal(size=(2, 4, 6, 6))
    cache = {}
    conv2d(x, w, padding=1, cache=cache)
    assert cache["columns"].shape == (1, 3 * 3 * 3, 2 * 6 * 6)
    for got, want in zip(conv2d_backward(dout, x, w, padding=1, cache=cache),
                         conv2d_backward(dout, x, w, padding=1)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="cache was filled by conv2d with another x"):
        conv2d_backward(dout, x.copy(), w, padding=1, cache=cache)
    with pytest.raises(ValueError, match="cache was filled by conv2d with another x"):
        conv2d_backward(rng.normal(size=(2, 4, 4, 4)), x, w, cache=cache)
    with pytest.raises(TypeError, match="cache must be a dict"):
        conv2d(x, w, cache=[])


def test_large_inputs_are_unfolded_in_blocks_within_the_memory_budget():
    # Peak of NumPy's allocations (tracemalloc) for a 1x16x256x256 3x3 convolution: the
    # whole column matrix would be 9x the input; in blocks it stays near the budget.
    import tracemalloc
    x = np.ones((1, 16, 256, 256), np.float32)
    w = np.ones((16, 16, 3, 3), np.float32)
    with mock.patch.object(cnnlib._conv_fast, "CHUNK_BYTES", x.nbytes // 4):
        tracemalloc.start()
        out = conv2d(x, w, padding=1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 4 * x.nbytes < 9 * x.nbytes      # padded copy + output + one block
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5)
