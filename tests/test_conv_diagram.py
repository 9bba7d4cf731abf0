"""cnnlib.viz.conv_diagram: geometry against torch, and drawing smoke tests."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

from cnnlib.viz import conv_diagram, conv_geometry
from cnnlib.viz.conv_diagram import PADDING, TAP

matplotlib.use("Agg")
# torch warns that an even kernel with padding="same" needs an extra copy; that is the case tested.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


@given(st.integers(1, 8), st.integers(1, 4), st.one_of(st.integers(0, 2),
                                                        st.sampled_from(["same", "full"])),
       st.integers(1, 3), st.integers(1, 3))
def test_geometry_matches_torch_and_unfold(n, k, padding, stride, dilation):
    stride = 1 if padding == "same" else stride
    g_pad = {"same": dilation * (k - 1), "full": 2 * dilation * (k - 1)}.get(padding)
    total = g_pad if g_pad is not None else 2 * padding
    assume(n + total >= dilation * (k - 1) + 1)
    g = conv_geometry(n, k, padding, stride, dilation)
    # torch computes the same output size; for "full" it takes padding d(k-1).
    torch_padding = dilation * (k - 1) if padding == "full" else padding
    x = torch.arange(float(n * n)).reshape(1, 1, n, n)
    out = F.conv2d(x, torch.ones(1, 1, k, k), stride=stride, padding=torch_padding,
                   dilation=dilation)
    assert g["output_size"] == tuple(out.shape[2:])
    assert len(g["starts"]) == out[0, 0].numel()
    # The taps of the last position, read from the padded input, are what F.unfold reads.
    (top, bottom), (left, right) = g["padding"]
    padded = F.pad(x, (left, right, top, bottom))
    last = (g["output_size"][0] - 1, g["output_size"][1] - 1)
    taps = conv_geometry(n, k, padding, stride, dilation, last)["taps"]
    column = F.unfold(padded, k, dilation=dilation, stride=stride)[0, :, -1]
    np.testing.assert_array_equal([padded[0, 0, r, c].item() for r, c in taps], column.numpy())


def test_same_padding_of_even_kernel_is_asymmetric_like_torch():
    g = conv_geometry(5, 4, "same")
    assert g["padding"] == ((1, 2), (1, 2)) and g["output_size"] == (5, 5)


def test_diagram_draws_every_cell_and_tap():
    fig = conv_diagram(5, 3, padding=1, stride=2, dilation=1, position=(1, 2))
    ax = fig.axes[0]
    faces = [matplotlib.colors.to_hex(p.get_facecolor()[:3]) for p in ax.patches]
    # 7x7 padded input + 3x3 output + 9 taps.
    assert len(ax.patches) == 49 + 9 + 9
    assert faces.count(PADDING) == 49 - 25
    assert faces.count(TAP) == 9
    assert "-> 3x3 output" in ax.get_title()
    plt.close(fig)


def test_diagram_with_dilation_and_rectangular_settings_draws():
    fig, axes = plt.subplots(1, 2)
    conv_diagram((6, 5), (2, 3), padding=(1, 0), stride=(2, 1), dilation=(1, 2), ax=axes[0])
    conv_diagram(5, 4, padding="same", position=(4, 4), ax=axes[1])
    assert "padding (1,2)x(1,2)" in axes[1].get_title()
    plt.close(fig)


def test_position_outside_output_is_an_error():
    with pytest.raises(ValueError, match=r"position \(3, 0\) is outside the 3x3 output"):
        conv_geometry(5, 3, position=(3, 0))
