"""cnnlib.padding and cnnlib.unfold's public helpers: PyTorch and NumPy as oracles, and the
checks they share with conv2d (every bad input refused by the parameter's name and rule)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cnnlib import col2im, im2col, pad2d, sliding_windows
from cnnlib.padding import conv_output_shape, resolve_padding, unpad2d


def torch_and_f():
    """PyTorch, the oracle, when installed (the NumPy-only CI run has no torch)."""
    torch = pytest.importorskip("torch")
    return torch, torch.nn.functional


# ---- outside oracles ----------------------------------------------------------------------
def test_a_list_is_read_as_an_array_like_conv2d_reads_it():
    torch, F = torch_and_f()
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    as_list = x.tolist()
    np.testing.assert_array_equal(pad2d(as_list, 1), np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))
    np.testing.assert_array_equal(sliding_windows(as_list, 2),
                                  np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(2, 3)))
    unfold = F.unfold(torch.from_numpy(x), 2).numpy()
    np.testing.assert_array_equal(im2col(as_list, 2)[:, 0], unfold)
    fold = F.fold(torch.from_numpy(unfold), (4, 4), 2).numpy()
    np.testing.assert_array_equal(col2im(im2col(x, 2).tolist(), x.shape, 2), fold)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(1, 2),
       st.integers(0, 2**31 - 1))
def test_col2im_equals_torch_fold(k, s, d, groups, seed):
    torch, F = torch_and_f()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 2 * groups, 7, 6))
    cols = rng.normal(size=im2col(x, k, s, d, groups).shape)
    expected = F.fold(torch.from_numpy(cols.reshape(2, -1, cols.shape[-1])), (7, 6), k,
                      dilation=d, stride=s).numpy()
    np.testing.assert_allclose(col2im(cols, x.shape, k, s, d), expected, atol=1e-12)


@pytest.mark.parametrize("mode, torch_mode", [("zeros", "constant"), ("reflect", "reflect"),
                                              ("replicate", "replicate"),
                                              ("circular", "circular")])
def test_unpad2d_is_the_adjoint_of_pad2d_as_torch_autograd_says(mode, torch_mode):
    torch, F = torch_and_f()
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 5, 4))
    pads = ((2, 1), (0, 3))
    tx = torch.from_numpy(x).requires_grad_()
    padded = F.pad(tx, (0, 3, 2, 1), mode=torch_mode)
    grad = rng.normal(size=tuple(padded.shape))
    padded.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(unpad2d(grad, pads, mode, (5, 4)), tx.grad.numpy(), atol=1e-12)


def test_output_shape_and_padding_for_any_number_of_axes_equal_torch():
    torch, F = torch_and_f()
    # conv1d's "causal" padding and the 2-D output size, checked against torch's layers.
    assert resolve_padding("causal", (3,), (2,), 1, ("causal",)) == ((4, 0),)
    out = F.conv2d(torch.zeros(1, 1, 11, 9), torch.zeros(1, 1, 3, 2), stride=(2, 3),
                   dilation=(2, 1))
    assert conv_output_shape((11, 9), (3, 2), (2, 3), (2, 1)) == tuple(out.shape[2:])


# ---- bad inputs: the parameter's name and the rule -----------------------------------------
X = np.zeros((1, 3, 5, 5))
BAD = [
    # pad2d
    (lambda: pad2d(np.zeros(5), 1), ValueError,
     r"x must have at least the two axes \(\.\.\., H, W\)"),
    (lambda: pad2d([["a", "b"], ["c", "d"]], 1), TypeError, r"x must hold real numbers"),
    (lambda: pad2d(np.zeros((2, 2), bool), 1), TypeError, r"x must hold real numbers"),
    (lambda: pad2d(X, -1), ValueError, r"padding must be non-negative"),
    (lambda: pad2d(X, 1.5), TypeError, r"padding must be an int or a tuple of 2 ints"),
    (lambda: pad2d(X, 1, mode=["zeros"]), ValueError, r"mode must be one of"),
    (lambda: pad2d(X, 1, value="0"), TypeError, r"value must be a number"),
    (lambda: pad2d(X, 5, mode="reflect"), ValueError, r"reflect padding must be smaller"),
    # sliding_windows
    (lambda: sliding_windows(np.zeros((3, 5, 5)), 2), ValueError,
     r"x must have shape \(N, C, H, W\) \(an already padded batch; add a batch axis"),
    (lambda: sliding_windows(X, 6), ValueError,
     r"kernel \(6x6, dilation 1\) is larger than the padded input \(5x5\)"),
    (lambda: sliding_windows(X, 2, stride=0), ValueError, r"stride must be >= 1"),
    (lambda: sliding_windows(X, 2, dilation=(1, 0)), ValueError, r"dilation must be >= 1"),
    (lambda: sliding_windows(X, (2, 2, 2)), TypeError,
     r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: sliding_windows(X.astype(complex), 2), TypeError, r"x must hold real numbers"),
    # im2col
    (lambda: im2col(X, 2, groups=0), ValueError, r"groups must be >= 1, got 0"),
    (lambda: im2col(X, 2, groups=2), ValueError,
     r"groups=2 must divide the input channels \(x has 3\)"),
    (lambda: im2col(X, 2, groups=1.0), TypeError, r"groups must be an int"),
    (lambda: im2col(np.zeros((3, 5, 5)), 2), ValueError, r"x must have shape \(N, C, H, W\)"),
    (lambda: im2col(X, 3, dilation=3), ValueError,
     r"kernel \(3x3, dilation 3\) is larger than the padded input \(5x5\)"),
    # col2im
    (lambda: col2im(np.zeros((1, 1, 27, 9)), (3, 5, 5), 3), ValueError,
     r"input_shape must be the 4 positive ints \(N, C, H, W\)"),
    (lambda: col2im(np.zeros((1, 1, 27, 9)), (1, 3, 5, 0), 3), ValueError,
     r"input_shape must be the 4 positive ints"),
    (lambda: col2im(np.zeros((1, 2, 27, 9)), (1, 3, 5, 5), 3), ValueError,
     r"groups=2 must divide the input channels \(input_shape has 3\)"),
    (lambda: col2im(np.zeros((1, 1, 27, 9)), (1, 3, 5, 5), 0), ValueError,
     r"kernel_size must be >= 1"),
    (lambda: col2im(np.zeros((1, 1, 27, 9)), (1, 3, 5, 5), 6), ValueError,
     r"kernel \(6x6, dilation 1\) is larger than the padded input \(5x5\)"),
    (lambda: col2im(np.zeros((1, 1, 27, 9), bool), (1, 3, 5, 5), 3), TypeError,
     r"cols must hold real numbers"),
    (lambda: col2im(np.zeros((27, 9)), (1, 3, 5, 5), 3), ValueError,
     r"cols of shape \(27, 9\) do not come from an input of shape"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_helpers_refuse_bad_input_by_name_and_rule(call, error, message):
    with pytest.raises(error, match=message):
        call()
