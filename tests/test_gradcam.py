"""cnnlib.gradcam against computations that do not share its code.

Oracles: the gradient of the score with respect to the feature maps by finite
differences (no autograd), the closed form of that gradient for a network with
global average pooling (``w_ck / (h w)``), the weighted sum of the maps written as a
NumPy loop, and Zhou et al.'s identity "mean of the CAM + bias = score".
"""
import numpy as np
import pytest
import torch
from torch import nn

from cnnlib.gradcam import class_activation_map, feature_maps, grad_cam


class GapNet(nn.Module):
    """conv -> ReLU -> conv -> ReLU -> global average pool -> linear: CAM's network."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(6, 5, 3, padding=1), nn.Tanh())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class FlatNet(nn.Module):
    """conv -> ReLU -> conv -> flatten -> two linear layers: no pooling, Grad-CAM only."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
        self.last = nn.Conv2d(4, 3, 3)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 8), nn.Tanh(),
                                  nn.Linear(8, 5))

    def forward(self, x):
        return self.head(self.last(self.body(x)))


@pytest.fixture
def gap_net():
    torch.manual_seed(0)
    return GapNet().double().eval()


@pytest.fixture
def flat_net():
    torch.manual_seed(1)
    return FlatNet().double().eval()


def finite_difference_grad(head, maps, c, eps=1e-6):
    """d head(maps)[c] / d maps by central differences, one entry at a time (float64)."""
    grad = np.zeros(maps.shape)
    base = maps.detach().clone()
    with torch.no_grad():
        for index in np.ndindex(*maps.shape):
            up, down = base.clone(), base.clone()
            up[index] += eps
            down[index] -= eps
            grad[index] = (head(up)[0, c] - head(down)[0, c]).item() / (2 * eps)
    return grad


def test_grad_cam_equals_finite_differences(flat_net):
    torch.manual_seed(2)
    x = torch.randn(1, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        maps = flat_net.last(flat_net.body(x))            # (1, 3, 4, 4)
    for c in range(5):
        grad = finite_difference_grad(flat_net.head, maps, c)
        alpha = grad.mean(axis=(2, 3))                     # (1, 3)
        expected = np.maximum((alpha[:, :, None, None] * maps.numpy()).sum(1), 0)
        got = grad_cam(flat_net, x, flat_net.last, class_idx=c)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-9)


def test_grad_cam_keeps_only_the_positive_part(flat_net):
    # Some class has negative evidence somewhere; without the ReLU it would show.
    torch.manual_seed(3)
    x = torch.randn(4, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        maps = flat_net.last(flat_net.body(x))
    seen_negative = False
    for c in range(5):
        got = grad_cam(flat_net, x, flat_net.last, class_idx=c)
        assert got.min() >= 0
        for n in range(4):
            grad = finite_difference_grad(flat_net.head, maps[n:n + 1], c)
            signed = (grad.mean(axis=(2, 3))[:, :, None, None] * maps[n:n + 1].numpy()).sum(1)
            seen_negative |= bool((signed < -1e-6).any())
            np.testing.assert_allclose(got[n:n + 1].numpy(), np.maximum(signed, 0),
                                       rtol=1e-6, atol=1e-9)
    assert seen_negative


def test_grad_cam_at_the_last_layer_of_a_gap_network_is_cam_over_hw(gap_net):
    # d y_c / d A_k[i, j] = w_ck / (h w): alpha_k = w_ck / (h w), so L_c = ReLU(M_c) / (h w).
    torch.manual_seed(4)
    x = torch.randn(3, 2, 6, 5, dtype=torch.float64)
    classes = [0, 3, 1]
    got = grad_cam(gap_net, x, gap_net.features, class_idx=classes)
    with torch.no_grad():
        maps = gap_net.features(x).numpy()                         # (3, 5, 6, 5)
    w = gap_net.fc.weight.detach().numpy()
    expected = np.zeros((3, 6, 5))
    for n, c in enumerate(classes):
        for k in range(5):
            expected[n] += w[c, k] * maps[n, k]
    np.testing.assert_allclose(got.numpy(), np.maximum(expected, 0) / 30, rtol=1e-10)


def test_cam_is_the_weighted_sum_of_the_pooled_maps(gap_net):
    torch.manual_seed(5)
    x = torch.randn(2, 2, 7, 7, dtype=torch.float64)
    cam = class_activation_map(gap_net, x, gap_net.features, gap_net.fc, class_idx=[2, 1])
    with torch.no_grad():
        maps = gap_net.features(x).numpy()
        logits = gap_net(x).numpy()
    w, b = gap_net.fc.weight.detach().numpy(), gap_net.fc.bias.detach().numpy()
    for n, c in enumerate([2, 1]):
        expected = np.tensordot(w[c], maps[n], axes=1)             # sum_k w_ck A_k
        np.testing.assert_allclose(cam[n].numpy(), expected, rtol=1e-10)
        # Zhou et al.: the mean of the map plus the bias is the class score.
        np.testing.assert_allclose(cam[n].mean().item() + b[c], logits[n, c], rtol=1e-10)
    assert cam.min() < 0            # signed: CAM has no ReLU


def test_default_class_is_the_prediction(gap_net):
    torch.manual_seed(6)
    x = torch.randn(5, 2, 6, 6, dtype=torch.float64)
    with torch.no_grad():
        predicted = gap_net(x).argmax(1).tolist()
    torch.testing.assert_close(grad_cam(gap_net, x, gap_net.features),
                               grad_cam(gap_net, x, gap_net.features, class_idx=predicted))
    torch.testing.assert_close(
        class_activation_map(gap_net, x, gap_net.features, gap_net.fc),
        class_activation_map(gap_net, x, gap_net.features, gap_net.fc, class_idx=predicted))


def test_the_target_layer_is_the_one_used(gap_net):
    # An earlier layer has other maps (6 channels, before the second conv).
    torch.manual_seed(7)
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    _, early = feature_maps(gap_net, x, gap_net.features[1])
    _, late = feature_maps(gap_net, x, gap_net.features)
    assert early.shape == (1, 6, 6, 6) and late.shape == (1, 5, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(early, torch.relu(gap_net.features[0](x)))
    head = nn.Sequential(*list(gap_net.features)[2:], gap_net.pool, nn.Flatten(), gap_net.fc)
    grad = finite_difference_grad(head, early.detach(), 2)
    expected = np.maximum((grad.mean(axis=(2, 3))[:, :, None, None] * early.detach().numpy())
                          .sum(1), 0)
    np.testing.assert_allclose(grad_cam(gap_net, x, gap_net.features[1], 2).numpy(), expected,
                               rtol=1e-6, atol=1e-9)


def test_frozen_network_still_gives_gradients(gap_net):
    for p in gap_net.parameters():
        p.requires_grad_(False)
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    assert grad_cam(gap_net, x, gap_net.features, 0).shape == (1, 6, 6)


def test_bad_arguments(gap_net):
    x = torch.randn(2, 2, 6, 6, dtype=torch.float64)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        grad_cam(lambda t: t, x, gap_net.features)
    with pytest.raises(ValueError, match=r"x must be a float tensor of images \(N, C, H, W\)"):
        grad_cam(gap_net, x[0], gap_net.features)
    with pytest.raises(ValueError, match="target_layer is not a module of model"):
        grad_cam(gap_net, x, nn.Conv2d(2, 2, 1))
    with pytest.raises(TypeError, match="target_layer must be a module"):
        grad_cam(gap_net, x, "features")
    with pytest.raises(ValueError, match=r"target_layer must output feature maps"):
        grad_cam(gap_net, x, gap_net.fc)
    with pytest.raises(ValueError, match=r"class_idx must be in 0..3"):
        grad_cam(gap_net, x, gap_net.features, class_idx=4)
    with pytest.raises(ValueError, match="one class per image"):
        grad_cam(gap_net, x, gap_net.features, class_idx=[0, 1, 2])
    with pytest.raises(TypeError, match="class_idx must be None, an int"):
        grad_cam(gap_net, x, gap_net.features, class_idx=1.5)
    with pytest.raises(TypeError, match="classifier must be the nn.Linear"):
        class_activation_map(gap_net, x, gap_net.features, gap_net.pool)
    with pytest.raises(ValueError, match="target_layer outputs 6 maps but classifier takes 5"):
        class_activation_map(gap_net, x, gap_net.features[1], gap_net.fc)


def test_inplace_change_of_the_maps_is_refused():
    torch.manual_seed(8)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(3, 2))
    with pytest.raises(ValueError, match="changed in place"):
        grad_cam(net, torch.randn(1, 1, 5, 5), net[0], 0)
    assert grad_cam(net, torch.randn(1, 1, 5, 5), net[1], 0).shape == (1, 3, 3)


def test_unused_layer_is_refused():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(1, 3, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                      nn.Linear(3, 2))
            self.spare = nn.Conv2d(1, 1, 1)    # built, never called

        def forward(self, x):
            return self.body(x)

    net = Net()
    with pytest.raises(ValueError, match="not used in model's forward pass"):
        grad_cam(net, torch.randn(1, 1, 5, 5), net.spare, 0)
