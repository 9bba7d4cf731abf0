"""The kernel explorer's logic, headless: parsing, filtering against SciPy, the live widget."""
import matplotlib
import numpy as np
import pytest
import scipy.signal

from cnnlib import kernels
from cnnlib.widgets import (
    apply_kernel, explorer_images, format_kernel, kernel_explorer, kernel_explorer_state,
    parse_kernel, plot_filtering,
)
from cnnlib.widgets.kernel_explorer import CUSTOM

matplotlib.use("Agg")

IMAGE = np.random.default_rng(1).uniform(0, 1, (12, 15))


# --------------------------------------------------------------------------- parse_kernel
@pytest.mark.parametrize("text", [
    "0,-1,0; -1,5,-1; 0,-1,0",
    "0 -1 0\n-1 5 -1\n0 -1 0",
    " 0, -1, 0 ;-1,5,-1;\n 0 ,-1,0; ",
])
def test_parse_the_lectures_sharpen_kernel(text):
    np.testing.assert_array_equal(parse_kernel(text), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def test_parse_fractions_and_single_rows():
    np.testing.assert_array_equal(parse_kernel("1/9,1/9,1/9;1/9,1/9,1/9;1/9,1/9,1/9"),
                                  np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(parse_kernel("-1 0 1"), [[-1, 0, 1]])
    np.testing.assert_array_equal(parse_kernel("2.5e-1"), [[0.25]])
    assert parse_kernel("1").dtype == np.float64


@pytest.mark.parametrize("name", ["sharpen", "sobel vertical", "box", "haar HL", "laplacian"])
def test_format_kernel_reads_back(name):
    np.testing.assert_allclose(parse_kernel(format_kernel(kernels.KERNELS[name])),
                               kernels.KERNELS[name], rtol=1e-3)


@pytest.mark.parametrize("text, error, message", [
    ("", ValueError,
     r"the kernel is empty: type rows of numbers, e\.g\. '0,-1,0; -1,5,-1; 0,-1,0'"),
    (" ;\n ", ValueError, r"the kernel is empty"),
    ("1,2,3; 4,5", ValueError, r"row 2 has 2 entries but row 1 has 3: every row needs the same"),
    ("1,x,3", ValueError, r"entry 'x' in row 1 is not a number \(write e\.g\. 0\.5, -1 or 1/9\)"),
    ("1; 1/0", ValueError, r"entry '1/0' in row 2 is not a number"),
    ("1/2/3", ValueError, r"entry '1/2/3' in row 1 is not a number"),
    ("1, inf", ValueError, r"entry 'inf' in row 1 must be finite"),
    (";".join(["1"] * 16), ValueError, r"the kernel is 16x1; the explorer accepts at most 15x15"),
    ([[1, 2]], TypeError, r"text must be a string such as .*, got list"),
])
def test_parse_errors(text, error, message):
    with pytest.raises(error, match=message):
        parse_kernel(text)


# --------------------------------------------------------------------------- apply_kernel
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("name", ["sobel horizontal", "gaussian", "haar LH"])
def test_apply_kernel_equals_scipy(mode, boundary, name):
    k = kernels.KERNELS[name]
    np.testing.assert_allclose(apply_kernel(IMAGE, k, "correlate", mode, boundary),
                               scipy.signal.correlate2d(IMAGE, k, mode, boundary), atol=1e-12)
    np.testing.assert_allclose(apply_kernel(IMAGE, k, "convolve", mode, boundary),
                               scipy.signal.convolve2d(IMAGE, k, mode, boundary), atol=1e-12)


def test_apply_kernel_rejects_unknown_operation():
    with pytest.raises(ValueError, match="operation must be 'correlate' or 'convolve', got 'x'"):
        apply_kernel(IMAGE, kernels.box(), operation="x")


# --------------------------------------------------------------------------- state
def test_state_of_a_named_and_a_typed_kernel():
    state = kernel_explorer_state(IMAGE, "sobel vertical", mode="valid", boundary="wrap")
    assert state["error"] is None
    np.testing.assert_allclose(state["output"],
                               scipy.signal.correlate2d(IMAGE, kernels.sobel(), "valid"),
                               atol=1e-12)
    assert "output 10x13" in state["text"]
    typed = kernel_explorer_state(IMAGE, CUSTOM, "1 2; 3 4", operation="convolve", mode="full")
    np.testing.assert_allclose(typed["output"],
                               scipy.signal.convolve2d(IMAGE, [[1, 2], [3, 4]], "full"),
                               atol=1e-12)
    assert typed["text"].startswith("convolve 12x15 image with a 2x2 kernel (sum 10)")


def test_state_reports_errors_instead_of_raising():
    bad_text = kernel_explorer_state(IMAGE, CUSTOM, "1,2;3")
    assert bad_text["output"] is None
    assert bad_text["text"].startswith("Error: row 2 has 1 entries but row 1 has 2")
    too_big = kernel_explorer_state(IMAGE[:2, :2], "sharpen", mode="valid")
    assert "kernel (3x3) is larger than the input (2x2) in mode='valid'" in too_big["error"]
    unknown = kernel_explorer_state(IMAGE, "blurry")
    assert "kernel_name must be" in unknown["error"]


def test_plot_filtering_draws_three_panels():
    out = apply_kernel(IMAGE, kernels.edge())
    fig = plot_filtering(IMAGE, kernels.edge(), out, title="edge")
    assert [ax.get_title() for ax in fig.axes[:3]] == ["input 12x15", "kernel 3x3", "output 12x15"]
    matplotlib.pyplot.close(fig)


def test_explorer_images_are_greyscale_in_unit_range():
    images = explorer_images(digits=2)
    assert len(images) == 3
    photo, *digits = images.values()
    assert photo.shape == (300, 256) and photo.dtype == np.float64
    for img in images.values():
        assert img.ndim == 2 and 0 <= img.min() and img.max() <= 1
    assert all(d.shape == (28, 28) for d in digits)


# --------------------------------------------------------------------------- the widget
@pytest.fixture
def explorer():
    return kernel_explorer(images={"noise": IMAGE, "ramp": np.tile(np.arange(8.0), (6, 1))})


def test_changing_controls_updates_the_output(explorer):
    c = explorer.controls
    np.testing.assert_allclose(explorer.state["output"],
                               scipy.signal.correlate2d(IMAGE, kernels.sharpen(), "same"))
    c["kernel"].value = "box"
    np.testing.assert_allclose(explorer.state["output"],
                               scipy.signal.correlate2d(IMAGE, kernels.box(3), "same"))
    assert c["text"].value == format_kernel(kernels.box(3))    # shown, ready to edit
    c["boundary"].value = "wrap"
    np.testing.assert_allclose(explorer.state["output"],
                               scipy.signal.correlate2d(IMAGE, kernels.box(3), "same", "wrap"))
    c["mode"].value = "valid"
    c["image"].value = "ramp"
    c["kernel"].value = "sobel vertical"
    np.testing.assert_array_equal(explorer.state["output"], np.full((4, 6), 8.0))
    c["operation"].value = "convolve"
    np.testing.assert_array_equal(explorer.state["output"], np.full((4, 6), -8.0))
    assert explorer.label.value == explorer.state["text"]


def test_typing_a_kernel_selects_custom_and_shows_errors(explorer):
    c = explorer.controls
    c["text"].value = "0 0 0; 0 2 0; 0 0 0"
    assert c["kernel"].value == CUSTOM
    np.testing.assert_allclose(explorer.state["output"], 2 * IMAGE)
    c["text"].value = "1, 2; 3"
    assert explorer.label.value.startswith("Error: row 2 has 1 entries but row 1 has 2")
    c["text"].value = "1"
    assert explorer.state["error"] is None


def test_explorer_rejects_unknown_initial_kernel():
    with pytest.raises(ValueError, match="kernel_name must be"):
        kernel_explorer(images={"noise": IMAGE}, kernel_name="blurry")


# --------------------------------------------------------------------------- stride and layout
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("mode, padding", [("valid", 0), ("same", 1), ("full", 2)])
def test_apply_kernel_with_stride_equals_torch(stride, mode, padding):
    import torch

    k = kernels.KERNELS["sobel vertical"]          # read-only: torch.tensor copies it
    theirs = torch.nn.functional.conv2d(torch.from_numpy(IMAGE)[None, None],
                                        torch.tensor(k)[None, None], stride=stride,
                                        padding=padding)[0, 0].numpy()
    np.testing.assert_allclose(apply_kernel(IMAGE, k, "correlate", mode, stride=stride), theirs,
                               atol=1e-12)


@pytest.mark.parametrize("stride", [0, -1, 1.5, True, "2"])
def test_apply_kernel_rejects_bad_stride(stride):
    with pytest.raises(ValueError, match=f"stride must be a positive int, got {stride!r}"):
        apply_kernel(IMAGE, kernels.box(), stride=stride)


def test_stride_control_subsamples_the_feature_map(explorer):
    c = explorer.controls
    c["kernel"].value = "haar HL"
    c["mode"].value = "valid"
    c["stride"].value = 2
    expected = scipy.signal.correlate2d(IMAGE, kernels.haar("HL"), "valid")[::2, ::2]
    np.testing.assert_allclose(explorer.state["output"], expected, atol=1e-12)
    assert explorer.state["output"].shape == (6, 7)
    assert "stride 2: output 6x7" in explorer.label.value


def test_an_invalid_setting_removes_the_old_figure_and_says_so(explorer):
    picture = explorer.picture
    explorer.controls["text"].value = "1, 2; 3"
    assert len(picture.outputs) == 1
    assert picture.outputs[0]["text"].startswith("No feature map for this setting")
    explorer.controls["text"].value = "1 2; 3 4"
    assert not any(o.get("output_type") == "stream" for o in picture.outputs)


def test_controls_keep_their_width_beside_the_figure(explorer):
    import ipywidgets

    row = explorer.children[0]
    controls, picture = row.children
    assert row.layout.flex_flow == "row wrap"
    assert controls.layout.flex == "0 0 auto" and controls.layout.width == "350px"
    assert picture.layout.min_width == "0" and picture.layout.overflow == "auto"
    assert int(explorer.controls["text"].layout.width[:-2]) <= 350
    assert isinstance(explorer.label, ipywidgets.HTML)     # wraps; a Label cuts long lines
