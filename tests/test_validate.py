"""cnnlib._validate, and the rules it gives every conv/pool entry point, against PyTorch/NumPy."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from cnnlib import (
    avg_pool2d, avg_pool2d_backward, conv1d, conv2d, conv2d_backward, conv2d_backward_naive,
    conv2d_naive, conv_transpose2d, global_avg_pool2d, lp_pool2d, max_pool2d, max_pool2d_backward,
    max_pool2d_backward_naive, max_pool2d_naive, torch_ops,
)
from cnnlib._validate import as_ints, batched, compute_dtype, real_array, result_dtype

W = np.ones((2, 3, 3, 3))
# Every entry point, called with a bad x (the other arguments fine).
ENTRY_POINTS = {
    "conv2d": lambda x: conv2d(x, W),
    "conv2d_naive": lambda x: conv2d_naive(x, W),
    "conv2d_backward": lambda x: conv2d_backward(np.ones((1, 2, 3, 3)), x, W),
    "conv2d_backward_naive": lambda x: conv2d_backward_naive(np.ones((1, 2, 3, 3)), x, W),
    "conv_transpose2d": lambda x: conv_transpose2d(x, np.ones((3, 2, 3, 3))),
    "max_pool2d": lambda x: max_pool2d(x, 2),
    "max_pool2d_naive": lambda x: max_pool2d_naive(x, 2),
    "avg_pool2d": lambda x: avg_pool2d(x, 2),
    "lp_pool2d": lambda x: lp_pool2d(x, 2, 2),
    "max_pool2d_backward": lambda x: max_pool2d_backward(np.ones((1, 3, 2, 2)), x, 2),
    "max_pool2d_backward_naive": lambda x: max_pool2d_backward_naive(np.ones((1, 3, 2, 2)), x, 2),
    "avg_pool2d_backward": lambda x: avg_pool2d_backward(np.ones((1, 3, 2, 2)), x, 2),
}
BAD_DTYPES = [np.bool_, np.complex128, object, np.str_]


# ---- the checks, one test per rule -----------------------------------------------------
@given(st.integers(-5, 5), st.integers(0, 2))
def test_as_ints_repeats_an_int_and_checks_the_minimum(value, minimum):
    if value < minimum:
        rule = "non-negative" if minimum == 0 else f">= {minimum}"
        with pytest.raises(ValueError, match=f"stride must be {rule}, got {value}"):
            as_ints(value, "stride", 2, minimum)
    else:
        assert as_ints(value, "stride", 2, minimum) == (value, value)


@pytest.mark.parametrize("value", [1.0, True, "3", (1, 2, 3), [1], None])
def test_as_ints_rejects_non_ints_and_wrong_lengths(value):
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a tuple of 2 ints"):
        as_ints(value, "kernel_size", 2, 1)


@pytest.mark.parametrize("dtype", BAD_DTYPES)
def test_real_array_rejects_bool_complex_object_and_strings(dtype):
    with pytest.raises(TypeError, match=r"weight must hold real numbers"):
        real_array(np.zeros(3).astype(dtype), "weight")


@given(st.sampled_from([np.int8, np.uint8, np.int64, np.float16, np.float32, np.float64]),
       st.sampled_from([np.int32, np.float16, np.float32, np.float64]))
def test_dtype_rule_matches_numpy_and_keeps_float16(a, b):
    # The rule: NumPy's promotion with float32 as the least float; float16 pairs stay float16.
    assert compute_dtype(a, b) == np.result_type(a, b, np.float32)
    expected = np.float16 if np.result_type(a, b) == np.float16 else compute_dtype(a, b)
    assert result_dtype(a, b) == expected


@given(st.integers(0, 6))
def test_batched_accepts_two_ranks_and_names_the_layout(ndim):
    x = np.zeros((2,) * ndim)
    if ndim in (3, 4):
        xb, unbatched = batched(x, "x", "(N, C, H, W)")
        assert xb.ndim == 4 and unbatched == (ndim == 3)
    else:
        with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) \(or unbatched "
                                             r"\(C, H, W\)\), got %d dimensions" % ndim):
            batched(x, "x", "(N, C, H, W)")


def test_batched_allows_an_empty_batch_but_no_other_empty_axis():
    assert batched(np.zeros((0, 3, 4, 4)), "x", "(N, C, H, W)")[0].shape == (0, 3, 4, 4)
    with pytest.raises(ValueError, match=r"x of shape \(1, 0, 4, 4\) has no cells along C"):
        batched(np.zeros((1, 0, 4, 4)), "x", "(N, C, H, W)")
    with pytest.raises(ValueError, match=r"has no cells along H, W"):
        batched(np.zeros((3, 0, 0)), "x", "(N, C, H, W)")


# ---- the rules at every entry point ---------------------------------------------------
@given(st.sampled_from(sorted(ENTRY_POINTS)), st.sampled_from(BAD_DTYPES))
def test_every_entry_point_rejects_bad_dtypes_naming_x(name, dtype):
    with pytest.raises(TypeError, match=r"x must hold real numbers"):
        ENTRY_POINTS[name](np.ones((1, 3, 4, 4)).astype(dtype))


@given(st.sampled_from(sorted(ENTRY_POINTS)), st.sampled_from([0, 1, 2, 5]))
def test_every_entry_point_rejects_a_wrong_rank_naming_x_and_the_layout(name, ndim):
    with pytest.raises(ValueError, match=r"x must have shape \(N, C(_in)?, H, W\)"):
        ENTRY_POINTS[name](np.ones((4,) * ndim))


@given(st.sampled_from(sorted(ENTRY_POINTS)), st.sampled_from([(1, 0, 4, 4), (1, 3, 0, 4)]))
def test_every_entry_point_rejects_empty_channels_or_planes(name, shape):
    with pytest.raises(ValueError, match=r"x of shape .* has no cells along"):
        ENTRY_POINTS[name](np.ones(shape))


@pytest.mark.parametrize("f", [conv2d, conv2d_naive])
@pytest.mark.parametrize("shape", [(2, 3, 0, 3), (2, 3, 3, 0), (0, 3, 3, 3)])
def test_a_zero_size_kernel_is_an_error(f, shape):
    with pytest.raises(ValueError, match=r"weight must have at least one kernel, channel and tap"):
        f(np.ones((1, 3, 5, 5)), np.ones(shape))


def test_an_empty_batch_gives_torch_s_empty_results():
    x, w = np.ones((0, 3, 6, 6), np.float32), np.ones((4, 3, 3, 3), np.float32)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    assert conv2d(x, w, padding=1).shape == tuple(expected.shape)
    dx, dw, db = conv2d_backward(np.ones(expected.shape, np.float32), x, w, padding=1)
    assert dx.shape == x.shape and not dw.any() and not db.any()
    assert max_pool2d(x, 2).shape == tuple(F.max_pool2d(torch.from_numpy(x), 2).shape)
    assert avg_pool2d(x, 2).shape == tuple(F.avg_pool2d(torch.from_numpy(x), 2).shape)
    assert max_pool2d_backward(np.ones((0, 3, 3, 3)), x, 2).shape == x.shape


@pytest.mark.parametrize("name, ours, theirs", [
    ("conv2d", lambda x, w: conv2d(x, w, padding=1), lambda x, w: F.conv2d(x, w, padding=1)),
    ("conv2d_naive", lambda x, w: conv2d_naive(x, w, padding=1),
     lambda x, w: F.conv2d(x, w, padding=1)),
    ("conv1d", lambda x, w: conv1d(x[:, :, 0], w[:, :, 0]),
     lambda x, w: F.conv1d(x[:, :, 0], w[:, :, 0])),
    ("conv_transpose2d", lambda x, w: conv_transpose2d(x, w.transpose(1, 0, 2, 3)),
     lambda x, w: F.conv_transpose2d(x, w.transpose(0, 1))),
    ("max_pool2d", lambda x, w: max_pool2d(x, 2), lambda x, w: F.max_pool2d(x, 2)),
    ("avg_pool2d", lambda x, w: avg_pool2d(x, 2), lambda x, w: F.avg_pool2d(x, 2)),
    ("global_avg_pool2d", lambda x, w: global_avg_pool2d(x),
     lambda x, w: F.adaptive_avg_pool2d(x, 1)),
])
def test_float16_comes_back_as_float16_like_torch(name, ours, theirs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 6)).astype(np.float16)
    w = rng.normal(size=(3, 3, 3, 3)).astype(np.float16)
    got = ours(x, w)
    # The oracle: torch in float32 on the same float16 numbers, rounded to float16.
    expected = theirs(torch.from_numpy(x).float(), torch.from_numpy(w).float()).half().numpy()
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), expected.astype(np.float32),
                               rtol=2e-3, atol=2e-3)


def test_float16_backward_passes_come_back_as_float16():
    x = np.ones((1, 3, 4, 4), np.float16)
    dx, dw, db = conv2d_backward(np.ones((1, 2, 2, 2), np.float16), x, W.astype(np.float16))
    assert dx.dtype == dw.dtype == db.dtype == np.float16
    assert max_pool2d_backward(np.ones((1, 3, 2, 2), np.float16), x, 2).dtype == np.float16
    assert avg_pool2d_backward(np.ones((1, 3, 2, 2), np.float16), x, 2).dtype == np.float16


def test_torch_ops_entry_points_name_their_argument():
    with pytest.raises(TypeError, match=r"input must be a torch.Tensor, got ndarray"):
        torch_ops.conv2d(np.zeros((1, 3, 5, 5)), torch.zeros(2, 3, 3, 3))
    with pytest.raises(TypeError, match=r"weight must be a torch.Tensor, got list"):
        torch_ops.conv2d(torch.zeros(1, 3, 5, 5), [[0.0]])
    with pytest.raises(TypeError, match=r"input must be a torch.Tensor"):
        torch_ops.max_pool2d(np.zeros((1, 1, 4, 4)), 2)
    with pytest.raises(TypeError, match=r"x must hold real numbers .* got dtype bool"):
        torch_ops.conv2d(torch.zeros(1, 3, 5, 5, dtype=torch.bool), torch.zeros(2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        torch_ops.max_pool2d(torch.zeros(4, 4), 2)
