"""Causal convolutions: against cnnlib.conv1d, and causality and receptive field measured."""
import numpy as np
import pytest
import torch

import cnnlib
from cnnlib.models.wavenet import CausalConv1d, causal_cnn


@pytest.mark.parametrize("kernel_size, dilation", [(2, 1), (2, 4), (3, 2)])
def test_causal_conv1d_equals_cnnlib(kernel_size, dilation):
    torch.manual_seed(0)
    layer = CausalConv1d(3, 4, kernel_size, dilation=dilation)
    x = torch.randn(2, 3, 20)
    with torch.no_grad():
        out = layer(x).numpy()
    ours = cnnlib.conv1d(x.numpy(), layer.weight.detach().numpy(), layer.bias.detach().numpy(),
                         padding="causal", dilation=dilation)
    np.testing.assert_allclose(out, ours, rtol=1e-5, atol=1e-6)
    assert out.shape == (2, 4, 20)


def _dependence(model, length, t):
    """Which inputs the output at time t depends on: non-zero gradient entries."""
    x = torch.randn(1, model.in_channels, length, requires_grad=True, dtype=torch.float64)
    model(x)[0, :, t].sum().backward()
    return np.flatnonzero(x.grad.abs().sum(1)[0].numpy())


@pytest.mark.parametrize("dilations, kernel_size", [((1, 2, 4, 8), 2), ((1, 3), 3), ((2,), 2)])
def test_measured_receptive_field_equals_formula(dilations, kernel_size):
    torch.manual_seed(0)
    model = causal_cnn(dilations, channels=8, kernel_size=kernel_size).double()
    # A bias keeps every ReLU open on some inputs; make it so, so no path is cut.
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.fill_(10.0)
    formula = 1 + (kernel_size - 1) * sum(dilations)
    assert model.receptive_field == formula
    t = 40
    seen = _dependence(model, 64, t)
    assert seen.max() == t                        # the present, and never the future
    assert t - seen.min() + 1 == formula


def test_outputs_do_not_depend_on_future_inputs():
    torch.manual_seed(1)
    model = causal_cnn((1, 2, 4, 8))
    x = torch.randn(2, 1, 50)
    y = x.clone()
    y[:, :, 30:] = torch.randn(2, 1, 20)
    with torch.no_grad():
        a, b = model(x), model(y)
    torch.testing.assert_close(a[:, :, :30], b[:, :, :30], rtol=0, atol=0)
    assert not torch.allclose(a[:, :, 30:], b[:, :, 30:])


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one dilation"):
        causal_cnn(())
    with pytest.raises(ValueError, match="each of dilations"):
        causal_cnn((1, 0))
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 1, L\)"):
        causal_cnn()(torch.zeros(1, 20))
