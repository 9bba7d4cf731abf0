"""cnnlib.viz.architectures: the figures of lesson 04b draw the numbers they are given."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

from cnnlib import models, viz  # noqa: E402
from cnnlib.viz.architectures import ILSVRC_WINNERS, IMAGENET_PAPERS  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def vgg16_rows():
    with torch.device("meta"):
        table = models.summary(torchvision.models.vgg16(), (3, 224, 224))
    return [r for r in table.rows if r["type"] in ("Input", "Conv2d", "MaxPool2d", "Linear")]


def test_layer_costs_draws_one_bar_per_layer_with_torch_counts():
    rows = vgg16_rows()
    fig = viz.plot_layer_costs(rows)
    memory, params = fig.axes
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log"]
    assert len(memory.patches) == len(params.patches) == len(rows) == 22
    # heights from PyTorch itself: fc6's weights and bias, conv1_1's output map
    fc6 = nn.Linear(512 * 7 * 7, 4096)
    assert max(p.get_height() for p in params.patches) == sum(p.numel() for p in fc6.parameters())
    assert memory.patches[1].get_height() == nn.Conv2d(3, 64, 3, padding=1)(
        torch.zeros(1, 3, 224, 224)).numel()
    assert [t.get_text() for t in params.get_xticklabels()][:2] == ["Input", "Conv2d"]


def test_layer_costs_colours_by_type_and_takes_labels():
    rows = [{"type": "Conv2d", "activations": 10, "params": 3},
            {"type": "Linear", "activations": 2, "params": 30}]
    fig = viz.plot_layer_costs(rows, labels=["CONV3", "FC"])
    memory = fig.axes[0]
    assert [matplotlib.colors.to_hex(p.get_facecolor()) for p in memory.patches] == [
        matplotlib.colors.to_hex("C0"), matplotlib.colors.to_hex("C3")]
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["CONV3", "FC"]


def test_layer_costs_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="rows must hold"):
        viz.plot_layer_costs([])
    with pytest.raises(ValueError, match=r"rows\[0\] must have the keys"):
        viz.plot_layer_costs([{"type": "Conv2d", "params": 3}])
    with pytest.raises(ValueError, match="labels must have one entry per row"):
        viz.plot_layer_costs([{"type": "Conv2d", "activations": 1, "params": 3}], labels=[])


def test_ilsvrc_winners_draws_the_published_errors():
    fig = viz.plot_imagenet_progress()
    (ax,) = fig.axes
    line = ax.lines[0]
    assert list(line.get_xdata()) == list(range(2010, 2018))
    # the published winners: AlexNet 15.3% (Krizhevsky et al. 2012), ResNet 3.57% (He et
    # al. 2016), SENet 2.251% (Hu et al. 2018); the error falls every year
    errors = dict(zip(line.get_xdata(), line.get_ydata()))
    assert (errors[2012], errors[2015]) == (15.3, 3.57) and abs(errors[2017] - 2.251) < 0.01
    assert np.all(np.diff(line.get_ydata()) < 0)
    assert ax.get_yscale() == "log"
    texts = [t.get_text() for t in ax.texts]
    assert "AlexNet\n15.3%" in texts and len(texts) == len(ILSVRC_WINNERS) + len(IMAGENET_PAPERS)


def test_ilsvrc_winners_refuses_an_error_a_log_scale_cannot_draw():
    with pytest.raises(ValueError, match="positive percentage"):
        viz.plot_imagenet_progress({2012: ("AlexNet", 0.0)}, papers={})
