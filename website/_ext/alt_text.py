"""Sphinx extension of the course website: alt text for the notebooks' figures.

Alt text convention (see website/README.md). A figure drawn by a code cell gets its alt text
from, in this order:

1. the cell's metadata ``{"mystnb": {"image": {"alt": "..."}}}`` (myst-nb's own option);
2. a comment line ``# alt: ...`` in the cell, e.g. ``# alt: ten MNIST digits, one per class``;
   a cell drawing several figures may have one such line per figure, in the order drawn;
3. otherwise a fallback naming the figure, its section and the titles the cell gives its
   plots (``set_title("...")``, ``suptitle("...")``, ``title="..."``): ``Figure 2 of
   section "Padding", titled "valid", "same"``, so that a screen reader at least says where
   the figure belongs and what it is called.

The build writes how many figures use the fallback (``alt text: ... fallback``), so that an
author can see which sections still need a description.
"""
import re

from docutils import nodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ALT_COMMENT = re.compile(r"^\s*#\s*alt:\s*(.+?)\s*$", re.MULTILINE)
# A plain string literal given as a title (f-strings with fields say too little).
TITLE = re.compile(r"""(?:set_title|suptitle|\btitle\s*=)\s*\(?\s*f?(["'])([^"'{}\n]+)\1""")


def _section_title(node):
    while node is not None:
        if isinstance(node, nodes.section) and node.children:
            return node.children[0].astext()
        node = node.parent
    return None


def add_alt_text(app, doctree):
    counts = {"metadata": 0, "comment": 0, "fallback": 0}
    per_section = {}
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        images = [img for img in cell.findall(nodes.image)]
        if not images:
            continue
        source = "".join(block.astext() for block in cell.findall(nodes.literal_block)
                         if block.parent is not None
                         and block.parent.get("nb_element") == "cell_code_source")
        comments = ALT_COMMENT.findall(source)
        titles = list(dict.fromkeys(t.strip() for _, t in TITLE.findall(source)))[:4]
        title = _section_title(cell) or app.env.docname
        for i, image in enumerate(images):
            per_section[title] = per_section.get(title, 0) + 1
            if image.get("alt"):
                counts["metadata"] += 1
            elif comments:
                image["alt"] = comments[min(i, len(comments) - 1)]
                counts["comment"] += 1
            else:
                image["alt"] = f'Figure {per_section[title]} of section "{title}"'
                if titles:
                    image["alt"] += ", titled " + ", ".join(f'"{t}"' for t in titles)
                counts["fallback"] += 1
    if any(counts.values()):
        LOGGER.info(f"alt text: {app.env.docname}: {counts['metadata']} from metadata, "
                    f"{counts['comment']} from '# alt:' comments, {counts['fallback']} fallback")


def setup(app):
    app.connect("doctree-read", add_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
