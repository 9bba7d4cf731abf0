"""cnnlib.conv against torch.nn.functional.conv2d / conv1d and the source decks' worked examples."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from cnnlib import conv1d, conv2d, conv2d_naive, conv_output_size, conv_padding, im2col, pad2d

# torch warns that an even kernel with padding="same" needs an extra copy; that is the case tested.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

MODES = ("zeros", "reflect", "replicate", "circular")


def torch_conv2d(x, w, b, stride, padding, dilation, groups, padding_mode):
    """The oracle: torch.nn.Conv2d's own rule (F.pad for non-zero modes, then F.conv2d)."""
    c_out, _, kh, kw = w.shape
    if padding == "full":       # not a torch option: it is padding d(k-1) on every side
        padding = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    layer = torch.nn.Conv2d(x.shape[1], c_out, (kh, kw), stride=stride, padding=padding,
                            dilation=dilation, groups=groups, bias=b is not None,
                            padding_mode=padding_mode, dtype=torch.from_numpy(x).dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        if b is not None:
            layer.bias.copy_(torch.from_numpy(b))
        return layer(torch.from_numpy(x)).numpy()


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    mode = draw(st.sampled_from(MODES))
    padding = draw(st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                             st.sampled_from(["valid", "same", "full"])))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    n = draw(st.integers(1, 3))
    bias = draw(st.booleans())
    return n, c_in, c_out, (h, w), (kh, kw), stride, padding, dilation, groups, mode, bias


def _fits(size, kernel, padding, dilation, mode):
    pads = conv_padding(padding, kernel, dilation)
    for n, k, d, (a, b) in zip(size, kernel, dilation, pads):
        if n + a + b < d * (k - 1) + 1:
            return False
        if mode == "reflect" and max(a, b) >= n or mode == "circular" and max(a, b) > n:
            return False
    return True


@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv2d_and_naive_equal_torch_float64(case, seed):
    n, c_in, c_out, size, kernel, stride, padding, dilation, groups, mode, use_bias = case
    assume(_fits(size, kernel, padding, dilation, mode))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size)
    w = rng.normal(size=(c_out, c_in // groups) + kernel)
    b = rng.normal(size=c_out) if use_bias else None
    expected = torch_conv2d(x, w, b, stride, padding, dilation, groups, mode)
    for f in (conv2d, conv2d_naive):
        out = f(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups,
                padding_mode=mode)
        assert out.shape == expected.shape and out.dtype == np.float64
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv2d_float32_equals_torch(case, seed):
    n, c_in, c_out, size, kernel, stride, padding, dilation, groups, mode, use_bias = case
    assume(_fits(size, kernel, padding, dilation, mode))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size).astype(np.float32)
    w = rng.normal(size=(c_out, c_in // groups) + kernel).astype(np.float32)
    b = rng.normal(size=c_out).astype(np.float32) if use_bias else None
    out = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups,
                 padding_mode=mode)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, torch_conv2d(x, w, b, stride, padding, dilation, groups, mode),
                               rtol=1e-5, atol=1e-5)


def test_full_padding_equals_torch_with_padding_k_minus_1():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=(4, 2), dilation=2)
    np.testing.assert_allclose(conv2d(x, w, padding="full", dilation=2), expected.numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("k, d", [(2, 1), (4, 1), (4, 2), (3, 2), (2, 3)])
def test_same_padding_matches_torch_asymmetric_rule(k, d):
    rng = np.random.default_rng(k * 10 + d)
    x, w = rng.normal(size=(1, 2, 7, 8)), rng.normal(size=(3, 2, k, k))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same", dilation=d)
    out = conv2d(x, w, padding="same", dilation=d)
    assert out.shape == (1, 3, 7, 8)
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-12)
    total = d * (k - 1)
    assert conv_padding("same", k, d) == ((total // 2, total - total // 2),) * 2


def test_unbatched_input_and_integer_input():
    x = np.arange(2 * 5 * 5).reshape(2, 5, 5)
    w = np.ones((3, 2, 2, 2), dtype=np.int64)
    expected = F.conv2d(torch.from_numpy(x.astype(np.float64)), torch.ones(3, 2, 2, 2,
                                                                            dtype=torch.float64))
    out = conv2d(x, w)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected.numpy())


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 12), st.integers(1, 4),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 3),
       st.sampled_from(["zeros", "reflect", "replicate", "circular"]), st.integers(0, 1000))
def test_conv1d_equals_torch(n, c, length, k, stride, dilation, padding, mode, seed):
    assume(length + 2 * padding >= dilation * (k - 1) + 1)
    assume(not (mode == "reflect" and padding >= length or mode == "circular" and padding > length))
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(n, c, length)), rng.normal(size=(2, c, k)), rng.normal(size=2)
    layer = torch.nn.Conv1d(c, 2, k, stride, padding, dilation, padding_mode=mode,
                            dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        layer.bias.copy_(torch.from_numpy(b))
        expected = layer(torch.from_numpy(x)).numpy()
    out = conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation, padding_mode=mode)
    np.testing.assert_allclose(out, expected, atol=1e-10)


def test_conv1d_causal_is_left_padding_and_never_sees_the_future():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 3, 16)), rng.normal(size=(4, 3, 2))
    for dilation in (1, 2, 4):
        expected = F.conv1d(F.pad(torch.from_numpy(x), (dilation, 0)), torch.from_numpy(w),
                            dilation=dilation).numpy()
        out = conv1d(x, w, padding="causal", dilation=dilation)
        assert out.shape == (2, 4, 16)
        np.testing.assert_allclose(out, expected, atol=1e-12)
    # Changing the future (t >= 10) leaves outputs 0..9 unchanged.
    y = x.copy()
    y[..., 10:] = 0
    np.testing.assert_array_equal(conv1d(y, w, padding="causal", dilation=4)[..., :10],
                                  conv1d(x, w, padding="causal", dilation=4)[..., :10])


@pytest.mark.parametrize("mode, torch_mode", [("zeros", "constant"), ("reflect", "reflect"),
                                              ("replicate", "replicate"),
                                              ("circular", "circular")])
def test_pad2d_equals_torch_pad(mode, torch_mode):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    out = pad2d(x, ((1, 2), (3, 0)), mode)
    expected = F.pad(torch.from_numpy(x), (3, 0, 1, 2), mode=torch_mode).numpy()
    np.testing.assert_array_equal(out, expected)


def test_im2col_times_weight_matrix_is_the_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(4, 3, 2, 3))
    cols = im2col(x, (2, 3), stride=(2, 1), dilation=(1, 2))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=(2, 1), dilation=(1, 2))
    np.testing.assert_allclose((w.reshape(4, -1) @ cols[:, 0]).reshape(expected.shape),
                               expected.numpy(), atol=1e-12)
    unfold = torch.nn.functional.unfold(torch.from_numpy(x), (2, 3), dilation=(1, 2),
                                        stride=(2, 1)).numpy()
    np.testing.assert_array_equal(cols[:, 0], unfold)


# ---- lecture worked examples ------------------------------------------------------------
X = np.arange(9.0).reshape(1, 1, 3, 3)             # [[0,1,2],[3,4,5],[6,7,8]]
K = np.array([[[[0.0, 1.0], [2.0, 3.0]]]])


def test_lecture_valid_correlation():
    np.testing.assert_array_equal(conv2d(X, K)[0, 0], [[19, 25], [37, 43]])


def test_lecture_zero_padding_one():
    np.testing.assert_array_equal(conv2d(X, K, padding=1)[0, 0],
                                  [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]])
    np.testing.assert_array_equal(conv2d(X, K, padding="full"), conv2d(X, K, padding=1))


def test_lecture_output_sizes_7x7_input_3x3_kernel():
    assert conv_output_size(7, 3, stride=1) == 5
    assert conv_output_size(7, 3, stride=2) == 3
    # Stride 3 does not fit: (7 - 3) / 3 + 1 = 2.33. PyTorch rounds down to 2 and skips the
    # last column; exact=True refuses.
    assert conv_output_size(7, 3, stride=3) == 2
    layer = torch.nn.Conv2d(1, 1, 3, stride=3)
    assert tuple(layer(torch.zeros(1, 1, 7, 7)).shape[2:]) == (2, 2)
    with pytest.raises(ValueError, match="stride 3 does not fit"):
        conv_output_size(7, 3, stride=3, exact=True)
    assert conv_output_size(7, 3, stride=2, exact=True) == 3


def test_lecture_32x32x3_ten_5x5_filters_pad_2():
    assert conv_output_size(32, 5, stride=1, padding=2) == 32
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(1, 3, 32, 32)), rng.normal(size=(10, 3, 5, 5)), np.zeros(10)
    assert conv2d(x, w, b, padding=2).shape == (1, 10, 32, 32)
    assert w.size + b.size == 760
    assert sum(p.numel() for p in torch.nn.Conv2d(3, 10, 5, padding=2).parameters()) == 760


@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 4), st.integers(0, 4),
       st.integers(1, 3))
def test_conv_output_size_equals_torch(n, k, s, p, d):
    assume(n + 2 * p >= d * (k - 1) + 1)
    layer = torch.nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)
    assert conv_output_size(n, k, s, p, d) == layer(torch.zeros(1, 1, n)).shape[-1]


# ---- errors that teach ------------------------------------------------------------------
x4, w4 = np.zeros((1, 4, 6, 6)), np.zeros((2, 4, 3, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d(np.zeros((6, 6)), w4), ValueError, r"x must have shape \(N, C, H, W\)"),
    (lambda: conv2d(x4, np.zeros((2, 4, 3))), ValueError, r"weight must have shape"),
    (lambda: conv2d(x4, np.zeros((2, 3, 3, 3))), ValueError,
     r"channel mismatch: x has 4 channels but weight .* expects 3 \* 1 = 3"),
    (lambda: conv2d(x4, np.zeros((2, 1, 3, 3)), groups=3), ValueError,
     r"groups=3 must divide the input channels \(x has 4\)"),
    (lambda: conv2d(x4, np.zeros((3, 2, 3, 3)), groups=2), ValueError,
     r"groups=2 must divide the output channels \(weight has 3\)"),
    (lambda: conv2d(x4, w4, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: conv2d(x4, w4, stride=(1, -2)), ValueError, r"stride must be >= 1"),
    (lambda: conv2d(x4, w4, dilation=0), ValueError, r"dilation must be >= 1, got 0"),
    (lambda: conv2d(x4, w4, padding=-1), ValueError, r"padding must be non-negative, got -1"),
    (lambda: conv2d(x4, w4, stride=1.5), TypeError, r"stride must be an int or a tuple of 2"),
    (lambda: conv2d(np.zeros((1, 4, 4, 4)), np.zeros((2, 4, 5, 5))), ValueError,
     r"kernel \(5x5, dilation 1\) is larger than the padded input \(4x4\); pad by at least 1"),
    (lambda: conv2d(x4, w4, dilation=3), ValueError,
     r"kernel \(3x3, dilation 3\) is larger than the padded input \(6x6\); pad by at least 1"),
    (lambda: conv2d(x4, w4, padding="half"), ValueError,
     r"padding must be an int, a tuple of ints or one of 'valid', 'same', 'full', got 'half'"),
    (lambda: conv2d(x4, w4, padding="same", stride=2), ValueError,
     r"padding='same' needs stride=1"),
    (lambda: conv2d(x4, w4, padding_mode="mirror"), ValueError,
     r"padding_mode must be one of \('zeros', 'reflect', 'replicate', 'circular'\)"),
    (lambda: conv2d(x4, w4, padding=6, padding_mode="reflect"), ValueError,
     r"reflect padding must be smaller than the input size"),
    (lambda: conv2d(x4.astype(str), w4), TypeError, r"x must hold real numbers"),
    (lambda: conv2d(x4, w4.astype(complex)), TypeError, r"weight must hold real numbers"),
    (lambda: conv2d(x4, w4, bias=np.zeros(3)), ValueError,
     r"bias must have shape \(C_out,\) = \(2,\), got \(3,\)"),
    (lambda: conv2d_naive(x4, w4, bias=np.zeros((2, 1))), ValueError, r"bias must have shape"),
    (lambda: conv1d(np.zeros((1, 2, 4)), np.zeros((1, 2, 3)), padding="causal", stride=0),
     ValueError, r"stride must be >= 1"),
    (lambda: conv1d(np.zeros((1, 2, 2)), np.zeros((1, 2, 5))), ValueError,
     r"kernel \(5, dilation 1\) is larger than the padded input \(2\); pad by at least 2"),
    (lambda: conv2d(x4, w4, padding="causal"), ValueError, r"got 'causal'"),
    (lambda: conv_output_size(7, 9), ValueError, r"kernel \(9, dilation 1\) is larger"),
])
def test_errors_name_the_argument_and_rule(call, error, message):
    with pytest.raises(error, match=message):
        call()
