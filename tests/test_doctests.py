"""The examples in cnnlib's docstrings run and print what they show."""
import doctest
import importlib
import pkgutil

import pytest

import cnnlib

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(cnnlib.__path__, "cnnlib."))
# Optional extras: a module whose dependency is not installed has nothing to check here.
OPTIONAL = {"cnnlib.widgets": "ipywidgets"}


@pytest.mark.parametrize("name", ["cnnlib"] + MODULES)
def test_docstring_examples(name):
    for prefix, package in OPTIONAL.items():
        if name.startswith(prefix):
            pytest.importorskip(package)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
