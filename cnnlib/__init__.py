"""cnnlib: the shared library of the CNN course.

The NumPy core (``signal``, ``kernels``, ``padding``, ``unfold``, ``conv``, ``pool``,
``nn``) needs only NumPy and is imported here with its public names, so
``cnnlib.conv2d`` works straight away.  The PyTorch parts (``models``, ``train``,
``device``, ``torch_ops``) and the Jupyter parts (``viz``, ``widgets``) are loaded on
first use, e.g. ``cnnlib.models.resnet18()`` or ``cnnlib.fit(...)``, so
``import cnnlib`` stays light.
"""
import importlib

from . import data
from .data import mnist, fashion_mnist, mnist_arrays, fashion_mnist_arrays
from . import signal, kernels
from .signal import (
    correlate1d, correlate1d_naive, convolve1d, correlate2d, correlate2d_naive, convolve2d,
    correlation_matrix,
)
from . import metrics
from .metrics import (
    confusion_matrix, one_vs_rest_counts, accuracy_score, precision_score, recall_score,
    f1_score, specificity, classification_report, top_k_accuracy_score, top_k_error,
    precision_recall_curve, average_precision_score, mean_average_precision, accuracy_per_mparam,
    most_confused, confident_mistakes,
)
from . import padding, unfold, conv, pool
from .padding import conv_output_size, conv_padding, pad2d
from .unfold import sliding_windows, im2col
from .conv import conv2d, conv2d_naive, conv2d_im2col, conv1d
from .pool import (
    max_pool2d, max_pool2d_naive, avg_pool2d, lp_pool2d, global_avg_pool2d, pool_output_size,
)
from .unfold import col2im
from .conv import (
    conv2d_backward, conv2d_backward_naive, conv2d_backward_im2col, conv_transpose2d,
)
from .pool import (
    max_pool2d_backward, max_pool2d_backward_naive, avg_pool2d_backward, lp_pool2d_backward,
)
from . import nn

# The NumPy core, loaded with the package (the modules padding and unfold are left out:
# ``from cnnlib import *`` must not overwrite a student's variable ``padding``).
__all__ = [
    "data", "mnist", "fashion_mnist", "mnist_arrays", "fashion_mnist_arrays", "signal", "kernels",
    "correlate1d", "correlate1d_naive", "convolve1d", "correlate2d", "correlate2d_naive",
    "convolve2d", "correlation_matrix", "metrics", "confusion_matrix", "one_vs_rest_counts",
    "accuracy_score", "precision_score", "recall_score", "f1_score", "specificity",
    "classification_report", "top_k_accuracy_score", "top_k_error", "precision_recall_curve",
    "average_precision_score", "mean_average_precision", "accuracy_per_mparam", "most_confused",
    "confident_mistakes", "conv", "pool", "conv2d", "conv2d_naive", "conv2d_im2col", "conv1d",
    "conv_output_size",
    "conv_padding", "pad2d", "sliding_windows", "im2col", "max_pool2d", "max_pool2d_naive",
    "avg_pool2d", "lp_pool2d", "global_avg_pool2d", "pool_output_size", "col2im",
    "conv2d_backward", "conv2d_backward_naive", "conv2d_backward_im2col", "conv_transpose2d",
    "max_pool2d_backward",
    "max_pool2d_backward_naive", "avg_pool2d_backward", "lp_pool2d_backward", "nn",
]
# Not in __all__, so that ``from cnnlib import *`` stays light: the lazy parts below.

__version__ = "0.1.0"

_LAZY = ("models", "train", "device", "torch_ops", "viz", "widgets", "landscape", "deconvnet",
         "segmentation", "selfcheck", "adversarial", "detection", "gradcam", "augment")
_LAZY_NAMES = {"fit": "train", "evaluate": "train", "predict": "train"}


def __getattr__(name):
    # Module-level __getattr__ (PEP 562): import the heavy submodules only when used.
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'cnnlib' has no attribute {name!r}")
