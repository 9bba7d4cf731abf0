"""The grader's checks of the shipped assignments against planted bugs, in-process.

No kernel and no sandbox: each check's probe runs through the same kernel-side harness
(``course_admin.checks.expression``) in a namespace holding the instructor's solutions,
its reply is decoded as the grader decodes it, and ``verify`` compares it with the
reference (PyTorch, cnnlib).  The right solutions earn every task on every seed; each
planted bug (one line of a solution changed into a plausible mistake) loses its task on
every seed, thanks to the fixed hard cases every run has beside its random draws.
The slow end-to-end version (real notebooks, sandboxed kernels) is
tests/test_assignments.py.
"""
import json

import nbformat
import numpy as np
import pytest
import torch

from course_admin.checks import decode_reply, encode, expression, load_checks
from course_admin.generate import SOURCES

A1, A2 = "01_conv_from_scratch", "02_architectures"
SEEDS = range(4)
CHECKS = {name: load_checks(name) for name in (A1, A2)}


def _cells(name):
    nb = nbformat.read(SOURCES / f"{name}.ipynb", as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"
            and (c.metadata.get("nbgrader", {}).get("solution")
                 or c.metadata.get("nbgrader", {}).get("grade_id") == "setup")]


SOLUTIONS = {name: {c.metadata["nbgrader"]["grade_id"]: c.source for c in _cells(name)}
             for name in (A1, A2)}


def namespace(name, replaced=None):
    """The notebook's globals after its set-up and solution cells (``replaced`` by grade_id)."""
    G = {"__name__": "__main__"}
    for gid, source in SOLUTIONS[name].items():
        if gid == "answers":
            continue
        try:
            exec(compile((replaced or {}).get(gid, source), f"<{gid}>", "exec"), G)
        except NameError:           # `results = compare(models, ...)`: no trained models here
            pass
    G.update(fewest_macs="LeNet-5", most_params="VGG-style")
    return G


def earns(name, task, G, seed):
    """True if ``task`` earns its points for the code in ``G`` (as ``_Runner._judge``)."""
    check = CHECKS[name][task]
    inputs = check.inputs(np.random.default_rng(seed))
    try:
        reply = eval(expression(check.probe, json.dumps(encode(inputs))), G)
        outputs = decode_reply(repr(reply))
        check.verify(inputs, outputs)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("name, task", [(n, t) for n in CHECKS for t in CHECKS[n]])
def test_the_right_solutions_earn_every_task_on_every_seed(name, task):
    G = namespace(name)
    assert all(earns(name, task, G, seed) for seed in SEEDS)


def test_pytorch_gives_a_tied_window_gradient_to_its_first_maximum_in_row_major_order():
    # The rule the pooling checks expect, read from the oracle itself.
    x = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]], requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2).backward(torch.ones(1, 1, 1, 1))
    assert x.grad[0, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]
    y = torch.ones(1, 1, 2, 2, requires_grad=True)
    torch.nn.functional.max_pool2d(y, 2).backward(torch.ones(1, 1, 1, 1))
    assert y.grad[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]


# (assignment, task that must lose its points, solution cell, text in the solution,
#  the plausible mistake written instead, what it is).  Each is caught by a fixed case.
BUGS = [
    # ---- assignment 1, Part 1 (loops)
    (A1, "test_conv2d_naive", "conv2d_naive",
     "(padding, padding), (padding, padding)", "(0, 2 * padding), (0, 2 * padding)",
     "zeros padded on one side only"),
    (A1, "test_conv2d_naive", "conv2d_naive",
     "H_out = (H + 2 * padding - kH) // stride + 1",
     "H_out = -(-(H + 2 * padding - kH) // stride) + 1",
     "H_out rounded up when the stride does not divide"),
    (A1, "test_conv2d_naive", "conv2d_naive", "out[n, o] += bias[o]", "out[n, o] += bias[n]",
     "the bias indexed by image"),
    (A1, "test_conv2d_naive", "conv2d_naive", "np.sum(window * weight[o])",
     "np.sum(window[0] * weight[o, 0])", "only the first input channel summed"),
    # ---- Part 2 (vectorised)
    (A1, "test_conv2d", "conv2d", "sliding_window_view(xp, (kH, kW), axis=(2, 3))",
     "sliding_window_view(xp, (kH, kH), axis=(2, 3))", "kW taken as kH (square kernels only)"),
    (A1, "test_conv2d", "conv2d", "out = out + bias[None, :, None, None]",
     "out = out + bias", "the bias added along the last axis"),
    (A1, "test_conv2d", "conv2d", '"ncijuv,ocuv->noij", windows, weight',
     '"nijuv,ouv->noij", windows[:, 0], weight[:, 0]', "only the first input channel summed"),
    # ---- Part 3 (max pooling)
    (A1, "test_max_pool2d", "max_pool2d", "return np.maximum.reduce(taps)",
     "return np.maximum.reduce([np.zeros_like(taps[0])] + taps)",
     "the maximum started at 0 (wrong for negative windows)"),
    (A1, "test_max_pool2d", "max_pool2d", "stride = kernel_size if stride is None else stride",
     "stride = stride or 1", "the default stride taken as 1 instead of the kernel size"),
    (A1, "test_max_pool2d", "max_pool2d", "    return np.maximum.reduce(taps)",
     "    k = kernel_size\n    return x[:, :, :H_out * k, :W_out * k].reshape("
     "N, C, H_out, k, W_out, k).max(axis=(3, 5))",
     "a reshape into k x k blocks: the stride ignored"),
    # ---- Part 4 (backward passes)
    (A1, "test_conv2d_backward", "conv2d_backward",
     "dx = dxp[:, :, padding:padding + H, padding:padding + W]",
     "dx = dxp[:, :, padding:-padding, padding:-padding]",
     "the padding cropped as [p:-p] (empty for p = 0)"),
    (A1, "test_conv2d_backward", "conv2d_backward",
     'dweight = np.einsum("noij,ncijuv->ocuv", dout, windows, optimize=True)',
     'dweight = np.einsum("oij,cijuv->ocuv", dout[0], windows[0], optimize=True)',
     "dweight from the first image only"),
    (A1, "test_conv2d_backward", "conv2d_backward", "dbias = dout.sum(axis=(0, 2, 3))",
     "dbias = dout[0].sum(axis=(1, 2))", "dbias not summed over the batch"),
    (A1, "test_conv2d_backward", "conv2d_backward",
     "v:v + stride * (W_out - 1) + 1:stride] += dwindows",
     "v:v + stride * (W_out - 1) + 1:stride] = dwindows",
     "dx overwritten where windows overlap"),
    (A1, "test_conv2d_backward", "conv2d_backward",
     "dxp[:, :, u:u + stride * (H_out - 1) + 1:stride,\n"
     "                v:v + stride * (W_out - 1) + 1:stride]",
     "dxp[:, :, u:u + H_out, v:v + W_out]", "the stride left out of dx"),
    (A1, "test_max_pool2d_backward", "max_pool2d_backward",
     "dx[sl] += np.where(first_max == t, dout, 0)",
     "dx[sl] += np.where(np.stack([x[s] for s in slices]).max(axis=0) == x[sl], dout, 0)",
     "the gradient given to every tied maximum"),
    (A1, "test_max_pool2d_backward", "max_pool2d_backward",
     "first_max = np.argmax(np.stack([x[sl] for sl in slices]), axis=0)",
     "first_max = len(slices) - 1 - np.argmax(np.stack([x[sl] for sl in slices])[::-1], axis=0)",
     "the gradient given to the last tied maximum"),
    (A1, "test_max_pool2d_backward", "max_pool2d_backward",
     "for u in range(k) for v in range(k)]", "for v in range(k) for u in range(k)]",
     "the first tied maximum in column-major order"),
    (A1, "test_max_pool2d_backward", "max_pool2d_backward",
     "dx[sl] += np.where(first_max == t, dout, 0)", "dx[sl] = np.where(first_max == t, dout, 0)",
     "dx overwritten where windows overlap"),
    (A1, "test_max_pool2d_backward", "max_pool2d_backward",
     "stride = kernel_size if stride is None else stride", "stride = stride or 1",
     "the default stride taken as 1"),
    # ---- Part 5 (autograd Functions; cnnlib's NumPy layers inside)
    (A1, "test_functions", "conv2d_function",
     "bias.detach().numpy(),\n                     stride, padding)",
     "bias.detach().numpy())", "the forward's stride and padding not passed on"),
    (A1, "test_functions", "conv2d_function",
     "weight.detach().numpy(), ctx.stride, ctx.padding)", "weight.detach().numpy())",
     "the backward's stride and padding not passed on"),
    (A1, "test_functions", "conv2d_function", "return _to_tensor(out, x)",
     "return torch.from_numpy(out).double()", "float64 out for float32 in"),
    # ---- assignment 2
    (A2, "test_lenet", "lenet", "nn.Linear(84, num_classes)", "nn.Linear(84, 10)",
     "num_classes ignored (10 hard-coded)"),
    (A2, "test_lenet", "lenet", "return self.classifier(self.features(x))",
     "return self.classifier(self.features(x)).squeeze()",
     "the batch axis squeezed away for one image"),
    (A2, "test_vgg_layers", "make_vgg_layers", "        in_channels = v\n", "",
     "the channel count not carried from one conv to the next"),
    (A2, "test_vgg_layers", "make_vgg_layers", "nn.Conv2d(in_channels, v, 3",
     "nn.Conv2d(1 if len(layers) == 0 else in_channels, v, 3", "in_channels ignored"),
    (A2, "test_vgg", "vgg", "nn.Linear(128, num_classes)", "nn.Linear(128, 10)",
     "num_classes ignored (10 hard-coded)"),
    (A2, "test_basic_block", "basic_block",
     "nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)\n"
     "        self.bn1 = nn.BatchNorm2d(out_channels)\n"
     "        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)",
     "nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)\n"
     "        self.bn1 = nn.BatchNorm2d(out_channels)\n"
     "        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride, padding=1, "
     "bias=False)",
     "the stride on the second convolution instead of the first"),
    (A2, "test_basic_block", "basic_block", "if stride != 1 or in_channels != out_channels:",
     "if in_channels != out_channels:", "no projection when only the stride changes"),
    (A2, "test_basic_block", "basic_block",
     "nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),",
     "nn.AvgPool2d(stride), nn.Conv2d(in_channels, out_channels, 1, bias=False),",
     "a shortcut that pools (floor) instead of a strided 1x1 convolution"),
    (A2, "test_resnet", "resnet", "nn.Linear(64, num_classes)", "nn.Linear(64, 10)",
     "num_classes ignored (10 hard-coded)"),
    (A2, "test_results", "results", '"train_time": sum(histories[name].epoch_time)',
     '"train_time": histories[name].epoch_time[-1]', "the last epoch's time, not the sum"),
    (A2, "test_results", "results", '"train_time": sum(histories[name].epoch_time)',
     '"train_time": float(np.mean(histories[name].epoch_time))', "the mean epoch time"),
]


def buggy(name, cell, old, new):
    source = SOLUTIONS[name][cell]
    assert source.count(old) == 1, f"{cell}: {old!r} is not once in the solution"
    return namespace(name, {cell: source.replace(old, new)})


@pytest.mark.parametrize("name, task, cell, old, new, what", BUGS,
                         ids=[f"{b[1]}: {b[-1]}" for b in BUGS])
def test_each_planted_bug_loses_its_task_on_every_seed(name, task, cell, old, new, what):
    G = buggy(name, cell, old, new)
    assert not any(earns(name, task, G, seed) for seed in SEEDS), what


@pytest.mark.parametrize("value", [np.float64(0.25), np.int64(3), np.float32(1.5),
                                   np.zeros((2, 3)), np.arange(4, dtype=np.int32)],
                         ids=["float64", "int64", "float32", "2x3", "1-d"])
@pytest.mark.parametrize("probe", ["def probe(G, x):\n    return x",            # sent in
                                   "def probe(G, x):\n    return G['f']()"],   # sent back
                         ids=["input", "output"])
def test_a_numpy_scalar_or_array_keeps_its_shape_both_ways(value, probe):
    # A student's function returning np.sqrt(2 / fan_in) (a NumPy scalar) must reach the
    # verdict as a number, not as a 1-element array a check would call a wrong shape.
    expected = np.asarray(value)
    G = {"__name__": "__main__", "f": lambda: value}
    sent = decode_reply(repr(eval(expression(probe, json.dumps(encode(value))), G)))
    assert np.shape(sent) == expected.shape and sent.dtype == expected.dtype
    assert np.array_equal(sent, expected)
