"""The depthwise branch in blocks of channels (cnnlib._conv_fast) against PyTorch.

With the block budget shrunk, every layer is cut into several channel blocks (and a last
block shorter than the others), so a block that misses channels, reads another block's
taps or skips the first tap's write shows up against ``torch.nn.functional.conv2d``.
"""
import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from cnnlib import _conv_fast, conv2d, conv2d_backward


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 7), st.integers(1, 2), st.integers(1, 9),
       st.sampled_from([1, 2]), st.integers(0, 2), st.sampled_from([1, 3]),
       st.sampled_from([1, 700, 3000]), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**31 - 1))
def test_depthwise_in_channel_blocks_equals_torch(n, c, mult, size, stride,
                                                  padding, k, budget, dtype, seed):
    if size + 2 * padding < k:
        return
    saved = _conv_fast.DEPTHWISE_BLOCK_BYTES
    _conv_fast.DEPTHWISE_BLOCK_BYTES = budget
    try:
        check(n, c, mult, size, stride, padding, k, dtype, seed)
    finally:
        _conv_fast.DEPTHWISE_BLOCK_BYTES = saved


def check(n, c, mult, size, stride, padding, k, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, size, size)).astype(dtype)
    w = rng.normal(size=(c * mult, 1, k, k)).astype(dtype)
    tx = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    tw = torch.from_numpy(w.astype(np.float64)).requires_grad_()
    ref = F.conv2d(tx, tw, stride=stride, padding=padding, groups=c)
    dout = rng.normal(size=tuple(ref.shape))
    ref.backward(torch.from_numpy(dout))
    tol = 1e-10 if dtype == np.float64 else 1e-5
    args = dict(stride=stride, padding=padding, groups=c)
    np.testing.assert_allclose(conv2d(x, w, **args), ref.detach().numpy(), rtol=tol, atol=tol)
    dx, dw, _ = conv2d_backward(dout.astype(dtype), x, w, **args)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=tol, atol=tol * size * size * n)
