"""Measure a network layer by layer: shapes, parameters, activations, MACs, receptive field.

``summary(model, input_size)`` runs one image through the model and records, for
every layer, the numbers the lessons put in their architecture tables:

* output shape, per image ``(C, H, W)``;
* parameters: ``C_out * C_in / groups * kH * kW (+ C_out biases)`` for a
  convolution, ``in * out (+ out)`` for a linear layer;
* activations: the number of output elements per image. At 4 bytes each
  (float32) their sum is the memory a forward pass writes for one image;
  training keeps them for the backward pass (and stores gradients of the same
  size), so it needs about twice that and more;
* multiply-accumulates (MACs): ``output elements * C_in / groups * kH * kW``
  for a convolution, ``in * out`` for a linear layer. One MAC is one multiply
  and one add; papers quoting "FLOPs" usually count MACs (torchvision's
  "GFLOPS" column does).

``receptive_field(layers)`` follows a chain of convolutions and pools:
``r_out = r_in + (k - 1) * dilation * j_in`` and ``j_out = j_in * stride``,
starting from ``r = j = 1`` at the input (``j``, the jump, is the distance in
input pixels between neighbouring outputs).
"""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

__all__ = ["Summary", "summary", "receptive_field"]


@dataclasses.dataclass
class Summary:
    """The result of :func:`summary`: one row per layer call and the totals.

    Attributes
    ----------
    rows : list of dict
        In the order the layers run, the first being the input. Keys: ``name``
        (as in ``model.named_modules()``), ``type`` (class name), ``output_shape``
        (per image), ``params`` (counted at the layer's first call only),
        ``activations`` (output elements per image), ``macs`` (per image) and
        ``in_place`` (True if the output reuses the input's memory: an in-place
        ReLU, a view such as ``Flatten``, dropout in eval mode).
    input_size : tuple
        ``(C, H, W)`` of one image.
    total_params, trainable_params : int
        Over ``model.parameters()`` (every parameter once, even if shared).
    total_macs : int
        Sum of ``macs`` over the rows, per image.
    total_activations : int
        Sum of ``activations`` over the rows that allocate new memory (including
        the input image), per image.
    activation_bytes : int
        ``total_activations`` times the bytes per element (4 for float32):
        the forward pass's activation memory per image.
    """

    rows: list
    input_size: tuple
    total_params: int
    trainable_params: int
    total_macs: int
    total_activations: int
    activation_bytes: int

    def __str__(self):
        header = ("layer", "type", "output shape", "params", "activations", "MACs")
        lines = []
        for r in self.rows:
            act = f"{r['activations']:,}" + ("*" if r["in_place"] else "")
            lines.append((r["name"], r["type"], str(tuple(r["output_shape"])),
                          f"{r['params']:,}", act, f"{r['macs']:,}"))
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
        align = ("<", "<", "<", ">", ">", ">")

        def fmt(cells):
            return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths))

        rule = "-" * len(fmt(header))
        out = [fmt(header), rule, *map(fmt, lines), rule]
        out += [
            f"params: {self.total_params:,} ({self.trainable_params:,} trainable)",
            f"MACs per image: {self.total_macs:,} ({_si(self.total_macs)})",
            f"activations per image: {self.total_activations:,} "
            f"({self.activation_bytes / 1e6:.1f} MB, forward pass only)",
        ]
        if any(r["in_place"] for r in self.rows):
            out.append("* shares its input's memory (in place or a view): not in the total")
        return "\n".join(out)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def _si(n):
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= factor:
            return f"{n / factor:.3g} {prefix}"
    return str(n)


def _macs(module, output):
    """Multiply-accumulates of one call of ``module`` for one image (batch of 1)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return output.numel() * per_output
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    if hasattr(module, "macs"):
        return int(module.macs(output))
    return 0


def _reuses_input(output, inputs):
    """True if ``output`` is an input tensor itself (in-place op, identity) or a view of one."""
    for t in inputs:
        if not isinstance(t, torch.Tensor):
            continue
        root = t if t._base is None else t._base
        if output is t or (output._base is not None and output._base is root):
            return True
    return False


def summary(model: nn.Module, input_size, dtype=torch.float32) -> Summary:
    """Per-layer table of a model for one input image, with totals.

    Parameters
    ----------
    model : nn.Module
        Taking ``(N, C, H, W)`` images. Run in eval mode (dropout off, batch norm
        with its running statistics) and restored to its mode afterwards. A model
        built on the ``meta`` device (``with torch.device("meta"): m = vgg16()``)
        is measured without allocating or computing anything.
    input_size : tuple of int
        ``(C, H, W)``, or ``(N, C, H, W)`` of which ``N`` is ignored: everything
        is reported per image.
    dtype : torch.dtype
        Element type of the input; sets the bytes per activation.

    Returns
    -------
    Summary
        ``print(s)`` shows the table; ``s.rows`` and ``s.total_*`` hold the numbers.

    Notes
    -----
    A row is recorded for every module that computes its output itself (a
    module none of whose sub-modules runs during its call). Operations written as
    functions inside a ``forward`` (``torch.cat``, ``F.relu``, the addition of a
    residual block) have no module, so they get no row and no activations; they
    have no parameters and no MACs by the rules above, so ``total_params`` and
    ``total_macs`` are exact. MACs are counted for convolutions and linear layers
    (and modules with a ``macs(output)`` method); batch norm, activations and
    pooling cost an amount per output element that is small beside them.

    Examples
    --------
    >>> s = summary(lenet5(), (1, 28, 28))          # doctest: +SKIP
    >>> s.total_params, s.total_macs                # doctest: +SKIP
    (61706, 416520)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(input_size, (tuple, list, torch.Size)):
        raise TypeError(f"input_size must be a tuple (C, H, W) or (N, C, H, W), got "
                        f"{type(input_size).__name__} {input_size!r}"
                        + (f"; for one {input_size}x{input_size} grey image write (1, "
                           f"{input_size}, {input_size})" if isinstance(input_size, int) else ""))
    size = tuple(input_size)
    if len(size) == 4:
        size = size[1:]
    if len(size) != 3 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"input_size must be (C, H, W) or (N, C, H, W) of positive ints, "
                         f"got {tuple(input_size)}")
    names = {m: n for n, m in model.named_modules()}
    rows = [dict(name="input", type="Input", output_shape=size, params=0,
                 activations=math.prod(size), macs=0, in_place=False)]
    stack, seen = [], set()

    def pre_hook(module, inputs):
        if stack:
            stack[-1]["has_child"] = True
        stack.append({"has_child": False})

    def hook(module, inputs, output):
        frame = stack.pop()
        if frame["has_child"] or not isinstance(output, torch.Tensor):
            return
        params = 0 if module in seen else sum(p.numel() for p in module.parameters())
        seen.add(module)
        rows.append(dict(
            name=names.get(module) or type(module).__name__, type=type(module).__name__,
            output_shape=tuple(output.shape[1:]), params=params,
            activations=output[0].numel(), macs=_macs(module, output),
            in_place=_reuses_input(output, inputs),
        ))

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre_hook))
        handles.append(m.register_forward_hook(hook))
    was_training = model.training
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    x = torch.randn((1, *size), generator=torch.Generator().manual_seed(0)).to(device, dtype)
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    total_activations = sum(r["activations"] for r in rows if not r["in_place"])
    return Summary(
        rows=rows, input_size=size,
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        total_macs=sum(r["macs"] for r in rows),
        total_activations=total_activations,
        activation_bytes=total_activations * torch.empty((), dtype=dtype).element_size(),
    )


# --------------------------------------------------------------------------- receptive field
_GLOBAL = (nn.Linear, nn.Flatten, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _chain(layers, prefix=""):
    """``(name, layer)`` in order, for a list or a module whose parts run one after another."""
    if isinstance(layers, (list, tuple)):
        out = []
        for i, layer in enumerate(layers):
            out += (_chain(layer, f"{prefix}{i}.") if isinstance(layer, nn.Module)
                    else [(f"{prefix}{i}", layer)])
        return out
    if not isinstance(layers, nn.Module):
        raise TypeError(f"layers must be an nn.Module or a list of layers or (kernel, stride"
                        f"[, dilation]) tuples, got {type(layers).__name__}")
    children = list(layers.named_children())
    if not children:
        return [(prefix.rstrip(".") or type(layers).__name__, layers)]
    out = []
    for name, child in children:
        if next(child.children(), None) is not None and not isinstance(child, nn.Sequential):
            raise ValueError(
                f"receptive_field follows a chain of layers, but {prefix}{name} "
                f"({type(child).__name__}) is a block with branches inside; pass the "
                f"layers of one path as a list, e.g. [conv1, maxpool, ...]")
        out += _chain(child, f"{prefix}{name}.")
    return out


def _geometry(layer):
    """``(kernel, stride, dilation)`` of a layer, as pairs.

    None for a layer that mixes all positions, ``((1, 1), (1, 1), (1, 1))`` for
    a layer that acts on each position alone.
    """
    if isinstance(layer, (tuple, list)):
        if not 2 <= len(layer) <= 3 or not all(isinstance(v, int) and v > 0 for v in layer):
            raise ValueError(f"a layer given as a tuple must be (kernel, stride[, dilation]) "
                             f"of positive ints, got {layer!r}")
        k, s, d = (*layer, 1) if len(layer) == 2 else layer
        return (k, k), (s, s), (d, d)
    if isinstance(layer, _GLOBAL):
        return None
    if hasattr(layer, "kernel_size"):
        stride = getattr(layer, "stride", None) or layer.kernel_size
        return (_pair(layer.kernel_size), _pair(stride), _pair(getattr(layer, "dilation", 1)))
    return (1, 1), (1, 1), (1, 1)


def receptive_field(layers, per_layer: bool = False):
    """Receptive field of the last output of a chain of convolutions and pools.

    Parameters
    ----------
    layers : nn.Module or list
        An ``nn.Sequential`` (e.g. ``model.features``), a model whose children run
        one after another (e.g. :func:`lenet5`), or a list of layers or of
        ``(kernel, stride[, dilation])`` tuples. Layers without a ``kernel_size``
        (activations, normalisation, dropout) act on each position alone. The
        walk stops at the first layer that mixes all positions (``Linear``,
        ``Flatten``, adaptive pooling): from there on a unit sees the whole image.
    per_layer : bool
        Return one dict per layer instead of the final size.

    Returns
    -------
    int or (int, int)
        The receptive field in input pixels (a pair when height and width differ).
        With ``per_layer=True``: a list of dicts with ``name``, ``type``,
        ``kernel``, ``stride``, ``dilation``, ``receptive_field`` and ``jump``.

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1), (3, 1)])    # three stacked 3x3 convolutions
    7
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])   # LeNet-5's convolutions and pools
    16
    """
    r, j = [1, 1], [1, 1]
    table = []
    for name, layer in _chain(layers):
        geometry = _geometry(layer)
        if geometry is None:
            break
        k, s, d = geometry
        for axis in (0, 1):
            r[axis] += (k[axis] - 1) * d[axis] * j[axis]
            j[axis] *= s[axis]
        table.append(dict(name=name, type=type(layer).__name__ if isinstance(layer, nn.Module)
                          else "tuple", kernel=_square(k), stride=_square(s), dilation=_square(d),
                          receptive_field=_square(r), jump=_square(j)))
    return table if per_layer else _square(r)


def _square(pair):
    return pair[0] if pair[0] == pair[1] else tuple(pair)
