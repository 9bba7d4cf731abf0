"""cnnlib.models against the papers' numbers, torch.nn.functional and torchvision.

Big networks are built on the ``meta`` device where only shapes matter (no memory,
no arithmetic); real forward passes run at batch 1 in eval mode without gradients.
"""
import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from cnnlib import models
from cnnlib.models.lenet import C3_TABLE, ConnectionTableConv2d, ScaledTanh, Subsampling


def n_params(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def on_meta(factory, **kwargs):
    with torch.device("meta"):
        return factory(**kwargs)


def torchvision_model(name, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # GoogLeNet's note about its future default init
        return getattr(torchvision.models, name)(weights=None, **kwargs)


# --------------------------------------------------------------------------- LeNet-5
def test_lenet5_parameters_by_hand():
    # conv: C_out * (C_in * k * k + 1); linear: out * (in + 1).
    expected = [6 * (1 * 25 + 1), 16 * (6 * 25 + 1), 120 * 401, 84 * 121, 10 * 85]
    model = models.lenet5()
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [n_params(m) for m in layers] == expected
    assert n_params(model) == sum(expected) == 61_706


def test_lenet5_parameter_order_and_layout():
    names = [(n, tuple(p.shape)) for n, p in models.lenet5().named_parameters()]
    assert names == [
        ("features.0.weight", (6, 1, 5, 5)), ("features.0.bias", (6,)),
        ("features.3.weight", (16, 6, 5, 5)), ("features.3.bias", (16,)),
        ("classifier.0.weight", (120, 400)), ("classifier.0.bias", (120,)),
        ("classifier.2.weight", (84, 120)), ("classifier.2.bias", (84,)),
        ("classifier.4.weight", (10, 84)), ("classifier.4.bias", (10,)),
    ]


def test_lenet5_equals_functional_forward():
    torch.manual_seed(0)
    model = models.lenet5().eval()
    w = [p for p in model.parameters()]
    x = torch.randn(3, 1, 28, 28)
    h = F.max_pool2d(F.relu(F.conv2d(x, w[0], w[1], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w[2], w[3])), 2).reshape(3, -1)
    h = F.relu(h @ w[4].T + w[5])
    h = F.relu(h @ w[6].T + w[7])
    expected = h @ w[8].T + w[9]
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_lenet5_classic_has_60000_trainable_parameters():
    model = models.lenet5_classic()
    assert n_params(model, trainable_only=True) == 60_000
    # The RBF codes are fixed: a buffer of 10 x 84 values in {-1, +1}, not parameters.
    codes = model.output.codes
    assert codes.shape == (10, 84) and not codes.requires_grad
    assert set(codes.unique().tolist()) == {-1.0, 1.0}
    assert len({tuple(c.tolist()) for c in codes}) == 10


def test_lenet5_classic_c3_connection_table():
    # Table I of the paper: 6 maps read 3 inputs, 9 read 4, 1 reads all 6: 60 connections.
    sizes = sorted(len(t) for t in C3_TABLE)
    assert sizes == [3] * 6 + [4] * 9 + [6]
    c3 = ConnectionTableConv2d(6, C3_TABLE, 5)
    nn.init.normal_(c3.weight)
    nn.init.normal_(c3.bias)
    assert n_params(c3) == 60 * 25 + 16 == 1516
    x = torch.randn(2, 6, 14, 14)
    # Oracle: one ordinary convolution per output map over the maps of its column.
    dense = c3.dense_weight().detach()
    expected = []
    for o, inputs in enumerate(C3_TABLE):
        others = [i for i in range(6) if i not in inputs]
        assert torch.all(dense[o, others] == 0)
        expected.append(F.conv2d(x[:, list(inputs)], dense[o:o + 1, list(inputs)],
                                 c3.bias[o:o + 1]))
    torch.testing.assert_close(c3(x), torch.cat(expected, 1))


def test_lenet5_classic_pieces():
    # f(a) = 1.7159 tanh(2a/3) maps +-1 to +-1 (to 4 decimals, as the paper says).
    f = ScaledTanh()
    assert abs(f(torch.tensor(1.0)).item() - 1.0) < 1e-4
    s = Subsampling(3)
    nn.init.normal_(s.weight)
    nn.init.normal_(s.bias)
    x = torch.randn(2, 3, 6, 6)
    block_sums = x.reshape(2, 3, 3, 2, 3, 2).sum(dim=(3, 5))
    expected = s.weight[:, None, None] * block_sums + s.bias[:, None, None]
    torch.testing.assert_close(s(x), expected)
    model = models.lenet5_classic().eval()
    with torch.no_grad():
        out = model(torch.randn(4, 1, 32, 32))
    assert out.shape == (4, 10) and torch.all(out <= 0)


def test_lenet_input_errors():
    with pytest.raises(ValueError, match=r"lenet5 expects input of shape \(N, 1, 28, 28\)"):
        models.lenet5()(torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        models.lenet5_classic()(torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="num_classes must be >= 1, got 0"):
        models.lenet5(num_classes=0)


# --------------------------------------------------------------------------- AlexNet, ZFNet
@pytest.mark.parametrize("grouped, expected", [(True, 60_965_224), (False, 62_378_344)])
def test_alexnet_parameters(grouped, expected):
    assert n_params(on_meta(models.alexnet, grouped=grouped)) == expected


def feature_shapes(model, x):
    shapes = []
    for layer in model.features:
        x = layer(x)
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            shapes.append(tuple(x.shape[1:]))
    return shapes


def test_alexnet_and_zfnet_shapes_follow_the_papers():
    x = torch.empty(1, 3, 227, 227, device="meta")
    assert feature_shapes(on_meta(models.alexnet), x) == [
        (96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13),
        (384, 13, 13), (384, 13, 13), (256, 13, 13), (256, 6, 6)]
    x = torch.empty(1, 3, 224, 224, device="meta")
    assert feature_shapes(on_meta(models.zfnet), x) == [
        (96, 110, 110), (96, 55, 55), (256, 26, 26), (256, 13, 13),
        (384, 13, 13), (384, 13, 13), (256, 13, 13), (256, 6, 6)]
    with pytest.raises(ValueError, match=r"alexnet expects input of shape \(N, 3, 227, 227\)"):
        models.alexnet()(torch.empty(1, 3, 224, 224, device="meta"))


def test_alexnet_forward_and_lrn_formula():
    torch.manual_seed(0)
    model = models.alexnet(num_classes=7, grouped=True).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 227, 227)).shape == (1, 7)
    # AlexNet section 3.3: b = a / (k + alpha * sum of a^2 over n neighbouring channels)^beta.
    a = torch.randn(2, 8, 3, 3)
    padded = F.pad(a ** 2, (0, 0, 0, 0, 2, 2))
    window = sum(padded[:, i:i + 8] for i in range(5))
    expected = a / (2 + 1e-4 * window) ** 0.75
    torch.testing.assert_close(models.alexnet().features[2](a), expected)


# --------------------------------------------------------------------------- torchvision twins
TWINS = ["vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
         "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
         "densenet121", "densenet169", "densenet201", "googlenet"]


@pytest.mark.parametrize("name", TWINS)
def test_names_and_shapes_match_torchvision(name):
    ours = on_meta(getattr(models, name))
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    with torch.device("meta"):
        theirs = torchvision_model(name, **kwargs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
           {k: v.shape for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict(), strict=True)
    # torchvision publishes the parameter count with its weights.
    published = torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]
    assert n_params(ours) == published


# The networks pool adaptively before their classifier, so the function can be
# compared on images smaller than 224x224 (only resnet18 runs at full size).
@pytest.mark.parametrize("name, kwargs, size", [
    ("vgg16", {}, 32),
    ("resnet18", {}, 224),
    ("resnet50", {}, 64),
    ("densenet121", {}, 64),
    ("googlenet", {"aux_logits": False}, 96),
])
@pytest.mark.slow
def test_torchvision_weights_load_and_give_the_same_outputs(name, kwargs, size):
    torch.manual_seed(0)
    theirs = torchvision_model(name, **kwargs).eval()
    for m in theirs.modules():  # non-trivial BatchNorm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    ours = getattr(models, name)(**kwargs).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-4, atol=1e-5)
    del theirs, ours


def test_googlenet_aux_outputs_and_paper_5x5():
    ours = on_meta(models.googlenet, num_classes=5, aux_logits=True)
    with torch.device("meta"):
        theirs = torchvision_model("googlenet", num_classes=5, aux_logits=True, init_weights=False)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    out = ours.train()(torch.empty(2, 3, 224, 224, device="meta"))
    assert [o.shape for o in out] == [(2, 5)] * 3
    assert ours.eval()(torch.empty(2, 3, 224, 224, device="meta")).shape == (2, 5)
    # The paper's 5x5 in branch 3 adds (25 - 9) * ch5x5red * ch5x5 weights per module
    # (table 1 of the paper: "#5x5 reduce" and "#5x5" columns).
    table = [(16, 32), (32, 96), (16, 48), (24, 64), (24, 64), (32, 64), (32, 128),
             (32, 128), (48, 128)]
    extra = sum(16 * r * c for r, c in table)
    assert n_params(on_meta(models.googlenet, five_by_five=True)) == 6_624_904 + extra


# --------------------------------------------------------------------------- CIFAR ResNets
@pytest.mark.parametrize("name, millions", [
    ("resnet20", 0.27), ("resnet32", 0.46), ("resnet44", 0.66), ("resnet56", 0.85),
    ("resnet110", 1.7)])
def test_cifar_resnet_parameters_match_paper_table_6(name, millions):
    model = getattr(models, name)()
    digits = 1 if millions >= 1 else 2
    assert round(n_params(model) / 1e6, digits) == millions
    # Option A shortcuts have no parameters: the plain net of the same depth has as many.
    assert n_params(getattr(models, name)(residual=False)) == n_params(model)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == int(name[len("resnet"):])   # depth 6n + 2 counts the fc layer


def test_shortcut_a_and_plain_blocks():
    from cnnlib.models.resnet import ShortcutA

    x = torch.randn(2, 16, 8, 8)
    out = ShortcutA(16, 32, 2)(x)
    assert out.shape == (2, 32, 4, 4)
    torch.testing.assert_close(out[:, :16], x[:, :, ::2, ::2])
    assert torch.all(out[:, 16:] == 0)
    torch.manual_seed(0)
    residual = models.resnet20(in_channels=1).eval()
    plain = models.resnet20(in_channels=1, residual=False).eval()
    plain.load_state_dict(residual.state_dict())
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(residual(x), plain(x))


# --------------------------------------------------------------------------- MobileNet
def test_mobilenet_v1_parameters():
    assert n_params(on_meta(models.mobilenet_v1)) == 4_231_976
    # The paper's table 6: width multipliers 0.75, 0.5, 0.25 -> 2.6M, 1.3M, 0.5M parameters.
    for alpha, millions in [(0.75, 2.6), (0.5, 1.3), (0.25, 0.5)]:
        model = on_meta(models.mobilenet_v1, width_multiplier=alpha)
        assert round(n_params(model) / 1e6, 1) == millions
    with pytest.raises(ValueError, match="width_multiplier must be > 0"):
        models.mobilenet_v1(width_multiplier=0)


def test_depthwise_separable_equals_its_definition():
    torch.manual_seed(0)
    from cnnlib.models.mobilenet import DepthwiseSeparable

    block = DepthwiseSeparable(4, 6, stride=2).eval()
    x = torch.randn(1, 4, 8, 8)
    dw, pw = block.depthwise[0].weight, block.pointwise[0].weight
    # Depthwise: channel c convolved with its own 3x3 filter only.
    per_channel = torch.cat([F.conv2d(x[:, c:c + 1], dw[c:c + 1], stride=2, padding=1)
                             for c in range(4)], 1)
    h = F.relu(block.depthwise[1](per_channel))
    expected = F.relu(block.pointwise[1](torch.einsum("oc,nchw->nohw", pw[:, :, 0, 0], h)))
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)


# --------------------------------------------------------------------------- every factory
NOMINAL = {
    "lenet5": (1, 28), "lenet5_classic": (1, 32), "alexnet": (3, 227), "zfnet": (3, 224),
    "vgg11": (3, 224), "vgg13": (3, 224), "vgg16": (3, 224), "vgg19": (3, 224),
    "vgg11_bn": (3, 224), "vgg13_bn": (3, 224), "vgg16_bn": (3, 224), "vgg19_bn": (3, 224),
    "googlenet": (3, 224), "resnet18": (3, 224), "resnet34": (3, 224), "resnet50": (3, 224),
    "resnet101": (3, 224), "resnet152": (3, 224), "resnet20": (3, 32), "resnet32": (3, 32),
    "resnet44": (3, 32), "resnet56": (3, 32), "resnet110": (3, 32), "densenet121": (3, 224),
    "densenet169": (3, 224), "densenet201": (3, 224), "mobilenet_v1": (3, 224),
    "vgg_small": (1, 28), "resnet_small": (1, 28),
}
SMALL = {"lenet5", "lenet5_classic", "resnet20", "resnet32", "resnet44", "resnet56",
         "resnet110", "vgg_small", "resnet_small", "mobilenet_v1"}


@pytest.mark.parametrize("name", sorted(NOMINAL))
def test_output_shape_at_nominal_input_size(name):
    channels, size = NOMINAL[name]
    classes = 10 if name in SMALL - {"mobilenet_v1"} else 1000
    if name in SMALL:   # small enough to compute for real
        torch.manual_seed(0)
        model, x = getattr(models, name)().eval(), torch.randn(1, channels, size, size)
    else:               # shapes only
        model, x = on_meta(getattr(models, name)).eval(), torch.empty(1, channels, size, size,
                                                                      device="meta")
    with torch.no_grad():
        out = model(x)
    assert out.shape == (1, classes)
    if x.device.type == "cpu":
        assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(set(NOMINAL) - {"lenet5_classic"}))
def test_every_factory_passes_the_options_of_its_network_through(name):
    factory = getattr(models, name)
    assert name in models.__all__
    parameters = inspect.signature(factory).parameters.values()
    assert any(p.kind is p.VAR_KEYWORD for p in parameters), f"{name} has no **kwargs"
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_option'"):
        on_meta(factory, no_such_option=1)


def test_resnet18_without_shortcuts_is_torchvisions_minus_its_projections():
    plain = on_meta(models.resnet18, residual=False)
    reference = torchvision_model("resnet18")
    projections = sum(p.numel() for n, p in reference.named_parameters() if ".downsample." in n)
    assert n_params(plain) == n_params(reference) - projections == 11_689_512 - 173_824
    torch.manual_seed(0)
    block = models.resnet18(residual=False, num_classes=3).eval().layer1[0]
    for m in block.modules():               # residual branch zero: no shortcut leaves 0
        if isinstance(m, nn.BatchNorm2d):
            nn.init.zeros_(m.weight)
    with torch.no_grad():
        assert torch.count_nonzero(block(torch.randn(1, 64, 8, 8))) == 0
    assert models.googlenet(aux_logits=True, num_classes=5).aux1 is not None
    assert models.vgg11(dropout=0.0, num_classes=2).classifier[2].p == 0.0


def test_small_networks_are_size_aware():
    model = models.vgg_small(num_classes=4, in_channels=3, input_size=(32, 24))
    assert model(torch.randn(2, 3, 32, 24)).shape == (2, 4)
    with pytest.raises(ValueError, match=r"vgg_small expects input of shape \(N, 3, 32, 24\)"):
        model(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match="too small for 2 2x2 poolings"):
        models.vgg_small(input_size=3)
    net = models.resnet_small(num_classes=3, in_channels=2, blocks=(2, 2), widths=(8, 16))
    assert net(torch.randn(2, 2, 20, 20)).shape == (2, 3)
    with pytest.raises(ValueError, match="one entry per stage"):
        models.resnet_small(blocks=(1, 1), widths=(8, 16, 32))
    with pytest.raises(ValueError, match=r"CifarResNet expects input of shape \(N, 2, H, W\)"):
        net(torch.randn(2, 3, 20, 20))


# --------------------------------------------------------------------------- the zoo
def test_imagenet_zoo_reads_torchvision_metadata():
    zoo = models.imagenet_zoo()
    names = torchvision.models.list_models(module=torchvision.models)
    assert sorted(r["name"] for r in zoo) == sorted(names)
    assert set(zoo[0]) == {"name", "weights", "acc@1", "acc@5", "params", "gmacs", "file_size_mb"}
    row = next(r for r in zoo if r["name"] == "resnet50")
    meta = torchvision.models.ResNet50_Weights.DEFAULT.meta
    assert row["weights"] == "ResNet50_Weights.IMAGENET1K_V2"
    assert row["acc@1"] == meta["_metrics"]["ImageNet-1K"]["acc@1"]
    assert row["params"] == n_params(on_meta(models.resnet50))
    assert all(0 < r["acc@5"] <= 100 and r["acc@1"] <= r["acc@5"] for r in zoo)
    every = models.imagenet_zoo(all_weights=True)
    assert len(every) > len(zoo)
    assert {r["weights"] for r in every if r["name"] == "resnet50"} == {
        "ResNet50_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V2"}


def test_filter_and_feature_map_figures():
    import matplotlib

    matplotlib.use("Agg")
    from cnnlib.viz import show_feature_maps, show_filters

    model = models.lenet5()
    fig = show_filters(model.features[0].weight, ncols=4)
    assert sum(bool(ax.images) for ax in fig.axes) == 6 and len(fig.axes) == 8
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, model.features[0].weight[0, 0].detach().numpy(), rtol=1e-6)
    rgb = show_filters(torch.randn(5, 3, 7, 7))
    assert rgb.axes[0].images[0].get_array().shape == (7, 7, 3)
    with torch.no_grad():
        maps = model.features[:2](torch.rand(1, 1, 28, 28))
    fig = show_feature_maps(maps, max_maps=4)
    assert sum(bool(ax.images) for ax in fig.axes) == 4
    with pytest.raises(ValueError, match=r"weight must have shape \(C_out, C_in, kH, kW\)"):
        show_filters(torch.randn(3, 5, 5))
    with pytest.raises(ValueError, match=r"feature_map must have shape \(C, H, W\)"):
        show_feature_maps(torch.randn(2, 3, 5, 5))


# --------------------------------------------------------------------------- VGG configuration C
def test_vgg_configuration_c_matches_the_papers_parameter_count():
    def conv(c_in, c_out, k=3):
        return c_in * k * k * c_out + c_out

    def dense(n_in, n_out):
        return n_in * n_out + n_out

    # Configuration C of Simonyan & Zisserman's table 1, layer by layer: the third
    # convolution of stages 3, 4 and 5 is a 1x1.
    by_hand = (conv(3, 64) + conv(64, 64) + conv(64, 128) + conv(128, 128)
               + conv(128, 256) + conv(256, 256) + conv(256, 256, 1)
               + conv(256, 512) + conv(512, 512) + conv(512, 512, 1)
               + conv(512, 512) + conv(512, 512) + conv(512, 512, 1)
               + dense(512 * 7 * 7, 4096) + dense(4096, 4096) + dense(4096, 1000))
    model = on_meta(models.vgg16c)
    assert n_params(model) == by_hand
    # D differs from C only in those three kernels: 8 more weights per channel pair.
    assert n_params(on_meta(models.vgg16)) - by_hand == 8 * (256 * 256 + 2 * 512 * 512)
    # The paper's table 2, in millions: A 133, B 133, C 134, D 138, E 144.
    paper = {"vgg11": 133, "vgg13": 133, "vgg16c": 134, "vgg16": 138, "vgg19": 144}
    assert {name: round(n_params(on_meta(getattr(models, name))) / 1e6)
            for name in paper} == paper
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [m.kernel_size[0] for m in convs].count(1) == 3 and len(convs) == 13
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    with pytest.raises(ValueError, match=r"cfg entries must be positive ints, \(int, 1\) pairs"):
        models.vgg.make_layers([64, (64, 3)])


# --------------------------------------------------------------------------- inputs too small
def runs(model, h, w, channels=3):
    model.eval()
    try:
        with torch.no_grad():
            model(torch.empty(1, channels, h, w, device="meta"))
        return True
    except RuntimeError:
        return False


@pytest.mark.parametrize("ours, theirs, smallest", [
    ("vgg11", "vgg11", 32), ("vgg16_bn", "vgg16_bn", 32), ("densenet121", "densenet121", 29),
    ("densenet201", "densenet201", 29), ("googlenet", "googlenet", 15),
])
def test_inputs_too_small_get_a_clear_error_at_torchvisions_limit(ours, theirs, smallest):
    kwargs = {"aux_logits": False, "init_weights": False} if theirs == "googlenet" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            reference = getattr(torchvision.models, theirs)(weights=None, **kwargs)
    # The oracle: torchvision's network fails deep inside one pixel below the limit.
    assert runs(reference, smallest, smallest) and not runs(reference, smallest - 1, smallest)
    model = on_meta(getattr(models, ours)).eval()
    assert runs(model, smallest, smallest)
    for h, w in [(smallest - 1, smallest), (smallest, smallest - 1), (1, 1)]:
        with pytest.raises(ValueError, match=rf"needs images of at least {smallest}x{smallest} "
                                             rf"pixels \(.+\), got {h}x{w}; resize or pad"):
            model(torch.empty(1, 3, h, w, device="meta"))


# Image models only: causal_cnn reads 1-D sequences (its checks are in tests/test_wavenet.py),
# shattered_net scalars (tests/test_models_shattered.py, with its input_gradient).
FACTORIES = [name for name in dir(models) if callable(getattr(models, name))
             and name[0].islower()
             and name not in ("summary", "receptive_field", "imagenet_zoo", "causal_cnn",
                              "shattered_net", "input_gradient")]


@pytest.mark.parametrize("name", FACTORIES)
def test_no_factory_fails_deep_inside_on_a_small_input(name):
    factory = getattr(models, name)
    model = factory() if name == "lenet5_classic" else on_meta(factory)   # bincount has no meta
    channels = model.in_channels if hasattr(model, "in_channels") else (
        1 if name.startswith("lenet") else 3)
    device = next(model.parameters()).device
    model.eval()
    for size in (1, 2, 7, 14, 28, 31):
        try:
            with torch.no_grad():
                model(torch.empty(1, channels, size, size, device=device))
        except ValueError as e:
            assert "resize or pad the images first" in str(e)


# --------------------------------------------------------------------------- bad options, by name
@pytest.mark.parametrize("build, error, message", [
    (lambda: models.vgg_small(input_size=2.5), TypeError,
     r"input_size must be an int or a pair of ints, got 2.5"),
    (lambda: models.vgg_small(cfg=[]), ValueError,
     r"cfg must be a list holding at least one convolution .*, got \[\]"),
    (lambda: models.vgg_small(cfg=["M"]), ValueError, r"cfg must be a list holding at least one"),
    (lambda: models.resnet_small(widths=(16, -32, 64)), ValueError,
     r"each of widths must be >= 1, got -32 in \(16, -32, 64\)"),
    (lambda: models.resnet_small(blocks=2), TypeError,
     r"blocks must be a tuple of ints \(one per stage\), got the int 2; write \(2,\)"),
    (lambda: models.mobilenet_v1(width_multiplier="1"), TypeError,
     r"width_multiplier must be a number, got str '1'"),
    (lambda: models.mobilenet_v1(width_multiplier=0), ValueError,
     r"width_multiplier must be > 0, got 0"),
    (lambda: models.unet(widths=16), TypeError,
     r"widths must be a tuple of ints \(one per level: at least two levels, one pooling\), "
     r"got the int 16$"),
    (lambda: models.unet(widths=(16,)), ValueError, r"widths needs at least 2 entries"),
    (lambda: models.causal_cnn(dilations=4), TypeError,
     r"dilations must be a tuple of ints \(one per layer\), got the int 4; write \(4,\)"),
    (lambda: models.causal_cnn(dilations=(1, 2.0)), TypeError,
     r"each of dilations must be an int, got float 2.0"),
    (lambda: models.summary(models.lenet5(), input_size=28), TypeError,
     r"input_size must be a tuple \(C, H, W\) or \(N, C, H, W\), got int 28; for one 28x28 "
     r"grey image write \(1, 28, 28\)"),
])
def test_a_bad_option_is_named_with_its_rule(build, error, message):
    with pytest.raises(error, match=message):
        build()
