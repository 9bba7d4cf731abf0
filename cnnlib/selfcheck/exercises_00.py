"""Exercises of lesson 00 (welcome) and their checks: the numbers of a batch, its shape."""
from __future__ import annotations

import numpy as np

from .answers import Exercise, Part, check_function
from .answers import Mistake as M

__all__ = ["EXERCISES", "check_to_batch"]


# --------------------------------------------------------------------------- 00.3
def _to_batch(images):
    images = np.asarray(images)
    return images[:, None, :, :].astype(np.float32) / 255


def _to_batch_cases():
    rng = np.random.default_rng(0)
    return [("one 2x2 image", (np.array([[[0, 255], [51, 102]]], dtype=np.uint8),)),
            ("three 4x3 images", (rng.integers(0, 256, (3, 4, 3), dtype=np.uint8),)),
            ("two 28x28 images", (rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),))]


def check_to_batch(to_batch, quiet=False):
    """Check ``to_batch(images)``: bytes of grey images to a batch a network reads.

    Parameters
    ----------
    to_batch : callable
        ``images``, a uint8 array ``(N, H, W)`` of grey levels 0..255, to a float array
        ``(N, 1, H, W)`` of values in [0, 1] (what ``torchvision.transforms.ToTensor``
        gives for each image).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
    """
    mistakes = (
        M("channels last", lambda x: _to_batch(x)[:, 0, :, :, None],
          "the channel axis is last, (N, H, W, 1); PyTorch reads (N, C, H, W): add it "
          "after N, e.g. images[:, None]."),
        M("channel left out", lambda x: _to_batch(x)[:, 0],
          "the result is (N, H, W); a convolution needs the channel axis: (N, 1, H, W)."),
        M("not scaled", lambda x: _to_batch(x) * 255,
          "the values are still 0..255: divide by 255 to get [0, 1]."),
        M("divided by 256", lambda x: _to_batch(x) * 255 / 256,
          "the largest grey level is 255, so divide by 255 (white becomes 1.0)."),
    )
    return check_function("Exercise 00.3 (to_batch)", to_batch, _to_batch_cases(), _to_batch,
                          mistakes, quiet)


EXERCISES = {
    "00.1": Exercise(
        "the size of a batch",
        "A batch of 32 Fashion-MNIST images is loaded as a float32 tensor of shape "
        "(N, C, H, W). How many numbers does it hold (`numbers`), and how many bytes "
        "(`n_bytes`, 4 per float32)? Predict, then check with "
        "`check_exercise('00.1', numbers=..., n_bytes=...)` and with "
        "`torch.zeros(32, 1, 28, 28)`'s `.numel()` and `.element_size()`.",
        parts={
            "numbers": Part(25088, (
                M("one image", 784, "that is one image, 28 x 28; the batch has 32."),
                M("three channels", 75264, "Fashion-MNIST is grey: one channel, not 3."))),
            "n_bytes": Part(100352, (
                M("bytes of uint8", 25088, "that is one byte per number, as stored on disk; "
                                           "a float32 takes 4."),
                M("float64", 200704, "8 bytes is float64; PyTorch's default float32 takes 4."),
                M("bits", 802816, "that counts bits: 32 bits are 4 bytes.")))}),
    "00.2": Exercise(
        "the shape of a colour batch",
        "Sixteen colour photographs of 32x32 pixels (red, green and blue) go into a "
        "PyTorch network as one batch. What is its shape (`shape`, a tuple in PyTorch's "
        "order), and how many numbers does one image hold (`per_image`)? Check with "
        "`check_exercise('00.2', shape=..., per_image=...)`.",
        parts={
            "shape": Part((16, 3, 32, 32), (
                M("channels last", (16, 32, 32, 3), "(N, H, W, C) is the order of image "
                                                      "files and TensorFlow; PyTorch reads "
                                                      "(N, C, H, W)."),
                M("no batch axis", (3, 32, 32), "that is one image; the batch adds N in "
                                                "front."),
                M("grey", (16, 1, 32, 32), "colour images have 3 channels."))),
            "per_image": Part(3072, (
                M("grey", 1024, "32 x 32 counts one channel; colour has 3."),
                M("batch", 49152, "that is the whole batch; one image is 3 x 32 x 32.")))}),
    "00.3": Exercise(
        "from bytes to a batch",
        "Image files store grey levels as bytes, 0..255, with shape (N, H, W). Write "
        "`to_batch(images)` that returns the float32 batch of shape (N, 1, H, W) with values "
        "in [0, 1] that a PyTorch network reads. Check with `check_exercise('00.3', to_batch)`, "
        "then compare one image with "
        "`torchvision.transforms.functional.to_tensor(images[0])`.",
        check=check_to_batch),
}
