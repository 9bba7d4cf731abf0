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
