"""Put an "Open in Colab" badge and a cnnlib install cell at the top of every notebook.

Colab has NumPy, matplotlib and PyTorch but not the course library. Each notebook starts
with two cells that this script maintains:

1. a markdown cell (id ``colab-badge``) with the Open-in-Colab badge of that notebook;
2. a code cell (id ``colab-install``) that installs ``cnnlib`` from the course repository
   when it cannot be imported, and does nothing where it can (a clone set up as the README
   says, Binder, CI). The environment variable ``CNNLIB_INSTALL_SOURCE`` replaces the
   repository by any pip requirement, e.g. the path of a local clone.

Both cells are tagged ``remove-cell``: the website has its own Colab and Binder buttons.

The script is idempotent: it inserts the cells where they are missing and rewrites them
where they differ from the current text, and changes nothing else. It edits the lessons
(``notebooks/*.ipynb``; for a lesson with exercises its instructor source
``notebooks/source/<lesson>.ipynb`` instead, whose badge points at the student version) and
the instructor sources of the assignments (``notebooks/assignments/source/*.ipynb``, whose
badge points at the student version), then regenerates the student versions with
``course_admin.generate``. Run it from anywhere:

    python website/colab_cells.py          # update the notebooks
    python website/colab_cells.py --check  # only report which notebooks are out of date
"""
import argparse
import pathlib
import sys

import nbformat

REPO = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SOURCES = NOTEBOOKS / "assignments" / "source"
LESSON_SOURCES = NOTEBOOKS / "source"
REPOSITORY = "cnn-course/cnn-course"
BRANCH = "main"
BADGE_ID, INSTALL_ID = "colab-badge", "colab-install"
TAGS = ["remove-cell"]
INSTALL_SOURCE = f"git+https://github.com/{REPOSITORY}@{BRANCH}"

INSTALL_CELL = f"""\
# Colab (or any environment without the course library): install cnnlib from the course
# repository; CNNLIB_INSTALL_SOURCE may name another source, e.g. a local clone. Where
# cnnlib is installed already (the course environment, Binder) this cell does nothing.
import importlib
import os

try:
    import cnnlib
except ImportError:
    _source = os.environ.get("CNNLIB_INSTALL_SOURCE", "{INSTALL_SOURCE}")
    %pip install --quiet {{_source}}
    importlib.invalidate_caches()
    import cnnlib"""


def colab_url(path):
    """The Colab URL of the notebook at ``path`` (relative to the repository root)."""
    return (f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/"
            f"{pathlib.PurePosixPath(path)}")


def badge_markdown(path):
    """The badge's markdown for the notebook at ``path`` (relative to the repository)."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path)})")


def lesson_notebooks():
    """The notebooks this script edits: lessons or their sources, then assignment sources."""
    sources = sorted(LESSON_SOURCES.glob("*.ipynb"))
    generated = {p.name for p in sources}
    return (sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.name not in generated) + sources
            + sorted(SOURCES.glob("*.ipynb")))


def published_path(notebook):
    """Where students open ``notebook`` (the student version for an assignment source)."""
    notebook = pathlib.Path(notebook).resolve()
    if notebook.parent == SOURCES.resolve():
        notebook = SOURCES.parent / notebook.name
    elif notebook.parent == LESSON_SOURCES.resolve():
        notebook = NOTEBOOKS / notebook.name
    return notebook.relative_to(REPO).as_posix()


def expected_cells(path):
    """The two cells the notebook published at ``path`` must start with."""
    badge = nbformat.v4.new_markdown_cell(badge_markdown(path), id=BADGE_ID)
    install = nbformat.v4.new_code_cell(INSTALL_CELL, id=INSTALL_ID)
    for cell in (badge, install):
        cell.metadata["tags"] = list(TAGS)
    return badge, install


def _same(cell, expected):
    return (cell.cell_type == expected.cell_type and cell.source == expected.source
            and cell.get("metadata", {}).get("tags") == expected.metadata["tags"])


def problems(nb, path):
    """What is wrong with the top of ``nb`` (published at ``path``); empty if nothing."""
    badge, install = expected_cells(path)
    found = []
    cells = nb.cells
    if len(cells) < 2 or cells[0].get("id") != BADGE_ID or not _same(cells[0], badge):
        found.append("the first cell is not the current Colab badge")
    if len(cells) < 2 or cells[1].get("id") != INSTALL_ID or not _same(cells[1], install):
        found.append("the second cell is not the current cnnlib install cell")
    return found


def update(nb, path):
    """Return a copy of ``nb`` that starts with the current badge and install cells."""
    nb = nbformat.from_dict(nb)
    badge, install = expected_cells(path)
    old = {cell.get("id"): cell for cell in nb.cells if cell.get("id") in (BADGE_ID, INSTALL_ID)}
    rest = [cell for cell in nb.cells if cell.get("id") not in (BADGE_ID, INSTALL_ID)]
    if INSTALL_ID in old:
        # keep what an execution recorded; only the source and tags are ours
        kept = old[INSTALL_ID]
        kept.source, kept.metadata["tags"] = install.source, install.metadata["tags"]
        install = kept
    nb.cells = [badge, install] + rest
    return nb


def _write(nb, path):
    text = nbformat.writes(nb) + "\n"
    if path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a notebook is out of date")
    args = parser.parse_args(argv)
    stale = []
    for notebook in lesson_notebooks():
        nb = nbformat.read(notebook, as_version=4)
        path = published_path(notebook)
        if args.check:
            if problems(nb, path):
                stale.append(notebook)
        elif _write(update(nb, path), notebook):
            print(f"updated {notebook.relative_to(REPO)}")
    if args.check:
        for notebook in stale:
            print(f"out of date: {notebook.relative_to(REPO)}")
        return 1 if stale else 0
    sys.path.insert(0, str(REPO))
    from course_admin.generate import generate

    for student, changed in generate(SOURCES).items():
        if changed:
            print(f"regenerated {pathlib.Path(student).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
