"""Tests of cnnlib.selfcheck: correct code passes, each usual mistake gets its own message.

The correct implementations come from PyTorch (torch.nn.functional and autograd,
torchvision's BasicBlock); each buggy one is a deliberate mistake a student makes,
built on top of them, and must be told what it did wrong.
"""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock as TorchvisionBasicBlock

from cnnlib.selfcheck import (SelfCheckError, check_basic_block, check_conv2d,
                              check_conv2d_backward, check_conv2d_function, check_max_pool2d,
                              check_max_pool2d_backward, check_max_pool2d_function, check_model,
                              check_vgg_layers)


# --------------------------------------------------------------------------- oracles (PyTorch)
def torch_conv2d(x, weight, bias=None, stride=1, padding=0):
    b = None if bias is None else torch.from_numpy(bias)
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(weight), b, stride=stride,
                    padding=padding).numpy()


def torch_conv2d_backward(dout, x, weight, stride=1, padding=0):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.zeros(weight.shape[0], dtype=xt.dtype, requires_grad=True)
    with torch.enable_grad():           # also when called inside an autograd backward
        F.conv2d(xt, wt, bt, stride=stride, padding=padding).backward(torch.from_numpy(dout))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def torch_max_pool2d(x, kernel_size, stride=None):
    return F.max_pool2d(torch.from_numpy(x), kernel_size, stride).numpy()


def torch_max_pool2d_backward(dout, x, kernel_size, stride=None):
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, kernel_size, stride).backward(torch.from_numpy(dout))
    return xt.grad.numpy()


def _windows(x, k, s):
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]


def _scatter(dout, x, k, s, weights):
    """Window by window: add dout[n, c, i, j] * weights[n, c, i, j] to window (i, j) of x."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += (
                weights[:, :, i, j] * dout[:, :, i, j, None, None])
    return dx


# --------------------------------------------------------------------------- conv2d forward
def conv_flipped(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, np.ascontiguousarray(w[..., ::-1, ::-1]), b, stride, padding)


def conv_pad_bottom_right(x, w, b=None, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * padding), (0, 2 * padding)))
    return torch_conv2d(xp, w, b, stride)


def conv_pad_top_left(x, w, b=None, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (0, 0), (2 * padding, 0), (2 * padding, 0)))
    return torch_conv2d(xp, w, b, stride)


def conv_ceil(x, w, b=None, stride=1, padding=0):
    # Rounds the output size up: pads the end so that one more window fits.
    extra = (-(x.shape[2] + 2 * padding - w.shape[2])) % stride
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding + extra), (padding, padding + extra)))
    return torch_conv2d(xp, w, b, stride)


def conv_no_plus_one(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, b, stride, padding)[:, :, :-1, :-1]


def conv_no_padding(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, b, stride, 0)


def conv_no_bias(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, None, stride, padding)


def conv_axes_swapped(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, b, stride, padding).transpose(1, 0, 2, 3)


def conv_first_channel(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x[:, :1].copy(), w[:, :1].copy(), b, stride, padding)


def conv_edge_padding(x, w, b=None, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), mode="edge")
    return torch_conv2d(xp, w, b, stride)


def conv_no_return(x, w, b=None, stride=1, padding=0):
    torch_conv2d(x, w, b, stride, padding)


def conv_in_place(x, w, b=None, stride=1, padding=0):
    x *= 2.0
    return torch_conv2d(x, w, b, stride, padding)


def conv_stub(x, w, b=None, stride=1, padding=0):
    raise NotImplementedError("pad x, then loop over n, o, i, j")


def conv_wrong_value(x, w, b=None, stride=1, padding=0):
    out = torch_conv2d(x, w, b, stride, padding)
    out[0, 0, -1, -1] += 1.0
    return out


CONV_BUGS = [
    (conv_flipped, "case 1 ", "you flipped the kernel"),
    (conv_pad_bottom_right, "case 3 ", "padded 2 cells only at the bottom and right"),
    (conv_pad_top_left, "case 3 ", "padded 2 cells only at the top and left"),
    (conv_ceil, "case 5 ", "rounded up: the formula rounds down (floor)"),
    (conv_no_plus_one, "case 1 ", "the `+ 1` of the formula is missing"),
    (conv_no_padding, "case 3 ", "the padding was left out"),
    (conv_no_bias, "case 2 ", "the bias is missing"),
    (conv_axes_swapped, "case 2 ", "batch axis and the channel axis are swapped"),
    (conv_first_channel, "case 2 ", "only the first input channel is used"),
    (conv_edge_padding, "case 3 ", "repeats the edge values: pad with zeros"),
    (conv_no_return, "case 1 ", "returned None. Did you forget `return`?"),
    (conv_in_place, "case 1 ", "changed its input `x` in place"),
    (conv_stub, "", "is not written yet: it raises NotImplementedError (hint: pad x, then loop"),
    (conv_wrong_value, "case 1 ",
     "1 of 9 values of feature_map differ. First at feature_map[0, 0, 2, 2]"),
]


def test_check_conv2d_passes_pytorch(capsys):
    check_conv2d(torch_conv2d, name="conv2d")
    assert capsys.readouterr().out.startswith("✔ conv2d: all 6 cases agree")


@pytest.mark.parametrize("buggy, case, message", CONV_BUGS, ids=[b[0].__name__ for b in CONV_BUGS])
def test_check_conv2d_names_the_mistake(buggy, case, message):
    with pytest.raises(SelfCheckError) as info:
        check_conv2d(buggy)
    assert message in str(info.value)
    assert f"{buggy.__name__}, {case}" in str(info.value) or not case


def test_check_conv2d_lets_the_students_own_error_through_with_a_note():
    def crashes(x, w, b=None, stride=1, padding=0):
        return x @ w
    with pytest.raises(ValueError) as info:
        check_conv2d(crashes)
    assert any("crashes failed on case 1" in note for note in info.value.__notes__)


def test_wrong_stride_formula_is_named():
    # floor((H + 2p - k + 1) / s): right for odd spans, wrong for case 4 (7 - 3 + 1 = 5).
    def stride_formula(x, w, b=None, stride=1, padding=0):
        out = torch_conv2d(x, w, b, 1, padding)[:, :, ::stride, ::stride]
        h = (x.shape[2] + 2 * padding - w.shape[2] + 1) // stride
        wd = (x.shape[3] + 2 * padding - w.shape[3] + 1) // stride
        return out[:, :, :h, :wd]
    expected = r"case 4 .*Expected \(1, 2, 3, 3\), got \(1, 2, 2, 2\)"
    with pytest.raises(SelfCheckError, match=expected):
        check_conv2d(stride_formula)


def test_self_check_error_renders_without_traceback():
    lines = SelfCheckError("first line\nsecond line")._render_traceback_()
    assert lines[0] == "\x1b[31m✘ first line\x1b[0m" and lines[1] == "second line"


# --------------------------------------------------------------------------- max_pool2d forward
def pool_stride_one(x, k, stride=None):
    return torch_max_pool2d(x, k, stride or 1)


def pool_average(x, k, stride=None):
    return F.avg_pool2d(torch.from_numpy(x), k, stride).numpy()


def pool_minimum(x, k, stride=None):
    return -torch_max_pool2d(-x, k, stride)


def pool_ceil(x, k, stride=None):
    return F.max_pool2d(torch.from_numpy(x), k, stride, ceil_mode=True).numpy()


def pool_across_channels(x, k, stride=None):
    out = torch_max_pool2d(x, k, stride)
    return np.repeat(out.max(axis=1, keepdims=True), x.shape[1], axis=1)


POOL_BUGS = [
    (pool_stride_one, "case 1 ", "the stride defaults to kernel_size"),
    (pool_average, "case 1 ", "you averaged the window"),
    (pool_minimum, "case 1 ", "you took the minimum"),
    (pool_ceil, "case 4 ", "the size was rounded up"),
    (pool_across_channels, "case 2 ", "taken across channels too"),
]


def test_check_max_pool2d_passes_pytorch(capsys):
    check_max_pool2d(torch_max_pool2d, name="max_pool2d")
    assert capsys.readouterr().out.startswith("✔ max_pool2d: all 5 cases agree")


@pytest.mark.parametrize("buggy, case, message", POOL_BUGS, ids=[b[0].__name__ for b in POOL_BUGS])
def test_check_max_pool2d_names_the_mistake(buggy, case, message):
    with pytest.raises(SelfCheckError) as info:
        check_max_pool2d(buggy)
    assert message in str(info.value) and f"{buggy.__name__}, {case}" in str(info.value)


# --------------------------------------------------------------------------- conv2d backward
def _with(dx=None, dw=None, db=None):
    """A conv2d_backward built on PyTorch's, with some of its results replaced."""
    def backward(dout, x, w, stride=1, padding=0):
        gx, gw, gb = torch_conv2d_backward(dout, x, w, stride, padding)
        return (gx if dx is None else dx(dout, x, w, stride, padding, gx),
                gw if dw is None else dw(dout, x, w, gw),
                gb if db is None else db(dout, gb))
    return backward


def _forgot_flip(dout, x, w, stride, padding, gx):
    return torch_conv2d_backward(dout, x, np.ascontiguousarray(w[..., ::-1, ::-1]), stride,
                                 padding)[0]


def _ignores_stride(dout, x, w, stride, padding, gx):
    # A loop that sends output (i, j) back to x_pad[i + u, j + v], forgetting the stride.
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding))
    for b in range(n):
        for o in range(w.shape[0]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dxp[b, :, i:i + kh, j:j + kw] += dout[b, o, i, j] * w[o]
    return dxp[:, :, padding:padding + h, padding:padding + wd]


def _padded(dout, x, w, stride, padding, gx):
    return np.pad(gx, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _cropped_with_minus_p(dout, x, w, stride, padding, gx):
    return _padded(dout, x, w, stride, padding, gx)[:, :, padding:-padding, padding:-padding]


BACKWARD_BUGS = [
    (_with(dx=_forgot_flip), "forgot_flip", "case 1 ", "a forgotten flip"),
    (_with(dx=_ignores_stride), "ignores_stride", "case 4 ", "dx ignores the stride"),
    (_with(dx=_padded), "padded_dx", "case 3 ", "gradient of the *padded* input: crop"),
    (_with(dx=_cropped_with_minus_p), "minus_p_slice", "case 1 ", "x[..., p:-p] is empty"),
    (_with(dx=lambda dout, x, w, s, p, gx: gx / len(x)), "dx_mean", "case 2 ",
     "dx was divided by the batch size"),
    (_with(dw=lambda dout, x, w, gw: gw[..., ::-1, ::-1]), "dw_flipped", "case 1 ",
     "dweight is flipped"),
    (_with(dw=lambda dout, x, w, gw: gw / len(x)), "dw_mean", "case 2 ",
     "dweight was divided by the batch size"),
    (_with(dw=lambda dout, x, w, gw: torch_conv2d_backward(dout[:1], x[:1], w)[1]), "dw_first",
     "case 2 ", "dweight only uses the first image"),
    (_with(db=lambda dout, gb: dout.mean(axis=(0, 2, 3))), "db_mean", "case 1 ",
     "dbias is a mean"),
    (_with(db=lambda dout, gb: dout.sum(axis=0)), "db_batch_only", "case 1 ",
     "sum dout over the batch and both spatial axes"),
    (_with(db=lambda dout, gb: dout[0].sum(axis=(1, 2))), "db_first", "case 2 ",
     "dbias only uses the first image"),
    (lambda dout, x, w, stride=1, padding=0: torch_conv2d_backward(dout, x, w, stride, padding)[:2],
     "two_results", "case 1 ", "must return a tuple (dx, dweight, dbias), got a tuple of 2"),
]


def test_check_conv2d_backward_passes_pytorch(capsys):
    check_conv2d_backward(torch_conv2d_backward, name="conv2d_backward")
    assert capsys.readouterr().out.startswith("✔ conv2d_backward: all 6 cases agree")


@pytest.mark.parametrize("buggy, label, case, message", BACKWARD_BUGS,
                         ids=[b[1] for b in BACKWARD_BUGS])
def test_check_conv2d_backward_names_the_mistake(buggy, label, case, message):
    with pytest.raises(SelfCheckError) as info:
        check_conv2d_backward(buggy, name=label)
    assert message in str(info.value) and case in str(info.value)


# --------------------------------------------------------------------------- max_pool2d backward
def pool_back_all_ties(dout, x, k, stride=None):
    s = stride or k
    win = _windows(x, k, s)
    return _scatter(dout, x, k, s, win == win.max(axis=(4, 5), keepdims=True))


def pool_back_last_tie(dout, x, k, stride=None):
    s = stride or k
    win = _windows(x, k, s)
    flat = win.reshape(win.shape[:4] + (-1,))
    last = flat.shape[-1] - 1 - np.argmax(flat[..., ::-1], axis=-1)
    weights = (np.arange(k * k) == last[..., None]).reshape(win.shape)
    return _scatter(dout, x, k, s, weights)


def pool_back_overwrite(dout, x, k, stride=None):
    s = stride or k
    win = _windows(x, k, s)
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for b in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    u, v = divmod(int(np.argmax(win[b, ch, i, j])), k)
                    dx[b, ch, i * s + u, j * s + v] = dout[b, ch, i, j]
    return dx


def pool_back_whole_window(dout, x, k, stride=None):
    s = stride or k
    return _scatter(dout, x, k, s, np.ones(_windows(x, k, s).shape))


def pool_back_average(dout, x, k, stride=None):
    s = stride or k
    return _scatter(dout, x, k, s, np.full(_windows(x, k, s).shape, 1 / k ** 2))


def pool_back_cropped(dout, x, k, stride=None):
    dx = torch_max_pool2d_backward(dout, x, k, stride)
    return dx[:, :, :dout.shape[2] * k, :dout.shape[3] * k]


POOL_BACKWARD_BUGS = [
    (pool_back_all_ties, "case 4 ", "sent the gradient to every maximum"),
    (pool_back_last_tie, "case 4 ", "you picked the last maximum"),
    (pool_back_overwrite, "case 3 ", "add (+=) their gradients instead of overwriting"),
    (pool_back_whole_window, "case 1 ", "the whole window got the gradient"),
    (pool_back_average, "case 1 ", "backward pass of *average* pooling"),
    (pool_back_cropped, "case 5 ", "dx has the shape of x"),
]


def test_check_max_pool2d_backward_passes_pytorch(capsys):
    check_max_pool2d_backward(torch_max_pool2d_backward, name="max_pool2d_backward")
    assert capsys.readouterr().out.startswith("✔ max_pool2d_backward: all 5 cases agree")


@pytest.mark.parametrize("buggy, case, message", POOL_BACKWARD_BUGS,
                         ids=[b[0].__name__ for b in POOL_BACKWARD_BUGS])
def test_check_max_pool2d_backward_names_the_mistake(buggy, case, message):
    with pytest.raises(SelfCheckError) as info:
        check_max_pool2d_backward(buggy)
    assert message in str(info.value) and f"{buggy.__name__}, {case}" in str(info.value)


# --------------------------------------------------------------------------- autograd bridge
class NumpyConv(torch.autograd.Function):
    """A correct bridge written the way the assignment asks, on PyTorch's NumPy oracles."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ctx.save_for_backward(x, weight)
        ctx.args = stride, padding
        out = torch_conv2d(x.detach().numpy(), weight.detach().numpy(), bias.detach().numpy(),
                           stride, padding)
        return torch.from_numpy(out).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        grads = torch_conv2d_backward(grad_out.numpy(), x.detach().numpy(),
                                      weight.detach().numpy(), *ctx.args)
        return (*(torch.from_numpy(g).to(x.dtype) for g in grads), None, None)


class ThreeGradients(NumpyConv):
    @staticmethod
    def backward(ctx, grad_out):
        return NumpyConv.backward(ctx, grad_out)[:3]


class Float64Output(NumpyConv):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        return NumpyConv.forward(ctx, x, weight, bias, stride, padding).double()


class WrongWeightGradient(NumpyConv):
    @staticmethod
    def backward(ctx, grad_out):
        dx, dw, db, _, _ = NumpyConv.backward(ctx, grad_out)
        return dx, 2 * dw, db, None, None


def test_check_conv2d_function_passes_a_correct_bridge(capsys):
    check_conv2d_function(NumpyConv.apply)
    assert capsys.readouterr().out.startswith("✔ NumpyConv: all 3 cases agree")


@pytest.mark.parametrize("apply, message", [
    (ThreeGradients.apply, "backward must return one value per argument of forward after ctx "
                           "(5 here)"),
    (Float64Output.apply, "the output is torch.float64 for torch.float32 input"),
    (WrongWeightGradient.apply, "values of weight.grad differ"),
    (lambda x, w, b, s, p: torch_conv2d(x.detach().numpy(), w.detach().numpy(),
                                        b.detach().numpy(), s, p),
     "must return a torch.Tensor"),
    (lambda x, w, b, s, p: torch.from_numpy(torch_conv2d(
        x.detach().numpy(), w.detach().numpy(), b.detach().numpy(), s, p)),
     "not connected to the autograd graph"),
], ids=["three_gradients", "float64", "wrong_dweight", "numpy_output", "no_grad_fn"])
def test_check_conv2d_function_names_the_mistake(apply, message):
    with pytest.raises(SelfCheckError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_conv2d_function(apply, name="bridge")


def test_check_max_pool2d_function():
    check_max_pool2d_function(lambda x, k, s: F.max_pool2d(x, k, s), name="torch")
    with pytest.raises(SelfCheckError, match="values of the output differ"):
        check_max_pool2d_function(lambda x, k, s: F.avg_pool2d(x, k, s), name="average")


# --------------------------------------------------------------------------- whole models
def lenet(padding=2, softmax=False, outputs=10):
    layers = [nn.Conv2d(1, 6, 5, padding=padding), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
              nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, outputs)]
    return nn.Sequential(*layers, *([nn.Softmax(dim=1)] if softmax else []))


class UnusedLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = lenet()
        self.extra = nn.Linear(10, 10)

    def forward(self, x):
        return self.body(x)


def test_check_model_passes_the_lecture_lenet(capsys):
    check_model(lenet(), params=61_706, name="LeNet")
    assert "61,706 parameters" in capsys.readouterr().out


@pytest.mark.parametrize("model, message", [
    (lenet(padding=0), "`7` expects 400 input features but receives 256"),
    (lenet(softmax=True), "ends with a softmax: return the logits"),
    (lenet(outputs=84), "the output must be (N, num_classes) = (4, 10), got (4, 84)"),
    (UnusedLayer(), "extra.weight, extra.bias get no gradient"),
], ids=["flatten_size", "softmax", "outputs", "unused_layer"])
def test_check_model_names_the_mistake(model, message):
    with pytest.raises(SelfCheckError) as info:
        check_model(model, name="net")
    assert message in str(info.value)


def test_check_model_counts_parameters_and_reports_stubs():
    with pytest.raises(SelfCheckError, match=r"61,706 trainable parameters, the specification "
                                             r"gives 60,000 \(difference \+1,706\)"):
        check_model(lenet(), params=60_000, name="net")

    class Stub(nn.Module):
        def __init__(self):
            super().__init__()
            raise NotImplementedError("build the layers")
    with pytest.raises(SelfCheckError, match=r"Stub is not written yet: .*hint: build the layers"):
        check_model(Stub)


class ForwardStub(nn.Module):
    """Built, but its forward is still the assignment's stub."""

    def __init__(self, *args):
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1)

    def forward(self, x):
        raise NotImplementedError("conv, BN, ReLU, conv, BN, add the shortcut, ReLU")


@pytest.mark.parametrize("check", [check_model, check_basic_block])
def test_a_forward_stub_is_named_with_its_hint(check):
    with pytest.raises(SelfCheckError, match=r"ForwardStub\.forward is not written yet: .*"
                                             r"hint: conv, BN, ReLU"):
        check(ForwardStub)


def make_vgg_layers(cfg, in_channels=1, batch_norm=True, kernel=3, padding=1, bias=None):
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        has_bias = (not batch_norm) if bias is None else bias
        layers.append(nn.Conv2d(in_channels, v, kernel, padding=padding, bias=has_bias))
        layers += [nn.BatchNorm2d(v)] if batch_norm else []
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


def test_check_vgg_layers(capsys):
    check_vgg_layers(make_vgg_layers)
    assert capsys.readouterr().out.startswith("✔ make_vgg_layers")


@pytest.mark.parametrize("builder, message", [
    (lambda cfg, c, bn: make_vgg_layers(cfg, c, bn, padding=0), "padding 1 (it keeps H and W"),
    (lambda cfg, c, bn: make_vgg_layers(cfg, c, False), "with batch_norm=True each convolution"),
    (lambda cfg, c, bn: make_vgg_layers(cfg, c, bn, bias=True), "needs no bias (bias=False)"),
    (lambda cfg, c, bn: make_vgg_layers([v for v in cfg if v != "M"], c, bn),
     "each 'M' is nn.MaxPool2d(kernel_size=2, stride=2)"),
    (lambda cfg, c, bn: make_vgg_layers([8, "M", 16, "M"], c, bn), "expected one Conv2d per int"),
], ids=["no_padding", "no_batch_norm", "bias_before_bn", "no_pools", "missing_conv"])
def test_check_vgg_layers_names_the_mistake(builder, message):
    with pytest.raises(SelfCheckError) as info:
        check_vgg_layers(builder, name="vgg")
    assert message in str(info.value)


def torchvision_block(in_channels, out_channels, stride=1):
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                   nn.BatchNorm2d(out_channels))
    return TorchvisionBasicBlock(in_channels, out_channels, stride, downsample)


class NoSkip(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.inner = torchvision_block(in_channels, out_channels, stride)

    def forward(self, x):
        b = self.inner
        return torch.relu(b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x))))))


class ReluBeforeAdd(NoSkip):
    def forward(self, x):
        b = self.inner
        shortcut = x if b.downsample is None else b.downsample(x)
        return torch.relu(b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x)))))) + shortcut


class AlwaysIdentity(NoSkip):
    def forward(self, x):
        b = self.inner
        return torch.relu(b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x))))) + x)


def test_check_basic_block_passes_torchvision(capsys):
    check_basic_block(torchvision_block, name="BasicBlock")
    assert capsys.readouterr().out.startswith("✔ BasicBlock")


@pytest.mark.parametrize("block, message", [
    (NoSkip, "the skip connection is missing"),
    (ReluBeforeAdd, "apply the ReLU after adding the shortcut"),
], ids=["no_skip", "relu_before_add"])
def test_check_basic_block_names_the_mistake(block, message):
    with pytest.raises(SelfCheckError, match=message):
        check_basic_block(block)


def test_check_basic_block_shortcut_must_change_shape():
    with pytest.raises(RuntimeError) as info:
        check_basic_block(AlwaysIdentity)
    assert any("the shortcut must change shape too" in note for note in info.value.__notes__)


def test_check_basic_block_counts_parameters():
    def with_bias(in_channels, out_channels, stride=1):
        block = torchvision_block(in_channels, out_channels, stride)
        block.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=True)
        return block
    with pytest.raises(SelfCheckError, match="4,688 parameters, expected 4,672"):
        check_basic_block(with_bias)


# --------------------------------------------------------------------------- usual loop bugs
# Written as a student writes them (the loops of the assignment's hints), each with one
# deliberate mistake, and independent of the checker's own candidate computations.
def conv_channel_assigned(x, w, b=None, stride=1, padding=0):
    """The loop over input channels assigns with `=`: only the last channel survives."""
    n_img, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n_img, c_out, ho, wo))
    for n in range(n_img):
        for o in range(c_out):
            for i in range(ho):
                for j in range(wo):
                    for c in range(c_in):
                        window = xp[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw]
                        out[n, o, i, j] = np.sum(window * w[o, c])        # should be +=
            if b is not None:
                out[n, o] += b[o]
    return out


def conv_window_not_strided(x, w, b=None, stride=1, padding=0):
    """H_out uses the stride, but window (i, j) starts at (i, j) instead of (i*s, j*s)."""
    n_img, _, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n_img, c_out, ho, wo))
    for n in range(n_img):
        for o in range(c_out):
            for i in range(ho):
                for j in range(wo):
                    out[n, o, i, j] = np.sum(xp[n, :, i:i + kh, j:j + kw] * w[o])
                    if b is not None:
                        out[n, o, i, j] += b[o]
    return out


def pool_window_not_strided(x, kernel_size, stride=None):
    s = kernel_size if stride is None else stride
    n_img, c, h, w = x.shape
    ho, wo = (h - kernel_size) // s + 1, (w - kernel_size) // s + 1
    out = np.zeros((n_img, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = x[:, :, i:i + kernel_size, j:j + kernel_size].max(axis=(2, 3))
    return out


def pool_backward_taps_assigned(dout, x, kernel_size, stride=None):
    """The hint's loop over the taps, with `dx[...] = ...` instead of `+=`."""
    s = kernel_size if stride is None else stride
    k = kernel_size
    ho, wo = dout.shape[2:]
    taps = [x[:, :, u:u + s * (ho - 1) + 1:s, v:v + s * (wo - 1) + 1:s]
            for u in range(k) for v in range(k)]
    first = np.argmax(np.stack(taps), axis=0)
    dx = np.zeros_like(x)
    for t in range(k * k):
        u, v = divmod(t, k)
        dx[:, :, u:u + s * (ho - 1) + 1:s, v:v + s * (wo - 1) + 1:s] = np.where(
            first == t, dout, 0.0)
    return dx


def test_channel_sum_with_assignment_is_named():
    with pytest.raises(SelfCheckError, match=r"case 2 .*only the last input channel counts.*`\+=`"):
        check_conv2d(conv_channel_assigned)


def test_stride_missing_from_the_window_position_is_named():
    with pytest.raises(SelfCheckError,
                       match=r"case 4 \(stride=2\): the stride is in the output size but not "
                             r"in the window position"):
        check_conv2d(conv_window_not_strided)
    with pytest.raises(SelfCheckError,
                       match=r"case 1 .*the stride is in the output size but not in the window"):
        check_max_pool2d(pool_window_not_strided)


def test_pool_backward_tap_loop_with_assignment_is_named():
    # Case 3 is the first with overlapping windows; non-overlapping ones pass (the taps
    # then write disjoint cells, so `=` does no harm there).
    with pytest.raises(SelfCheckError,
                       match=r"case 3 .*a later tap \(u, v\) overwrites what an earlier one "
                             r"wrote.*`\+=`"):
        check_max_pool2d_backward(pool_backward_taps_assigned)


def complex_conv2d(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, b, stride, padding) + 0j       # right values, complex dtype


def complex_pool_backward(dout, x, kernel_size, stride=None):
    return torch_max_pool2d_backward(dout, x, kernel_size, stride).astype(np.complex128)


def complex_conv2d_backward(dout, x, w, stride=1, padding=0):
    dx, dw, db = torch_conv2d_backward(dout, x, w, stride, padding)
    return dx, dw.astype(complex), db


@pytest.mark.parametrize("check, fn, what", [
    (check_conv2d, complex_conv2d, "the feature map"),
    (check_max_pool2d, lambda x, k, stride=None: torch_max_pool2d(x, k, stride) * (1 + 0j),
     "the pooled feature map"),
    (check_max_pool2d_backward, complex_pool_backward, "dx"),
    (check_conv2d_backward, complex_conv2d_backward, "dweight"),
])
def test_a_complex_result_never_passes(check, fn, what):
    with pytest.raises(SelfCheckError, match=rf"case 1 .*: {what} is complex \(complex128\)"):
        check(fn)


def test_a_complex_tensor_never_passes_the_bridge_check():
    class Complex(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, kernel_size, stride):
            return F.max_pool2d(x, kernel_size, stride).to(torch.complex128)

        @staticmethod
        def backward(ctx, grad):
            return None, None, None

    with pytest.raises(SelfCheckError):
        check_max_pool2d_function(Complex.apply)


# ----------------------------------------------------------------- the library and the assignment
def test_the_librarys_resnet_block_passes_the_assignments_self_check(capsys):
    """cnnlib.models' BasicBlock, given torchvision's shortcut, is what assignment 2 asks for."""
    from cnnlib.models.resnet import BasicBlock

    def library_block(in_channels, out_channels, stride=1):
        shortcut = None
        if stride != 1 or in_channels != out_channels:
            shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                     nn.BatchNorm2d(out_channels))
        return BasicBlock(in_channels, out_channels, stride, downsample=shortcut)

    check_basic_block(library_block, name="cnnlib.models.resnet.BasicBlock")
    assert "✔" in capsys.readouterr().out


def test_the_librarys_vgg_layers_differ_from_the_assignment_only_as_documented(capsys):
    """Without batch norm they pass; with it the library keeps torchvision's biases."""
    from cnnlib.models.vgg import make_layers

    def in_assignment_order(cfg, in_channels, batch_norm):
        return make_layers(cfg, batch_norm=batch_norm, in_channels=in_channels)

    def without_batch_norm(cfg, in_channels, batch_norm):
        return in_assignment_order(cfg, in_channels, False)

    with pytest.raises(SelfCheckError, match="batch_norm=True each convolution is followed"):
        check_vgg_layers(without_batch_norm)   # the check does look at batch_norm=True
    with pytest.raises(SelfCheckError, match=r"needs\s+no bias"):
        check_vgg_layers(in_assignment_order)
    assert "keeps the bias" in make_layers.__doc__


# --------------------------------------------------------------------------- bad inputs
def conv_ragged(x, w, b=None, stride=1, padding=0):
    return [[1.0, 2.0], [3.0]]


def conv_tensor_with_grad(x, w, b=None, stride=1, padding=0):
    return torch.from_numpy(torch_conv2d(x, w, b, stride, padding)).requires_grad_()


def conv_integer_output(x, w, b=None, stride=1, padding=0):
    return torch_conv2d(x, w, b, stride, padding).astype(np.int64)   # np.zeros(..., int)


@pytest.mark.parametrize("buggy, message", [
    (conv_ragged, r"case 1 \(.*\): the feature map is a list whose rows have different lengths "
                  r"\(ragged\), which is no array"),
    (conv_tensor_with_grad, r"the feature map is a torch.Tensor that requires grad; this task "
                            r"is written in NumPy"),
    (conv_integer_output, r"the feature map has the integer dtype int64, so every value was cut "
                          r"to a whole number"),
])
def test_outputs_that_are_no_float_array_are_named(buggy, message):
    with pytest.raises(SelfCheckError, match=message):
        check_conv2d(buggy)


@pytest.mark.parametrize("check", [check_conv2d, check_max_pool2d, check_conv2d_backward,
                                   check_max_pool2d_backward, check_vgg_layers,
                                   check_basic_block])
def test_a_check_given_no_function_says_so(check):
    param = list(__import__("inspect").signature(check).parameters)[0]
    with pytest.raises(TypeError, match=rf"{param} must be your function \(a callable\), got "
                                        rf"list"):
        check([[1.0, 2.0], [3.0]])


class NoParameters(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Flatten(), nn.Linear(784, 10)]          # a plain list: hidden

    def forward(self, x):
        return self.layers[1](self.layers[0](x))


class IntegerOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1)).round().long()


def test_check_model_names_a_model_without_parameters_and_integer_outputs():
    with pytest.raises(SelfCheckError, match="NoParameters has no trainable parameters: .*a "
                                             "plain Python list"):
        check_model(NoParameters())
    with pytest.raises(SelfCheckError, match=r"IntegerOutput: the output has dtype torch.int64; "
                                             r"return the logits as floats"):
        check_model(IntegerOutput())


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(input_size=28), TypeError, r"input_size must be a tuple \(C, H, W\) of 3 ints, got 28"),
    (dict(input_size=(1, 28, 0)), ValueError, r"input_size \(C, H, W\) must be >= 1, got 0"),
    (dict(num_classes=0), ValueError, "num_classes must be >= 1, got 0"),
    (dict(params=1.5), TypeError, "params must be an int, got float 1.5"),
    (dict(name=3), TypeError, "name must be a str or None, got int"),
])
def test_check_model_arguments_are_checked_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        check_model(lenet(), **kwargs)


def test_every_row_of_the_mistake_tables_is_reported_with_its_own_message():
    """A student function that returns a row's wrong result gets that row's message."""
    from types import SimpleNamespace

    from cnnlib.selfcheck.conv_mistakes import CONV2D_MISTAKES, MAX_POOL2D_MISTAKES
    shown = set()
    for mistake in CONV2D_MISTAKES:
        def student(x, w, b=None, stride=1, padding=0, mistake=mistake):
            case = SimpleNamespace(x=x, w=w, b=b, s=stride, p=padding, two_p=2 * padding,
                                   expected=torch_conv2d(x, w, b, stride, padding))
            wrong = mistake.wrong(case)
            return case.expected if wrong is None else wrong
        with pytest.raises(SelfCheckError) as info:
            check_conv2d(student)
        shown.add(next(m.name for m in CONV2D_MISTAKES
                       if re.search(re.sub(r"\\\{\w+\\\}", r"\\d+", re.escape(m.message)),
                                    str(info.value))))
    # Two rows share a message (the last channel with or without its bias).
    assert len(shown) == len(CONV2D_MISTAKES) - 1
    for mistake in MAX_POOL2D_MISTAKES:
        def student(x, k, stride=None, mistake=mistake):
            case = SimpleNamespace(x=x, k=k, s=k if stride is None else stride,
                                   expected=torch_max_pool2d(x, k, stride))
            return mistake.wrong(case)
        with pytest.raises(SelfCheckError, match=mistake.message.split(":")[0]):
            check_max_pool2d(student)
