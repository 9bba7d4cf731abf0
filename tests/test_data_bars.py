"""cnnlib.data.bars: vertical and horizontal bars under noise, for lesson 03's single kernel."""
import numpy as np
import pytest
import scipy.ndimage

from cnnlib.data.bars import bar_images


def test_shapes_labels_and_order():
    x, y = bar_images(4, size=12, positions=(3, 9), seed=1)
    assert x.shape == (8, 1, 12, 12) and x.dtype == np.float64
    assert y.tolist() == [1.0] * 4 + [0.0] * 4


def test_without_noise_each_image_is_one_bar_of_the_given_width_and_orientation():
    x, y = bar_images(30, size=20, noise=0.0, width=3, positions=(6, 14), seed=2)
    for image, label in zip(x[:, 0], y):
        labels, count = scipy.ndimage.label(image > 0)
        assert count == 1
        rows, cols = np.nonzero(image)
        vertical = label == 1
        assert len(np.unique(cols if vertical else rows)) == 3          # 3 pixels wide
        assert len(np.unique(rows if vertical else cols)) == 20         # across the image
        centre = np.unique(cols if vertical else rows)[1]
        assert 6 <= centre < 14
        assert set(np.unique(image)) == {0.0, 1.0}


def test_the_noise_has_the_requested_spread_and_the_seed_repeats():
    x, _ = bar_images(200, noise=0.8, seed=5)
    clean, _ = bar_images(200, noise=0.0, seed=5)
    noise = x - clean
    assert abs(noise.std() - 0.8) < 0.01 and abs(noise.mean()) < 0.01
    again, _ = bar_images(200, noise=0.8, seed=5)
    assert np.array_equal(x, again)


def test_the_random_numbers_come_in_the_documented_order():
    rng = np.random.default_rng(3)
    noise_v, centres_v = rng.normal(0, 0.8, (2, 20, 20)), rng.integers(6, 14, 2)
    noise_h, centres_h = rng.normal(0, 0.8, (2, 20, 20)), rng.integers(6, 14, 2)
    x, _ = bar_images(2, seed=3)
    vertical, horizontal = noise_v[1].copy(), noise_h[0].copy()
    vertical[:, centres_v[1] - 1:centres_v[1] + 2] += 1
    horizontal[centres_h[0] - 1:centres_h[0] + 2, :] += 1
    np.testing.assert_array_equal(x[1, 0], vertical)
    np.testing.assert_array_equal(x[2, 0], horizontal)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_per_class=0), "n_per_class must be a positive integer"),
    (dict(n_per_class=2, width=2), "width must be odd"),
    (dict(n_per_class=2, noise=-1.0), "noise must be >= 0"),
    (dict(n_per_class=2, positions=(0, 10)), "positions must satisfy"),
    (dict(n_per_class=2, positions=(10, 20)), "positions must satisfy"),
])
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bar_images(**kwargs)
