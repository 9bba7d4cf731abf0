"""The package's face: every public submodule is reachable as ``cnnlib.<name>``."""
import pkgutil
import subprocess
import sys

import pytest

import cnnlib


def public_submodules():
    return sorted(m.name for m in pkgutil.iter_modules(cnnlib.__path__)
                  if not m.name.startswith("_") and m.name != "subsets")


def test_every_submodule_is_an_attribute():
    # Checked in a fresh interpreter: in this one other tests may have imported them already.
    names = public_submodules()
    code = ("import cnnlib\n"
            f"for name in {names!r}:\n"
            "    assert getattr(cnnlib, name).__name__ == 'cnnlib.' + name, name\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert {"landscape", "deconvnet", "segmentation", "selfcheck", "conv"} <= set(names)


def test_unknown_attribute_names_itself():
    with pytest.raises(AttributeError, match="no_such_part"):
        cnnlib.no_such_part
