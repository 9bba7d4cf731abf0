"""Sphinx extension of the course website: the lecturer's guide pages read the course's data.

Directives (used in website/guide/*.md):

``{course-objectives}``
    the learning objectives of website/guide/objectives.yml, lesson by lesson, each with the
    quiz, exercise or assignment task that assesses it (the same file that
    tests/test_course_text.py checks);
``{course-decks}``
    one link per lesson to its reveal.js slide deck, ``slides/<notebook>.slides.html`` at the
    root of the built site (.ci/website builds the decks after the book). A lesson whose
    notebook is not in the repository yet is listed without a link.
"""
import pathlib

import yaml
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

REPO = pathlib.Path(__file__).resolve().parents[2]
OBJECTIVES = REPO / "website" / "guide" / "objectives.yml"


def _course():
    return yaml.safe_load(OBJECTIVES.read_text(encoding="utf-8"))


def _entry_title(entry):
    paragraph = nodes.paragraph()
    paragraph += nodes.strong(text=f"{entry['id']} · {entry['title']}")
    paragraph += nodes.Text(" (")
    paragraph += nodes.literal(text=pathlib.Path(entry["file"]).name)
    paragraph += nodes.Text(")")
    return paragraph


class CourseObjectives(SphinxDirective):
    """The objectives of every lesson and assignment, with what assesses each."""

    def run(self):
        self.env.note_dependency(str(OBJECTIVES))
        course = _course()
        out = []
        for entry in course["lessons"] + course["assignments"]:
            out.append(_entry_title(entry))
            items = nodes.bullet_list()
            for objective in entry["objectives"]:
                paragraph = nodes.paragraph()
                paragraph += nodes.Text(objective["text"].strip() + " Assessed by: ")
                for i, item in enumerate(objective["assessed_by"]):
                    if i:
                        paragraph += nodes.Text(", ")
                    if item.strip().upper() == "TODO":
                        paragraph += nodes.emphasis(text="to be named")
                    else:
                        paragraph += nodes.literal(text=item)
                paragraph += nodes.Text(".")
                items += nodes.list_item("", paragraph)
            out.append(items)
        return out


class CourseDecks(SphinxDirective):
    """A table of the lessons with a link to each one's slide deck."""

    def run(self):
        self.env.note_dependency(str(OBJECTIVES))
        depth = self.env.docname.count("/")
        prefix = "../" * depth + "slides/"
        rows = []
        for entry in _course()["lessons"]:
            name = pathlib.Path(entry["file"]).stem
            label = f"{entry['id']} · {entry['title']}"
            if (REPO / entry["file"]).is_file():
                rows.append(f'<li><a class="course-deck" href="{prefix}{name}.slides.html">'
                            f"{label}</a></li>")
            else:
                rows.append(f"<li>{label} (not in the repository yet)</li>")
        html = '<ul class="course-decks">\n' + "\n".join(rows) + "\n</ul>"
        return [nodes.raw("", html, format="html")]


def setup(app):
    app.add_directive("course-objectives", CourseObjectives)
    app.add_directive("course-decks", CourseDecks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
