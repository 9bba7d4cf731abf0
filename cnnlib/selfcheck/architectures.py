"""Self-checks of home assignment 2 (LeNet, VGG and ResNet in PyTorch).

A whole classifier (:func:`check_model`: output shape, logits not probabilities,
every parameter trained, the specified parameter count), VGG's configuration list
(:func:`check_vgg_layers`) and ResNet's basic block (:func:`check_basic_block`).
torch is imported inside the checks, so ``import cnnlib.selfcheck`` stays light.
"""
from __future__ import annotations

from .._validate import check_positive_int
from ._report import SelfCheckError, call, difference, function_name

__all__ = ["check_model", "check_vgg_layers", "check_basic_block"]


def _forward(module, x, name):
    """``module(x)``, with a stub's NotImplementedError turned into a clear message."""
    try:
        return module(x)
    except NotImplementedError as exc:
        raise SelfCheckError(f"{name}.forward is not written yet: it raises "
                             f"NotImplementedError (hint: {exc}).") from None


# --------------------------------------------------------------------------- whole models
def _leaf_shapes(model, x):
    """Input shape of every leaf module for input ``x``, as far as the forward gets."""
    import torch
    shapes, hooks = [], []
    for mod_name, module in model.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_pre_hook(
                lambda m, inp, n=mod_name: shapes.append((n, m, tuple(inp[0].shape)))))
    try:
        with torch.no_grad():
            model(x)
    except Exception:           # the forward fails at the layer we want to name
        pass
    finally:
        for h in hooks:
            h.remove()
    return shapes


def _check_model_arguments(num_classes, input_size, params, name):
    """TypeError or ValueError naming the first argument of check_model that breaks its rule."""
    check_positive_int(num_classes, "num_classes")
    if not isinstance(input_size, (tuple, list)) or len(input_size) != 3:
        raise TypeError(f"input_size must be a tuple (C, H, W) of 3 ints, got {input_size!r}")
    for size in input_size:
        check_positive_int(size, "input_size (C, H, W)")
    if params is not None:
        check_positive_int(params, "params")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {type(name).__name__}")


def check_model(model, num_classes=10, input_size=(1, 28, 28), params=None, name=None):
    """Check that a classifier runs, has the right output, and trains in all its parameters.

    Parameters
    ----------
    model : torch.nn.Module, or a class (callable) that builds one without arguments
        Maps ``(N, *input_size)`` images to ``(N, num_classes)`` logits.  Give the class
        (``check_model(MyNet)``) to have a stub in ``__init__`` reported as such.
    num_classes : int
    input_size : tuple (C, H, W)
    params : int, optional
        The exact number of trainable parameters the specification asks for.
    name : str, optional

    Raises
    ------
    SelfCheckError
        E.g. when the flattened feature maps do not match the first linear layer
        (naming both sizes), when the model ends with a softmax, or when a
        parameter gets no gradient (a layer defined but never used).
    """
    import torch
    from torch import nn
    _check_model_arguments(num_classes, input_size, params, name)
    if not isinstance(model, nn.Module) and callable(model):
        name = name or getattr(model, "__name__", "model")
        model = call(model, name, "building the model")
    name = name or type(model).__name__
    if not isinstance(model, nn.Module):
        raise SelfCheckError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    if not any(p.requires_grad for p in model.parameters()):
        raise SelfCheckError(
            f"{name} has no trainable parameters: PyTorch only sees layers assigned as "
            f"attributes in __init__ (self.conv1 = nn.Conv2d(...)) or held in nn.Sequential / "
            f"nn.ModuleList; a plain Python list or dict of layers hides them.")
    x = torch.randn((4,) + tuple(input_size), generator=torch.Generator().manual_seed(0))
    model.train()
    try:
        out = _forward(model, x, name)
    except RuntimeError as exc:
        for layer_name, layer, shape in _leaf_shapes(model, x):
            if isinstance(layer, nn.Linear) and shape[-1] != layer.in_features:
                raise SelfCheckError(
                    f"{name}: the linear layer `{layer_name}` expects {layer.in_features} "
                    f"input features but receives {shape[-1]} (input shape {shape}). Print the "
                    f"shape of the feature maps before flattening: C * H * W must equal "
                    f"in_features.") from None
        exc.add_note(f"[self-check] {name} failed on a batch of shape {tuple(x.shape)}")
        raise
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (4, num_classes):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise SelfCheckError(f"{name}: for input {tuple(x.shape)} the output must be (N, "
                             f"num_classes) = (4, {num_classes}), got {got}.")
    if not out.is_floating_point():
        raise SelfCheckError(f"{name}: the output has dtype {out.dtype}; return the logits as "
                             f"floats (no .argmax(), .long() or .round() at the end of "
                             f"forward).")
    if (out >= 0).all() and torch.allclose(out.sum(1), torch.ones(4), atol=1e-4):
        raise SelfCheckError(f"{name} ends with a softmax: return the logits. "
                             f"nn.CrossEntropyLoss applies log-softmax itself.")
    model.zero_grad()
    nn.functional.cross_entropy(out, torch.arange(4) % num_classes).backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if unused:
        raise SelfCheckError(f"{name}: parameter(s) {', '.join(unused)} get no gradient: the "
                             f"layer is defined in __init__ but not used in forward.")
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if params is not None and count != params:
        raise SelfCheckError(f"{name} has {count:,} trainable parameters, the specification "
                             f"gives {params:,} (difference {count - params:+,}). Compare your "
                             f"layers with the specification one by one (kernel sizes, "
                             f"padding, bias=False before BatchNorm).")
    print(f"✔ {name}: output (N, {num_classes}), every parameter gets a gradient, "
          f"{count:,} parameters")


def check_vgg_layers(make_vgg_layers, name=None):
    """Check ``make_vgg_layers(cfg, in_channels, batch_norm)`` (VGG's configuration as data).

    ``cfg`` is a list such as ``[8, "M", 16, 16, "M"]``: an int is a 3x3 convolution
    with that many kernels and padding 1 (followed by ``BatchNorm2d`` if
    ``batch_norm``, then ``ReLU``), ``"M"`` a 2x2 max pool with stride 2.  The
    function returns an ``nn.Sequential``.
    """
    import torch
    from torch import nn
    name = function_name(make_vgg_layers, "make_vgg_layers", name, "make_vgg_layers")
    cfg = [8, "M", 16, 16, "M"]
    for batch_norm in (False, True):
        case = f"cfg={cfg}, in_channels=1, batch_norm={batch_norm}"
        layers = call(make_vgg_layers, name, case, cfg, 1, batch_norm)
        if not isinstance(layers, nn.Module):
            raise SelfCheckError(f"{name} must return an nn.Sequential, got "
                                 f"{type(layers).__name__}")
        mods = [m for m in layers.modules() if not list(m.children())]
        convs = [m for m in mods if isinstance(m, nn.Conv2d)]
        pools = [m for m in mods if isinstance(m, nn.MaxPool2d)]
        bns = [m for m in mods if isinstance(m, nn.BatchNorm2d)]
        relus = [m for m in mods if isinstance(m, nn.ReLU)]
        if [c.out_channels for c in convs] != [8, 16, 16]:
            raise SelfCheckError(f"{name}({case}): the convolutions have "
                                 f"{[c.out_channels for c in convs]} kernels; expected one "
                                 f"Conv2d per int of cfg: [8, 16, 16].")
        if [c.in_channels for c in convs] != [1, 8, 16]:
            raise SelfCheckError(f"{name}({case}): in_channels of the convolutions are "
                                 f"{[c.in_channels for c in convs]}, expected [1, 8, 16]: each "
                                 f"takes the previous one's out_channels.")
        for c in convs:
            if c.kernel_size != (3, 3) or c.padding != (1, 1) or c.stride != (1, 1):
                raise SelfCheckError(
                    f"{name}({case}): a VGG convolution is 3x3 with stride 1 and padding 1 "
                    f"(it keeps H and W; only the pools shrink them), got kernel_size="
                    f"{c.kernel_size}, stride={c.stride}, padding={c.padding}.")
        if len(pools) != 2 or any(p.kernel_size not in (2, (2, 2)) or p.stride not in (2, (2, 2))
                                  for p in pools):
            raise SelfCheckError(f"{name}({case}): each 'M' is nn.MaxPool2d(kernel_size=2, "
                                 f"stride=2); found {pools}.")
        if len(relus) != 3:
            raise SelfCheckError(f"{name}({case}): expected a ReLU after each convolution, "
                                 f"found {len(relus)}.")
        if batch_norm and len(bns) != 3:
            raise SelfCheckError(f"{name}({case}): with batch_norm=True each convolution is "
                                 f"followed by BatchNorm2d, found {len(bns)}.")
        if not batch_norm and bns:
            raise SelfCheckError(f"{name}({case}): batch_norm=False, but the layers contain "
                                 f"BatchNorm2d.")
        if batch_norm and any(c.bias is not None for c in convs):
            raise SelfCheckError(f"{name}({case}): a convolution followed by BatchNorm needs "
                                 f"no bias (bias=False): BatchNorm subtracts the mean anyway "
                                 f"and its beta is the bias.")
        out = layers(torch.zeros(2, 1, 28, 28))
        if tuple(out.shape) != (2, 16, 7, 7):
            raise SelfCheckError(f"{name}({case}): output {tuple(out.shape)} for a 28x28 "
                                 f"input, expected (2, 16, 7, 7). Check the order of the layers.")
    print(f"✔ {name}: layers, kernel sizes, padding and output shape as specified")


def check_basic_block(BasicBlock, name=None):
    """Check a ResNet basic block class ``BasicBlock(in_channels, out_channels, stride=1)``.

    The block computes ``relu(F(x) + shortcut(x))`` with ``F`` = conv3x3 (stride) ->
    BatchNorm -> ReLU -> conv3x3 -> BatchNorm (convolutions without bias), and a
    shortcut that is the identity when the shape is unchanged, else a 1x1
    convolution with the stride followed by BatchNorm (He et al. 2016, option B).
    """
    import torch
    from torch import nn
    name = function_name(BasicBlock, "BasicBlock", name, "BasicBlock")
    cases = [("16 -> 16 channels, stride 1", 16, 16, 1, 4672),
             ("16 -> 32 channels, stride 2", 16, 32, 2, 14528)]
    x = torch.randn(2, 16, 8, 8, generator=torch.Generator().manual_seed(0))
    for number, (desc, c_in, c_out, s, params) in enumerate(cases, 1):
        case = f"{number} ({desc})"
        block = call(BasicBlock, name, case, c_in, c_out, s)
        try:
            out = _forward(block, x, name)
        except RuntimeError as exc:
            exc.add_note(f"[self-check] {name}, case {case}: with a different number of "
                         f"channels or stride 2 the shortcut must change shape too: a 1x1 "
                         f"convolution with the block's stride, then BatchNorm.")
            raise
        expected = (2, c_out, 8 // s, 8 // s)
        if tuple(out.shape) != expected:
            raise SelfCheckError(f"{name}, case {case}: output shape {tuple(out.shape)}, "
                                 f"expected {expected}: only the first conv3x3 (and the "
                                 f"shortcut) use the stride; padding 1 keeps the size.")
        count = sum(p.numel() for p in block.parameters())
        shortcut = (", plus a 1x1 convolution with BatchNorm on the shortcut" if s > 1
                    else ", identity shortcut")
        if count != params:
            raise SelfCheckError(f"{name}, case {case}: {count:,} parameters, expected "
                                 f"{params:,} (two bias-free 3x3 convolutions with BatchNorm"
                                 f"{shortcut}).")
        if number == 1:
            # With every weight of the residual branch zero, F(x) = 0 and the block
            # must give relu(x): this isolates the skip connection and the last ReLU.
            with torch.no_grad():
                for m in block.modules():
                    if isinstance(m, nn.Conv2d):
                        m.weight.zero_()
            out = block(x)
            if torch.allclose(out, torch.zeros_like(out)):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"is zero: the skip connection is missing (add x before "
                                     f"the last ReLU).")
            if torch.allclose(out, x):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"is x, not relu(x): apply the ReLU after adding the "
                                     f"shortcut, out = relu(F(x) + x).")
            if not torch.allclose(out, torch.relu(x), atol=1e-6):
                raise SelfCheckError(f"{name}: with the residual branch set to zero the output "
                                     f"should be relu(x); "
                                     f"{difference(out.numpy(), torch.relu(x).numpy(), 'out')}")
    print(f"✔ {name}: shapes, parameter counts and skip connection as specified")
