"""Checks of assignment 2 (LeNet, VGG and ResNet compared), judged by the grader.

The grader sends fresh weights, inputs, configurations and class counts; the kernel
returns outputs, shapes and parameter counts; the grader compares them with cnnlib's
networks (or the rule stated in the assignment) in its own process.  Part 6 (the
open-ended network) is judged from the weights file handed in: :mod:`.open_ended`.
"""
import numpy as np
import torch

from . import Check
from .open_ended import CHECK as OPEN_CHECK

__all__ = ["CHECKS"]


def _state(model, rng):
    return [rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2
            for p in model.parameters()]


def _class_count(rng):
    """2 to 19 classes, never 10: a network that ignores ``num_classes`` always fails."""
    k = int(rng.integers(2, 19))
    return k + (k >= 10)


def _lenet_inputs(rng):
    import cnnlib
    return {"params": _state(cnnlib.models.lenet5(), rng),
            "x": rng.random((int(rng.integers(2, 6)), 1, 28, 28), dtype=np.float32),
            "classes": _class_count(rng)}


LENET_PROBE = """
import torch


def probe(G, inputs):
    net = G["LeNet5Style"]().eval()
    shapes = [list(p.shape) for p in net.parameters()]
    out = None
    if len(shapes) == len(inputs["params"]):
        with torch.no_grad():
            for p, v in zip(net.parameters(), inputs["params"]):
                p.copy_(torch.from_numpy(v))
            out = net(torch.from_numpy(inputs["x"]))
    k = inputs["classes"]
    shape = list(G["LeNet5Style"](num_classes=k)(torch.zeros(2, 1, 28, 28)).shape)
    one = list(G["LeNet5Style"]().eval()(torch.zeros(1, 1, 28, 28)).shape)
    return [shapes, out, shape, one]
"""


def _lenet_verify(inputs, outputs):
    import cnnlib
    shapes, out, shape, one = outputs
    ref = cnnlib.models.lenet5().eval()
    if shapes != [list(p.shape) for p in ref.parameters()]:
        raise AssertionError("LeNet5Style's parameters have other shapes than LeNet-5's")
    with torch.no_grad():
        for p, v in zip(ref.parameters(), inputs["params"]):
            p.copy_(torch.from_numpy(v))
        expected = ref(torch.from_numpy(inputs["x"])).numpy()
    mine = np.asarray(out)
    if mine.shape != expected.shape or not np.allclose(mine, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError("LeNet5Style computes another function than LeNet-5")
    if shape != [2, inputs["classes"]]:
        raise AssertionError("LeNet5Style(num_classes=k) does not give k logits")
    if one != [1, 10]:                       # a batch of one image (x.squeeze() loses it)
        raise AssertionError("LeNet5Style: a batch of one image does not give (1, 10) logits")


# What make_vgg_layers built, as rows of plain data: the same code runs in the kernel
# (on the student's layers) and here (on the reference's).
DESCRIBE = """
def describe(layers):
    rows = []
    for m in layers:
        name = type(m).__name__
        if isinstance(m, torch.nn.Conv2d):
            rows.append([name, m.in_channels, m.out_channels, list(m.kernel_size),
                         list(m.padding), m.bias is not None])
        elif isinstance(m, torch.nn.MaxPool2d):
            rows.append([name, m.kernel_size, m.stride])
        elif isinstance(m, torch.nn.BatchNorm2d):
            rows.append([name, m.num_features])
        else:
            rows.append([name])
    return rows
"""
_namespace = {"torch": torch}
exec(DESCRIBE, _namespace)
_describe = _namespace["describe"]


def _reference_vgg_layers(cfg, in_channels, batch_norm):
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
            continue
        layers.append(torch.nn.Conv2d(in_channels, v, 3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(torch.nn.BatchNorm2d(v))
        layers.append(torch.nn.ReLU(inplace=True))
        in_channels = v
    return torch.nn.Sequential(*layers)


# Every run has these two beside the random ones: in_channels 3 and 2 (an in_channels
# ignored, i.e. always 1, fails), distinct widths after one another (the channel count
# not carried from one conv to the next fails), with and without batch norm (a bias
# before BatchNorm, or a BatchNorm without it being asked, fails).
FIXED_VGG = [([4, "M", 6, 8, "M"], 3, True), ([5, 5, "M", 7], 2, False)]


def _vgg_layers_inputs(rng):
    cases = [{"cfg": cfg, "in": c, "bn": bn} for cfg, c, bn in FIXED_VGG]
    for bn in (True, False):
        cfg = [int(rng.integers(2, 9))]
        for _ in range(int(rng.integers(2, 5))):
            cfg.append("M" if rng.random() < 0.35 and cfg[-1] != "M" else int(rng.integers(2, 9)))
        cases.append({"cfg": cfg, "in": int(rng.integers(1, 4)), "bn": bn})
    return {"cases": cases}


VGG_LAYERS_PROBE = "import torch\n" + DESCRIBE + """

def probe(G, inputs):
    out = []
    for c in inputs["cases"]:
        layers = G["make_vgg_layers"](c["cfg"], in_channels=c["in"], batch_norm=c["bn"])
        shape = list(layers(torch.zeros(1, c["in"], 16, 16)).shape)
        out.append([describe(layers), shape])
    return out
"""


def _vgg_layers_verify(inputs, outputs):
    for c, (rows, shape) in zip(inputs["cases"], outputs):
        ref = _reference_vgg_layers(c["cfg"], c["in"], c["bn"])
        if rows != _describe(ref):
            raise AssertionError(f"make_vgg_layers({c['cfg']}, in_channels={c['in']}, "
                                 f"batch_norm={c['bn']}) builds other layers")
        if shape != list(ref(torch.zeros(1, c["in"], 16, 16)).shape):
            raise AssertionError("make_vgg_layers: wrong output shape")
    if len(outputs) != len(inputs["cases"]):
        raise AssertionError("make_vgg_layers: a result is missing")


VGG_PROBE = """
import torch, cnnlib


def probe(G, inputs):
    def reference(cfg, in_channels=1, batch_norm=True):
        layers = cnnlib.models.vgg.make_layers(cfg, batch_norm=batch_norm, in_channels=in_channels)
        for m in layers:
            if batch_norm and isinstance(m, torch.nn.Conv2d):
                m.register_parameter("bias", None)
        return layers

    yours, G["make_vgg_layers"] = G.get("make_vgg_layers"), reference
    try:
        net = G["VGGStyle"](num_classes=inputs["classes"]).eval()
        params = sum(p.numel() for p in net.parameters())
        bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.features)
        shape = list(net(torch.zeros(2, 1, 28, 28)).shape)
    finally:
        G["make_vgg_layers"] = yours
    return [params, bn, shape]
"""


def _vgg_verify(inputs, outputs):
    k = inputs["classes"]
    if outputs != [147_162 - 129 * 10 + 129 * k, 6, [2, k]]:
        raise AssertionError("VGGStyle: wrong parameter count, batch norms or output shape")


BLOCK_PROBE = """
import torch


def convs(block):
    return sorted([m.in_channels, m.out_channels, list(m.kernel_size), list(m.stride),
                   list(m.padding), m.bias is not None]
                  for m in block.modules() if isinstance(m, torch.nn.Conv2d))


def probe(G, inputs):
    torch.manual_seed(inputs["seed"])
    c, c2 = inputs["c"], inputs["c2"]
    block = G["BasicBlock"](c, c).eval()
    x = torch.from_numpy(inputs["x"])
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.zero_()
        same = block(x)
    down = G["BasicBlock"](c, c2, stride=2)
    odd = torch.from_numpy(inputs["odd"])
    halve = G["BasicBlock"](c, c, stride=2)
    return [same, list(down(x).shape), sum(p.numel() for p in down.parameters()),
            sum(p.numel() for p in G["BasicBlock"](c, c).parameters()),
            list(down(odd).shape), list(halve(odd).shape), convs(down), convs(halve)]
"""


def _block_inputs(rng):
    c, c2 = int(rng.integers(2, 9)), int(rng.integers(9, 17))
    h = int(rng.integers(4, 9)) * 2
    # Always also an odd, non-square input (7 x 9) for the stride-2 blocks: a shortcut
    # that pools (floor) instead of a strided 1x1 convolution (ceil) fails.
    return {"seed": int(rng.integers(1000)), "c": c, "c2": c2,
            "x": rng.standard_normal((2, c, h, h)).astype(np.float32),
            "odd": rng.standard_normal((2, c, 7, 9)).astype(np.float32)}


def _block_convs(c, c2, stride):
    """The convolutions the assignment asks for (sorted as the probe sorts them)."""
    rows = [[c, c2, [3, 3], [stride, stride], [1, 1], False],
            [c2, c2, [3, 3], [1, 1], [1, 1], False]]
    if stride != 1 or c != c2:
        rows.append([c, c2, [1, 1], [stride, stride], [0, 0], False])
    return sorted(rows)


def _block_verify(inputs, outputs):
    same, shape, params, params_same, odd, halve, convs_down, convs_halve = outputs
    c, c2, x = inputs["c"], inputs["c2"], inputs["x"]
    mine = np.asarray(same)
    if mine.shape != x.shape or not np.allclose(mine, np.maximum(x, 0), atol=1e-5):
        raise AssertionError("BasicBlock with zero convolutions is not relu(x)")
    if shape != [2, c2, x.shape[2] // 2, x.shape[3] // 2]:
        raise AssertionError("BasicBlock(stride=2): wrong output shape")
    if odd != [2, c2, 4, 5] or halve != [2, c, 4, 5]:
        raise AssertionError("BasicBlock(stride=2): wrong output shape for a 7x9 input")
    if params != c * c2 * 9 + c2 * c2 * 9 + c * c2 + 6 * c2:
        raise AssertionError("BasicBlock with a projection: wrong number of parameters")
    if params_same != 2 * c * c * 9 + 4 * c:
        raise AssertionError("BasicBlock: wrong number of parameters")
    # (A stride on the second convolution instead of the first gives the same shapes and
    # parameter counts: the convolutions themselves are compared.)
    if convs_down != _block_convs(c, c2, 2) or convs_halve != _block_convs(c, c, 2):
        raise AssertionError("BasicBlock(stride=2): the convolutions (kernel, stride, "
                             "padding, bias) are not the ones asked for")


RESNET_PROBE = """
import torch, cnnlib


def probe(G, inputs):
    def reference(in_channels, out_channels, stride=1):
        shortcut = None
        if (in_channels, stride) != (out_channels, 1):
            shortcut = torch.nn.Sequential(
                torch.nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                torch.nn.BatchNorm2d(out_channels))
        return cnnlib.models.resnet.BasicBlock(in_channels, out_channels, stride, shortcut)

    yours, G["BasicBlock"] = G.get("BasicBlock"), reference
    try:
        net = G["SmallResNet"](num_classes=inputs["classes"]).eval()
        params = sum(p.numel() for p in net.parameters())
        blocks = sum(isinstance(m, cnnlib.models.resnet.BasicBlock) for m in net.modules())
        shape = list(net(torch.zeros(3, 1, 28, 28)).shape)
    finally:
        G["BasicBlock"] = yours
    return [params, blocks, shape]
"""


def _resnet_verify(inputs, outputs):
    k = inputs["classes"]
    if outputs != [77_754 - 65 * 10 + 65 * k, 3, [3, k]]:
        raise AssertionError("SmallResNet: wrong parameter count, blocks or output shape")


def _results_inputs(rng):
    import cnnlib
    n = int(rng.integers(50, 120))
    # Two to four epoch times each (distinct): a train time that is the last epoch's or
    # the mean instead of the sum fails on every run.
    return {"params": [_state(cnnlib.models.lenet5(), rng), _state(cnnlib.models.lenet5(3), rng)],
            "x": rng.random((n, 1, 28, 28), dtype=np.float32),
            "y": rng.integers(0, 3, n).astype(np.int64),
            "times": [[float(t) for t in np.round(0.5 + rng.random(int(rng.integers(2, 5))) * 5, 3)]
                      for _ in range(2)]}


RESULTS_PROBE = """
import torch, cnnlib


def probe(G, inputs):
    models = {"LeNet-5": cnnlib.models.lenet5(), "LeNet-5, 3 classes": cnnlib.models.lenet5(3)}
    with torch.no_grad():
        for model, params in zip(models.values(), inputs["params"]):
            for p, v in zip(model.parameters(), params):
                p.copy_(torch.from_numpy(v))
    histories = {name: cnnlib.train.History(epoch_time=[float(t) for t in times])
                 for name, times in zip(models, inputs["times"])}
    rows = G["compare"](models, histories, (inputs["x"], inputs["y"]))
    return {name: {key: float(rows[name][key]) for key in ("params", "macs", "test_acc",
                                                            "train_time")} for name in models}
"""


def _results_verify(inputs, outputs):
    import cnnlib
    models = {"LeNet-5": cnnlib.models.lenet5(), "LeNet-5, 3 classes": cnnlib.models.lenet5(3)}
    if not isinstance(outputs, dict) or set(outputs) != set(models):
        raise AssertionError("compare: one row per model expected")
    macs = {"LeNet-5": 416_520, "LeNet-5, 3 classes": 416_520 - 84 * 7}
    for (name, model), params, times in zip(models.items(), inputs["params"], inputs["times"]):
        with torch.no_grad():
            for p, v in zip(model.parameters(), params):
                p.copy_(torch.from_numpy(v))
        row = outputs[name]
        acc = cnnlib.train.evaluate(model, (inputs["x"], inputs["y"]), batch_size=500,
                                    device="cpu")["acc"]
        expected = {"params": sum(p.numel() for p in model.parameters()), "macs": macs[name],
                    "test_acc": acc, "train_time": sum(times)}
        for key, value in expected.items():
            if abs(row[key] - value) > 1e-6:
                raise AssertionError(f"compare: wrong {key} for {name}")


ANSWERS_PROBE = """
def probe(G, inputs):
    return [str(G["fewest_macs"]), str(G["most_params"])]
"""


def _answers_verify(inputs, outputs):
    if outputs != ["LeNet-5", "VGG-style"]:
        raise AssertionError("not the networks of the table")


def _classes(rng):
    return {"classes": _class_count(rng)}


CHECKS = [
    Check("test_lenet", LENET_PROBE, _lenet_inputs, _lenet_verify),
    Check("test_vgg_layers", VGG_LAYERS_PROBE, _vgg_layers_inputs, _vgg_layers_verify),
    Check("test_vgg", VGG_PROBE, _classes, _vgg_verify),
    Check("test_basic_block", BLOCK_PROBE, _block_inputs, _block_verify),
    Check("test_resnet", RESNET_PROBE, _classes, _resnet_verify),
    Check("test_results", RESULTS_PROBE, _results_inputs, _results_verify),
    Check("test_answers", ANSWERS_PROBE, lambda rng: {}, _answers_verify),
    OPEN_CHECK,      # Part 6: judged from the weights file handed in, not in the kernel
]
