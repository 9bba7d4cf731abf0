"""The maps of the course (README and welcome notebook) and the notebooks on disk agree.

The course's lessons and assignments, in order, are listed once, in
website/guide/objectives.yml (the lecturer's guide reads the same file). The README's map, the
welcome notebook's map and the notebooks in notebooks/ must name exactly those files.
"""
import json
import pathlib
import re

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
COURSE = yaml.safe_load((REPO / "website" / "guide" / "objectives.yml").read_text())
PLANNED = [entry["file"] for entry in COURSE["lessons"] + COURSE["assignments"]]
ON_DISK = sorted(p.relative_to(REPO).as_posix()
                 for p in list((REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))
                 + list((REPO / "notebooks" / "assignments").glob("[0-9][0-9]*.ipynb")))


def welcome_map():
    cells = json.loads((REPO / "notebooks" / "00_welcome.ipynb").read_text())["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    maps = [t for t in texts if t.startswith("## The notebook map")]
    assert len(maps) == 1
    return maps[0]


def readme_map():
    readme = (REPO / "README.md").read_text()
    start = readme.index("## The notebook map")
    return readme[start:readme.index("\n## ", start + 1)]


def test_the_planned_course_is_in_order_without_repeats():
    assert len(set(PLANNED)) == len(PLANNED)
    lessons = [entry["file"] for entry in COURSE["lessons"]]
    assert lessons == sorted(lessons)
    for entry in COURSE["lessons"]:
        assert pathlib.Path(entry["file"]).name.startswith(entry["id"] + "_"), entry


def test_the_notebooks_on_disk_are_the_planned_ones():
    assert ON_DISK == sorted(PLANNED), (
        f"missing: {sorted(set(PLANNED) - set(ON_DISK))}; "
        f"not in website/guide/objectives.yml: {sorted(set(ON_DISK) - set(PLANNED))}")


def test_welcome_map_names_exactly_the_planned_notebooks():
    named = re.findall(r"`([\w/]+\.ipynb)`", welcome_map())
    assert named == [pathlib.Path(f).relative_to("notebooks").as_posix() for f in PLANNED]


def test_readme_map_links_exactly_the_planned_notebooks_in_order():
    linked = re.findall(r"\]\((notebooks/[\w/]+\.ipynb)\)", readme_map())
    assert linked == PLANNED


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").rglob("*.ipynb")),
                         ids=lambda p: str(p.relative_to(REPO / "notebooks")))
def test_readme_links_every_notebook(path):
    readme = (REPO / "README.md").read_text()
    rel = path.relative_to(REPO)
    if rel.parent.name == "source":
        pytest.skip("solutions are linked through the assignments' README")
    assert f"]({rel.as_posix()})" in readme, f"README has no link to {rel}"
