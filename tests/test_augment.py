"""cnnlib.augment against exact moves computed without interpolation (torch.rot90, flips,
shifted slices) and against torchvision's rotation."""
import numpy as np
import pytest
import torch

from cnnlib.augment import affine, random_affine


@pytest.fixture
def images():
    torch.manual_seed(0)
    return torch.rand(3, 2, 8, 8, dtype=torch.float64)


def test_quarter_turns_equal_rot90(images):
    # torch.rot90 over dims (2, 3) turns the picture anticlockwise as displayed.
    torch.testing.assert_close(affine(images, 90.0, (0.0, 0.0)), torch.rot90(images, 1, (2, 3)))
    torch.testing.assert_close(affine(images, -90.0, (0.0, 0.0)),
                               torch.rot90(images, -1, (2, 3)))


def test_half_turn_flips_both_axes(images):
    torch.testing.assert_close(affine(images, 180.0, (0.0, 0.0)), images.flip(2, 3))


def test_integer_shifts_move_pixels_and_fill_zeros(images):
    got = affine(images, 0.0, (2.0, -1.0))          # right by 2, up by 1
    expected = torch.zeros_like(images)
    expected[:, :, :-1, 2:] = images[:, :, 1:, :-2]
    torch.testing.assert_close(got, expected)


def test_rectangular_images_and_per_image_parameters():
    torch.manual_seed(1)
    x = torch.rand(2, 1, 6, 10, dtype=torch.float64)
    got = affine(x, torch.tensor([180.0, 0.0], dtype=torch.float64),
                 torch.tensor([[0.0, 0.0], [-3.0, 0.0]], dtype=torch.float64))
    torch.testing.assert_close(got[0], x[0].flip(1, 2))
    expected = torch.zeros_like(x[1])
    expected[:, :, :-3] = x[1, :, :, 3:]
    torch.testing.assert_close(got[1], expected)


def test_small_rotation_equals_torchvision():
    from torchvision.transforms.v2 import functional as TF

    torch.manual_seed(2)
    x = torch.zeros(1, 1, 28, 28)
    x[..., 8:20, 12:16] = 1.0                         # a bar, away from the border
    got = affine(x, 15.0, (0.0, 0.0))
    expected = TF.rotate(x, 15.0, interpolation=TF.InterpolationMode.BILINEAR)
    # Both turn anticlockwise about the centre; they differ only in interpolation details.
    assert (got - expected).abs().mean() < 0.02
    assert np.corrcoef(got.flatten(), expected.flatten())[0, 1] > 0.97
    # A wide image: x and y are scaled to [-1, 1] separately, so the turn must undo that.
    x = torch.zeros(1, 1, 20, 36)
    x[..., 4:16, 16:20] = 1.0
    got = affine(x, 30.0, (0.0, 0.0))
    expected = TF.rotate(x, 30.0, interpolation=TF.InterpolationMode.BILINEAR)
    assert np.corrcoef(got.flatten(), expected.flatten())[0, 1] > 0.97


def test_random_affine_draws_within_range_and_is_reproducible(images):
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a, b = random_affine(images, 10, 2, g1), random_affine(images, 10, 2, g2)
    torch.testing.assert_close(a, b)
    assert a.shape == images.shape and a.dtype == images.dtype
    assert not torch.allclose(a, images)
    torch.testing.assert_close(random_affine(images, 0, 0), images)


def test_bad_arguments(images):
    with pytest.raises(ValueError, match=r"x must be a float tensor of images \(N, C, H, W\)"):
        affine(images[0], 10.0, (0.0, 0.0))
    with pytest.raises(ValueError, match="max_degrees must be a number >= 0"):
        random_affine(images, -1)
    with pytest.raises(ValueError, match="max_shift must be a number >= 0"):
        random_affine(images, 5, "2")
