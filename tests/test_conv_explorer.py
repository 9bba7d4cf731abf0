"""The conv explorer's update logic, headless, against torch.nn.Conv2d."""
import matplotlib
import pytest
import torch
from hypothesis import given, strategies as st

from cnnlib.widgets import conv_explorer, conv_explorer_state

matplotlib.use("Agg")


def torch_size(n, k, p, s, d):
    layer = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    return tuple(layer(torch.zeros(1, 1, n, n)).shape[2:])


@given(st.integers(1, 12), st.integers(1, 7), st.integers(0, 4), st.integers(1, 4),
       st.integers(1, 3))
def test_state_output_size_equals_torch(n, k, p, s, d):
    state = conv_explorer_state(n, k, p, s, d, check_torch=False)
    if n + 2 * p < d * (k - 1) + 1:
        assert state["output_size"] is None and "larger than the padded input" in state["error"]
        with pytest.raises(RuntimeError):
            torch_size(n, k, p, s, d)
    else:
        assert (state["output_size"],) * 2 == torch_size(n, k, p, s, d)
        assert state["text"].startswith(f"Output size: {state['output_size']}x")


def test_state_runs_the_torch_check_itself():
    state = conv_explorer_state(7, 3, 0, 2, 1)
    assert state["torch_output_size"] == (3, 3) and state["agrees"]
    assert state["text"] == "Output size: 3x3; torch.nn.Conv2d gives 3x3 (agrees)"
    assert state["formula"] == "floor((7 + 2*0 - 3) / 2) + 1 = 3"
    too_big = conv_explorer_state(4, 5)
    assert too_big["agrees"] and too_big["text"].startswith("Output size: none")


def test_lecture_stride_3_does_not_fit_7x7():
    state = conv_explorer_state(7, 3, 0, 3, 1)
    assert state["output_size"] == 2 and state["unused"] == 1
    assert "the stride does not fit" in state["text"]


def test_position_is_clipped_into_the_output_and_taps_follow_it():
    state = conv_explorer_state(5, 3, 1, 2, 1, position=(7, 1), check_torch=False)
    assert state["position"] == (2, 1)
    assert state["geometry"]["taps"][0] == (4, 2)        # (i * stride, j * stride)


def test_moving_a_slider_changes_the_output_size_text():
    box = conv_explorer(input_size=7, kernel_size=3)
    assert box.label.value.startswith("Output size: 5x5")
    box.sliders["stride"].value = 2
    assert box.label.value.startswith("Output size: 3x3")
    box.sliders["padding"].value = 1
    assert box.label.value.startswith("Output size: 4x4")
    box.sliders["row"].value = 3
    box.sliders["kernel_size"].value = 7      # output shrinks to 2x2: row slider follows
    assert box.label.value.startswith("Output size: 2x2")
    assert box.sliders["row"].max == 1 and box.sliders["row"].value == 1


def test_no_stale_diagram_when_the_kernel_does_not_fit():
    box = conv_explorer(input_size=5, kernel_size=3)
    box.sliders["kernel_size"].value = 7
    assert box.label.value.startswith("Output size: none, the kernel does not fit")
    assert len(box.picture.outputs) == 1
    assert box.picture.outputs[0]["text"].startswith("No diagram: the kernel does not fit")
    box.sliders["padding"].value = 1
    assert box.label.value.startswith("Output size: 1x1")
    assert not any(o.get("output_type") == "stream" for o in box.picture.outputs)


def test_status_line_wraps_and_shows_text_as_typed():
    import ipywidgets

    from cnnlib.widgets._layout import status_html

    box = conv_explorer(input_size=4, kernel_size=5)
    assert isinstance(box.label, ipywidgets.HTML)           # a Label would cut the long line
    assert len(box.label.value) > 100
    assert box.children[0].layout.flex_flow == "row wrap"
    assert status_html("n < k & p > 0") == "n &lt; k &amp; p &gt; 0"
