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


def small_network():
    rng = np.random.default_rng(0)
    layers = [("conv", rng.standard_normal((2, 1, 3, 3)), None, 1), ("relu",), ("max_pool", 2)]
    return rng.standard_normal((1, 1, 8, 8)), layers


def test_max_unpool2d_given_an_int_says_it_wants_the_pair_h_w():
    x, layers = small_network()
    feature_map, switches = deconvnet_forward(x, layers)
    indices, size = switches[2]
    with pytest.raises(TypeError, match=r"output_size must be the pair \(H, W\), the size of the "
                                        r"pooled input, got the int 8; unlike torch's "
                                        r"max_unpool2d this function takes no kernel_size"):
        max_unpool2d(feature_map, indices, 8)
    with pytest.raises(TypeError, match=r"output_size \(H, W\) must be an int or a pair of "
                                        r"ints, got \(8, 8, 1\)"):
        max_unpool2d(feature_map, indices, (8, 8, 1))
    # The pair works, and equals torch's unpooling (the oracle).
    expected = F.max_unpool2d(torch.from_numpy(feature_map), torch.from_numpy(indices), 2,
                              output_size=size).numpy()
    np.testing.assert_array_equal(max_unpool2d(feature_map, indices, size), expected)


@pytest.mark.parametrize("layers, error, message", [
    (lambda L: L[0], TypeError, r"layers must be a list of layer tuples .*got \('conv', "
                                r"ndarray of shape \(2, 1, 3, 3\), None, 1\)"),
    (lambda L: ["relu"], TypeError, r"layers must be a list of layer tuples"),
    (lambda L: [L[0][:2]], ValueError, r"layers\[0\] must have the form \('conv', weight, bias "
                                       r"or None, padding\), got a tuple of 2"),
    (lambda L: [L[0], ("max_pool",)], ValueError, r"layers\[1\] must have the form "
                                                  r"\('max_pool', kernel_size\), got a tuple of 1"),
    (lambda L: [{"kind": "relu"}], ValueError,
     r"layers\[0\] must start with 'conv', 'relu' or 'max_pool' \(a tuple"),
])
def test_deconvnet_forward_names_a_layer_list_of_the_wrong_form(layers, error, message):
    x, good = small_network()
    with pytest.raises(error, match=message):
        deconvnet_forward(x, layers(good))


def test_deconvnet_project_names_mismatched_feature_maps_and_missing_switches():
    x, layers = small_network()
    feature_map, switches = deconvnet_forward(x, layers)
    with pytest.raises(ValueError, match=r"feature_map of shape \(1, 3, 4, 4\) does not match the "
                                         r"layers: going down, layers\[2\] \('max_pool'\) "
                                         r"expects a signal with the shape \(1, 2, 4, 4\)"):
        deconvnet_project(np.zeros((1, 3, 4, 4)), layers, switches)
    with pytest.raises(ValueError, match=r"layers\[0\] \('conv'\) expects a signal with 2 "
                                         r"channels"):
        deconvnet_project(np.zeros((1, 3, 8, 8)), layers[:1], switches[:1])
    with pytest.raises(ValueError, match=r"feature_map must have shape \(N, C_top, H_top, "
                                         r"W_top\), got \(2, 4, 4\)"):
        deconvnet_project(feature_map[0], layers, switches)
    with pytest.raises(TypeError, match="switches must be the list deconvnet_forward returned"):
        deconvnet_project(feature_map, layers, None)
    with pytest.raises(ValueError, match=r"switches\[2\] must be the \(indices, \(H, W\)\) "
                                         r"recorded by the max pool layers\[2\], got None"):
        deconvnet_project(feature_map, layers, [None, None, None])
