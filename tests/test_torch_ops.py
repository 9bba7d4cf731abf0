"""cnnlib.torch_ops: cnnlib's NumPy conv/pool inside torch autograd, checked by torch itself."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from cnnlib import conv_padding, torch_ops
from cnnlib.models import lenet5


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.integers(0, 2), st.just("same")))
    stride = 1 if padding == "same" else draw(st.integers(1, 2))
    dilation = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["zeros", "circular", "replicate"]))
    size = (draw(st.integers(3, 6)), draw(st.integers(3, 6)))
    return c_in, c_out, kernel, stride, padding, dilation, groups, mode, size, draw(st.booleans())


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv2d_function_passes_torch_gradcheck(case, seed):
    c_in, c_out, kernel, stride, padding, dilation, groups, mode, size, use_bias = case
    pads = conv_padding(padding, kernel, dilation)
    assume(all(s + a + b >= dilation * (k - 1) + 1 for s, k, (a, b) in zip(size, kernel, pads)))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn((2, c_in) + size, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn((c_out, c_in // groups) + kernel, generator=g, dtype=torch.float64,
                    requires_grad=True)
    b = torch.randn(c_out, generator=g, dtype=torch.float64, requires_grad=True) if use_bias \
        else None

    def f(x, w, b):
        return torch_ops.conv2d(x, w, b, stride, padding, dilation, groups, mode)

    assert torch.autograd.gradcheck(f, (x, w, b), eps=1e-6, atol=1e-8, rtol=1e-6)


def test_conv2d_function_equals_torch_forward_and_backward():
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(2, 4, 7, 6)), requires_grad=True)
    w = torch.tensor(rng.normal(size=(6, 2, 3, 2)), requires_grad=True)
    b = torch.tensor(rng.normal(size=6), requires_grad=True)
    dout = torch.tensor(rng.normal(size=(2, 6, 4, 6)))
    ours = torch_ops.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    grads = torch.autograd.grad(ours, (x, w, b), dout)
    theirs = F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    expected = torch.autograd.grad(theirs, (x, w, b), dout)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-9)


@given(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(1, 2), st.booleans(),
       st.integers(0, 2**31 - 1))
def test_max_pool2d_function_passes_gradcheck_and_equals_torch(kernel, stride, padding,
                                                               dilation, ceil_mode, seed):
    assume(padding <= kernel // 2)
    g = torch.Generator().manual_seed(seed)
    # A permutation: no ties, so the max is differentiable everywhere gradcheck looks.
    x = (torch.randperm(2 * 3 * 6 * 5, generator=g).reshape(2, 3, 6, 5).double() / 7.0)
    x.requires_grad_()
    args = (kernel, stride, padding, dilation, ceil_mode)
    assert torch.autograd.gradcheck(lambda t: torch_ops.max_pool2d(t, *args), (x,), eps=1e-6)
    dout = torch.randn(F.max_pool2d(x, *args).shape, generator=g, dtype=torch.float64)
    got = torch.autograd.grad(torch_ops.max_pool2d(x, *args), x, dout)[0]
    want = torch.autograd.grad(F.max_pool2d(x, *args), x, dout)[0]
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_numpy_layers_drop_into_the_pytorch_lenet():
    torch.manual_seed(0)
    reference = lenet5().double()
    model = lenet5().double()
    for i in (0, 3):
        conv = reference.features[i]
        model.features[i] = torch_ops.NumpyConv2d(conv.in_channels, conv.out_channels,
                                                  conv.kernel_size, padding=conv.padding).double()
    for i in (2, 5):
        model.features[i] = torch_ops.NumpyMaxPool2d(2, 2)
    # Same parameter names and shapes as the pure PyTorch model: its weights load strictly.
    model.load_state_dict(reference.state_dict())
    x = torch.rand(4, 1, 28, 28, dtype=torch.float64)
    y = torch.tensor([3, 1, 4, 1])
    for net in (reference, model):
        F.cross_entropy(net(x), y).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=0, atol=1e-9, msg=name)
    # And it trains with a PyTorch optimiser like the original.
    for net in (reference, model):
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-9)


def test_float32_and_unbatched_inputs():
    conv = torch_ops.NumpyConv2d(3, 4, 3, padding="same")
    ref = torch.nn.Conv2d(3, 4, 3, padding="same")
    ref.load_state_dict(conv.state_dict())
    x = torch.rand(3, 8, 8, requires_grad=True)
    out = conv(x)
    assert out.dtype == torch.float32 and out.shape == (4, 8, 8)
    torch.testing.assert_close(out, ref(x), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    torch.testing.assert_close(conv.weight.grad, torch.autograd.grad(ref(x).sum(), ref.weight)[0],
                               rtol=1e-5, atol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="does not return indices"):
        torch_ops.NumpyMaxPool2d(2, return_indices=True)
    with pytest.raises(ValueError, match="channel mismatch"):
        torch_ops.conv2d(torch.zeros(1, 3, 5, 5), torch.zeros(2, 2, 3, 3))
