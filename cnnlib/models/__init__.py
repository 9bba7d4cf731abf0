"""Classic CNN architectures in PyTorch, one module per family, and tools to measure them.

Every architecture is built by a small factory function named after it
(``lenet5()``, ``vgg16()``, ``resnet50()`` ...), reading top-down like the table
of its paper. Where torchvision has the same network (VGG, GoogLeNet, ResNet,
DenseNet) the parameter names and shapes are torchvision's, so its pretrained
weights load with ``model.load_state_dict(tv_model.state_dict())``.

``summary`` tabulates output shapes, parameters, activations and
multiply-accumulates layer by layer; ``receptive_field`` follows the receptive
field through stacked convolutions and pools; ``imagenet_zoo`` lists
torchvision's published accuracy and cost figures.
"""
from .zoo import imagenet_zoo
from .lenet import lenet5, lenet5_classic
from .alexnet import alexnet, zfnet
from .vgg import vgg11, vgg13, vgg16c, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn
from .googlenet import googlenet
from .resnet import (resnet18, resnet34, resnet50, resnet101, resnet152,
                     resnet20, resnet32, resnet44, resnet56, resnet110)
from .densenet import densenet121, densenet169, densenet201
from .mobilenet import mobilenet_v1
from .senet import SqueezeExcitation
from .small import vgg_small, resnet_small
from .summary import summary, receptive_field, Summary
from .unet import unet, UNet
from .wavenet import causal_cnn, CausalConv1d
from .shattered import shattered_net, input_gradient

__all__ = [
    "lenet5", "lenet5_classic", "alexnet", "zfnet",
    "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "googlenet",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
    "densenet121", "densenet169", "densenet201", "mobilenet_v1", "vgg_small", "resnet_small",
    "vgg16c", "SqueezeExcitation", "unet", "UNet", "causal_cnn", "CausalConv1d",
    "summary", "receptive_field", "Summary", "imagenet_zoo", "shattered_net", "input_gradient",
]
