"""The code follows the house style that pyproject.toml's ruff configuration writes down."""
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing_in_the_code():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                          "cnnlib", "course_admin", "tests"],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
