"""cnnlib.nn against torch: functions, layers, state dicts, optimisers, LeNet-5, gradcheck."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from cnnlib import nn
from cnnlib.models import lenet5 as torch_lenet5

TOL = dict(rtol=0, atol=1e-9)


def torch_grad(f, x, dout):
    """Output and input gradient of f at x by torch.autograd."""
    xt = torch.from_numpy(x).requires_grad_()
    out = f(xt)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy()


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


# ============================================================================ activations
@given(shapes, st.integers(0, 2**31 - 1), st.sampled_from(["relu", "sigmoid", "tanh", "softmax"]))
def test_activations_and_gradients_equal_torch(shape, seed, name):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3, size=shape)
    dout = rng.normal(size=shape)
    forward, backward = getattr(nn, name), getattr(nn, name + "_backward")
    torch_f = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softmax": lambda t: torch.softmax(t, dim=-1)}[name]
    out, dx = torch_grad(torch_f, x, dout)
    np.testing.assert_allclose(forward(x), out, **TOL)
    np.testing.assert_allclose(backward(dout, x), dx, **TOL)


def test_sigmoid_saturates_without_overflow_warnings():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 18525.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = nn.sigmoid(x)
    np.testing.assert_allclose(s, torch.sigmoid(torch.from_numpy(x)).numpy(), rtol=1e-15, atol=0)
    assert s[-1] == 1.0          # a source deck's sigma(18525) is exactly 1 in float64


def test_log_softmax_equals_torch_for_large_scores():
    x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(nn.log_softmax(x, axis=1),
                               F.log_softmax(torch.from_numpy(x), dim=1).numpy(), **TOL)


# ============================================================================ losses
@given(st.integers(1, 6), st.integers(2, 5), st.sampled_from(["mean", "sum", "none"]),
       st.integers(0, 2**31 - 1))
def test_cross_entropy_equals_torch(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=5, size=(n, k))
    target = rng.integers(0, k, size=n)
    lt = torch.from_numpy(logits).requires_grad_()
    expected = F.cross_entropy(lt, torch.from_numpy(target), reduction=reduction)
    expected.sum().backward()
    loss, grad = nn.cross_entropy(logits, target, reduction)
    np.testing.assert_allclose(loss, expected.detach().numpy(), **TOL)
    np.testing.assert_allclose(grad, lt.grad.numpy(), **TOL)


@given(shapes, st.sampled_from(["mean", "sum", "none"]), st.integers(0, 2**31 - 1))
def test_binary_cross_entropy_with_logits_equals_torch(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=20, size=shape)
    target = rng.uniform(size=shape)
    lt = torch.from_numpy(logits).requires_grad_()
    expected = F.binary_cross_entropy_with_logits(lt, torch.from_numpy(target),
                                                  reduction=reduction)
    expected.sum().backward()
    loss, grad = nn.binary_cross_entropy_with_logits(logits, target, reduction)
    np.testing.assert_allclose(loss, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, lt.grad.numpy(), **TOL)


def test_binary_cross_entropy_with_logits_is_finite_where_the_sigmoid_saturates():
    # A source deck's net input 18525 with target 0: sigma rounds to 1 and log(1 - 1) = -inf,
    # but on the logit the loss is 18525 exactly and the gradient sigma - y = 1.
    with np.errstate(divide="ignore"):
        assert np.log(1 - nn.sigmoid(np.array(18525.0))) == -np.inf
    loss, grad = nn.binary_cross_entropy_with_logits(np.array([18525.0]), np.array([0.0]))
    assert loss == 18525.0 and grad.tolist() == [1.0]
    expected = F.binary_cross_entropy_with_logits(torch.tensor([18525.0], dtype=torch.float64),
                                                  torch.tensor([0.0], dtype=torch.float64))
    assert loss == expected.item()


@given(shapes, st.sampled_from(["mean", "sum", "none"]), st.integers(0, 2**31 - 1))
def test_mse_loss_equals_torch(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    xt = torch.from_numpy(x).requires_grad_()
    expected = F.mse_loss(xt, torch.from_numpy(y), reduction=reduction)
    expected.sum().backward()
    loss, grad = nn.mse_loss(x, y, reduction)
    np.testing.assert_allclose(loss, expected.detach().numpy(), **TOL)
    np.testing.assert_allclose(grad, xt.grad.numpy(), **TOL)


def test_loss_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"target must have shape \(N,\) = \(3,\)"):
        nn.cross_entropy(np.zeros((3, 4)), np.zeros(2, int))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, K\)"):
        nn.cross_entropy(np.zeros(4), np.zeros(4, int))
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        nn.cross_entropy(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"class indices outside 0..3"):
        nn.cross_entropy(np.zeros((3, 4)), np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.mse_loss(np.zeros(3), np.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match=r"target must have the shape of logits \(3,\)"):
        nn.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(4))


# ============================================================================ layers
def layer_pairs():
    """(NumPy layer, equivalent torch layer, input shape) triples."""
    return [
        (nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2),
         torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), (2, 4, 7, 6)),
        (nn.Conv2d(3, 2, (2, 3), padding="same", dilation=2, bias=False),
         torch.nn.Conv2d(3, 2, (2, 3), padding="same", dilation=2, bias=False), (2, 3, 6, 7)),
        (nn.Linear(5, 3), torch.nn.Linear(5, 3), (4, 5)),
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
         (2, 3, 7, 6)),
        (nn.AvgPool2d(2, 1, 1, count_include_pad=False),
         torch.nn.AvgPool2d(2, 1, 1, count_include_pad=False), (2, 3, 5, 4)),
        (nn.ReLU(), torch.nn.ReLU(), (3, 4)),
        (nn.Tanh(), torch.nn.Tanh(), (3, 4)),
        (nn.Sigmoid(), torch.nn.Sigmoid(), (3, 4)),
        (nn.Flatten(), torch.nn.Flatten(), (2, 3, 4, 5)),
        (nn.Flatten(0, 2), torch.nn.Flatten(0, 2), (2, 3, 4, 5)),
        (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3), (4, 3, 5, 2)),
    ]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("index", range(11))
def test_layer_forward_backward_and_parameter_grads_equal_torch(index):
    layer, tlayer, shape = layer_pairs()[index]
    layer.to(np.float64)
    tlayer.double()
    # Weights copy from torch to NumPy (the other direction is tested with LeNet-5).
    layer.load_state_dict(tlayer.state_dict())
    rng = np.random.default_rng(index)
    x = rng.normal(size=shape)
    for training in (True, False):
        layer.train(training)
        tlayer.train(training)
        layer.zero_grad()
        tlayer.zero_grad()
        out = layer(x)
        dout = rng.normal(size=out.shape)
        tout, dx_expected = torch_grad(tlayer, x, dout)
        np.testing.assert_allclose(out, tout, **TOL)
        np.testing.assert_allclose(layer.backward(dout), dx_expected, **TOL)
        tparams = dict(tlayer.named_parameters())
        assert [k for k, _ in layer.named_parameters()] == list(tparams)
        for name, p in layer.named_parameters():
            np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), **TOL)
        for name, value in tlayer.state_dict().items():     # running statistics too
            np.testing.assert_allclose(layer.state_dict()[name], value.numpy(), **TOL)


def test_conv2d_backward_uses_the_columns_of_the_latest_forward_only():
    # Conv2d keeps the forward's im2col columns for the weight gradient (conv2d's cache),
    # in training only: a second, larger batch whose columns are built in blocks (so not
    # kept) must not meet the first batch's columns.
    from unittest import mock

    from cnnlib import _conv_fast
    layer, tlayer = nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1)
    layer.to(np.float64)
    tlayer.double()
    layer.load_state_dict(tlayer.state_dict())
    rng = np.random.default_rng(0)
    layer(rng.normal(size=(2, 2, 5, 5)))                    # columns kept: one block
    assert "columns" in layer._columns
    x = rng.normal(size=(3, 2, 6, 6))
    with mock.patch.object(_conv_fast, "CHUNK_BYTES", 64):  # many blocks: nothing kept
        out = layer(x)
        dout = rng.normal(size=out.shape)
        layer.zero_grad()
        layer.backward(dout)
    torch_grad(tlayer, x, dout)
    np.testing.assert_allclose(layer.weight.grad, tlayer.weight.grad.numpy(), **TOL)
    layer.eval()
    layer(x)
    assert layer._columns is None                           # evaluation keeps nothing


def test_layer_defaults_match_torch_shapes_and_init_range():
    conv, tconv = nn.Conv2d(6, 16, 5, rng=0), torch.nn.Conv2d(6, 16, 5)
    lin, tlin = nn.Linear(400, 120, rng=0), torch.nn.Linear(400, 120)
    for ours, theirs in ((conv, tconv), (lin, tlin)):
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname and p.shape == tuple(tp.shape) and p.data.dtype == np.float32
            # torch's default: uniform in +-1/sqrt(fan_in)
            bound = 1 / np.sqrt(np.prod(tp.shape[1:]) if name == "weight"
                                else np.prod(theirs.weight.shape[1:]))
            assert np.abs(p.data).max() <= bound and np.abs(tp.detach().numpy()).max() <= bound


def test_batchnorm_running_statistics_follow_torch_over_several_batches():
    bn, tbn = nn.BatchNorm2d(3).to(np.float64), torch.nn.BatchNorm2d(3).double()
    rng = np.random.default_rng(7)
    for _ in range(4):
        x = rng.normal(loc=2, scale=3, size=(5, 3, 4, 4))
        bn(x)
        tbn(torch.from_numpy(x))
    for name, value in tbn.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[name], value.numpy(), **TOL)
    assert int(bn.num_batches_tracked) == 4
    cumulative = nn.BatchNorm2d(2, momentum=None)
    tcumulative = torch.nn.BatchNorm2d(2, momentum=None)
    for _ in range(3):
        x = rng.normal(size=(4, 2, 3, 3)).astype(np.float32)
        cumulative(x)
        tcumulative(torch.from_numpy(x))
    np.testing.assert_allclose(cumulative.running_var, tcumulative.running_var.numpy(), rtol=1e-6)


def test_dropout_scales_survivors_routes_gradients_through_them_and_is_identity_in_eval():
    drop = nn.Dropout(0.25, rng=0)
    x = np.ones((200, 500))
    out = drop(x)
    kept = out != 0
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs(kept.mean() - 0.75) < 0.01            # 100,000 draws: sd of the mean 0.0014
    dout = np.full_like(x, 2.0)
    np.testing.assert_array_equal(drop.backward(dout), np.where(kept, 2 / 0.75, 0))
    drop.eval()
    assert drop(x) is x and drop.backward(dout) is dout
    assert nn.Dropout(1.0).forward(x).max() == 0
    with pytest.raises(ValueError, match=r"dropout probability p must be in \[0, 1\]"):
        nn.Dropout(1.5)


def test_gradients_accumulate_until_zero_grad_like_torch():
    lin = nn.Linear(3, 2, rng=0).to(np.float64)
    x = np.ones((4, 3))
    dout = np.ones((4, 2))
    lin(x)
    lin.backward(dout)
    first = lin.weight.grad.copy()
    lin(x)
    lin.backward(dout)
    np.testing.assert_allclose(lin.weight.grad, 2 * first)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


# ============================================================================ state dicts
def numpy_and_torch_sequentials():
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5), nn.Tanh(),
                        nn.Linear(5, 3))
    tnet = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 3 * 3, 5), torch.nn.Tanh(),
                               torch.nn.Linear(5, 3))
    return net, tnet


def test_sequential_weights_copy_both_ways_with_torch():
    net, tnet = numpy_and_torch_sequentials()
    assert list(net.state_dict()) == list(tnet.state_dict())
    x = np.random.default_rng(8).normal(size=(3, 2, 6, 6)).astype(np.float32)
    # NumPy -> torch, strict: every key and shape must agree.
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    tnet.eval()
    net.eval()
    np.testing.assert_allclose(net(x), tnet(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    # torch -> NumPy after changing torch's weights.
    torch.manual_seed(1)
    for p in tnet.parameters():
        torch.nn.init.normal_(p)
    net.load_state_dict(tnet.state_dict())
    np.testing.assert_allclose(net(x), tnet(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert repr(net).startswith("Sequential(\n  (0): Conv2d(2, 4, kernel_size=(3, 3)")


def test_load_state_dict_errors():
    net, _ = numpy_and_torch_sequentials()
    state = net.state_dict()
    del state["0.bias"]
    state["9.weight"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing \['0.bias'\], unexpected \['9.weight'\]"):
        net.load_state_dict(state)
    state = net.state_dict()
    state["5.weight"] = np.zeros((5, 35))
    with pytest.raises(ValueError, match=r"state_dict\['5.weight'\] has shape \(5, 35\), "
                                         r"the model expects \(5, 36\)"):
        net.load_state_dict(state)


def test_layer_input_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(N, in_features\) = \(N, 5\)"):
        nn.Linear(5, 3)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects input \(N, 3, H, W\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 4, 3, 3)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm2d(3)(np.zeros((1, 3, 1, 1)))
    with pytest.raises(ValueError, match="groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(TypeError, match="Sequential takes cnnlib.nn modules"):
        nn.Sequential(torch.nn.ReLU())


# ============================================================================ LeNet-5
def test_lenet5_matches_the_pytorch_layout_and_parameter_count():
    net, tnet = nn.lenet5(rng=0), torch_lenet5()
    assert [(k, v.shape) for k, v in net.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tnet.state_dict().items()]
    assert sum(p.data.size for p in net.parameters()) == \
        sum(p.numel() for p in tnet.parameters()) == 61706


@pytest.fixture
def lenets():
    torch.manual_seed(0)
    tnet = torch_lenet5().double()
    net = nn.lenet5(dtype=np.float64).load_state_dict(tnet.state_dict())
    rng = np.random.default_rng(9)
    x = rng.uniform(size=(8, 1, 28, 28))
    y = rng.integers(0, 10, size=8)
    return net, tnet, x, y


def _step_both(net, tnet, opt, topt, x, y):
    loss, dscores = nn.cross_entropy(net(x), y)
    opt.zero_grad()
    net.backward(dscores)
    tloss = F.cross_entropy(tnet(torch.from_numpy(x)), torch.from_numpy(y))
    topt.zero_grad()
    tloss.backward()
    return loss, tloss


def test_lenet5_loss_and_every_parameter_gradient_equal_torch(lenets):
    net, tnet, x, y = lenets
    opt, topt = nn.SGD(net.parameters()), torch.optim.SGD(tnet.parameters())
    loss, tloss = _step_both(net, tnet, opt, topt, x, y)
    assert loss == pytest.approx(tloss.item(), abs=1e-12)
    tparams = dict(tnet.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), err_msg=name, **TOL)


@pytest.mark.parametrize("make", [
    lambda ps, lib: lib.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps, lib: lib.SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True),
    lambda ps, lib: lib.SGD(ps, lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.001),
    lambda ps, lib: lib.Adam(ps, lr=0.01),
    lambda ps, lib: lib.Adam(ps, lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
], ids=["sgd-momentum", "sgd-nesterov-wd", "sgd-dampening", "adam", "adam-wd"])
def test_lenet5_weights_equal_torch_after_three_optimiser_steps(lenets, make):
    net, tnet, x, y = lenets
    opt, topt = make(net.parameters(), nn), make(tnet.parameters(), torch.optim)
    for _ in range(3):
        loss, tloss = _step_both(net, tnet, opt, topt, x, y)
        assert loss == pytest.approx(tloss.item(), abs=1e-9)
        opt.step()
        topt.step()
    for name, value in tnet.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[name], value.numpy(), err_msg=name, **TOL)
    # The weights really moved: the comparison is not between two untouched copies.
    assert not np.allclose(net.state_dict()["features.0.weight"],
                           torch_lenet5().state_dict()["features.0.weight"].numpy())


def test_optimiser_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="use model.parameters"):
        nn.Adam([np.zeros(3)])
    with pytest.raises(ValueError, match="nesterov momentum requires momentum > 0"):
        nn.SGD(nn.Linear(2, 2).parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        nn.Adam(nn.Linear(2, 2).parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="learning rate lr must be >= 0"):
        nn.SGD(nn.Linear(2, 2).parameters(), lr=-1)


# ============================================================================ gradcheck
def test_numerical_gradient_equals_torch_autograd():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 4))
    dout = rng.normal(size=(3, 4))
    _, expected = torch_grad(lambda t: torch.sin(t) * t ** 2, x, dout)
    got = nn.numerical_gradient(lambda a: np.sin(a) * a ** 2, x, dout)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2d(2, 3, 3, stride=2, padding=1, rng=0), (2, 2, 5, 5)),
    (nn.BatchNorm2d(3), (4, 3, 2, 2)),
    (nn.Linear(4, 3, rng=0), (5, 4)),
    (nn.Sequential(nn.Conv2d(1, 2, 3, rng=1), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                   nn.Linear(2 * 2 * 2, 3, rng=2), nn.Sigmoid()), (2, 1, 6, 6)),
])
def test_gradcheck_passes_correct_layers_in_float64_copies(layer, shape):
    x = np.random.default_rng(11).normal(size=shape).astype(np.float32)
    report = nn.gradcheck(layer, x)
    assert report.passed and max(report.errors.values()) < 1e-7
    assert set(report.errors) == {"input"} | {k for k, _ in layer.named_parameters()}
    assert all(p.data.dtype == np.float32 for p in layer.parameters())   # left untouched


class LeakyWithABug(nn.Module):
    """A student's leaky ReLU whose backward forgets the slope on the negative side."""

    def forward(self, x):
        self._x = x
        return np.where(x > 0, x, 0.1 * x)

    def backward(self, dout):
        return np.where(self._x > 0, dout, 0.0)


def test_first_layer_skips_the_input_gradient_and_gradcheck_checks_the_rest():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, input_grad=False, rng=0), nn.ReLU(), nn.Flatten(),
                        nn.Linear(2 * 4 * 4, 3, rng=1))
    x = np.random.default_rng(13).normal(size=(2, 1, 6, 6))
    net.to(np.float64)
    net(x)
    assert net.backward(np.ones((2, 3))) is None
    report = nn.gradcheck(net, x)
    assert report.passed and set(report.errors) == {"0.weight", "0.bias", "3.weight", "3.bias"}


def test_gradcheck_catches_a_wrong_backward_and_reports_it():
    x = np.random.default_rng(12).normal(size=(4, 5))
    report = nn.gradcheck(LeakyWithABug(), x)
    assert not report.passed and not report
    assert report.errors["input"] > 1e-3
    assert "input" in repr(report) and "FAIL" in repr(report)
    assert nn.gradcheck(nn.tanh, x, nn.tanh_backward).passed
    assert not nn.gradcheck(nn.tanh, x, lambda d, a: d * (1 - a ** 2)).passed


def test_gradcheck_errors():
    with pytest.raises(TypeError, match="needs backward"):
        nn.gradcheck(nn.tanh, np.zeros(3))
    with pytest.raises(ValueError, match="gave gradient 'input' of shape"):
        nn.gradcheck(nn.tanh, np.zeros(3), lambda d, a: d[:2])


def test_rel_error():
    assert nn.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert nn.rel_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert nn.rel_error([1.0, 0.0], [0.0, 0.0]) == pytest.approx(1.0)



# ============================================================================ errors that never lie
def _wrong_shapes(shape):
    """Shapes that broadcast against ``shape`` (or not) but are not ``shape``."""
    wrong = [shape + (1,), shape[1:] or (2,)]
    wrong += [shape[:i] + (1,) + shape[i + 1:] for i, n in enumerate(shape) if n > 1]
    wrong += [shape[:i] + (n + 1,) + shape[i + 1:] for i, n in enumerate(shape)]
    return [w for w in wrong if w != shape]


@given(shapes, st.sampled_from(["relu", "sigmoid", "tanh", "softmax"]), st.data())
def test_activation_backwards_reject_a_wrongly_shaped_upstream_gradient_as_torch_does(
        shape, name, data):
    x = np.random.default_rng(0).normal(size=shape)
    dout = np.ones(data.draw(st.sampled_from(_wrong_shapes(shape))))
    torch_f = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "softmax": lambda t: torch.softmax(t, dim=-1)}[name]
    with pytest.raises(RuntimeError):            # the oracle: autograd refuses it too
        torch_grad(torch_f, x, dout)
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward's input x"):
        getattr(nn, name + "_backward")(dout, x)


def test_linear_and_batch_norm_backwards_reject_a_wrongly_shaped_upstream_gradient():
    x, w = np.zeros((4, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward's output "
                                         r"\(N, out_features\) = \(4, 2\), got shape \(4, 1\)"):
        nn.linear_backward(np.ones((4, 1)), x, w)
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    with pytest.raises(ValueError, match="dout must have the shape of the forward's input x"):
        nn.batch_norm_backward(np.ones((2, 3, 1, 1)), x, x.mean((0, 2, 3)), x.var((0, 2, 3)),
                               np.ones(3))


@given(shapes, st.sampled_from(["mse_loss", "binary_cross_entropy_with_logits"]),
       st.sampled_from([np.int8, np.int64, np.uint8, np.bool_]), st.integers(0, 2**31 - 1))
def test_integer_inputs_do_not_truncate_float_targets(shape, name, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=shape).astype(dtype)
    y = rng.uniform(0, 1, size=shape)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    expected = getattr(F, name)(xt, torch.from_numpy(y))
    expected.backward()
    loss, grad = getattr(nn, name)(x, y)
    np.testing.assert_allclose(loss, expected.item(), **TOL)
    np.testing.assert_allclose(grad, xt.grad.numpy(), **TOL)
    assert grad.dtype == np.float64


def test_mse_of_an_integer_input_against_a_half_is_a_quarter():
    loss, grad = nn.mse_loss(np.array([1]), np.array([0.5]))
    assert loss == 0.25 and grad.tolist() == [1.0]      # (1 - 0.5)^2 and 2 (1 - 0.5)


def test_float32_inputs_keep_float32_against_float64_targets():
    loss, grad = nn.mse_loss(np.ones(3, np.float32), np.zeros(3))
    assert grad.dtype == np.float32


@pytest.mark.parametrize("bad, kind", [(np.array([1 + 2j]), "complex"),
                                       (np.array(["a"]), "<U1"), (np.array([None]), "object")])
def test_losses_reject_non_real_inputs_naming_the_argument(bad, kind):
    with pytest.raises(TypeError, match=f"input must hold real numbers, got dtype {kind}"):
        nn.mse_loss(bad, np.zeros(1))
    with pytest.raises(TypeError, match=f"target must hold real numbers, got dtype {kind}"):
        nn.mse_loss(np.zeros(1), bad)


def test_numerical_gradient_of_an_integer_array_raises_instead_of_rounding_the_nudges_away():
    with pytest.raises(TypeError, match=r"x must be a floating-point array, got dtype int64.*"
                                        r"x.astype\(np.float64\)"):
        nn.numerical_gradient(lambda a: a ** 2, np.array([1]))
    _, expected = torch_grad(lambda t: t ** 2, np.array([1.0]), np.array([1.0]))
    got = nn.numerical_gradient(lambda a: a ** 2, np.array([1.0]))
    np.testing.assert_allclose(got, expected, rtol=1e-7)       # d(x^2)/dx at 1 is 2
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        nn.numerical_gradient(lambda a: a, [1.0])
    with pytest.raises(ValueError, match=r"dout must have the shape of f\(x\) \(2,\)"):
        nn.numerical_gradient(lambda a: a, np.zeros(2), dout=np.ones((2, 1)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        nn.numerical_gradient(lambda a: a, np.zeros(2), eps=0)


@given(shapes, st.data())
def test_rel_error_rejects_shapes_that_differ_instead_of_broadcasting(shape, data):
    other = data.draw(st.sampled_from(_wrong_shapes(shape)))
    with pytest.raises(ValueError,
                       match=r"a must have the shape of b .* \(shapes are not broadcast\)"):
        nn.rel_error(np.ones(shape), np.ones(other))


def test_rel_error_of_3x1_against_3_is_an_error():
    with pytest.raises(ValueError, match=r"a must have the shape of b \(3,\), got shape \(3, 1\)"):
        nn.rel_error(np.ones((3, 1)), np.ones(3))


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels must be >= 1, got 0"),
    (lambda: nn.Conv2d(3, 4.0, 3), TypeError, "out_channels must be an int, got float"),
    (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be >= 1, got 0"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), TypeError, "kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError, "stride must be >= 1, got 0"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), ValueError, "padding must be >= 0, got -1"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "padding must be an int, a pair, "
                                                             "'valid' or 'same'"),
    (lambda: nn.Conv2d(3, 4, 3, dilation=0), ValueError, "dilation must be >= 1, got 0"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be >= 1, got 0"),
    (lambda: nn.Linear(0, 3), ValueError, "in_features must be >= 1, got 0"),
    (lambda: nn.Linear(3, True), TypeError, "out_features must be an int, got bool"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size must be >= 1, got 0"),
    (lambda: nn.MaxPool2d(2, stride=0), ValueError, "stride must be >= 1, got 0"),
    (lambda: nn.MaxPool2d(2, dilation=0), ValueError, "dilation must be >= 1, got 0"),
    (lambda: nn.AvgPool2d(2, padding=-1), ValueError, "padding must be >= 0, got -1"),
    (lambda: nn.AvgPool2d("2"), TypeError, "kernel_size must be an int or a pair"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features must be >= 1, got 0"),
    (lambda: nn.BatchNorm2d(3, eps=0), ValueError, "eps must be > 0"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, r"momentum must be in \[0, 1\]"),
    (lambda: nn.Dropout(1.5), ValueError, r"dropout probability p must be in \[0, 1\], got 1.5"),
    (lambda: nn.Dropout("0.5"), TypeError, "dropout probability p must be a number"),
    (lambda: nn.Flatten(1.0), TypeError, "start_dim must be an int"),
    (lambda: nn.SGD(nn.Linear(2, 2).parameters(), lr=None), TypeError,
     "learning rate lr must be a number"),
    (lambda: nn.Adam(nn.Linear(2, 2).parameters(), eps=-1), ValueError, r"eps must be in \[0,"),
    (lambda: nn.Adam(nn.Linear(2, 2).parameters(), betas=0.9), TypeError,
     r"betas must be a pair"),
])
def test_constructors_validate_their_arguments_naming_the_parameter(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --------------------------------------------------------------------------- bad inputs, by name
@pytest.mark.parametrize("call", [
    lambda t: nn.functional.softmax(t),
    lambda t: nn.functional.log_softmax(t, axis=1),
    lambda t: nn.functional.softmax_backward(t, t),
])
def test_softmax_given_a_torch_tensor_says_it_is_the_numpy_library(call):
    t = torch.randn(2, 3, requires_grad=True)
    with pytest.raises(TypeError, match=r"x must be a NumPy array, got torch.Tensor: cnnlib.nn "
                                        r"computes with NumPy.*x.detach\(\).numpy\(\)"):
        call(t)


def test_softmax_of_the_numpy_copy_equals_torch():
    t = torch.randn(2, 3, dtype=torch.float64)
    np.testing.assert_allclose(nn.functional.softmax(t.numpy()), torch.softmax(t, -1).numpy())
    np.testing.assert_allclose(nn.functional.log_softmax(t.numpy()),
                               torch.log_softmax(t, -1).numpy())


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(num_classes=-1), ValueError, "num_classes must be >= 1, got -1"),
    (dict(num_classes=2.0), TypeError, "num_classes must be an int, got float 2.0"),
    (dict(in_channels=0), ValueError, "in_channels must be >= 1, got 0"),
])
def test_lenet5_names_its_own_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn.lenet5(**kwargs)


# --------------------------------------------------------------------------- layer and group norm
def as_tensor(a):
    """A NumPy array as a torch tensor for the oracle (None stays None)."""
    return None if a is None else torch.from_numpy(a)


@pytest.mark.parametrize("shape", [(4, 6, 5, 5), (3, 8), (2, 4, 7)])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_equals_torch(shape, affine):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3 + 2
    w = rng.standard_normal(shape[1:]) if affine else None
    b = rng.standard_normal(shape[1:]) if affine else None
    expected = F.layer_norm(as_tensor(x), shape[1:], as_tensor(w), as_tensor(b), eps=1e-5).numpy()
    np.testing.assert_allclose(nn.layer_norm(x, w, b, eps=1e-5), expected, atol=1e-10)


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_equals_torch(groups, affine):
    rng = np.random.default_rng(2)
    scale, shift = np.arange(1, 7)[:, None, None], np.arange(6)[:, None, None]
    x = rng.standard_normal((4, 6, 5, 3)) * scale + shift
    w = rng.standard_normal(6) if affine else None
    b = rng.standard_normal(6) if affine else None
    expected = F.group_norm(as_tensor(x), groups, as_tensor(w), as_tensor(b), eps=1e-5).numpy()
    np.testing.assert_allclose(nn.group_norm(x, groups, w, b, eps=1e-5), expected, atol=1e-10)


@pytest.mark.parametrize("groups", [0, 4, 2.0, -2])
def test_group_norm_rejects_groups_that_do_not_divide_the_channels(groups):
    with pytest.raises(ValueError, match="num_groups"):
        nn.group_norm(np.ones((2, 6, 3, 3)), groups)
