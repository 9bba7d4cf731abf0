"""cnnlib.models.shattered: Balduzzi et al.'s toy networks and their input gradient."""
import numpy as np
import pytest
import torch
from torch import nn

from cnnlib.models import input_gradient, shattered_net


@pytest.mark.parametrize("plain, blocks", [(0, 0), (23, 0), (1, 24), (2, 3)])
def test_layers_and_parameters_follow_the_design(plain, blocks):
    width = 200
    net = shattered_net(plain_layers=plain, residual_blocks=blocks, width=width)
    hidden = plain + 2 * blocks                      # layers with batch norm
    assert sum(isinstance(m, nn.Linear) for m in net.modules()) == 1 + hidden + 1
    assert sum(isinstance(m, nn.BatchNorm1d) for m in net.modules()) == hidden
    # Formula: the first layer 2W, each hidden W^2 + W + 2W (weights, bias, gamma, beta), the
    # output W + 1.
    expected = 2 * width + hidden * (width * width + 3 * width) + width + 1
    assert sum(p.numel() for p in net.parameters()) == expected


def test_a_residual_block_adds_its_input():
    torch.manual_seed(0)
    net = shattered_net(residual_blocks=1, width=6).eval()
    block = net[2]
    h = torch.randn(4, 6)
    with torch.no_grad():
        assert torch.allclose(block(h), h + block.f(h))


def test_input_gradient_equals_central_differences_with_the_statistics_frozen():
    torch.manual_seed(1)
    net = shattered_net(plain_layers=3, residual_blocks=2, width=16).double()
    x = torch.linspace(-2, 2, 64, dtype=torch.float64).unsqueeze(1)
    grad = input_gradient(net, x)
    assert grad.shape == (64,)
    h = 1e-6
    with torch.no_grad():                            # eval mode, statistics of x: frozen
        numeric = ((net(x + h) - net(x - h)) / (2 * h)).squeeze(1).numpy()
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_the_batch_norm_statistics_become_those_of_the_inputs():
    torch.manual_seed(2)
    net = shattered_net(plain_layers=1, width=5).double()
    x = torch.linspace(-2, 2, 32, dtype=torch.float64).unsqueeze(1)
    input_gradient(net, x)
    with torch.no_grad():
        before_bn = net[2][0](net[1](net[0](x)))       # first layer, ReLU, then the Linear
    bn = net[2][1]
    np.testing.assert_allclose(bn.running_mean.numpy(), before_bn.mean(0).numpy(), atol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), before_bn.var(0, unbiased=True).numpy(),
                               atol=1e-12)


def test_bad_arguments_name_the_rule():
    with pytest.raises(ValueError, match="plain_layers must be at least 0"):
        shattered_net(plain_layers=-1)
    with pytest.raises(TypeError, match="width must be an int"):
        shattered_net(width=2.5)
    with pytest.raises(ValueError, match=r"shape \(N, 1\)"):
        input_gradient(shattered_net(width=3), torch.zeros(4, 2))
