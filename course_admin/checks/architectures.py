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


def _lenet_inputs(rng):
    import cnnlib
    return {"params": _state(cnnlib.models.lenet5(), rng),
            "x": rng.random((int(rng.integers(2, 6)), 1, 28, 28), dtype=np.float32),
            "classes": int(rng.integers(2, 20))}


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
    return [shapes, out, shape]
"""


def _lenet_verify(inputs, outputs):
    import cnnlib
    shapes, out, shape = outputs
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


def _describe(layers):
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


def _vgg_layers_inputs(rng):
    cases = []
    for bn in (True, False):
        cfg = [int(rng.integers(2, 9))]
        for _ in range(int(rng.integers(2, 5))):
            cfg.append("M" if rng.random() < 0.35 and cfg[-1] != "M" else int(rng.integers(2, 9)))
        cases.append({"cfg": cfg, "in": int(rng.integers(1, 4)), "bn": bn})
    return {"cases": cases}


VGG_LAYERS_PROBE = """
import torch


def probe(G, inputs):
    out = []
    for c in inputs["cases"]:
        layers = G["make_vgg_layers"](c["cfg"], in_channels=c["in"], batch_norm=c["bn"])
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
        shape = list(layers(torch.zeros(1, c["in"], 16, 16)).shape)
        out.append([rows, shape])
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
    return [same, list(down(x).shape), sum(p.numel() for p in down.parameters()),
            sum(p.numel() for p in G["BasicBlock"](c, c).parameters())]
"""


def _block_inputs(rng):
    c, c2 = int(rng.integers(2, 9)), int(rng.integers(9, 17))
    h = int(rng.integers(4, 9)) * 2
    return {"seed": int(rng.integers(1000)), "c": c, "c2": c2,
            "x": rng.standard_normal((2, c, h, h)).astype(np.float32)}


def _block_verify(inputs, outputs):
    same, shape, params, params_same = outputs
    c, c2, x = inputs["c"], inputs["c2"], inputs["x"]
    mine = np.asarray(same)
    if mine.shape != x.shape or not np.allclose(mine, np.maximum(x, 0), atol=1e-5):
        raise AssertionError("BasicBlock with zero convolutions is not relu(x)")
    if shape != [2, c2, x.shape[2] // 2, x.shape[3] // 2]:
        raise AssertionError("BasicBlock(stride=2): wrong output shape")
    if params != c * c2 * 9 + c2 * c2 * 9 + c * c2 + 6 * c2:
        raise AssertionError("BasicBlock with a projection: wrong number of parameters")
    if params_same != 2 * c * c * 9 + 4 * c:
        raise AssertionError("BasicBlock: wrong number of parameters")


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
    return {"params": [_state(cnnlib.models.lenet5(), rng), _state(cnnlib.models.lenet5(3), rng)],
            "x": rng.random((n, 1, 28, 28), dtype=np.float32),
            "y": rng.integers(0, 3, n).astype(np.int64),
            "times": [[float(t) for t in np.round(rng.random(int(rng.integers(1, 4))) * 5, 3)],
                      [float(t) for t in np.round(rng.random(int(rng.integers(1, 4))) * 5, 3)]]}


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
    return {"classes": int(rng.integers(2, 20))}


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
