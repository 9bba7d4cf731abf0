"""The DeconvNet projection against PyTorch: unpooling, switches, and autograd."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cnnlib
from cnnlib.deconvnet import deconvnet_forward, deconvnet_project, max_unpool2d


def test_max_unpool2d_equals_torch():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 6, dtype=torch.float64)
    pooled, indices = F.max_pool2d(x, 2, return_indices=True)
    ours_pooled, ours_indices = cnnlib.max_pool2d(x.numpy(), 2, return_indices=True)
    np.testing.assert_array_equal(ours_indices, indices.numpy())      # the same switches
    expected = F.max_unpool2d(pooled, indices, 2, output_size=(8, 6))
    torch_module = torch.nn.MaxUnpool2d(2)(pooled, indices, output_size=(8, 6))
    ours = max_unpool2d(ours_pooled, ours_indices, (8, 6))
    np.testing.assert_array_equal(ours, expected.numpy())
    np.testing.assert_array_equal(ours, torch_module.numpy())


def _layers(rng):
    w1, b1 = rng.standard_normal((4, 1, 5, 5)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((3, 4, 3, 3)), rng.standard_normal(3)
    return [("conv", w1, b1, 2), ("relu",), ("max_pool", 2), ("conv", w2, b2, 0), ("relu",)]


def _torch_net(layers, deconv_relu):
    """The same layers in torch; with deconv_relu, each ReLU's backward rectifies the
    gradient from above instead of masking it (the DeconvNet rule)."""
    class DeconvReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad):
            return grad.clamp(min=0)

    def run(x):
        for layer in layers:
            if layer[0] == "conv":
                x = F.conv2d(x, torch.from_numpy(layer[1]), torch.from_numpy(layer[2]),
                             padding=layer[3])
            elif layer[0] == "relu":
                x = DeconvReLU.apply(x) if deconv_relu else torch.relu(x)
            else:
                x = F.max_pool2d(x, layer[1])
        return x
    return run


def _one_hot_top(top):
    """Zero every activation but the strongest of channel 1 in each image."""
    signal = np.zeros_like(top)
    for n in range(len(top)):
        i = np.argmax(top[n, 1])
        signal[n, 1].flat[i] = top[n, 1].flat[i]
    return signal


def test_projection_equals_autograd_with_deconvnet_relu():
    rng = np.random.default_rng(0)
    layers = _layers(rng)
    x = rng.standard_normal((2, 1, 16, 16))
    top, switches = deconvnet_forward(x, layers)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = _torch_net(layers, deconv_relu=True)(xt)
    np.testing.assert_allclose(top, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    signal = _one_hot_top(top)
    out.backward(torch.from_numpy(signal))
    np.testing.assert_allclose(deconvnet_project(signal, layers, switches), xt.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


def test_projection_without_relus_is_the_gradient():
    rng = np.random.default_rng(1)
    layers = [layer for layer in _layers(rng) if layer[0] != "relu"]
    x = rng.standard_normal((1, 1, 12, 12))
    top, switches = deconvnet_forward(x, layers)
    xt = torch.from_numpy(x).requires_grad_(True)
    signal = _one_hot_top(top)
    _torch_net(layers, deconv_relu=False)(xt).backward(torch.from_numpy(signal))
    np.testing.assert_allclose(deconvnet_project(signal, layers, switches), xt.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="indices must have the shape of x"):
        max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 1), int), (4, 4))
    with pytest.raises(ValueError, match=r"indices must lie in 0..15"):
        max_unpool2d(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 16), (4, 4))
    with pytest.raises(TypeError, match="integer flat indices"):
        max_unpool2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)), (4, 4))
    with pytest.raises(ValueError, match="must start with 'conv', 'relu' or 'max_pool'"):
        deconvnet_forward(np.zeros((1, 1, 4, 4)), [("avg_pool", 2)])
    with pytest.raises(ValueError, match="one entry per layer"):
        deconvnet_project(np.zeros((1, 1, 2, 2)), [("relu",)], [])
