"""Winograd convolution (cnnlib._winograd) against PyTorch, and the layer's choice of it.

The oracle is ``torch.nn.functional.conv2d`` and its autograd in float64; the transform
matrices are checked against ``np.correlate`` (the 1D F(m, 3) identity they encode).
Tolerances: float64 1e-10; float32 the course's rtol = atol = 1e-5 for F(2x2, 3x3),
which the layer uses, and a stated looser bound for F(4x4, 3x3), which it does not use
in float32 (see ``tile_size_for``).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from cnnlib import _winograd, conv2d, conv2d_backward, conv_transpose2d

TOLERANCE = {(np.float64, 2): 1e-10, (np.float64, 4): 1e-10,
             (np.float32, 2): 1e-5, (np.float32, 4): 1e-4}


def torch_reference(x, w, padding, dout_seed=0):
    """Forward, dx, dw of the float64 torch convolution, and the dout used."""
    tx = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    tw = torch.from_numpy(w.astype(np.float64)).requires_grad_()
    out = F.conv2d(tx, tw, padding=padding)
    dout = np.random.default_rng(dout_seed).normal(size=tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), dout


@pytest.mark.parametrize("m", _winograd.TILE_SIZES)
def test_the_1d_transforms_compute_the_valid_correlation(m):
    """F(m, 3): A^T [(G g) * (B^T d)] equals np.correlate(d, g, 'valid') for any d, g."""
    t = _winograd.TRANSFORMS[m]
    rng = np.random.default_rng(m)
    for _ in range(20):
        d, g = rng.normal(size=m + 2), rng.normal(size=3)
        np.testing.assert_allclose(t["AT"] @ ((t["G"] @ g) * (t["BT"] @ d)),
                                   np.correlate(d, g, "valid"), rtol=1e-12, atol=1e-12)


@st.composite
def shapes(draw):
    """Batch 1-2, channels 1-5 (C = 1 included), any size from 1 (smaller than a tile)."""
    return (draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5)),
            draw(st.integers(1, 11)), draw(st.integers(1, 11)), draw(st.integers(0, 2)))


@settings(max_examples=40, deadline=None)
@given(shapes(), st.sampled_from(_winograd.TILE_SIZES), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**31 - 1))
def test_forward_and_both_gradients_equal_torch(shape, m, dtype, seed):
    n, c_in, c_out, h, w, padding = shape
    if h + 2 * padding < 3 or w + 2 * padding < 3:
        return                                     # no output: nothing to compare
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, h, w)).astype(dtype)
    weight = (rng.normal(size=(c_out, c_in, 3, 3)) / 3).astype(dtype)
    ref, ref_dx, ref_dw, dout = torch_reference(x, weight, padding, seed)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dout = dout.astype(dtype)
    tol = TOLERANCE[(dtype, m)]
    out = _winograd.forward(xp, weight, m)
    assert out.dtype == dtype and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    dw = _winograd.weight_gradient(dout, xp, m)
    assert dw.dtype == dtype
    np.testing.assert_allclose(dw, ref_dw, rtol=tol, atol=tol * max(1, h * w * n / 10))
    dxp = _winograd.input_gradient(dout, weight, xp.shape[2:], m)
    assert dxp.shape == xp.shape and dxp.dtype == dtype
    dx = dxp[:, :, padding:padding + h, padding:padding + w]
    np.testing.assert_allclose(dx, ref_dx, rtol=tol, atol=tol)


def test_input_gradient_leaves_zeros_beyond_the_reach_of_the_output():
    rng = np.random.default_rng(0)
    dout, weight = rng.normal(size=(1, 2, 4, 5)), rng.normal(size=(2, 3, 3, 3))
    dxp = _winograd.input_gradient(dout, weight, (8, 9), 2)
    assert dxp.shape == (1, 3, 8, 9)
    assert not dxp[:, :, 6:].any() and not dxp[:, :, :, 7:].any()
    with pytest.raises(ValueError, match="m must be one of"):
        _winograd.forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), 3)


# ---- the layer: when Winograd is chosen, conv2d and its gradients still equal torch ----
def test_the_rule_chooses_winograd_for_3x3_stride_1_layers_with_many_channels():
    pays = _winograd.winograd_pays
    assert pays((64, 64, 3, 3), (1, 1), (1, 1), 1, (56, 56))
    assert pays((16, 16, 3, 3), (1, 1), (1, 1), 1, (4, 4))
    assert not pays((64, 64, 3, 3), (2, 2), (1, 1), 1, (28, 28))     # stride 2
    assert not pays((64, 64, 3, 3), (1, 1), (2, 2), 1, (56, 56))     # dilated
    assert not pays((64, 32, 3, 3), (1, 1), (1, 1), 2, (56, 56))     # grouped
    assert not pays((64, 64, 5, 5), (1, 1), (1, 1), 1, (56, 56))     # 5x5
    assert not pays((64, 3, 3, 3), (1, 1), (1, 1), 1, (56, 56))      # first layer, RGB
    assert not pays((64, 64, 3, 3), (1, 1), (1, 1), 1, (3, 56))      # map under 4 rows
    assert _winograd.tile_size_for(np.float32, (56, 56)) == 2
    assert _winograd.tile_size_for(np.float64, (56, 56)) == 4
    assert _winograd.tile_size_for(np.float64, (7, 56)) == 2


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 2), st.integers(16, 20), st.integers(16, 18), st.integers(4, 13),
       st.integers(4, 11), st.integers(0, 2), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**31 - 1))
def test_the_layer_on_the_winograd_path_equals_torch(n, c_in, c_out, h, w, padding, dtype,
                                                     seed):
    rng = np.random.default_rng(seed)
    # the output is (h, w), at least 4 x 4
    x = rng.normal(size=(n, c_in, h + 2 - 2 * padding, w + 2 - 2 * padding)).astype(dtype)
    weight = (rng.normal(size=(c_out, c_in, 3, 3)) / np.sqrt(9 * c_in)).astype(dtype)
    bias = rng.normal(size=c_out).astype(dtype)
    assert _winograd.winograd_pays(weight.shape, (1, 1), (1, 1), 1,
                                   (x.shape[2] + 2 * padding - 2, x.shape[3] + 2 * padding - 2))
    ref, ref_dx, ref_dw, dout = torch_reference(x, weight, padding, seed)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    out = conv2d(x, weight, bias, padding=padding)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref + bias[:, None, None], rtol=tol, atol=tol)
    dx, dw, db = conv2d_backward(dout.astype(dtype), x, weight, padding=padding)
    np.testing.assert_allclose(dx, ref_dx, rtol=tol, atol=tol)
    np.testing.assert_allclose(dw, ref_dw, rtol=tol, atol=tol * x.shape[2] * x.shape[3] * n)
    # the transposed convolution runs the same input gradient
    tt = F.conv_transpose2d(torch.from_numpy(dout), torch.from_numpy(weight.astype(np.float64)),
                            padding=padding)
    np.testing.assert_allclose(conv_transpose2d(dout.astype(dtype), weight, padding=padding),
                               tt.numpy(), rtol=tol, atol=tol)


def test_the_layer_with_reflect_padding_on_the_winograd_path():
    rng = np.random.default_rng(3)
    x, weight = rng.normal(size=(2, 16, 9, 10)), rng.normal(size=(16, 16, 3, 3))
    layer = torch.nn.Conv2d(16, 16, 3, padding=1, padding_mode="reflect", bias=False,
                            dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
    tx = torch.from_numpy(x).requires_grad_()
    ref = layer(tx)
    dout = rng.normal(size=tuple(ref.shape))
    ref.backward(torch.from_numpy(dout))
    args = dict(padding=1, padding_mode="reflect")
    np.testing.assert_allclose(conv2d(x, weight, **args), ref.detach().numpy(), atol=1e-10)
    dx, dw, _ = conv2d_backward(dout, x, weight, **args)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(dw, layer.weight.grad.numpy(), atol=1e-9)
