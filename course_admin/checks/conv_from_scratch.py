"""Checks of assignment 1 (convolution and pooling from scratch), judged by the grader.

Every check draws its shapes, strides, paddings and values fresh for each grading
run and compares the student's outputs with PyTorch's in the grader's own process.
Parts 1-4 must be written in NumPy (``numpy_only``).
"""
import numpy as np
import torch
import torch.nn.functional as F

from . import Check

__all__ = ["CHECKS"]
RTOL, ATOL = 1e-6, 1e-8


def _close(mine, expected, what):
    mine = np.asarray(mine) if not isinstance(mine, np.ndarray) else mine
    if mine.shape != expected.shape:
        raise AssertionError(f"{what}: shape {mine.shape}, expected {expected.shape}")
    if mine.dtype.kind not in "biuf" or not np.allclose(mine, expected, rtol=RTOL, atol=ATOL):
        bad = np.abs(np.asarray(mine, float) - expected)
        raise AssertionError(f"{what}: wrong values (largest difference {bad.max():.2e})")


def _conv_cases(rng, n=3):
    cases = []
    while len(cases) < n:
        N, C, C_out = (int(v) for v in rng.integers(1, 4, 3))
        kH, kW = (int(v) for v in rng.integers(1, 6, 2))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        H, W = (int(v) for v in rng.integers(max(kH, kW), 12, 2))
        if H + 2 * p < kH or W + 2 * p < kW:
            continue
        cases.append({"x": rng.standard_normal((N, C, H, W)),
                      "w": rng.standard_normal((C_out, C, kH, kW)),
                      "b": rng.standard_normal(C_out), "s": s, "p": p})
    return cases


# Shapes every run has beside the random draws (the values are still fresh), each for
# the plausible mistakes a random draw can miss; tests/test_grading_checks.py plants them.
FIXED_CONV = [
    # H != W, kH != kW, padding 1 and a stride that does not divide (the last row is
    # dropped): kH and kW swapped, padding on one side only, H_out rounded up.
    ((2, 3, 8, 7), (4, 3, 3, 2), 2, 1),
    # Batch 3, two distinct input channels, C_out = W_out = 3, no padding, overlapping
    # windows: only the first channel summed, the bias added along the last axis
    # (out + bias) or by image (bias[n]), the padding cropped as [p:-p] (empty for p=0).
    ((3, 2, 5, 5), (3, 2, 3, 3), 1, 0),
    # A kernel taller than the input (5 rows on 4) that fits only thanks to padding 2,
    # kW = 3 on W = 6: the padding left out of H_out, windows bounded by the unpadded size.
    ((1, 2, 4, 6), (2, 2, 5, 3), 1, 2),
]


def _fixed_conv_cases(rng):
    return [{"x": rng.standard_normal(xs), "w": rng.standard_normal(ws),
             "b": rng.standard_normal(ws[0]), "s": s, "p": p} for xs, ws, s, p in FIXED_CONV]


def _conv_inputs(rng):
    return {"cases": _fixed_conv_cases(rng) + _conv_cases(rng)}


def _conv_ref(case):
    t = {k: torch.from_numpy(case[k]) for k in ("x", "w", "b")}
    return F.conv2d(t["x"], t["w"], t["b"], stride=case["s"], padding=case["p"]).numpy()


def _conv_probe(name):
    return f"""
def probe(G, inputs):
    f = G["{name}"]
    out = []
    for c in inputs["cases"]:
        out.append([f(c["x"], c["w"], c["b"], c["s"], c["p"]),
                    f(c["x"], c["w"], None, c["s"], c["p"])])
    out.append(f(inputs["cases"][0]["x"].astype("float32"),
                 inputs["cases"][0]["w"].astype("float32"),
                 inputs["cases"][0]["b"].astype("float32")))
    return out
"""


def _conv_verify(name, float32):
    def verify(inputs, outputs):
        cases = inputs["cases"]
        for i, (case, pair) in enumerate(zip(cases, outputs)):
            expected = _conv_ref(case)
            _close(pair[0], expected, f"{name}, case {i + 1} with a bias")
            _close(pair[1], expected - case["b"][:, None, None], f"{name}, case {i + 1} without")
        if len(outputs) != len(cases) + 1:
            raise AssertionError(f"{name}: {len(outputs)} results for {len(cases) + 1} calls")
        if float32 and np.asarray(outputs[-1]).dtype != np.float32:
            raise AssertionError(f"{name}: float32 in, {np.asarray(outputs[-1]).dtype} out")
    return verify


def _pool_case(x, k, s, rng):
    out = F.max_pool2d(torch.from_numpy(x), k, s if s is not None else k)
    return {"x": x, "k": k, "s": s, "dout": rng.standard_normal(tuple(out.shape))}


def _fixed_pool_cases(rng):
    """Cases every run has (fresh values), each for mistakes random draws can miss."""
    cases = []
    # All values negative, batch 2 and 3 distinct channels, kernel 2 with the default
    # stride on 7x5 (the last row and column are dropped): a maximum started at 0, the
    # output size rounded up, a reshape that needs H and W divisible by k, the maximum
    # taken across channels.
    cases.append(_pool_case(-1.0 - np.abs(rng.standard_normal((2, 3, 7, 5))), 2, None, rng))
    # Overlapping windows (kernel 3, stride 2) on 8x9: pooling that only works for
    # stride == kernel (a reshape), a stride ignored.
    cases.append(_pool_case(rng.standard_normal((1, 2, 8, 9)), 3, 2, rng))
    # Ties (values 0 and 1), kernel 2, default stride, 7x5: the first window is
    # [[0, 1], [1, 0]] and the second all ones.  PyTorch gives the gradient to the first
    # maximum in row-major order only: not to every maximum, not to the last one, not to
    # the first in column-major order.
    x = rng.integers(0, 2, (2, 3, 7, 5)).astype(float)
    x[:, :, 0:2, 0:2] = [[0.0, 1.0], [1.0, 0.0]]
    x[:, :, 2:4, 0:2] = 1.0
    cases.append(_pool_case(x, 2, None, rng))
    # Overlapping windows (kernel 3, stride 1) sharing one maximum: the gradients of all
    # nine windows must add up at that pixel (a backward pass that overwrites fails).
    x = rng.standard_normal((1, 2, 6, 6))
    x[..., 2, 3] = 10.0
    cases.append(_pool_case(x, 3, 1, rng))
    return cases


def _pool_inputs(rng, ties=False):
    cases = _fixed_pool_cases(rng)
    for i in range(3):
        k = int(rng.integers(1, 5))
        s = None if i == 1 else int(rng.integers(1, 4))
        H, W = (int(v) for v in rng.integers(k, 11, 2))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), H, W)
        x = (rng.integers(0, 3, shape).astype(float) if ties and i else rng.standard_normal(shape))
        cases.append(_pool_case(x, k, s, rng))
    return {"cases": cases}


POOL_PROBE = """
def probe(G, inputs):
    return [G["max_pool2d"](c["x"], c["k"], c["s"]) for c in inputs["cases"]]
"""


def _pool_verify(inputs, outputs):
    for i, (case, mine) in enumerate(zip(inputs["cases"], outputs)):
        s = case["s"] if case["s"] is not None else case["k"]
        _close(mine, F.max_pool2d(torch.from_numpy(case["x"]), case["k"], s).numpy(),
               f"max_pool2d, case {i + 1}")
    if len(outputs) != len(inputs["cases"]):
        raise AssertionError("max_pool2d: a result is missing")


def _conv_backward_inputs(rng):
    # The fixed shapes also catch, in the backward pass: dweight or dbias not summed over
    # the batch, dx overwritten where windows overlap, a stride > 1 not spread out in dx.
    cases = _fixed_conv_cases(rng) + _conv_cases(rng)
    for c in cases:
        c["dout"] = rng.standard_normal(_conv_ref(c).shape)
    return {"cases": cases}


CONV_BACKWARD_PROBE = """
def probe(G, inputs):
    return [list(G["conv2d_backward"](c["dout"], c["x"], c["w"], c["s"], c["p"]))
            for c in inputs["cases"]]
"""


def _conv_backward_verify(inputs, outputs):
    for i, (c, mine) in enumerate(zip(inputs["cases"], outputs)):
        x, w, b = (torch.tensor(c[k], requires_grad=True) for k in ("x", "w", "b"))
        F.conv2d(x, w, b, stride=c["s"], padding=c["p"]).backward(torch.from_numpy(c["dout"]))
        if not isinstance(mine, list) or len(mine) != 3:
            raise AssertionError("conv2d_backward must return dx, dweight, dbias")
        for name, g, t in zip(("dx", "dweight", "dbias"), mine, (x, w, b)):
            _close(g, t.grad.numpy(), f"conv2d_backward, case {i + 1}, {name}")
    if len(outputs) != len(inputs["cases"]):
        raise AssertionError("conv2d_backward: a result is missing")


POOL_BACKWARD_PROBE = """
def probe(G, inputs):
    return [G["max_pool2d_backward"](c["dout"], c["x"], c["k"], c["s"]) for c in inputs["cases"]]
"""


def _pool_backward_verify(inputs, outputs):
    for i, (c, mine) in enumerate(zip(inputs["cases"], outputs)):
        x = torch.tensor(c["x"], requires_grad=True)
        s = c["s"] if c["s"] is not None else c["k"]
        F.max_pool2d(x, c["k"], s).backward(torch.from_numpy(c["dout"]))
        _close(mine, x.grad.numpy(), f"max_pool2d_backward, case {i + 1}")
    if len(outputs) != len(inputs["cases"]):
        raise AssertionError("max_pool2d_backward: a result is missing")


def _functions_inputs(rng):
    (case,) = _conv_cases(rng, 1)
    # Beside the random case, a fixed one with stride 2 and padding 1 (H != W, kH != kW):
    # a Function that does not keep or pass on its stride or padding.
    fixed = _fixed_conv_cases(rng)[0]
    for c in (case, fixed):
        c["dout"] = rng.standard_normal(_conv_ref(c).shape)
    k = int(rng.integers(2, 4))
    x = rng.standard_normal((2, 2, int(rng.integers(k, 9)), int(rng.integers(k, 9))))
    dpool = rng.standard_normal(tuple(F.max_pool2d(torch.from_numpy(x), k, 1).shape))
    return {"convs": [case, fixed], "pool": {"x": x, "k": k, "s": 1, "dout": dpool}}


# Parts 2-4 are cnnlib's during this check (as in the notebook's test), so that a
# mistake there is not counted twice.
FUNCTIONS_PROBE = """
import torch, cnnlib.conv, cnnlib.pool


def probe(G, inputs):
    names = ("conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward")
    yours = {n: G.get(n) for n in names}
    G.update(conv2d=cnnlib.conv.conv2d, conv2d_backward=cnnlib.conv.conv2d_backward,
             max_pool2d=cnnlib.pool.max_pool2d, max_pool2d_backward=cnnlib.pool.max_pool2d_backward)
    try:
        results = []
        for c in inputs["convs"]:
            x, w, b = (torch.tensor(c[k], requires_grad=True) for k in ("x", "w", "b"))
            out = G["MyConv2dFunction"].apply(x, w, b, c["s"], c["p"])
            out.backward(torch.from_numpy(c["dout"]))
            results += [out, x.grad, w.grad, b.grad]
        p = inputs["pool"]
        xp = torch.tensor(p["x"], requires_grad=True)
        pooled = G["MyMaxPool2dFunction"].apply(xp, p["k"], p["s"])
        pooled.backward(torch.from_numpy(p["dout"]))
        f32 = G["MyMaxPool2dFunction"].apply(xp.detach().float(), p["k"], p["s"])
        c = inputs["convs"][0]
        c32 = G["MyConv2dFunction"].apply(
            *(torch.from_numpy(c[k]).float() for k in ("x", "w", "b")), c["s"], c["p"])
        return results + [pooled, xp.grad, str(f32.dtype), str(c32.dtype)]
    finally:
        G.update(yours)
"""


def _functions_verify(inputs, outputs):
    convs = inputs["convs"]
    if not isinstance(outputs, list) or len(outputs) != 4 * len(convs) + 4:
        raise AssertionError("the functions did not return their results")
    for i, c in enumerate(convs):
        x, w, b = (torch.tensor(c[k], requires_grad=True) for k in ("x", "w", "b"))
        out = F.conv2d(x, w, b, stride=c["s"], padding=c["p"])
        out.backward(torch.from_numpy(c["dout"]))
        for name, mine, ref in zip(("MyConv2dFunction forward", "its dx", "its dweight",
                                    "its dbias"), outputs[4 * i:4 * i + 4],
                                   (out, x.grad, w.grad, b.grad)):
            _close(mine, ref.detach().numpy(), f"{name}, case {i + 1}")
    pooled_mine, dx_mine, f32, c32 = outputs[4 * len(convs):]
    p = inputs["pool"]
    xp = torch.tensor(p["x"], requires_grad=True)
    pooled = F.max_pool2d(xp, p["k"], p["s"])
    pooled.backward(torch.from_numpy(p["dout"]))
    _close(pooled_mine, pooled.detach().numpy(), "MyMaxPool2dFunction forward")
    _close(dx_mine, xp.grad.numpy(), "MyMaxPool2dFunction's dx")
    if f32 != "torch.float32":
        raise AssertionError("MyMaxPool2dFunction: float32 in, not float32 out")
    if c32 != "torch.float32":
        raise AssertionError("MyConv2dFunction: float32 in, not float32 out")


# The network's leaves as rows of plain data: the same code runs in the kernel (on the
# student's network) and here (on cnnlib's LeNet-5).
LAYOUT = """
def layout(model):
    rows = []
    for name, m in model.named_modules():
        if list(m.children()) or isinstance(m, torch.nn.Flatten):
            continue
        kind = ("conv" if isinstance(m, torch.nn.Conv2d) else "pool"
                if isinstance(m, torch.nn.MaxPool2d) else type(m).__name__)
        rows.append([name, kind, [str(getattr(m, a, "")) for a in (
            "in_channels", "out_channels", "kernel_size", "stride", "padding", "in_features",
            "out_features")]])
    return rows
"""
_namespace = {"torch": torch}
exec(LAYOUT, _namespace)
_lenet_layout = _namespace["layout"]


def _lenet_inputs(rng):
    import cnnlib
    ref = cnnlib.models.lenet5()
    state = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.2
             for k, v in ref.state_dict().items()}
    return {"state": state, "x": rng.random((int(rng.integers(2, 6)), 1, 28, 28),
                                            dtype=np.float32)}


# The forward pass with cnnlib's NumPy layers inside MyConv2d and MyMaxPool2d (a mistake
# in Parts 2-5 is not counted again here): the network's layers and their order.
LENET_PROBE = """
import torch, cnnlib.conv, cnnlib.pool
""" + LAYOUT + """

def probe(G, inputs):
    net = G["my_lenet5"]()
    types = [type(m) for m in net.modules()]
    my_conv, my_pool = G["MyConv2d"], G["MyMaxPool2d"]
    counts = [types.count(my_conv), types.count(my_pool), torch.nn.Conv2d in types,
              torch.nn.MaxPool2d in types]
    rows = layout(net)
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    names = ("conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward")
    yours = {n: G.get(n) for n in names}
    G.update(conv2d=cnnlib.conv.conv2d, conv2d_backward=cnnlib.conv.conv2d_backward,
             max_pool2d=cnnlib.pool.max_pool2d, max_pool2d_backward=cnnlib.pool.max_pool2d_backward)
    try:
        net.load_state_dict({k: torch.from_numpy(v) for k, v in inputs["state"].items()})
        with torch.no_grad():
            out = net.eval()(torch.from_numpy(inputs["x"]))
    finally:
        G.update(yours)
    return [counts, rows, shapes, out]
"""


def _lenet_verify(inputs, outputs):
    import cnnlib
    if not isinstance(outputs, list) or len(outputs) != 4:
        raise AssertionError("my_lenet5 could not be built and run")
    counts, rows, shapes, out = outputs
    if counts != [2, 2, False, False]:
        raise AssertionError("my_lenet5 must have two MyConv2d, two MyMaxPool2d and no "
                             "nn.Conv2d or nn.MaxPool2d")
    ref = cnnlib.models.lenet5()
    if rows != _lenet_layout(ref):
        raise AssertionError("my_lenet5's layers differ from LeNet-5's table")
    if shapes != {k: list(v.shape) for k, v in ref.state_dict().items()}:
        raise AssertionError("my_lenet5's parameters have other names or shapes")
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in inputs["state"].items()})
    with torch.no_grad():
        expected = ref.eval()(torch.from_numpy(inputs["x"])).numpy()
    mine = np.asarray(out)
    if mine.shape != expected.shape or not np.allclose(mine, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError("my_lenet5 computes another function than LeNet-5")


CHECKS = [
    Check("test_conv2d_naive", _conv_probe("conv2d_naive"), _conv_inputs,
          _conv_verify("conv2d_naive", False), ("conv2d_naive",)),
    Check("test_conv2d", _conv_probe("conv2d"), _conv_inputs, _conv_verify("conv2d", True),
          ("conv2d",)),
    Check("test_max_pool2d", POOL_PROBE, _pool_inputs, _pool_verify, ("max_pool2d",)),
    Check("test_conv2d_backward", CONV_BACKWARD_PROBE, _conv_backward_inputs,
          _conv_backward_verify, ("conv2d_backward",)),
    Check("test_max_pool2d_backward", POOL_BACKWARD_PROBE,
          lambda rng: _pool_inputs(rng, ties=True), _pool_backward_verify,
          ("max_pool2d_backward",)),
    Check("test_functions", FUNCTIONS_PROBE, _functions_inputs, _functions_verify),
    Check("test_lenet", LENET_PROBE, _lenet_inputs, _lenet_verify),
]
