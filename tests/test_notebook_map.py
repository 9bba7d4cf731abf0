"""The maps of the course (README and welcome notebook) list every notebook there is."""
import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
LESSONS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))


def welcome_map():
    cells = json.loads((REPO / "notebooks" / "00_welcome.ipynb").read_text())["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    maps = [t for t in texts if t.startswith("## The notebook map")]
    assert len(maps) == 1
    return maps[0]


@pytest.mark.parametrize("name", LESSONS)
def test_welcome_map_lists_every_lesson(name):
    assert f"`{name}`" in welcome_map()


def test_welcome_map_names_only_notebooks_that_exist():
    words = (word.strip("`") for word in welcome_map().split())
    named = {word for word in words if word.endswith(".ipynb")}
    assert named == set(LESSONS)


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").rglob("*.ipynb")),
                         ids=lambda p: str(p.relative_to(REPO / "notebooks")))
def test_readme_map_links_every_notebook(path):
    readme = (REPO / "README.md").read_text()
    rel = path.relative_to(REPO)
    if rel.parent.name == "source":
        pytest.skip("solutions are linked through the assignments' README")
    assert f"]({rel})" in readme, f"README's notebook map has no link to {rel}"
