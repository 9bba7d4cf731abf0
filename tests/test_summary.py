"""cnnlib.models.summary and receptive_field against hand counts, a source deck's VGG-16
table, torchvision's published operation counts and autograd."""
import pytest
import torch
import torchvision
from hypothesis import given, strategies as st
from torch import nn

from cnnlib import models
from cnnlib.models import receptive_field, summary


def on_meta(factory, **kwargs):
    with torch.device("meta"):
        return factory(**kwargs)


# --------------------------------------------------------------------------- LeNet by hand
def test_lenet5_summary_by_hand():
    s = summary(models.lenet5(), (1, 28, 28))
    rows = {r["name"]: r for r in s.rows}
    # Output shapes: 28 + 2*2 - 5 + 1 = 28, pooled 14; 14 - 5 + 1 = 10, pooled 5.
    assert rows["features.0"]["output_shape"] == (6, 28, 28)
    assert rows["features.2"]["output_shape"] == (6, 14, 14)
    assert rows["features.3"]["output_shape"] == (16, 10, 10)
    assert rows["features.5"]["output_shape"] == (16, 5, 5)
    # MACs: one per weight per output element (biases are additions, not counted).
    hand = {"features.0": 6 * 28 * 28 * 25, "features.3": 16 * 10 * 10 * 6 * 25,
            "classifier.0": 400 * 120, "classifier.2": 120 * 84, "classifier.4": 84 * 10}
    for name, macs in hand.items():
        assert rows[name]["macs"] == macs
    assert s.total_macs == sum(hand.values()) == 416_520
    assert [rows[n]["params"] for n in hand] == [156, 2416, 48_120, 10_164, 850]
    assert s.total_params == s.trainable_params == 61_706
    # Activations: the input, and every layer output (the ReLUs here are not in place).
    outputs = [784, 6 * 28 * 28, 6 * 28 * 28, 6 * 14 * 14, 16 * 100, 16 * 100, 400,
               120, 120, 84, 84, 10]
    assert [r["activations"] for r in s.rows] == outputs
    assert s.total_activations == sum(outputs)
    assert s.activation_bytes == 4 * sum(outputs)
    assert "features.3" in str(s) and "61,706" in str(s)


def test_lenet5_classic_summary_counts_only_c3_connections():
    s = summary(models.lenet5_classic(), (1, 32, 32))
    rows = {r["name"]: r for r in s.rows}
    assert rows["c3"]["macs"] == 10 * 10 * 60 * 25    # 60 connections of Table I
    assert s.trainable_params == 60_000


# --------------------------------------------------------------------------- VGG-16 lecture table
# A source deck's table (CS231n): output size and weights per layer (the slide omits biases).
VGG16_SLIDE = [
    ("conv", (64, 224, 224), 3 * 3 * 3 * 64), ("conv", (64, 224, 224), 3 * 3 * 64 * 64),
    ("pool", (64, 112, 112), 0),
    ("conv", (128, 112, 112), 3 * 3 * 64 * 128), ("conv", (128, 112, 112), 3 * 3 * 128 * 128),
    ("pool", (128, 56, 56), 0),
    ("conv", (256, 56, 56), 3 * 3 * 128 * 256), ("conv", (256, 56, 56), 3 * 3 * 256 * 256),
    ("conv", (256, 56, 56), 3 * 3 * 256 * 256), ("pool", (256, 28, 28), 0),
    ("conv", (512, 28, 28), 3 * 3 * 256 * 512), ("conv", (512, 28, 28), 3 * 3 * 512 * 512),
    ("conv", (512, 28, 28), 3 * 3 * 512 * 512), ("pool", (512, 14, 14), 0),
    ("conv", (512, 14, 14), 3 * 3 * 512 * 512), ("conv", (512, 14, 14), 3 * 3 * 512 * 512),
    ("conv", (512, 14, 14), 3 * 3 * 512 * 512), ("pool", (512, 7, 7), 0),
    ("fc", (4096,), 7 * 7 * 512 * 4096), ("fc", (4096,), 4096 * 4096), ("fc", (1000,), 4096 * 1000),
]


def test_vgg16_reproduces_the_lecture_table():
    s = summary(on_meta(models.vgg16), (3, 224, 224))
    kinds = {"Conv2d": "conv", "MaxPool2d": "pool", "Linear": "fc"}
    layers = [r for r in s.rows if r["type"] in kinds]
    assert len(layers) == len(VGG16_SLIDE)
    for row, (kind, shape, weights) in zip(layers, VGG16_SLIDE):
        assert kinds[row["type"]] == kind
        assert row["output_shape"] == shape
        biases = shape[0] if kind != "pool" else 0
        assert row["params"] == weights + biases
    assert s.total_params == 138_357_544
    # The slide's memory column: the input and each of its layers' outputs. Their sum is
    # 15.2M activations (61 MB at 4 bytes), not the slide's "24M"; summary also
    # counts torchvision's 7x7 adaptive average pool (25,088) which the slide lacks.
    slide_sum = 224 * 224 * 3 + sum(torch.Size(shape).numel() for _, shape, _ in VGG16_SLIDE)
    assert slide_sum == 15_237_608
    assert s.total_activations == slide_sum + 512 * 7 * 7
    # The in-place ReLUs and eval-mode dropouts reuse their input's memory.
    assert all(r["in_place"] for r in s.rows if r["type"] in ("ReLU", "Dropout"))


# --------------------------------------------------------------------------- torchvision's figures
@pytest.mark.parametrize("name, weights", [
    ("vgg16", "VGG16_Weights"), ("resnet18", "ResNet18_Weights"), ("resnet50", "ResNet50_Weights"),
    ("googlenet", "GoogLeNet_Weights"), ("densenet121", "DenseNet121_Weights")])
def test_totals_match_torchvision_published_figures(name, weights):
    meta = getattr(torchvision.models, weights).IMAGENET1K_V1.meta
    s = summary(on_meta(getattr(models, name)), (1, 3, 224, 224))
    assert s.total_params == meta["num_params"]
    assert s.total_macs / 1e9 == pytest.approx(meta["_ops"], rel=0.02)


def test_mobilenet_v1_macs_match_the_paper():
    # Howard et al. 2017, table 8: 1.0 MobileNet-224 has 569 million mult-adds.
    s = summary(on_meta(models.mobilenet_v1), (3, 224, 224))
    assert s.total_macs / 1e6 == pytest.approx(569, rel=0.01)


def test_meta_and_real_devices_give_the_same_rows():
    torch.manual_seed(0)
    real = summary(models.resnet_small(), (1, 28, 28))
    meta = summary(on_meta(models.resnet_small), (1, 28, 28))
    assert real.rows == meta.rows
    assert real.total_activations == meta.total_activations


def test_shared_module_is_counted_once_and_mode_is_restored():
    relu, conv = nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.relu = conv, relu

        def forward(self, x):
            return self.relu(self.conv(self.relu(self.conv(x))))

    model = Twice().train()
    s = summary(model, (2, 5, 5))
    conv_rows = [r for r in s.rows if r["name"] == "conv"]
    assert [r["params"] for r in conv_rows] == [conv.weight.numel() + 2, 0]
    assert [r["macs"] for r in conv_rows] == [2 * 25 * 18] * 2
    assert s.total_params == 2 * 2 * 9 + 2
    assert model.training


def test_summary_argument_errors():
    with pytest.raises(ValueError, match=r"input_size must be \(C, H, W\)"):
        summary(models.lenet5(), (28, 28))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        summary("lenet", (1, 28, 28))


# --------------------------------------------------------------------------- receptive field
def test_three_stacked_3x3_see_7x7():
    convs = [nn.Conv2d(4, 4, 3, padding=1) for _ in range(3)]
    assert receptive_field(convs) == 7
    assert receptive_field(nn.Sequential(*convs)) == 7
    assert receptive_field([(3, 1)] * 3) == 7
    assert [r["receptive_field"] for r in receptive_field(convs, per_layer=True)] == [3, 5, 7]


def empirical_receptive_field(layers, size):
    """Autograd oracle: the input pixels the top-left output depends on (positive weights
    and average pools, so no gradient cancels)."""
    modules = []
    for k, s, d in layers:
        if d == 0:
            modules.append(nn.AvgPool2d(k, s))
        else:
            conv = nn.Conv2d(1, 1, k, stride=s, dilation=d, bias=False)
            nn.init.constant_(conv.weight, 1.0)
            modules.append(conv)
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = nn.Sequential(*modules).double()(x)
    out[0, 0, 0, 0].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(1))
    return int(rows.max() - rows.min() + 1)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
                min_size=1, max_size=5))
def test_receptive_field_matches_autograd(layers):
    # d == 0 encodes an average pool (kernel k, stride s); otherwise a conv with dilation d.
    specs = [(k, s, max(d, 1)) for k, s, d in layers]
    expected_size = receptive_field(specs)
    size = expected_size + 8 * max(1, receptive_field(specs, per_layer=True)[-1]["jump"])
    assert empirical_receptive_field(layers, size) == expected_size


def test_receptive_field_of_models_and_errors():
    assert receptive_field(models.lenet5()) == 16          # stops at the classifier
    assert receptive_field(models.lenet5_classic()) == 32  # C5 sees the whole 32x32 input
    # VGG-16's pool5 units see 212x212 pixels (conv5_3: 196), the published figure.
    assert receptive_field(on_meta(models.vgg16).features) == 212
    with pytest.raises(ValueError, match=r"layer1 \(Sequential\)|BasicBlock"):
        receptive_field(on_meta(models.resnet18))
    with pytest.raises(ValueError, match=r"\(kernel, stride\[, dilation\]\)"):
        receptive_field([(3, 0)])
    with pytest.raises(TypeError, match="layers must be"):
        receptive_field("conv")
