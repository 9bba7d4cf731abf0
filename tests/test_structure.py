"""The house rules of CONTRIBUTING.md, checked on the code itself (parsed with ``ast``).

1. No module imports another module's private names (``from .x import _name``).  Private
   *modules* (``_validate.py``, ``models/_checks.py``, ``_conv_fast.py`` ...) belong to
   their package: their siblings may import their public names.  ``cnnlib._validate``,
   the shared module of argument checks, may be imported from anywhere in cnnlib.
2. The import floors: the table in CONTRIBUTING.md is read as data, every module of cnnlib
   must appear in it, and a module imports only modules on lower floors.
3. The NumPy core never imports torch, and ``import cnnlib`` loads no torch.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "cnnlib"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"

# The shared private module every part of cnnlib may import from (CONTRIBUTING.md).
SHARED_PRIVATE = ("cnnlib", "_validate")

# Known violations in files this change does not own, to be fixed by their owners; the
# test passes over exactly these and fails on any other.  Empty this list when they are
# fixed.  Each entry: (importing file relative to the repository, imported module, name).
KNOWN_PRIVATE_IMPORTS = [
]

# The NumPy core: never imports torch, not even inside a function.
NUMPY_CORE = ("_validate", "signal", "kernels", "padding", "unfold", "_winograd", "_conv_fast",
              "conv", "_pool_fast", "pool", "nn")


def modules():
    """Every module of cnnlib: (path, dotted name as a tuple, package as a tuple)."""
    for path in sorted(LIB.rglob("*.py")):
        parts = ("cnnlib",) + path.relative_to(LIB).with_suffix("").parts
        if parts[-1] == "__init__":
            yield path, parts[:-1], parts[:-1]
        else:
            yield path, parts, parts[:-1]


def is_module(parts):
    path = ROOT.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path, package):
    """Every import of a cnnlib module in ``path``: (line, module parts, imported names)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + (tuple(node.module.split(".")) if node.module else ())
            elif node.module and node.module.split(".")[0] == "cnnlib":
                target = tuple(node.module.split("."))
            else:
                continue
            names = [alias.name for alias in node.names]
            for name in names:
                if is_module(target + (name,)):      # "from . import conv": a module import
                    yield node.lineno, target + (name,), []
                    names = [n for n in names if n != name]
            if names:
                yield node.lineno, target, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cnnlib":
                    yield node.lineno, tuple(alias.name.split(".")), []


def private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_import_violations():
    found = []
    for path, module, package in modules():
        for line, target, names in imports(path, package):
            where = f"{path.relative_to(ROOT)}:{line}"
            if target != module:
                for name in names:
                    if private(name):
                        found.append((where, ".".join(target), name))
            # A private module is imported only by its siblings, the modules of its own
            # package (not by subpackages either), unless it is _validate.
            for i, part in enumerate(target):
                if private(part) and target[:i + 1] != SHARED_PRIVATE:
                    if package != target[:i] and module != target[:i + 1]:
                        found.append((where, ".".join(target), "(private module)"))
    return found


def test_no_module_imports_another_modules_private_names():
    found = private_import_violations()
    known = {(where.split(":")[0], target, name) for where, target, name in found} & {
        tuple(k) for k in KNOWN_PRIVATE_IMPORTS}
    new = [f for f in found if (f[0].split(":")[0], f[1], f[2]) not in known]
    assert not new, ("private names imported across modules (promote the helper to the "
                     "module's public interface, or move it to cnnlib._validate):\n" +
                     "\n".join(f"  {w}: from {t} import {n}" for w, t, n in new))


def test_the_allow_list_holds_only_violations_that_still_exist():
    still = {(w.split(":")[0], t, n) for w, t, n in private_import_violations()}
    fixed = [k for k in KNOWN_PRIVATE_IMPORTS if tuple(k) not in still]
    assert not fixed, f"fixed, remove from KNOWN_PRIVATE_IMPORTS: {fixed}"


def test_the_rule_catches_a_private_import(tmp_path, monkeypatch):
    # The checker itself, on a planted violation and on the allowed forms.
    bad = tmp_path / "cnnlib" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("from .padding import _secret\nfrom ._validate import as_ints\n"
                   "from .models._checks import check_positive\n")
    (tmp_path / "cnnlib" / "nn").mkdir()
    (tmp_path / "cnnlib" / "nn" / "layers.py").write_text("from .._conv_fast import forward\n"
                                                          "from .._validate import as_ints\n")
    found = [(t, n) for _, t, n in imports(bad, ("cnnlib",))]
    assert found == [(("cnnlib", "padding"), ["_secret"]), (("cnnlib", "_validate"), ["as_ints"]),
                     (("cnnlib", "models", "_checks"), ["check_positive"])]
    monkeypatch.setattr(sys.modules[__name__], "LIB", tmp_path / "cnnlib")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert private_import_violations() == [
        ("cnnlib/bad.py:1", "cnnlib.padding", "_secret"),
        ("cnnlib/bad.py:3", "cnnlib.models._checks", "(private module)"),
        ("cnnlib/nn/layers.py:1", "cnnlib._conv_fast", "(private module)")]


# ------------------------------------------------------------------------- the floors
def floor_table():
    """CONTRIBUTING.md's floor table: {unit: floor}, and {unit: allowed units} for "apart"."""
    text = CONTRIBUTING.read_text()
    head = text.index("| floor | modules | may import |")
    rows = []
    for line in text[head:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    floors, apart = {}, {}
    for floor, units, may in rows:
        for unit in re.findall(r"`([^`]+)`", units):
            if floor == "apart":
                apart[unit] = set(re.findall(r"`([^`]+)`", may))
            else:
                floors[unit] = int(floor)
    return floors, apart


def unit_of(parts):
    """The table's name for a module: ``conv``, ``nn``, ``models/_checks`` ..."""
    rest = parts[1:]
    if not rest:
        return "__init__"
    if rest[:2] == ("models", "_checks"):
        return "models/_checks"
    return rest[0]


def test_every_module_is_on_a_floor_of_contributing():
    floors, apart = floor_table()
    units = {unit_of(module) for _, module, _ in modules()} - {"__init__", "subsets"}
    missing = sorted(units - set(floors) - set(apart))
    assert not missing, f"add these modules to CONTRIBUTING.md's floor table: {missing}"
    gone = sorted((set(floors) | set(apart)) - units)
    assert not gone, f"CONTRIBUTING.md's floor table names modules that do not exist: {gone}"


def test_lower_floors_never_import_higher_ones():
    floors, apart = floor_table()
    wrong = []
    for path, module, package in modules():
        source = unit_of(module)
        if source == "__init__":
            continue                    # the package sits on top of every floor
        for line, target, _ in imports(path, package):
            to = unit_of(target)
            if to in (source, "__init__") and target[:2] == module[:2]:
                continue                # inside one unit (nn/, models/ ...)
            if source in apart:
                ok = to in apart[source]
            else:
                ok = to in floors and floors[to] < floors[source]
            if not ok:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {source} (floor "
                             f"{floors.get(source, 'apart')}) imports {to} (floor "
                             f"{floors.get(to, 'apart')})")
    assert not wrong, "imports against CONTRIBUTING.md's floors:\n" + "\n".join(wrong)


def test_the_floor_table_is_read_as_the_house_intends():
    # A guard for the parser: the table has the floors the text describes.
    floors, apart = floor_table()
    assert floors["_validate"] == 0
    assert floors["conv"] > floors["_conv_fast"] > floors["unfold"] > floors["padding"]
    assert floors["pool"] > floors["_pool_fast"]
    assert apart["models"] == {"models/_checks"}


# ------------------------------------------------------------------------- no torch
TORCH = ("torch", "torchvision")


@pytest.mark.parametrize("unit", NUMPY_CORE)
def test_the_numpy_core_never_imports_torch(unit):
    paths = [LIB / f"{unit}.py"] if (LIB / f"{unit}.py").exists() else sorted(
        (LIB / unit).rglob("*.py"))
    assert paths
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            assert not [n for n in names if n.split(".")[0] in TORCH], (
                f"{path.relative_to(ROOT)}:{node.lineno} imports torch")


def test_import_cnnlib_loads_no_torch():
    code = ("import sys, cnnlib, cnnlib.conv, cnnlib.pool, cnnlib.nn; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
