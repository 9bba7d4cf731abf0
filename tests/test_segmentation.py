"""cnnlib.segmentation: canvases and masks that agree, reproducibly."""
import numpy as np
import pytest

from cnnlib.segmentation import digit_canvases


def _digits(rng, m=20):
    images = rng.random((m, 1, 28, 28)).astype(np.float32)
    return images, rng.integers(0, 10, m)


def test_shapes_determinism_and_mask():
    images, labels = _digits(np.random.default_rng(0))
    x, mask = digit_canvases(images, labels, n=5, canvas_size=64, seed=3)
    assert x.shape == (5, 1, 64, 64) and x.dtype == np.float32
    assert mask.shape == (5, 64, 64) and mask.dtype == np.int64
    x2, mask2 = digit_canvases(images, labels, n=5, canvas_size=64, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(mask, mask2)
    assert not np.array_equal(x, digit_canvases(images, labels, n=5, seed=4)[0])
    # A pixel is a digit's class exactly where the ink exceeds the threshold.
    np.testing.assert_array_equal(mask > 0, x[:, 0] > 0.5)
    assert set(np.unique(mask)) <= set(range(11))


def test_each_digit_is_pasted_whole_and_labelled():
    images = np.zeros((2, 28, 28), np.float32)
    images[0, 5:20, 10:14] = 1.0
    images[1, 3:9, 3:25] = 0.9
    x, mask = digit_canvases(images, np.array([3, 8]), n=20, canvas_size=60, grid=2, seed=0)
    for canvas, m in zip(x[:, 0], mask):
        assert (canvas > 0).sum() in {60 * k + 132 * j for k in range(5) for j in range(5)}
        assert set(np.unique(m)) <= {0, 4, 9}
        assert np.count_nonzero(m == 4) % 60 == 0 and np.count_nonzero(m == 9) % 132 == 0
        assert m.any()                    # at least one digit per canvas


@pytest.mark.parametrize("kwargs, words", [
    (dict(canvas_size=50), "smaller than the 28x28 digits"),
    (dict(n=0), "n must be >= 1, got 0"),
    (dict(fill=0), "fill must be a probability"),
])
def test_bad_arguments(kwargs, words):
    images, labels = _digits(np.random.default_rng(0))
    with pytest.raises(ValueError, match=words):
        digit_canvases(images, labels, **{"n": 2, **kwargs})


def test_bad_images_and_labels():
    images, labels = _digits(np.random.default_rng(0))
    with pytest.raises(ValueError, match="one per image"):
        digit_canvases(images, labels[:-1], n=2)
    with pytest.raises(ValueError, match=r"\(M, 1, h, w\) or \(M, h, w\)"):
        digit_canvases(images[:, 0, 0], labels, n=2)
