"""The Open-in-Colab badge and the cnnlib install cell (website/colab_cells.py).

The install cell is run for real: in a fresh virtual environment that has the course's
packages but not cnnlib, with ``CNNLIB_INSTALL_SOURCE`` pointing at a local copy of the
repository, it must install cnnlib; in the course environment it must do nothing.
"""
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("colab_cells", REPO / "website" / "colab_cells.py")
colab_cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_cells)

RUN_SCRIPT = "run `python website/colab_cells.py` (it adds the cells to every notebook)"


def all_notebooks():
    """Lessons, lesson and assignment sources, and student versions."""
    nbs = colab_cells.NOTEBOOKS
    return (sorted(nbs.glob("*.ipynb")) + sorted((nbs / "assignments").glob("*.ipynb"))
            + sorted(colab_cells.SOURCES.glob("*.ipynb"))
            + sorted(colab_cells.LESSON_SOURCES.glob("*.ipynb")))


def test_badge_points_at_the_notebook_itself():
    assert colab_cells.published_path(REPO / "notebooks/01a_convolution.ipynb") == \
        "notebooks/01a_convolution.ipynb"
    source = colab_cells.SOURCES / "01_conv_from_scratch.ipynb"
    assert colab_cells.published_path(source) == "notebooks/assignments/01_conv_from_scratch.ipynb"
    lesson = colab_cells.LESSON_SOURCES / "01b_convolution_theory.ipynb"
    assert colab_cells.published_path(lesson) == "notebooks/01b_convolution_theory.ipynb"
    assert lesson in colab_cells.lesson_notebooks()
    assert colab_cells.NOTEBOOKS / lesson.name not in colab_cells.lesson_notebooks()
    badge = colab_cells.badge_markdown("notebooks/01a_convolution.ipynb")
    assert badge.endswith("(https://colab.research.google.com/github/cnn-course/cnn-course/"
                          "blob/main/notebooks/01a_convolution.ipynb)")


def test_update_is_idempotent_and_keeps_every_other_cell():
    path = "notebooks/01a_convolution.ipynb"
    nb = nbformat.read(REPO / path, as_version=4)
    original = [c for c in nb.cells if c.get("id") not in ("colab-badge", "colab-install")]
    once = colab_cells.update(nb, path)
    twice = colab_cells.update(once, path)
    assert nbformat.writes(once) == nbformat.writes(twice)
    assert colab_cells.problems(once, path) == []
    assert [c.id for c in once.cells[:2]] == ["colab-badge", "colab-install"]
    assert once.cells[2:] == original
    nbformat.validate(once)


def test_problems_names_a_stale_install_cell():
    path = "notebooks/01a_convolution.ipynb"
    nb = colab_cells.update(nbformat.read(REPO / path, as_version=4), path)
    nb.cells[1].source = nb.cells[1].source.replace("--quiet", "")
    assert colab_cells.problems(nb, path) == [
        "the second cell is not the current cnnlib install cell"]


def test_every_notebook_has_the_current_cells_or_none_has():
    """Consistent: all notebooks carry the current badge and install cell (or none yet)."""
    status = {}
    for notebook in all_notebooks():
        nb = nbformat.read(notebook, as_version=4)
        has = any(c.get("id") in ("colab-badge", "colab-install") for c in nb.cells)
        path = colab_cells.published_path(notebook)
        status[notebook.relative_to(REPO).as_posix()] = (has, colab_cells.problems(nb, path))
    if not any(has for has, _ in status.values()):
        pytest.skip(f"no notebook has the Colab cells yet: {RUN_SCRIPT}")
    wrong = {name: found for name, (has, found) in status.items() if found}
    assert not wrong, f"out of date, {RUN_SCRIPT}: {wrong}"


def test_readme_map_has_a_colab_badge_in_every_row():
    rows = [line for line in (REPO / "README.md").read_text().splitlines()
            if re.match(r"\| \[`[^`]+`\]\(notebooks/", line)]
    assert len(rows) >= 10
    for row in rows:
        target = re.match(r"\| \[`[^`]+`\]\((notebooks/[^)]+\.ipynb)\)", row).group(1)
        assert colab_cells.colab_url(target) in row, f"no Colab badge for {target}"


def install_cell():
    """Notebook 01a's install cell once the script has run; until then, the script's."""
    nb = nbformat.read(REPO / "notebooks/01a_convolution.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("id") == "colab-install":
            return cell.source
    return colab_cells.INSTALL_CELL


def run_in_ipython(python, code, env, cwd):
    return subprocess.run([str(python), "-m", "IPython", "--quick", "--no-banner",
                           "--colors=NoColor", "-c", code],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def test_install_cell_does_nothing_where_cnnlib_is_installed(tmp_path):
    # Any install attempt would fail loudly on this source.
    env = dict(os.environ, CNNLIB_INSTALL_SOURCE=str(tmp_path / "no-such-clone"),
               PYTHONPATH=str(REPO))
    result = run_in_ipython(sys.executable, install_cell(), env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and "pip" not in result.stderr.lower()


@pytest.mark.colab
def test_install_cell_installs_cnnlib_from_the_given_source(tmp_path):
    base = pathlib.Path(sysconfig.get_paths()["purelib"])
    # The course environment minus cnnlib: a folder of links to every installed package
    # except cnnlib (its files, metadata and editable finder).
    layer = tmp_path / "site-without-cnnlib"
    layer.mkdir()
    for entry in base.iterdir():
        if "cnnlib" not in entry.name.lower():
            (layer / entry.name).symlink_to(entry)
    try:
        import setuptools
    except ImportError:
        pytest.skip("setuptools is not installed: pip cannot build cnnlib without the internet")
    if int(setuptools.__version__.split(".")[0]) < 68:
        pytest.skip("setuptools < 68: pip would need the internet to build cnnlib")
    fresh = tmp_path / "fresh-venv"
    # No pip of its own: the venv's bundled setuptools is too old for pyproject.toml, so
    # pip and setuptools come from the layer, and nothing is fetched from an index.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    pathlib.Path(site, "course-environment.pth").write_text(f"{layer}\n")
    # the local clone: what pip needs to build cnnlib
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, clone / name)
    shutil.copytree(REPO / "cnnlib", clone / "cnnlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(CNNLIB_INSTALL_SOURCE=str(clone), PIP_NO_INDEX="1",
                    PIP_NO_BUILD_ISOLATION="0")

    probe = ("import json, cnnlib; "
             "print(json.dumps([cnnlib.__file__, float(cnnlib.conv2d.__name__ == 'conv2d')]))")
    before = subprocess.run([str(python), "-c", probe], env=env, cwd=work,
                            capture_output=True, text=True)
    assert before.returncode != 0 and "No module named 'cnnlib'" in before.stderr, \
        "the fresh environment must start without cnnlib"

    result = run_in_ipython(python, install_cell(), env, work)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr

    after = subprocess.run([str(python), "-c", probe], env=env, cwd=work,
                           capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    location, ok = json.loads(after.stdout)
    assert pathlib.Path(location).resolve().is_relative_to(pathlib.Path(site).resolve())
    assert ok == 1.0

    again = run_in_ipython(python, install_cell(), env, work)
    assert again.returncode == 0 and again.stdout.strip() == "", again.stdout + again.stderr
