"""The open-ended part of assignment 2, judged from the weights handed in, outside the sandbox.

The student designs a network from a small vocabulary of layers (a *spec*, plain data),
trains it on their own computer within a budget, and hands in ``open_net.pt`` beside the
notebook: ``{"format": FORMAT, "spec": [...], "state_dict": {name: tensor}}``.  The grader,
in its own process and before or after the notebook runs (the submission folder is not
mounted in the sandbox, so the notebook cannot change the file):

1. reads at most ``MAX_FILE`` bytes with ``torch.load(weights_only=True)`` (no code in the
   file runs) and accepts only that dictionary: a spec of known layers with bounded
   integers, float32 tensors (and the integer batch-norm counters) with finite values;
2. rebuilds the network from the spec with its own builder (:func:`build`) and loads the
   weights strictly: every name and shape must match, nothing missing, nothing extra;
3. counts the parameters from the weights (the tensors that are parameters of the rebuilt
   network) and the multiply-adds per 28x28 image with :func:`cnnlib.models.summary` on
   the rebuilt network: both come from the grader's own code, not from the student's;
4. runs the rebuilt network on test images the assignment's own code never uses
   (:func:`test_images`) and computes the accuracy against labels the kernel never saw.

A network over the parameter or multiply-add budget scores 0 with a note; one within it
gets the points of its accuracy band (:data:`BANDS`).  The training time (:data:`BUDGET`,
``cpu_minutes``) is a rule the grader cannot check: the notebook prints it, and the
lecturer can retrain a suspicious entry.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pathlib

import numpy as np

from . import Check

__all__ = ["BUDGET", "BANDS", "FORMAT", "WEIGHTS_FILE", "TEST_IMAGES_ENV", "MAX_FILE", "LAYERS",
           "OpenNetError", "build", "load_weights", "measure", "test_images", "band_points",
           "Score", "score_folder", "FolderCheck", "CHECK"]

WEIGHTS_FILE = "open_net.pt"
TEST_IMAGES_ENV = "COURSE_OPEN_TEST_IMAGES"
FORMAT = "cnn-course open network 1"
# The budget: parameters (counted from the weights), multiply-adds per 28x28 image (counted
# by cnnlib.models.summary on the grader's rebuild) and minutes of CPU to train (a rule).
BUDGET = {"params": 60_000, "macs": 5_000_000, "cpu_minutes": 5}
# (lowest test accuracy, points), best band first; below the last band: 0 points.
BANDS = ((0.91, 3.0), (0.895, 2.0), (0.88, 1.0))
MAX_FILE = 4 * 2 ** 20            # bytes: 60,000 float32 parameters take 240 kB
MAX_LAYERS = 64
MAX_CHANNELS = 1024
# name -> (number of integer arguments required, optional arguments with their defaults)
LAYERS = {
    "conv": (3, {"stride": 1, "padding": 0, "groups": 1, "bias": 1}),  # c_in, c_out, k
    "bn": (1, {}),                                                     # channels
    "relu": (0, {}),
    "maxpool": (1, {"stride": 0}),                                     # k (stride 0: = k)
    "avgpool": (1, {"stride": 0}),
    "gap": (0, {}),                                                    # global average pool
    "flatten": (0, {}),
    "linear": (2, {"bias": 1}),                                        # in, out
    "dropout": (0, {}),                                                # no-op when judged
    "block": (2, {"stride": 1}),                                       # ResNet BasicBlock
}


class OpenNetError(ValueError):
    """The weights file is refused; the message says why (it goes to the student)."""


# --------------------------------------------------------------------------- the network
def _layer_args(index, item):
    if not isinstance(item, (list, tuple)) or not item or not isinstance(item[0], str):
        raise OpenNetError(f"spec[{index}] must be a list [name, numbers...], got {item!r:.60}")
    name, args = item[0], list(item[1:])
    if name not in LAYERS:
        raise OpenNetError(f"spec[{index}]: unknown layer {name!r:.30}; allowed: "
                           f"{', '.join(LAYERS)}")
    required, optional = LAYERS[name]
    if not required <= len(args) <= required + len(optional):
        raise OpenNetError(f"spec[{index}] ({name}) takes {required} to "
                           f"{required + len(optional)} numbers, got {len(args)}")
    for a in args:
        if type(a) is not int or not 0 <= a <= MAX_CHANNELS:
            raise OpenNetError(f"spec[{index}] ({name}): every number must be an int in "
                               f"0..{MAX_CHANNELS}, got {a!r:.30}")
    values = list(args[:required]) + [
        args[required + i] if required + i < len(args) else default
        for i, default in enumerate(optional.values())]
    return name, values


def build(spec):
    """The network a spec describes, built by the grader (an ``nn.Sequential``).

    Parameters
    ----------
    spec : list of list
        ``[[name, int, ...], ...]`` with names from :data:`LAYERS`; e.g.
        ``[["conv", 1, 16, 3, 1, 1], ["bn", 16], ["relu"], ["maxpool", 2], ["gap"],
        ["flatten"], ["linear", 16, 10]]``.  ``conv``: c_in, c_out, k, stride, padding,
        groups, bias (0/1); ``block``: c_in, c_out, stride (ResNet's basic block with a
        projection shortcut when the shape changes, as in the assignment's Part 3).

    Returns
    -------
    torch.nn.Sequential
        Maps ``(N, 1, 28, 28)`` images to whatever the spec computes.

    Raises
    ------
    OpenNetError
        For anything outside the vocabulary (a ValueError naming the layer and the rule).
    """
    from torch import nn

    from cnnlib.models.resnet import BasicBlock

    def block(c_in, c_out, stride):          # Part 3's block: a projection shortcut when needed
        projection = None
        if (c_in, stride) != (c_out, 1):
            projection = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                       nn.BatchNorm2d(c_out))
        return BasicBlock(c_in, c_out, stride, projection)

    if not isinstance(spec, (list, tuple)) or not 1 <= len(spec) <= MAX_LAYERS:
        raise OpenNetError(f"the spec must be a list of 1 to {MAX_LAYERS} layers")
    layers = []
    for i, item in enumerate(spec):
        name, v = _layer_args(i, item)
        try:
            if name == "conv":
                c_in, c_out, k, stride, padding, groups, bias = v
                if not (1 <= k <= 7 and 1 <= stride <= 4 and padding <= k and groups >= 1
                        and bias in (0, 1)):
                    raise OpenNetError(f"spec[{i}] (conv): kernel 1..7, stride 1..4, padding "
                                       f"at most the kernel, bias 0 or 1")
                layers.append(nn.Conv2d(c_in, c_out, k, stride, padding, groups=groups,
                                        bias=bool(bias)))
            elif name == "bn":
                layers.append(nn.BatchNorm2d(v[0]))
            elif name == "relu":
                layers.append(nn.ReLU())
            elif name in ("maxpool", "avgpool"):
                k, stride = v[0], v[1] or v[0]
                if not (1 <= k <= 7 and 1 <= stride <= 7):
                    raise OpenNetError(f"spec[{i}] ({name}): window and stride 1..7")
                layers.append((nn.MaxPool2d if name == "maxpool" else nn.AvgPool2d)(k, stride))
            elif name == "gap":
                layers.append(nn.AdaptiveAvgPool2d(1))
            elif name == "flatten":
                layers.append(nn.Flatten())
            elif name == "linear":
                if v[2] not in (0, 1):
                    raise OpenNetError(f"spec[{i}] (linear): bias 0 or 1")
                layers.append(nn.Linear(v[0], v[1], bias=bool(v[2])))
            elif name == "dropout":
                layers.append(nn.Dropout())
            elif name == "block":
                if v[2] not in (1, 2):
                    raise OpenNetError(f"spec[{i}] (block): stride 1 or 2")
                layers.append(block(*v))
        except OpenNetError:
            raise
        except (ValueError, RuntimeError) as exc:       # torch: zero channels, groups...
            raise OpenNetError(f"spec[{i}] ({name}): {str(exc).splitlines()[0][:120]}")
    return nn.Sequential(*layers)


def _plain(value, depth=0):
    """True for JSON-like data (the spec): lists, str, int, float, bool."""
    if depth > 4:
        return False
    if isinstance(value, (list, tuple)):
        return all(_plain(v, depth + 1) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def load_weights(path):
    """``(spec, state_dict, sha256)`` from a handed-in weights file, or OpenNetError.

    Loaded with ``torch.load(weights_only=True, map_location="cpu")``: only tensors and
    plain containers are unpickled, no code in the file runs.
    """
    import torch
    path = pathlib.Path(path)
    if path.is_symlink() or not path.is_file():
        raise OpenNetError(f"no {path.name} handed in beside the notebook")
    size = path.stat().st_size
    if size > MAX_FILE:
        raise OpenNetError(f"{path.name} is {size / 2 ** 20:.1f} MB, more than the "
                           f"{MAX_FILE // 2 ** 20} MB a network within the budget needs")
    raw = path.read_bytes()[:MAX_FILE + 1]
    try:
        data = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise OpenNetError(f"{path.name} is not a weights file that loads with "
                           f"torch.load(weights_only=True) ({type(exc).__name__}); save it "
                           f"with save_open_net") from None
    if not isinstance(data, dict) or set(data) != {"format", "spec", "state_dict"}:
        raise OpenNetError(f"{path.name} is not the assignment's format (a dict with "
                           f"'format', 'spec' and 'state_dict'); save it with save_open_net")
    if data["format"] != FORMAT:
        raise OpenNetError(f"{path.name}: unknown format {str(data['format'])[:40]!r}")
    spec, state = data["spec"], data["state_dict"]
    if not isinstance(spec, (list, tuple)) or not _plain(spec):
        raise OpenNetError(f"{path.name}: the spec must be a list of [name, numbers...]")
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and type(t) is torch.Tensor for k, t in state.items()):
        raise OpenNetError(f"{path.name}: the state_dict must map names to tensors")
    for k, t in state.items():
        if t.dtype not in (torch.float32, torch.int64) or t.is_sparse or t.is_quantized:
            raise OpenNetError(f"{path.name}: {k[:60]} has dtype {t.dtype}; float32 expected")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise OpenNetError(f"{path.name}: {k[:60]} holds NaN or infinite values")
    return [list(item) if isinstance(item, (list, tuple)) else item for item in spec], \
        state, hashlib.sha256(raw).hexdigest()


def measure(spec, state):
    """The rebuilt network with the weights loaded, its parameters and multiply-adds.

    Returns
    -------
    net : torch.nn.Sequential
        In eval mode.
    params : int
        Sum of the sizes of the weight tensors that are parameters of the network.
    macs : int
        Multiply-adds per (1, 28, 28) image, by :func:`cnnlib.models.summary`.
    """
    import torch
    from cnnlib.models import summary
    net = build(spec)
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise OpenNetError("the weights do not fit the spec: "
                           + (f"missing {', '.join(missing[:3])}" if missing else "")
                           + ("; " if missing and extra else "")
                           + (f"not in the spec {', '.join(extra[:3])}" if extra else ""))
    for k, t in expected.items():
        if tuple(state[k].shape) != tuple(t.shape) or state[k].dtype != t.dtype:
            raise OpenNetError(f"the weights do not fit the spec: {k} has shape "
                               f"{tuple(state[k].shape)}, the spec's layer "
                               f"{tuple(t.shape)}")
    net.load_state_dict(state, strict=True)
    net.eval()
    params = sum(state[name].numel() for name, _ in net.named_parameters())
    try:
        table = summary(net, (1, 28, 28))
        with torch.no_grad():
            out = net(torch.zeros(2, 1, 28, 28))
    except (RuntimeError, ValueError) as exc:
        raise OpenNetError(f"the network does not run on a 28x28 image: "
                           f"{str(exc).splitlines()[0][:120]}") from None
    if tuple(out.shape) != (2, 10):
        raise OpenNetError(f"the network gives outputs of shape {tuple(out.shape)[1:]} per "
                           f"image; 10 logits expected")
    if table.total_params != params:            # the two counts are one count: a guard
        raise OpenNetError("the parameters could not be counted")
    return net, int(params), int(table.total_macs)


# --------------------------------------------------------------------------- test images
_TEST = {}


def _subset_test_keys():
    """Byte strings of the test images shipped with cnnlib (every student has them)."""
    import gzip
    from cnnlib import data
    raw = data.SUBSETS / "FashionMNIST" / "raw"
    files = sorted(raw.glob("t10k-images-idx3-ubyte*"))
    if not files:
        return set()
    blob = files[0].read_bytes()
    if files[0].suffix == ".gz":
        blob = gzip.decompress(blob)
    n = int.from_bytes(blob[4:8], "big")
    return {blob[16 + 784 * i:16 + 784 * (i + 1)] for i in range(n)}


def _own_images(path):
    """A lecturer's own test images, read from an ``.npz`` file.

    It holds ``x``, (N, 28, 28) or (N, 1, 28, 28), uint8 or float in [0, 1], and ``y``,
    (N,) labels 0..9.
    """
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28) or y.shape != (len(x),) or not len(x):
        raise ValueError(f"{TEST_IMAGES_ENV}: x must be (N, 28, 28) or (N, 1, 28, 28) and y "
                         f"(N,), got {x.shape} and {y.shape}")
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9:
        raise ValueError(f"{TEST_IMAGES_ENV}: y must hold integer labels 0..9")
    x = x.astype(np.float32) / 255 if x.dtype == np.uint8 else x.astype(np.float32)
    return {"x": np.ascontiguousarray(x), "y": y.astype(np.int64),
            "source": f"{len(x):,} test images of the lecturer's own ({pathlib.Path(path).name})"}


def test_images(reserved=1500):
    """The grader's test images for the open-ended part, and where they come from.

    A lecturer's own images, when the environment variable ``COURSE_OPEN_TEST_IMAGES``
    names an ``.npz`` file (``x``, ``y``): the only test set no student can have.
    With the full Fashion-MNIST test set: every image except the first ``reserved``
    (the assignment's Part 4 reports on those) and except the ones shipped in
    ``cnnlib/subsets`` (a student without the full data has them).  With only the
    subsets: the shipped test images, which every student has (the note says so).

    Returns
    -------
    x : ndarray, shape (N, 1, 28, 28), float32 in [0, 1]
    y : ndarray, shape (N,), int64
    source : str
    """
    own = os.environ.get(TEST_IMAGES_ENV)
    if _TEST.get("own") != own:
        _TEST.clear()
    if "x" not in _TEST and own:
        _TEST.update(own=own, **_own_images(own))
    if "x" not in _TEST:
        import cnnlib
        x, y = cnnlib.fashion_mnist_arrays(train=False)
        if len(x) > 5000:
            shipped = _subset_test_keys()
            keys = np.rint(x[:, 0] * 255).astype(np.uint8)
            keep = np.array([i >= reserved and keys[i].tobytes() not in shipped
                             for i in range(len(x))])
            _TEST.update(x=x[keep], y=y[keep], source=(
                f"{int(keep.sum()):,} Fashion-MNIST test images that no code of the "
                f"assignment uses and that are not in the subsets shipped with cnnlib"))
        else:
            _TEST.update(x=x, y=y, source=(
                f"the {len(x):,} test images of the subset shipped with cnnlib (students "
                f"have them: grade with the full data for marks that count)"))
    return _TEST["x"], _TEST["y"], _TEST["source"]


def band_points(accuracy):
    """``(points, band)`` for a test accuracy: the first band of :data:`BANDS` reached."""
    for low, points in BANDS:
        if accuracy >= low:
            return points, f">= {100 * low:g}%"
    return 0.0, f"< {100 * BANDS[-1][0]:g}%"


# --------------------------------------------------------------------------- the verdict
@dataclasses.dataclass
class Score:
    """The open-ended part's outcome for one student (a leaderboard row)."""

    points: float
    message: str                    # the verdict in a sentence (to the student)
    accuracy: float | None = None
    params: int | None = None
    macs: int | None = None
    band: str = ""
    within_budget: bool | None = None
    sha256: str = ""
    test_images: str = ""

    def record(self):
        return {"accuracy": self.accuracy, "params": self.params, "macs": self.macs,
                "band": self.band, "points": self.points, "within_budget": self.within_budget,
                "sha256": self.sha256[:16], "note": self.message, "test_images": self.test_images}


def score_folder(folder):
    """Judge ``<folder>/open_net.pt`` (the submission's folder, never the sandbox's copy)."""
    import torch
    folder = pathlib.Path(folder)
    try:
        spec, state, sha = load_weights(folder / WEIGHTS_FILE)
        net, params, macs = measure(spec, state)
    except OpenNetError as exc:
        return Score(0.0, f"0 points: {exc}")
    over = []
    if params > BUDGET["params"]:
        over.append(f"{params:,} parameters > {BUDGET['params']:,}")
    if macs > BUDGET["macs"]:
        over.append(f"{macs:,} multiply-adds per image > {BUDGET['macs']:,}")
    x, y, source = test_images()
    torch.set_num_threads(1)
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), 1000):
            logits = net(torch.from_numpy(x[start:start + 1000]))
            correct += int((logits.argmax(1).numpy() == y[start:start + 1000]).sum())
    accuracy = correct / len(x)
    if over:
        return Score(0.0, f"0 points: over the budget ({'; '.join(over)}); test accuracy "
                          f"{accuracy:.2%} not counted", accuracy, params, macs,
                     "over budget", False, sha, source)
    points, band = band_points(accuracy)
    message = (f"{points:g} points: test accuracy {accuracy:.2%} (band {band}; "
               f"{params:,} parameters, {macs:,} multiply-adds per image, within the budget)")
    return Score(points, message, accuracy, params, macs, band, True, sha, source)


@dataclasses.dataclass
class FolderCheck(Check):
    """A check judged from the files handed in (never from the kernel).

    ``judge_folder(folder)`` returns a :class:`Score`; the grader calls it with the
    submission's own folder, which the sandbox does not mount.
    """

    judge_folder: object = None


CHECK = FolderCheck("test_open", "def probe(G, inputs):\n    return None\n",
                    lambda rng: {}, lambda inputs, outputs: None, judge_folder=score_folder)
