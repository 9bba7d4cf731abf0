"""Layout shared by the explorers: controls on the left, the figure beside them, status below.

A flex item may shrink below its content, so a wide figure next to the controls used to
cover them (the typed-kernel box was cut). The controls keep their width here; the figure
takes the rest of the row and scrolls if it must; on a narrow screen the row wraps and
the figure goes below the controls. The status line is an ``HTML`` widget, which wraps
long lines where a ``Label`` cuts them off at the edge.
"""
import html

import ipywidgets as widgets


def controls_layout(width="350px"):
    return widgets.Layout(flex="0 0 auto", width=width)


def picture_layout():
    return widgets.Layout(flex="1 1 auto", min_width="0", overflow="auto")


def row_layout():
    return widgets.Layout(flex_flow="row wrap", align_items="flex-start")


def status_html(text):
    """``text`` as the value of the status ``HTML`` widget (escaped, so it shows as typed)."""
    return html.escape(text, quote=False)
