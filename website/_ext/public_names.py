"""Sphinx extension of the course website: link the public names to the functions' pages.

Docstrings write ``cnnlib.conv2d`` (the name students type); autodoc documents the function
where it is defined, ``cnnlib.conv.conv2d``. This resolves the first to the second.
"""
import importlib


def resolve_public_name(app, env, node, contnode):
    """Resolve ``cnnlib.conv2d`` (a re-export) to ``cnnlib.conv.conv2d`` (its page)."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("cnnlib."):
        return None
    module_name, _, attr = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return None
    real_module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not real_module or not qualname or f"{real_module}.{qualname}" == target:
        return None
    domain = env.get_domain("py")
    node = node.deepcopy()
    node["reftarget"] = f"{real_module}.{qualname}"
    return domain.resolve_xref(env, node.get("refdoc"), app.builder, node["reftype"],
                               node["reftarget"], node, contnode)


def setup(app):
    app.connect("missing-reference", resolve_public_name)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
