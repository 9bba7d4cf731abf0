"""torchvision's ImageNet classifiers as data: accuracy, size and cost.

torchvision ships, inside each weight enum (``torchvision.models.ResNet50_Weights``
...), the figures it measured for those weights: ImageNet-1K top-1 and top-5
accuracy, number of parameters, operations per image and file size. They are
read here without downloading any weights, so the course can plot accuracy
against parameters and compute for dozens of architectures.
"""
from __future__ import annotations

__all__ = ["imagenet_zoo"]


def imagenet_zoo(all_weights: bool = False) -> list[dict]:
    """The ImageNet-1K classification models of torchvision with their published figures.

    Parameters
    ----------
    all_weights : bool
        If False (default) one row per architecture, for torchvision's ``DEFAULT``
        weights (its best ones). If True one row per set of weights (e.g. both
        ``IMAGENET1K_V1`` and ``IMAGENET1K_V2`` of ResNet-50).

    Returns
    -------
    list of dict, sorted by name, each with the keys

    ``name`` : str
        The torchvision builder, e.g. ``"resnet50"`` (``torchvision.models.resnet50``).
    ``weights`` : str
        The weight enum member, e.g. ``"ResNet50_Weights.IMAGENET1K_V2"``.
    ``acc@1``, ``acc@5`` : float
        Top-1 and top-5 accuracy on the ImageNet-1K validation set, in percent.
    ``params`` : int
        Number of parameters.
    ``gmacs`` : float
        Billions of multiply-accumulates for one image at the weights' evaluation
        size. torchvision's documentation table heads this column "GFLOPS", but
        it counts a multiply-accumulate as one operation (VGG-16: 15.47, the
        figure :func:`cnnlib.models.summary` reproduces by counting MACs).
    ``file_size_mb`` : float
        Size of the weights file in MB.

    Examples
    --------
    >>> zoo = imagenet_zoo()
    >>> row = next(r for r in zoo if r["name"] == "vgg16")
    >>> row["params"], row["gmacs"]
    (138357544, 15.47)
    """
    import torchvision.models as tvm
    from torchvision.models import get_model_weights, list_models

    rows = []
    for name in sorted(list_models(module=tvm)):
        enum = get_model_weights(name)
        chosen = list(enum) if all_weights else [enum.DEFAULT]
        for weights in chosen:
            meta = weights.meta
            metrics = meta["_metrics"]["ImageNet-1K"]
            rows.append({
                "name": name,
                "weights": f"{type(weights).__name__}.{weights.name}",
                "acc@1": float(metrics["acc@1"]),
                "acc@5": float(metrics["acc@5"]),
                "params": int(meta["num_params"]),
                "gmacs": float(meta["_ops"]),
                "file_size_mb": float(meta["_file_size"]),
            })
    return rows
