"""Graded tests judged in the grader's own process: fresh inputs in, plain data out.

A :class:`Check` replaces the hidden test of one graded cell.  For each grading run
the grader draws fresh random inputs (``inputs(rng)``), sends them to the sandboxed
kernel as plain data (arrays as base64 bytes, dtype and shape; numbers, strings,
lists, dicts: JSON, never pickle), where ``probe(G, inputs)`` calls the student's code
(``G`` is the notebook's namespace) and returns plain data again.  (Arguments that are
not plain data, such as the torch modules of a lesson's exercise, travel as the Python
source that builds them, which the probe runs: see :mod:`course_admin.checks.lessons`.)
The grader decodes the reply strictly and ``verify(inputs, outputs)`` compares it with
a reference it computes itself (PyTorch, cnnlib).  Nothing the notebook does to its own
kernel (replacing builtins, patching ``numpy.testing`` or torch, forging a reply) can
pass a check without the right numbers for inputs it has never seen.

Random draws do not always hit the case that tells a right answer from a plausible
wrong one (windows that overlap, ties, a stride that does not divide, several
channels, a class count of 10...), so each check also sends fixed hard cases on every
run (their shapes are fixed, their values fresh); ``tests/test_grading_checks.py``
plants the mistake each one catches and sees it lose the task's points on every run.

Checks of the shipped assignments live in this package (``REGISTRY``); an assignment
in another folder may bring its own in ``<source folder>/<name>.checks.py`` (a module
defining ``CHECKS``, a list of :class:`Check`).
"""
from __future__ import annotations

import ast
import base64
import dataclasses
import importlib
import importlib.util
import json
import pathlib

import numpy as np

__all__ = ["Check", "REGISTRY", "load_checks", "request", "decode_reply", "encode",
           "HARNESS", "expression"]

REGISTRY = {"01_conv_from_scratch": "course_admin.checks.conv_from_scratch",
            "02_architectures": "course_admin.checks.architectures"}
MAX_REPLY = 64 * 2 ** 20          # characters of a reply the grader reads at most


@dataclasses.dataclass
class Check:
    """The grader's version of one graded cell's tests.

    Attributes
    ----------
    task : str
        ``grade_id`` of the graded (test) cell.
    probe : str
        Kernel-side Python defining ``probe(G, inputs)``: calls the student's code
        found in ``G`` and returns plain data (arrays, tensors, numbers, strings,
        lists, dicts).
    inputs : callable
        ``inputs(rng) -> dict`` of plain data (NumPy arrays allowed), fresh per run.
    verify : callable
        ``verify(inputs, outputs)``: raises AssertionError (its message goes to the
        feedback, so it never quotes expected arrays) when the outputs are wrong.
    numpy_only : tuple of str
        ``grade_id`` of the solution cells that must use NumPy only.
    """

    task: str
    probe: str
    inputs: object
    verify: object
    numpy_only: tuple = ()


def load_checks(name, source_dir=None):
    """``{task: Check}`` for assignment ``name``, or None when it has none."""
    module = None
    if source_dir is not None:
        path = pathlib.Path(source_dir) / f"{name}.checks.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location(f"_checks_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    if module is None and name in REGISTRY:
        module = importlib.import_module(REGISTRY[name])
    if module is None:
        return None
    return {check.task: check for check in module.CHECKS}


# --------------------------------------------------------------------------- plain data
def encode(value):
    """Plain JSON-able data from arrays (base64 bytes, dtype, shape), numbers, lists..."""
    if isinstance(value, (np.ndarray, np.generic)):
        # ascontiguousarray makes a NumPy scalar a 1-element array: keep its shape ()
        a = np.ascontiguousarray(value).reshape(np.shape(value))
        if a.dtype.kind not in "biuf":
            raise TypeError(f"arrays of dtype {a.dtype} are not sent")
        return {"__array__": True, "dtype": a.dtype.str, "shape": list(a.shape),
                "data": base64.b64encode(a.tobytes()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{type(value).__name__} is not plain data")


def _decode(value, depth=0):
    if depth > 20:
        raise ValueError("nested too deeply")
    if isinstance(value, dict):
        if value.get("__array__") is True:
            dtype = np.dtype(str(value["dtype"]))
            shape = value["shape"]
            if dtype.kind not in "biuf" or dtype.itemsize > 8:
                raise ValueError(f"dtype {dtype} is not accepted")
            if not (isinstance(shape, list) and len(shape) <= 8
                    and all(type(n) is int and 0 <= n for n in shape)):
                raise ValueError("a bad shape")
            raw = base64.b64decode(value["data"], validate=True)
            if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
                raise ValueError("the data does not match the shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "__type__" in value:
            return _Unsent(str(value["__type__"])[:80])
        return {str(k): _decode(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError("not plain data")


class _Unsent:
    """A value the kernel could not send as plain data (only its type name came)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<{self.name}>"


def request(check, inputs):
    """The kernel-side user expression that runs ``check`` on ``inputs``."""
    return expression(check.probe, json.dumps(encode(inputs)))


def decode_reply(text):
    """The outputs from a user expression's ``text/plain`` reply.

    Raises ValueError for anything but a string holding ``{"ok": plain data}``, and
    RuntimeError with the student's error for ``{"error": ...}``.
    """
    if not isinstance(text, str) or len(text) > MAX_REPLY:
        raise ValueError("no reply or a reply too long")
    value = ast.literal_eval(text)           # the repr of a str, nothing else is accepted
    if not isinstance(value, str):
        raise ValueError("the reply is not a string")
    reply = json.loads(value)
    if not isinstance(reply, dict) or set(reply) not in ({"ok"}, {"error"}):
        raise ValueError("the reply has the wrong form")
    if "error" in reply:
        raise RuntimeError(str(reply["error"])[:300])
    return _decode(reply["ok"])


# The kernel's side: decode the inputs, run the probe, encode what it returns.  It runs
# in a namespace of its own (the notebook's globals are G); what the notebook did to its
# kernel can break it (then the task fails), never make wrong numbers right.
HARNESS = r'''
import base64 as _b64, json as _json
import numpy as _np


def _dec(v):
    if isinstance(v, dict) and v.get("__array__") is True:
        return _np.frombuffer(_b64.b64decode(v["data"]), dtype=v["dtype"]).reshape(
            v["shape"]).copy()
    if isinstance(v, dict):
        return {k: _dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def _enc(v):
    if type(v).__module__.startswith("torch") and hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    if isinstance(v, (_np.ndarray, _np.generic)) and v.dtype.kind in "biuf":
        a = _np.ascontiguousarray(v).reshape(_np.shape(v))    # a scalar keeps shape ()
        return {"__array__": True, "dtype": a.dtype.str, "shape": list(a.shape),
                "data": _b64.b64encode(a.tobytes()).decode("ascii")}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _enc(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return {"__type__": type(v).__name__}


exec(PROBE, globals())
try:
    REPLY = _json.dumps({"ok": _enc(probe(G, _dec(_json.loads(REQUEST))))})
except BaseException as e:
    REPLY = _json.dumps({"error": type(e).__name__ + ": " + str(e).split("\n")[0][:200]})
'''


def expression(probe, request_json):
    """A user expression evaluating to the JSON reply of ``probe`` (a str)."""
    return ("(lambda b: (lambda ns: (b.exec(b.compile(" + repr(HARNESS) + ", '<grader>', "
            "'exec'), ns), ns['REPLY'])[1])({'G': globals(), "
            "'PROBE': " + repr(probe) + ", 'REQUEST': " + repr(request_json)
            + ", '__builtins__': b}))(__import__('builtins'))")
