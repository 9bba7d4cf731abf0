"""Argument checks shared by the NumPy core: one rule, one message, one place.

Every public function of ``conv``, ``pool`` and the figures built on them checks its
arguments here before it computes anything, so a wrong argument gives an error that
names the parameter and the rule it breaks, never a NumPy traceback from deep inside
or, worse, a wrong answer.

The dtype rule of the layers: float32 stays float32 and float64 stays float64;
integers compute in float64; float16 computes in float32 (NumPy has no fast float16
matrix product) and comes back as float16, as PyTorch returns it.  Booleans, complex
numbers, strings and objects are rejected.
"""
import numbers

import numpy as np

__all__ = ["as_ints", "real_array", "compute_dtype", "result_dtype", "size_text", "batched",
           "check_shape"]


def as_ints(value, name, ndim, minimum):
    """``value`` (an int or a tuple of ``ndim`` ints) as a tuple of ``ndim`` ints >= minimum."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(items) != ndim or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items):
        kind = "an int" if ndim == 1 else f"an int or a tuple of {ndim} ints"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if any(v < minimum for v in items):
        rule = "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return tuple(int(v) for v in items)


def real_array(a, name):
    """``a`` as an ndarray of real numbers; reject booleans, complex numbers, strings, objects."""
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        hint = " (convert with .astype(float))" if a.dtype.kind == "b" else ""
        raise TypeError(f"{name} must hold real numbers (an integer or float dtype), "
                        f"got dtype {a.dtype}{hint}")
    return a


def compute_dtype(*dtypes):
    """The dtype to compute in: float32 stays float32, float64 float64, integers float64.

    float16 computes in float32 (see ``result_dtype`` for what comes back).
    """
    return np.result_type(*dtypes, np.float32)


def result_dtype(*dtypes):
    """The dtype of the result: ``compute_dtype``, except float16 inputs give float16."""
    if np.result_type(*dtypes) == np.float16:
        return np.dtype(np.float16)
    return compute_dtype(*dtypes)


def size_text(sizes):
    """``(5, 3)`` as ``"5x3"``, the way the messages write sizes."""
    return "x".join(str(s) for s in sizes)


def batched(x, name, layout):
    """``x`` with a batch axis, and whether it had none.

    ``layout`` names the batched axes, e.g. ``"(N, C, H, W)"``; ``x`` may have them all
    or all but ``N``.  An empty batch (``N = 0``) is allowed and gives an empty result;
    every other axis must be non-empty.
    """
    axes = layout.strip("()").split(", ")
    if x.ndim not in (len(axes), len(axes) - 1):
        raise ValueError(f"{name} must have shape {layout} (or unbatched "
                         f"({', '.join(axes[1:])})), got {x.ndim} dimensions {x.shape}")
    unbatched = x.ndim == len(axes) - 1
    if unbatched:
        x = x[None]
    empty = [axis for axis, size in zip(axes[1:], x.shape[1:]) if size == 0]
    if empty:
        raise ValueError(f"{name} of shape {x.shape[int(unbatched):]} has no cells along "
                         f"{', '.join(empty)}: every axis of {layout} but N must be at least 1")
    return x, unbatched


def check_shape(a, name, expected, what):
    """Raise unless ``a.shape == expected`` (``what``: the array ``a`` must match, in words)."""
    if a.shape != tuple(expected):
        raise ValueError(f"{name} must have the shape of {what} = {tuple(expected)}, "
                         f"got {a.shape}")
    return a
