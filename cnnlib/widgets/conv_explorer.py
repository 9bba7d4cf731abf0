"""Convolution-arithmetic explorer: sliders for input size, kernel, padding, stride, dilation.

``conv_explorer_state`` does the arithmetic (our output size, torch's, the formula, the
diagram's geometry) and is what the tests call; ``conv_explorer`` wires sliders to it and
draws ``cnnlib.viz.conv_diagram``.  PyTorch is imported only when the check runs.
"""
import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from ..padding import conv_output_size
from ..viz.conv_diagram import conv_diagram, conv_geometry
from ._layout import controls_layout, picture_layout, row_layout, status_html


def _torch_output_size(input_size, kernel_size, padding, stride, dilation):
    """Output (H, W) of torch.nn.Conv2d on a zero image, or the error torch raises."""
    import torch

    layer = torch.nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding,
                            dilation=dilation, bias=False)
    with torch.no_grad():
        try:
            out = layer(torch.zeros(1, 1, input_size, input_size))
        except RuntimeError as error:
            return None, str(error).splitlines()[0]
    return tuple(out.shape[2:]), None


def conv_explorer_state(input_size, kernel_size, padding=0, stride=1, dilation=1,
                        position=(0, 0), check_torch=True):
    """Everything the explorer shows for one setting of its sliders (square input/kernel).

    Parameters
    ----------
    input_size, kernel_size, padding, stride, dilation : int
    position : (int, int)
        Output cell whose kernel placement is drawn; clipped into the output.
    check_torch : bool
        Also build ``torch.nn.Conv2d`` with these arguments and read its output size.

    Returns
    -------
    dict with ``output_size`` (an int, or None if the kernel does not fit), ``error``
    (our message then), ``formula`` (the output-size formula with the numbers filled in),
    ``unused`` (input rows/columns the last stride step leaves out, None if it does not
    fit), ``torch_output_size`` and ``agrees`` (None without the check), ``position``,
    ``geometry`` (``conv_geometry`` of the setting, None if it does not fit) and
    ``text``: the line the widget shows, starting with "Output size:".
    """
    effective = dilation * (kernel_size - 1) + 1
    formula = (f"floor(({input_size} + 2*{padding} - {effective}) / {stride}) + 1")
    try:
        size = conv_output_size(input_size, kernel_size, stride, padding, dilation)
        error = None
        formula += f" = {size}"
    except ValueError as exc:
        size, error = None, str(exc)
    state = {"output_size": size, "error": error, "formula": formula, "unused": None,
             "torch_output_size": None, "agrees": None, "geometry": None}
    if size is not None:
        position = tuple(min(max(p, 0), size - 1) for p in position)
        state["geometry"] = conv_geometry(input_size, kernel_size, padding, stride, dilation,
                                          position)
    state["position"] = tuple(position)
    if size is None:
        text = f"Output size: none, the kernel does not fit ({error})"
    else:
        text = f"Output size: {size}x{size}"
        unused = (input_size + 2 * padding - effective) % stride
        if unused:
            text += f" (the stride does not fit: the last {unused} row(s)/column(s) are unused)"
        state["unused"] = unused
    if check_torch:
        torch_size, torch_error = _torch_output_size(input_size, kernel_size, padding, stride,
                                                     dilation)
        state["torch_output_size"] = torch_size
        state["agrees"] = (torch_size is None) if size is None else torch_size == (size, size)
        seen = f"{torch_size[0]}x{torch_size[1]}" if torch_size else f"error: {torch_error}"
        verdict = "agrees" if state["agrees"] else "DISAGREES"
        text += f"; torch.nn.Conv2d gives {seen} ({verdict})"
    state["text"] = text
    return state


def conv_explorer(input_size=5, kernel_size=3, padding=0, stride=1, dilation=1):
    """Sliders for a 2D convolution's arithmetic, with its diagram and output size.

    Move a slider: the diagram (``cnnlib.viz.conv_diagram``) and the line
    "Output size: ..." update, and the size is checked against ``torch.nn.Conv2d``.

    When the kernel does not fit, the diagram of the last setting that did is
    removed and the picture says why, rather than showing a stale drawing.

    Returns
    -------
    ipywidgets.VBox
        Its ``sliders`` attribute maps names to the sliders, ``label`` is the
        output-size line (an ``HTML`` widget, so long lines wrap) and ``picture``
        the diagram's output area, so code (and tests) can drive it.
    """
    style = {"description_width": "110px"}
    layout = widgets.Layout(width="340px")

    def slider(description, value, low, high):
        return widgets.IntSlider(value=value, min=low, max=high, description=description,
                                 continuous_update=False, style=style, layout=layout)

    sliders = {
        "input_size": slider("input size", input_size, 1, 12),
        "kernel_size": slider("kernel size", kernel_size, 1, 7),
        "padding": slider("padding", padding, 0, 4),
        "stride": slider("stride", stride, 1, 4),
        "dilation": slider("dilation", dilation, 1, 3),
        "row": slider("output row", 0, 0, 11),
        "col": slider("output column", 0, 0, 11),
    }
    label = widgets.HTML()
    formula = widgets.HTML()
    picture = widgets.Output(layout=picture_layout())
    updating = []        # non-empty while update() runs: clamping row/col re-triggers it

    def update(_=None):
        if updating:
            return
        updating.append(True)
        values = {name: s.value for name, s in sliders.items()}
        state = conv_explorer_state(values["input_size"], values["kernel_size"],
                                    values["padding"], values["stride"], values["dilation"],
                                    (values["row"], values["col"]))
        last = max((state["output_size"] or 1) - 1, 0)
        for name in ("row", "col"):
            sliders[name].max = last          # clamps the value into the output too
        if state["geometry"] is None:
            picture.outputs = ()
            picture.append_stdout("No diagram: the kernel does not fit in the padded input "
                                  "(see the line below).\n")
        else:
            if picture.outputs and picture.outputs[0].get("output_type") == "stream":
                picture.outputs = ()          # the notice goes when the kernel fits again
            with picture:
                picture.clear_output(wait=True)
                fig = conv_diagram(values["input_size"], values["kernel_size"],
                                   values["padding"], values["stride"], values["dilation"],
                                   state["position"])
                display(fig)
                plt.close(fig)
        # The text changes last, so when it shows the new size the diagram is already there.
        formula.value = f"<code>{state['formula']}</code>"
        label.value = status_html(state["text"])
        updating.clear()

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    controls = widgets.VBox(list(sliders.values()), layout=controls_layout("360px"))
    box = widgets.VBox([widgets.HBox([controls, picture], layout=row_layout()), label, formula])
    box.sliders, box.label, box.picture = sliders, label, picture
    return box
