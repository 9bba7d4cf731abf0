"""The squeeze-and-excitation block against a hand computation and torchvision's block."""
import numpy as np
import pytest
import torch
import torchvision

from cnnlib.models import SqueezeExcitation


def test_se_block_equals_the_formula_computed_with_numpy():
    torch.manual_seed(0)
    se = SqueezeExcitation(8, reduction=4)
    x = torch.randn(3, 8, 5, 6, dtype=torch.float64)
    se = se.double()
    w1, b1 = se.fc1.weight.detach().numpy(), se.fc1.bias.detach().numpy()
    w2, b2 = se.fc2.weight.detach().numpy(), se.fc2.bias.detach().numpy()
    xn = x.numpy()
    expected = np.empty_like(xn)
    for n in range(3):
        s = np.array([xn[n, c].sum() / xn[n, c].size for c in range(8)])    # squeeze
        z = np.maximum(w1 @ s + b1, 0)
        gate = 1 / (1 + np.exp(-(w2 @ z + b2)))                            # excite
        for c in range(8):
            expected[n, c] = gate[c] * xn[n, c]                            # scale
    np.testing.assert_allclose(se(x).detach().numpy(), expected, rtol=1e-12)
    assert sum(p.numel() for p in se.parameters()) == 2 * 8 * 8 // 4 + 8 // 4 + 8


def test_se_block_equals_torchvision_ops():
    torch.manual_seed(1)
    se = SqueezeExcitation(32, reduction=16)
    theirs = torchvision.ops.SqueezeExcitation(32, 2)    # 1x1 convolutions instead of dense
    with torch.no_grad():
        theirs.fc1.weight.copy_(se.fc1.weight[:, :, None, None])
        theirs.fc1.bias.copy_(se.fc1.bias)
        theirs.fc2.weight.copy_(se.fc2.weight[:, :, None, None])
        theirs.fc2.bias.copy_(se.fc2.bias)
        x = torch.randn(2, 32, 7, 7)
        torch.testing.assert_close(se(x), theirs(x))


def test_se_block_rejects_bad_arguments_and_input():
    with pytest.raises(ValueError, match="channels must be >= 1, got 0"):
        SqueezeExcitation(0)
    with pytest.raises(ValueError, match=r"reduction \(16\) must be at most channels \(8\)"):
        SqueezeExcitation(8)
    se = SqueezeExcitation(16)
    with pytest.raises(ValueError,
                       match=r"SqueezeExcitation expects input of shape \(N, 16, H, W\)"):
        se(torch.randn(2, 8, 4, 4))
    with pytest.raises(ValueError, match=r"expects input of shape"):
        se(torch.randn(16, 4, 4))
