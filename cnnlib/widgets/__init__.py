"""Interactive explorers for the notebooks (ipywidgets).

Each explorer keeps its arithmetic in a plain function that tests call without a
browser; the widget only wires sliders to that function and draws the result.
"""
from .conv_explorer import conv_explorer, conv_explorer_state
from .kernel_explorer import (
    kernel_explorer, kernel_explorer_state, parse_kernel, format_kernel, apply_kernel,
    plot_filtering, explorer_images,
)
