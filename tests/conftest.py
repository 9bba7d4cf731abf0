"""Shared pytest set-up: hypothesis profiles and a data fixture."""
import os

from hypothesis import HealthCheck, settings

# CI and the default run use a fixed, derandomised profile so a failure reproduces
# exactly; `pytest --hypothesis-profile=thorough` searches harder.
settings.register_profile(
    "course", max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))


# ---------------------------------------------------------------- the NumPy-only run
# .ci/run also runs the tests on Python versions whose environment holds only NumPy,
# SciPy, scikit-learn, pytest and hypothesis (no torch, matplotlib, Jupyter), with
# CNNLIB_NUMPY_ONLY=1.  Then a test module importing a package that is not installed is
# left out at collection, and a test that fails only because such a package is missing
# (a lazy import) is reported as skipped.  Without the variable nothing changes: a missing
# package is an error, as it should be in the course's environment.
NUMPY_ONLY = os.environ.get("CNNLIB_NUMPY_ONLY") == "1"


def _missing_imports(path):
    import ast
    import importlib.util
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    missing = {n for n in names if importlib.util.find_spec(n) is None}
    for n in names:                      # another test module (test_website ...): its imports
        if (path.parent / f"{n}.py").is_file():
            missing |= set(_missing_imports(path.parent / f"{n}.py"))
    return sorted(missing)


def pytest_ignore_collect(collection_path, config):
    if (NUMPY_ONLY and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_") and _missing_imports(collection_path)):
        return True
    return None


if NUMPY_ONLY:
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        error = call.excinfo.value if call.excinfo else None
        if report.failed and isinstance(error, ModuleNotFoundError) and error.name:
            import importlib.util
            if importlib.util.find_spec(error.name.split(".")[0]) is None:
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0,
                                   f"needs {error.name}, not installed in this environment")
