"""The loss-landscape slice against losses computed directly by PyTorch and NumPy."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.landscape import filter_normalized_direction, loss_surface


def _net():
    """A conv, a batch norm with running statistics unlike the defaults, a dense layer."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                        nn.Linear(3 * 4 * 4, 5)).double()
    with torch.no_grad():
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
        net[1].weight.uniform_(0.5, 2)
    return net


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(7, 2, 6, 6, generator=g, dtype=torch.float64), torch.arange(7) % 5


def _directions(net, seed=0):
    g = torch.Generator().manual_seed(seed)
    return filter_normalized_direction(net, g), filter_normalized_direction(net, g)


def _loss_with_weights_set_by_hand(net, x, y, d1, d2, alpha, beta):
    moved = copy.deepcopy(net)
    state = moved.state_dict()
    for name in d1:
        state[name] = state[name] + alpha * d1[name] + beta * d2[name]
    moved.load_state_dict(state)
    moved.eval()
    with torch.no_grad():
        return F.cross_entropy(moved(x), y).item()


def test_direction_has_the_weights_norm_filter_by_filter():
    net = _net()
    d = filter_normalized_direction(net, torch.Generator().manual_seed(0))
    assert [(k, v.shape) for k, v in d.items()] == [(k, p.shape) for k, p in net.named_parameters()]
    # conv: a filter is one output channel (C_in, kH, kW); dense: one row
    torch.testing.assert_close(torch.linalg.vector_norm(d["0.weight"], dim=(1, 2, 3)),
                               torch.linalg.vector_norm(net[0].weight.detach(), dim=(1, 2, 3)))
    torch.testing.assert_close(torch.linalg.norm(d["4.weight"], dim=1),
                               torch.linalg.norm(net[4].weight.detach(), dim=1))
    for name in ("0.bias", "1.weight", "1.bias", "4.bias"):     # biases and batch norm: 0
        assert torch.count_nonzero(d[name]) == 0, name
    assert len(torch.unique(d["0.weight"])) == d["0.weight"].numel()   # random, not a copy
    assert not torch.allclose(d["0.weight"].abs(), net[0].weight.detach().abs())


def test_direction_is_reproducible_with_a_generator_and_zero_for_a_zero_filter():
    net = _net()
    with torch.no_grad():
        net[0].weight[1] = 0
    a = filter_normalized_direction(net, torch.Generator().manual_seed(3))
    b = filter_normalized_direction(net, torch.Generator().manual_seed(3))
    c = filter_normalized_direction(net, torch.Generator().manual_seed(4))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["0.weight"], c["0.weight"])
    assert torch.count_nonzero(a["0.weight"][1]) == 0
    assert torch.isfinite(a["0.weight"]).all()


def test_loss_at_each_grid_point_equals_torch_with_the_weights_set_by_hand():
    net, (x, y) = _net(), _batch()
    d1, d2 = _directions(net)
    alphas, betas = [-0.5, 0.0, 1.0], [-1.0, 0.25]
    surface = loss_surface(net, None, (x, y), (d1, d2), alphas, betas, progress=False)
    assert surface.shape == (3, 2)
    expected = [[_loss_with_weights_set_by_hand(net, x, y, d1, d2, a, b) for b in betas]
                for a in alphas]
    np.testing.assert_allclose(surface, expected, rtol=1e-12)
    assert len(np.unique(surface)) == surface.size       # every point moved the weights


def test_arrays_as_batch_give_the_same_surface():
    net, (x, y) = _net(), _batch()
    d = _directions(net)
    steps = np.linspace(-1, 1, 3)
    np.testing.assert_array_equal(
        loss_surface(net, F.cross_entropy, (x.numpy(), y.numpy()), d, steps, steps,
                     progress=False),
        loss_surface(net, F.cross_entropy, (x, y), d, steps, steps, progress=False))


def test_centre_is_the_model_loss_and_weights_and_mode_are_restored():
    net, (x, y) = _net(), _batch()
    before = copy.deepcopy(net.state_dict())
    net.train()
    steps = np.linspace(-1, 1, 5)
    surface = loss_surface(net, None, (x, y), _directions(net), steps, steps, progress=False)
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with torch.no_grad():
        assert surface[2, 2] == F.cross_entropy(net.eval()(x), y).item()


def test_quadratic_loss_of_a_linear_model_equals_numpy():
    torch.manual_seed(2)
    net = nn.Linear(4, 3).double()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 4)), rng.standard_normal((10, 3))
    d1, d2 = _directions(net, seed=5)
    alphas, betas = np.linspace(-2, 2, 5), np.linspace(-1, 1, 4)
    surface = loss_surface(net, F.mse_loss, (x, y), (d1, d2), alphas, betas, progress=False)
    w, b = net.weight.detach().numpy(), net.bias.detach().numpy()
    expected = [[np.mean((x @ (w + a * d1["weight"].numpy() + c * d2["weight"].numpy()).T
                          + b - y) ** 2) for c in betas] for a in alphas]
    np.testing.assert_allclose(surface, expected, rtol=1e-12)
    # A linear model's squared error is a quadratic bowl: constant, positive second differences.
    second = np.diff(surface, 2, axis=0)
    np.testing.assert_allclose(second, second[:1].repeat(len(second), 0), rtol=1e-9)
    assert (second > 0).all()


@pytest.mark.parametrize("alphas, betas, match", [
    ([], [0.0], "alphas must be a non-empty 1-D"),
    ([0.0], [[0.0, 1.0]], r"betas must be a non-empty 1-D .* shape \(1, 2\)"),
    ([0.0, np.nan], [0.0], "alphas must be finite"),
])
def test_bad_grids_raise(alphas, betas, match):
    net, batch = _net(), _batch()
    with pytest.raises(ValueError, match=match):
        loss_surface(net, None, batch, _directions(net), alphas, betas, progress=False)


def test_bad_directions_raise_naming_the_parameter():
    net, batch = _net(), _batch()
    d1, d2 = _directions(net)
    steps = [0.0]
    with pytest.raises(ValueError, match="a pair"):
        loss_surface(net, None, batch, (d1, d2, d1), steps, steps)
    with pytest.raises(TypeError, match=r"directions\[1\] must be a dict"):
        loss_surface(net, None, batch, (d1, list(d2.values())), steps, steps)
    wrong = dict(d2, **{"4.weight": torch.zeros(5, 47, dtype=torch.float64)})
    with pytest.raises(ValueError, match=r"directions\[1\]\['4.weight'\] has shape \(5, 47\), "
                                         r"but the parameter '4.weight' has shape \(5, 48\)"):
        loss_surface(net, None, batch, (d1, wrong), steps, steps)
    missing = {k: v for k, v in d1.items() if k != "0.bias"}
    with pytest.raises(ValueError, match=r"directions\[0\].*missing \['0.bias'\]"):
        loss_surface(net, None, batch, (missing, d2), steps, steps)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        filter_normalized_direction(d1)


def test_a_loss_that_is_not_one_number_raises_and_the_weights_are_restored():
    net, batch = _net(), _batch()
    before = copy.deepcopy(net.state_dict())
    d = _directions(net)
    with pytest.raises(ValueError, match="loss_fn must return the mean loss"):
        loss_surface(net, nn.CrossEntropyLoss(reduction="none"), batch, d, [0.5], [0.5],
                     progress=False)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with pytest.raises(ValueError, match=r"batch must be a pair \(x, y\)"):
        loss_surface(net, None, batch[:1], d, [0.0], [0.0])
