"""The Binder set-up: same pins as the course, a working postBuild, Binder-sized notebooks."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import venv

import pytest

from cnnlib.data import reachable

pytestmark = pytest.mark.slow   # integration: runs kernels, venvs or servers

REPO = pathlib.Path(__file__).resolve().parent.parent
BINDER = REPO / "binder"


def pins(path):
    """{package: version} from a requirements file (options and -e lines skipped)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{path.name}: {line!r} is not pinned with =="
        out[name.strip().lower()] = version.strip()
    return out


def test_binder_pins_agree_with_requirements():
    course, binder = pins(REPO / "requirements.txt"), pins(BINDER / "requirements.txt")
    assert set(course) == set(binder)
    for name, version in course.items():
        if name in ("torch", "torchvision"):
            assert binder[name] == f"{version}+cpu", f"Binder must use the CPU build of {name}"
        else:
            assert binder[name] == version, f"{name}: {binder[name]} on Binder, {version} here"


def test_binder_uses_the_cpu_wheel_index():
    text = (BINDER / "requirements.txt").read_text()
    assert re.search(r"^--extra-index-url https://download\.pytorch\.org/whl/cpu$", text, re.M)


def test_runtime_is_python_3_11():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_postbuild_is_executable_in_git():
    assert os.access(BINDER / "postBuild", os.X_OK)
    mode = subprocess.run(["git", "ls-files", "-s", "binder/postBuild"], cwd=REPO,
                          capture_output=True, text=True).stdout.split()
    if mode:  # tracked: the executable bit must be committed, not only set locally
        assert mode[0] == "100755"


def test_postbuild_succeeds_in_a_fresh_venv(tmp_path):
    """Run postBuild as Binder would, in a new environment, without the data download."""
    if not reachable(["https://pypi.org/simple/"], 5.0):
        pytest.skip("no network: pip cannot reach PyPI to build the test environment")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    course = pins(REPO / "requirements.txt")
    # What postBuild relies on being installed already (Binder installs binder/requirements.txt
    # first); torch is left out here, since postBuild does not touch it.
    needed = [f"{name}=={course[name]}" for name in ("jupyterlab", "ipywidgets", "numpy",
                                                     "matplotlib", "tqdm")]
    subprocess.run([bin_dir / "pip", "install", "-q", *needed], check=True,
                   capture_output=True)
    repo_copy = tmp_path / "repo"
    def left_out(folder, names):
        # The repository's own data/ folder (downloads) stays behind, not cnnlib/data/.
        out = {n for n in names if n in {".venv", ".git", "__pycache__", ".hypothesis", "build"}
               or n.endswith(".ipynb")}
        return out | ({"data"} & set(names) if pathlib.Path(folder) == REPO else set())

    shutil.copytree(REPO, repo_copy, ignore=left_out)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", CNNLIB_OFFLINE="1",
               VIRTUAL_ENV=str(env_dir))
    env.pop("PYTHONPATH", None)
    result = subprocess.run(["bash", "binder/postBuild"], cwd=repo_copy, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    check = subprocess.run([bin_dir / "python", "-c", "import cnnlib, sys; print(cnnlib.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr
    assert str(repo_copy) in check.stdout


def notebook_code(path):
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


NOTEBOOKS = sorted(p for p in (REPO / "notebooks").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
# Student versions of the assignments stop at their first stub by design: their solved
# sources (notebooks/assignments/source/) are the ones executed and measured.
# The instructor sources of lessons (notebooks/source/) are committed without outputs; their
# generated student versions (notebooks/<lesson>.ipynb) are the ones executed and measured.
EXECUTED = [p for p in NOTEBOOKS if p.parent.name != "assignments"
            and p.parent != REPO / "notebooks" / "source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_needs_no_gpu_and_writes_only_inside(path):
    code = notebook_code(path)
    assert not re.search(r"\.cuda\(|device\s*=\s*['\"]cuda|['\"]mps['\"]\s*\)", code), \
        "notebooks must run on the CPU: choose the device with torch.cuda.is_available()"
    # No absolute paths: Binder's only writable places are the repository and home.
    assert not re.search(r"['\"]/(tmp|home|root|work|data|mnt)/", code)


def test_every_notebook_measured_under_binder_memory():
    """benchmarks/notebook_resources.py records each notebook's peak memory, its time and the
    machine's speed; the time scaled to a 35 GFLOP/s machine is at most 90 s."""
    results = json.loads((REPO / "benchmarks" / "notebook_resources.json").read_text())
    for path in EXECUTED:
        name = str(path.relative_to(REPO / "notebooks"))
        assert name in results, f"{name} has no measurement: run benchmarks/notebook_resources.py"
        assert results[name]["peak_mb"] is not None and results[name]["peak_mb"] < 1536, name
        # The wall time scaled to a slow laptop (float32 matrix product at 35 GFLOP/s on one
        # thread) by the speed measured beside it.
        speed = results[name].get("matmul_gflops")
        assert speed, (f"{name}: no matmul speed beside its time: "
                       "run benchmarks/notebook_resources.py")
        scaled = results[name]["seconds"] * speed / 35
        assert results[name]["seconds_at_35_gflops"] == pytest.approx(scaled, abs=0.1), name
        assert scaled <= 90, f"{name}: {scaled:.0f} s on a 35 GFLOP/s machine (limit 90 s)"
    assert sum(r["seconds"] for k, r in results.items() if not k.startswith("_")) < 600
