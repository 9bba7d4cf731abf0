"""Input checks shared by the model factories (their argument checks are cnnlib's own)."""
from .._validate import check_positive_int

__all__ = ["check_input", "check_positive_int", "is_meta"]


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
