"""Input checks shared by the model factories (their argument checks are cnnlib's own)."""
import numbers

from .._validate import check_int_pair, check_positive_int, check_real

__all__ = ["check_input", "check_positive_int", "check_int_pair", "check_ints",
           "check_positive_real", "is_meta"]


def check_ints(value, name, min_len=1, what="one per stage"):
    """``value`` as a tuple of ints >= 1 (at least ``min_len`` of them), or an error naming it."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        hint = f"; write ({value},) for a single one" if min_len <= 1 else ""
        raise TypeError(f"{name} must be a tuple of ints ({what}), got the int {value}{hint}")
    if not isinstance(value, (tuple, list, range)):
        raise TypeError(f"{name} must be a tuple of ints ({what}), got "
                        f"{type(value).__name__} {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"each of {name} must be an int, got {type(v).__name__} {v!r} "
                            f"in {tuple(value)}")
        if v < 1:
            raise ValueError(f"each of {name} must be >= 1, got {v} in {tuple(value)}")
    if len(value) < min_len:
        raise ValueError(f"{name} needs at least {min_len} entries ({what}), got {tuple(value)}")
    return tuple(int(v) for v in value)


def check_positive_real(value, name):
    """``value`` if it is a real number > 0 (not a bool or a string), or an error naming it."""
    check_real(value, name)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def check_input(x, name, in_channels, size=None, min_size=None, why=""):
    """Raise a ValueError that says what ``name`` expects if ``x`` is not ``(N, C, H, W)``.

    ``size`` is the ``(H, W)`` a network with fully connected layers after a
    fixed number of poolings needs; None for networks that pool globally.
    ``min_size`` is the smallest height and width a globally pooling network
    can take (its strided layers must leave at least one pixel), ``why`` the
    reason in words for the message.
    """
    shape = tuple(x.shape)
    expected = f"(N, {in_channels}, {size[0]}, {size[1]})" if size else f"(N, {in_channels}, H, W)"
    if len(shape) != 4 or shape[1] != in_channels or (size and shape[2:] != tuple(size)):
        raise ValueError(f"{name} expects input of shape {expected}, got {shape}"
                         + ("; resize or pad the images first" if size and len(shape) == 4
                            and shape[1] == in_channels else ""))
    if min_size is not None and min(shape[2:]) < min_size:
        raise ValueError(f"{name} needs images of at least {min_size}x{min_size} pixels ({why}), "
                         f"got {shape[2]}x{shape[3]}; resize or pad the images first")


def is_meta(module):
    """True for a model built on the ``meta`` device (shapes only, no values).

    Such a model is only measured (``summary``), never run on data, so the
    factories skip their weight initialisation for it: there are no values to
    set, and PyTorch's random initialisers on meta tensors would import its
    whole compiler stack (about 200 MB).
    """
    return any(p.is_meta for p in module.parameters())
