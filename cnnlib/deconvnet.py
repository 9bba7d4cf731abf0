"""Zeiler and Fergus's DeconvNet (2014): project one activation back to pixel space (NumPy).

To see what a channel deep in a trained CNN responds to, Zeiler and Fergus ran the network
backwards from one strong activation, undoing each layer with its approximate inverse::

    forward layer             DeconvNet step going down
    ------------------------  ---------------------------------------------------------
    conv2d(weight)            conv_transpose2d with the same weight (the "deconvolution")
    ReLU                      ReLU of the reconstruction, keeping it positive
    max pool                  unpool: each value goes back to where its maximum came
                              from (the *switches* recorded going up), zeros elsewhere

The result is an image of the input's size showing which pixels, and which pattern in them,
made that activation strong.  Without the ReLUs this is exactly the gradient of the
activation with respect to the input (``conv_transpose2d`` is the input gradient of
``conv2d``, unpooling by the switches that of max pooling); the DeconvNet differs only
in how it passes a ReLU going down: it rectifies the signal from above instead of masking
it with where the forward pass was positive.

A network is a list of layers in forward order, each a tuple::

    ("conv", weight (C_out, C_in, kH, kW), bias (C_out,) or None, padding)
    ("relu",)
    ("max_pool", kernel_size)                     stride = kernel_size
"""
import numpy as np

from ._validate import check_int_pair, real_array
from .conv import conv2d, conv_transpose2d
from .pool import max_pool2d

__all__ = ["max_unpool2d", "deconvnet_forward", "deconvnet_project"]


def max_unpool2d(x, indices, output_size):
    """Undo a max pool: put each value back where its maximum came from, zeros elsewhere.

    Like ``torch.nn.functional.max_unpool2d``.

    Parameters
    ----------
    x : array_like, shape (N, C, H_out, W_out)
        Pooled values (or a signal of that shape going down).
    indices : ndarray of int, shape (N, C, H_out, W_out)
        The switches: flat indices ``h * W + w`` into each ``H x W`` input plane, as returned
        by ``cnnlib.max_pool2d(..., return_indices=True)``.
    output_size : (int, int)
        ``(H, W)`` of the pooled input.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    x = real_array(x, "x")
    indices = np.asarray(indices)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H_out, W_out), got {x.shape}")
    if indices.shape != x.shape:
        raise ValueError(f"indices must have the shape of x, {x.shape}, got {indices.shape}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must be integer flat indices, got dtype {indices.dtype}")
    if isinstance(output_size, (int, np.integer)):
        raise TypeError(f"output_size must be the pair (H, W), the size of the pooled input, got "
                        f"the int {output_size}; unlike torch's max_unpool2d this function "
                        f"takes no kernel_size (the switches hold the positions)")
    h, w = check_int_pair(output_size, "output_size (H, W)")
    if indices.size and (indices.min() < 0 or indices.max() >= h * w):
        raise ValueError(f"indices must lie in 0..{h * w - 1} for output_size ({h}, {w}), got "
                         f"{indices.min()}..{indices.max()}")
    n, c = x.shape[:2]
    out = np.zeros((n, c, h * w), dtype=x.dtype)
    # Non-overlapping windows give distinct switches, so plain assignment never collides.
    np.put_along_axis(out, indices.reshape(n, c, -1), x.reshape(n, c, -1), axis=-1)
    return out.reshape(n, c, h, w)


# The form of each kind of layer: its length, and the layer written out.
_FORMS = {"conv": (4, "('conv', weight, bias or None, padding)"), "relu": (1, "('relu',)"),
          "max_pool": (2, "('max_pool', kernel_size)")}


def _short(value):
    """A layer or entry as the messages show it: arrays by their shape, not their values."""
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_short(v) for v in value[:4]) + (", ..." if len(value) > 4 else "")
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if hasattr(value, "shape"):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    return repr(value)[:40]


def _check_layers(layers):
    """Raise a TypeError or ValueError naming the first entry of ``layers`` of the wrong form."""
    if not isinstance(layers, (list, tuple)) or (layers and isinstance(layers[0], str)):
        raise TypeError(f"layers must be a list of layer tuples such as [('conv', weight, None, "
                        f"1), ('relu',), ('max_pool', 2)], got {_short(layers)}")
    for i, layer in enumerate(layers):
        if not isinstance(layer, tuple) or not layer or layer[0] not in _FORMS:
            raise ValueError(f"layers[{i}] must start with 'conv', 'relu' or 'max_pool' (a "
                             f"tuple such as ('relu',)), got {_short(layer)}")
        length, form = _FORMS[layer[0]]
        if len(layer) != length:
            raise ValueError(f"layers[{i}] must have the form {form}, got a tuple of "
                             f"{len(layer)}: {_short(layer)}")


def _check_switches(switches, layers):
    """Raise unless ``switches`` is what deconvnet_forward recorded for ``layers``."""
    if not isinstance(switches, (list, tuple)):
        raise TypeError(f"switches must be the list deconvnet_forward returned with the feature "
                        f"map, got {type(switches).__name__}")
    if len(switches) != len(layers):
        raise ValueError(f"switches must hold one entry per layer ({len(layers)}), "
                         f"got {len(switches)}: pass what deconvnet_forward returned")
    for i, (layer, switch) in enumerate(zip(layers, switches)):
        if layer[0] == "max_pool" and not (isinstance(switch, tuple) and len(switch) == 2):
            raise ValueError(f"switches[{i}] must be the (indices, (H, W)) recorded by the max "
                             f"pool layers[{i}], got {_short(switch)}: pass the switches "
                             f"deconvnet_forward returned for these layers")


def deconvnet_forward(x, layers):
    """Run ``x`` up through ``layers``, recording the max-pool switches.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    layers : list of tuples
        See the module docstring.

    Returns
    -------
    feature_map : ndarray, shape (N, C_top, H_top, W_top)
        The top layer's activations.
    switches : list
        One entry per layer: ``(indices, (H, W))`` for a max pool, None otherwise;
        :func:`deconvnet_project` needs them.
    """
    _check_layers(layers)
    x = real_array(x, "x")
    switches = []
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, weight, bias, padding = layer
            x = conv2d(x, weight, bias, padding=padding)
            switches.append(None)
        elif kind == "relu":
            x = np.maximum(x, 0)
            switches.append(None)
        else:
            size = x.shape[2:]
            x, indices = max_pool2d(x, layer[1], return_indices=True)
            switches.append((indices, size))
    return x, switches


def deconvnet_project(feature_map, layers, switches):
    """Project a top-layer signal down to pixel space with the DeconvNet.

    Parameters
    ----------
    feature_map : array_like, shape (N, C_top, H_top, W_top)
        Usually the top activations with everything zeroed but the one to explain.
    layers : list of tuples
        The layers ``feature_map`` came out of (see the module docstring).
    switches : list
        From :func:`deconvnet_forward` on the same layers.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        The reconstruction, with the input's shape.
    """
    _check_layers(layers)
    _check_switches(switches, layers)
    r = real_array(feature_map, "feature_map")
    if r.ndim != 4:
        raise ValueError(f"feature_map must have shape (N, C_top, H_top, W_top), got {r.shape}")
    for i in reversed(range(len(layers))):
        layer, switch = layers[i], switches[i]
        kind = layer[0]
        if kind == "conv":
            _, weight, _, padding = layer     # the bias is not undone, as in the paper
            if r.shape[1] != np.shape(weight)[0]:
                raise ValueError(_mismatch(feature_map, i, layer, f"{np.shape(weight)[0]} "
                                           f"channels (C_out of its weight)", r.shape))
            r = conv_transpose2d(r, weight, padding=padding)
        elif kind == "relu":
            r = np.maximum(r, 0)
        else:
            indices, size = switch
            if r.shape != np.shape(indices):
                raise ValueError(_mismatch(feature_map, i, layer, f"the shape "
                                           f"{np.shape(indices)} of its switches", r.shape))
            r = max_unpool2d(r, indices, size)
    return r


def _mismatch(feature_map, i, layer, expected, got):
    """The message for a feature map that does not fit the layers it is projected through."""
    return (f"feature_map of shape {np.shape(feature_map)} does not match the layers: going "
            f"down, layers[{i}] ('{layer[0]}') expects a signal with {expected}, got shape "
            f"{got}; pass the feature map deconvnet_forward returned for these layers, or one "
            f"of its shape")
