"""The NumPy-only rule of assignment 1: your layers in NumPy, not borrowed from a library.

Parts 1-4 of assignment 1 ask for the convolution and max pooling, forward and
backward, written with NumPy.  Calling ``cnnlib``'s, PyTorch's or SciPy's versions
(``cnnlib.conv2d``, ``torch.nn.functional.conv2d``, ``scipy.signal.correlate``...)
from them, directly or through a helper of your own, scores 0 for that task.  The
grader reads the code of the solution cells (it does not run it for this) and
follows the names they use to your other definitions; :func:`check_numpy_only`
tells you the same before you hand in.

The check reads code, it does not run it: it looks for imports of and names bound
to the libraries below, and for ``eval``, ``exec``, ``__import__``, ``importlib``,
``globals()``, ``sys.modules`` and ``getattr`` with a computed name, which would hide
such a call from it (and so count as one).
"""
import ast
import inspect
import textwrap

__all__ = ["FORBIDDEN_MODULES", "forbidden_uses", "check_numpy_only"]

FORBIDDEN_MODULES = ("cnnlib", "torch", "scipy", "tensorflow", "jax", "keras", "cv2",
                     "skimage")
_HIDING = {"eval", "exec", "__import__", "importlib", "globals", "vars", "compile",
           "__builtins__", "builtins"}


def _forbidden_module(name):
    return name.split(".")[0] in FORBIDDEN_MODULES


def _bound_to_libraries(tree):
    """Names an import statement binds to a forbidden module (``F``, ``nn``, ``torch``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _forbidden_module(alias.name):
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.module and _forbidden_module(node.module) and not node.level:
                names |= {alias.asname or alias.name for alias in node.names}
    return names


def _uses(tree, library_names):
    """What in ``tree`` reaches a library or hides a call: a list of short reasons."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _forbidden_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.module and _forbidden_module(node.module):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Name):
            if node.id in library_names or _forbidden_module(node.id):
                found.append(f"uses {node.id}")
            elif node.id in _HIDING:
                found.append(f"uses {node.id} (the check cannot see through it)")
        elif isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(
                node.value, ast.Name) and node.value.id == "sys":
            found.append("uses sys.modules (the check cannot see through it)")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) > 1
              and not isinstance(node.args[1], ast.Constant)):
            found.append("uses getattr with a computed name (the check cannot see through it)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and any(
                node.value.split(".")[0] == m for m in FORBIDDEN_MODULES):
            found.append(f"names the module {node.value!r}")
    return found


def _definitions(tree):
    """``{name: top-level statement}`` for the functions, classes and assignments of a cell."""
    defined = {}
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        defined[leaf.id] = node
    return defined


def forbidden_uses(solution, helpers=(), context=()):
    r"""Why code breaks the NumPy-only rule: an empty list if it does not.

    Parameters
    ----------
    solution : str
        The code of the solution (a notebook cell), parsed, not run.
    helpers : sequence of str
        Other code of yours (cells) whose top-level definitions ``solution`` may call:
        the names it uses are followed into them, and so on.
    context : sequence of str
        Code that only binds names (the set-up cell: ``import torch.nn.functional as F``
        makes ``F`` a library name); it is not checked itself.

    Returns
    -------
    list of str
        One short reason per use found, e.g. ``"uses cnnlib"`` or
        ``"import torch"``; code that does not parse gives ``["does not parse: ..."]``.

    Examples
    --------
    >>> forbidden_uses("def conv2d(x, w):\n    return np.einsum('ij,ij->', x, w)")
    []
    >>> forbidden_uses("conv2d = lambda *a, **k: cnnlib.conv2d(*a, **k)")
    ['uses cnnlib']
    """
    trees = []
    for code in (solution, *helpers, *context):
        try:
            trees.append(ast.parse(textwrap.dedent(_strip_magics(code))))
        except SyntaxError as exc:
            if code is solution:
                return [f"does not parse: {exc.msg} (line {exc.lineno})"]
            trees.append(ast.Module(body=[], type_ignores=[]))
    library = set()
    for tree in trees:
        library |= _bound_to_libraries(tree)
    defined = {}
    for tree in trees[1:1 + len(helpers)]:
        defined.update(_definitions(tree))
    found, seen, todo = [], set(), [trees[0]]
    while todo:
        node = todo.pop()
        found += _uses(node, library)
        for name in _free_names(node):
            if name in defined and name not in seen:
                seen.add(name)
                todo.append(defined[name])
    return list(dict.fromkeys(found))


def _free_names(node):
    """Names ``node`` reads but never binds itself (parameters, assignments, loops)."""
    bound, read = set(), set()
    for leaf in ast.walk(node):
        if isinstance(leaf, ast.Name):
            (read if isinstance(leaf.ctx, ast.Load) else bound).add(leaf.id)
        elif isinstance(leaf, ast.arg):
            bound.add(leaf.arg)
        elif isinstance(leaf, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(leaf.name)
        elif isinstance(leaf, ast.alias):
            bound.add((leaf.asname or leaf.name).split(".")[0])
    return read - bound


def _strip_magics(code):
    """IPython's ``%`` and ``!`` lines as comments, so that a cell parses as Python."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                     for line in code.split("\n"))


def check_numpy_only(*functions):
    """Tell at once whether your functions keep the NumPy-only rule of assignment 1.

    Parameters
    ----------
    *functions : callable
        Your ``conv2d_naive``, ``conv2d``, ``max_pool2d``, ``conv2d_backward``,
        ``max_pool2d_backward`` (any of them).

    Returns
    -------
    bool
        True (and one line starting with ``✔`` is printed) when none of them reaches
        cnnlib, PyTorch or SciPy, through the names it uses or the functions of yours
        it calls.

    Raises
    ------
    cnnlib.selfcheck.SelfCheckError
        Naming the function and what it uses: the grader would give that task 0.
    TypeError
        If an argument is not a function.
    """
    from ._report import SelfCheckError
    problems = []
    for f in functions:
        if not callable(f):
            raise TypeError(f"functions must be callables, got {type(f).__name__}")
        name = getattr(f, "__name__", repr(f))
        reasons = []
        try:
            source = textwrap.dedent(inspect.getsource(f))
        except (OSError, TypeError):
            source = None
        if source is not None:
            # the names it calls, as they are bound now in its module (the notebook)
            namespace = getattr(f, "__globals__", {})
            helpers = []
            for other in _called_functions(f, namespace):
                try:
                    helpers.append(textwrap.dedent(inspect.getsource(other)))
                except (OSError, TypeError):
                    pass
            reasons = forbidden_uses(source, helpers)
        for value in _global_values(f):
            module = getattr(value, "__module__", None) or getattr(value, "__name__", "")
            if isinstance(module, str) and _forbidden_module(module):
                reasons.append(f"calls {module}")
        if reasons:
            problems.append(f"{name}: " + ", ".join(dict.fromkeys(reasons)))
    if problems:
        raise SelfCheckError("the NumPy-only rule: these tasks must be written with NumPy, "
                             "without cnnlib's, PyTorch's or SciPy's layers; the grader gives "
                             "0 to a task that uses them.\n" + "\n".join(problems))
    print("✔ NumPy only: " + ", ".join(getattr(f, "__name__", "?") for f in functions))
    return True


def _global_values(f, depth=0, seen=None):
    """The global values a function (and the functions of its module it calls) refer to."""
    seen = set() if seen is None else seen
    code, namespace = getattr(f, "__code__", None), getattr(f, "__globals__", None)
    if code is None or namespace is None or id(f) in seen or depth > 5:
        return []
    seen.add(id(f))
    values = []
    for name in _names(code):
        if name in namespace:
            value = namespace[name]
            values.append(value)
            if getattr(value, "__globals__", None) is namespace:
                values += _global_values(value, depth + 1, seen)
    return values


def _names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _called_functions(f, namespace):
    return [v for v in _global_values(f) if getattr(v, "__globals__", None) is namespace
            and v is not f]
