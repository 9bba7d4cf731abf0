"""Sphinx extension of the course website: alt text for the notebooks' figures.

Every figure drawn by a code cell takes its alt text from the cell's comment lines
``# alt: <what the figure shows>``, one line per figure in the order the cell draws them
(the course's notebook convention; tests/test_course_text.py checks every committed notebook).
There is no generated fallback: a figure without its line gets a warning naming the notebook,
the section and the cell, and the site's build (``-W``) fails.
"""
import re

from docutils import nodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ALT_COMMENT = re.compile(r"^\s*#\s*alt:\s*(.+?)\s*$", re.MULTILINE)


def _section_title(node):
    while node is not None:
        if isinstance(node, nodes.section) and node.children:
            return node.children[0].astext()
        node = node.parent
    return None


def add_alt_text(app, doctree):
    written = missing = 0
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        images = list(cell.findall(nodes.image))
        if not images:
            continue
        source = "".join(block.astext() for block in cell.findall(nodes.literal_block)
                         if block.parent is not None
                         and block.parent.get("nb_element") == "cell_code_source")
        comments = ALT_COMMENT.findall(source)
        for i, image in enumerate(images):
            if i < len(comments):
                image["alt"] = comments[i]
                written += 1
            else:
                missing += 1
                first = source.strip().splitlines()[0][:60] if source.strip() else ""
                LOGGER.warning(
                    f"figure {i + 1} of a cell in section {_section_title(cell)!r} has no "
                    f"'# alt:' line (the cell has {len(comments)} for {len(images)} figures; "
                    f"it starts {first!r})", location=cell)
                image["alt"] = ""
    if written or missing:
        LOGGER.info(f"alt text: {app.env.docname}: {written} figures described, {missing} not")


def setup(app):
    app.connect("doctree-read", add_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
