"""Argument checks shared by the NumPy core: one rule, one message, one place.

Every public function of ``conv``, ``pool``, ``nn`` and the figures built on them checks its
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
           "check_shape", "check_positive_int", "check_int_pair", "check_same_shape",
           "as_float_array", "check_float_array", "check_in_range", "check_real",
           "check_kernel_fits", "check_choice", "check_groups", "as_generator",
           "check_positive"]


def as_ints(value, name, ndim, minimum):
    """``value`` (an int or a tuple of ``ndim`` ints) as a tuple of ``ndim`` ints >= minimum."""
    # The usual case first, in a few cheap tests: every layer checks its stride, padding and
    # dilation on every call (about a hundred times per LeNet-5 training step).  ``type(v) is
    # int`` is false for booleans and NumPy integers, which take the full path below.
    if type(value) is int and value >= minimum:
        return (value,) * ndim
    if type(value) is tuple and len(value) == ndim and all(
            type(v) is int and v >= minimum for v in value):
        return value
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


def check_kernel_fits(padded, kernel_size, dilation, input_size):
    """Raise if the dilated kernel does not fit inside the padded input on some axis.

    ``padded``, ``kernel_size``, ``dilation`` and ``input_size`` hold one int per spatial
    axis; the message says how much symmetric padding of ``input_size`` would make it fit.
    """
    effective = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    if all(e <= p for e, p in zip(effective, padded)):
        return
    need = max(-(-(e - n) // 2) for e, n in zip(effective, input_size))
    d = dilation[0] if len(set(dilation)) == 1 else dilation
    raise ValueError(
        f"kernel ({size_text(kernel_size)}, dilation {d}) is larger than the padded input "
        f"({size_text(padded)}); pad by at least {need}")


def check_groups(groups, channels, name="x"):
    """``groups`` as an int >= 1 that divides ``channels`` (the channels of ``name``)."""
    (groups,) = as_ints(groups, "groups", 1, 1)
    if channels % groups:
        raise ValueError(f"groups={groups} must divide the input channels ({name} has "
                         f"{channels})")
    return groups


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``; else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value


def as_generator(rng):
    """A NumPy ``Generator`` from a seed, a ``Generator`` or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ------------------------------------------------- the layers, losses and optimisers of nn
def check_positive_int(value, name, minimum=1, meaning=None):
    """Return ``value`` if it is an int ``>= minimum``; else an error naming ``name``.

    ``meaning`` (e.g. "the positions the kernel moves per step") is added to the rule.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        rule = f">= {minimum}" if meaning is None else f">= {minimum} ({meaning})"
        raise ValueError(f"{name} must be {rule}, got {value}")
    return int(value)


def check_int_pair(value, name, minimum=1):
    """``value`` as a pair ``(a, b)`` of ints ``>= minimum`` (an int ``a`` means ``(a, a)``)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    return tuple(check_positive_int(v, name, minimum) for v in value)


def check_real(value, name):
    """Return ``value`` if it is a real number (not a bool); else a TypeError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    return value


def check_positive(value, name):
    """Return ``value`` if it is a real number > 0; else an error naming ``name``."""
    check_real(value, name)
    if not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return value


def check_in_range(value, name, low, high, *, high_open=False):
    """Return ``value`` if it is a real number in ``[low, high]`` (``[low, high)`` if high_open)."""
    check_real(value, name)
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value}")
    return value


def check_same_shape(a, b, name_a, name_b):
    """Raise a ValueError unless arrays ``a`` and ``b`` have the same shape (no broadcasting)."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_a} must have the shape of {name_b} {np.shape(b)}, "
                         f"got shape {np.shape(a)} (shapes are not broadcast)")


def check_float_array(x, name):
    """Raise a TypeError unless ``x`` is a floating-point ndarray."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x


def as_float_array(x, name):
    """``x`` as an ndarray of a floating dtype: floats kept, bool and integers as float64.

    Complex, object and string arrays raise a TypeError: a loss or an
    activation of them has no meaning here.
    """
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
