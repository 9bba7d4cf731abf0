"""Sphinx extension of the course website: a still and a launch link for every explorer.

The interactive explorers (``cnnlib.widgets.kernel_explorer``, ``conv_explorer``) need a
running Python kernel, which a static page has not: their saved output is only a reference to
a widget model, and would show as an empty space under "Move the sliders". Here each such
output is replaced by a still of the explorer's first setting (its figure, drawn by the same
``cnnlib`` functions the explorer calls, and the status line it prints) and links that launch
the notebook on Binder or Colab, where the controls work.

Other widget outputs (the progress bars of training loops) are dropped: without a kernel
they are an empty placeholder.

``still(source)`` is also used by website/slides/build.py, so the slide decks show the same
stills.
"""
import ast
import base64
import html
import io
import os
import re

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CALL = re.compile(r"\b(kernel_explorer|conv_explorer)\(([^()]*)\)")
REPOSITORY, BRANCH = "cnn-course/cnn-course", "main"


def _keywords(arguments):
    call = ast.parse(f"f({arguments})", mode="eval").body
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def still(source):
    """``(png_bytes, alt, status_line)`` of the first explorer the cell ``source`` calls,
    or None if it calls none."""
    match = CALL.search(source)
    if match is None:
        return None
    os.environ.setdefault("CNNLIB_OFFLINE", "1")     # a build never downloads data
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnnlib import viz, widgets

    viz.set_style()
    name, kwargs = match.group(1), _keywords(match.group(2))
    if name == "conv_explorer":
        settings = dict(input_size=5, kernel_size=3, padding=0, stride=1, dilation=1)
        settings.update(kwargs)
        state = widgets.conv_explorer_state(**settings, check_torch=False)
        ax = viz.conv_diagram(**settings, position=state["position"])
        fig = getattr(ax, "figure", ax)
        alt = (f"Still of the convolution explorer: a {settings['input_size']}x"
               f"{settings['input_size']} input with padding {settings['padding']}, a "
               f"{settings['kernel_size']}x{settings['kernel_size']} kernel with stride "
               f"{settings['stride']} and dilation {settings['dilation']} placed at the first "
               f"output cell, and the output grid. {state['text']}")
        text = f"{state['text']}; formula: {state['formula']}"
    else:
        from cnnlib.widgets.kernel_explorer import explorer_images, plot_filtering
        images = explorer_images(digits=1)
        image_name, image = next(iter(images.items()))
        kernel_name = kwargs.get("kernel_name", "sharpen")
        state = widgets.kernel_explorer_state(
            image, kernel_name, operation=kwargs.get("operation", "correlate"),
            mode=kwargs.get("mode", "same"), boundary=kwargs.get("boundary", "fill"),
            stride=kwargs.get("stride", 1))
        fig = plot_filtering(image, state["kernel"], state["output"])
        alt = (f"Still of the kernel explorer: the {image_name} beside the {kernel_name} "
               f"kernel and the feature map it gives. {state['text']}")
        text = state["text"]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")   # the course style
    plt.close(fig)
    return buffer.getvalue(), alt, text


def launch_links(docname, repository=REPOSITORY, branch=BRANCH):
    """``(binder_url, colab_url)`` of the notebook ``docname`` (without .ipynb)."""
    return (f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/{docname}.ipynb",
            f"https://colab.research.google.com/github/{repository}/blob/{branch}/{docname}.ipynb")


def still_html(png, alt, text, binder, colab):
    data = base64.b64encode(png).decode("ascii")
    return (f'<div class="explorer-still">'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'style="max-width: 100%">'
            f'<p><code>{html.escape(text)}</code></p>'
            f'<p><strong>This explorer needs a running Python kernel</strong>, which a web page '
            f'does not have: above is a still of its first setting. To move its controls, '
            f'launch this notebook on <a class="explorer-launch" href="{binder}">Binder</a> or '
            f'<a class="explorer-launch" href="{colab}">Colab</a>, or run it on your computer.'
            f'</p></div>')


def replace_widget_outputs(app, doctree):
    # (docutils and Sphinx are imported here: website/slides/build.py uses still() in the
    # course environment, which has neither)
    from docutils import nodes
    from sphinx.util import logging

    theme = app.config.html_theme_options or {}
    url = theme.get("repository_url", "") or ""
    repository = url.split("github.com/")[-1].strip("/") or REPOSITORY
    branch = theme.get("repository_branch") or BRANCH
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        raws = [raw for raw in cell.findall(nodes.raw) if WIDGET_MIME in raw.astext()]
        if not raws:
            continue
        source = "".join(block.astext() for block in cell.findall(nodes.literal_block))
        drawn = still(source)
        if drawn is None:
            # another widget (a progress bar of a training loop): nothing to show without a
            # kernel, so its empty placeholder goes
            for raw in raws:
                raw.parent.remove(raw)
            continue
        binder, colab = launch_links(app.env.docname, repository, branch)
        raws[0].replace_self(nodes.raw("", still_html(*drawn, binder, colab), format="html"))
        for raw in raws[1:]:
            raw.parent.remove(raw)


def setup(app):
    app.connect("doctree-read", replace_widget_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
