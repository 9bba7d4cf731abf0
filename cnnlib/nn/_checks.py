"""Argument checks of ``cnnlib.nn``: each raises an error that names the parameter and the rule.

Written with the signature ``check_x(value, name)`` and no dependency on the
rest of ``nn`` so that they can move to a library-wide validation module
unchanged.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_positive_int", "check_int_pair", "check_same_shape", "as_float_array",
           "check_float_array", "check_in_range", "check_real"]


def check_positive_int(value, name, minimum=1):
    """Return ``value`` if it is an int ``>= minimum``; else an error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
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
