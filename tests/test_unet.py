"""cnnlib.models.unet against the same computation spelled out with torch.nn.functional."""
import pytest
import torch
import torch.nn.functional as F

from cnnlib import models


def _double_conv(block, x):
    conv1, bn1, _, conv2, bn2, _ = block
    x = F.relu(bn1(conv1(x)))
    return F.relu(bn2(conv2(x)))


@pytest.mark.parametrize("skips", [True, False])
def test_forward_equals_functional_unet(skips):
    torch.manual_seed(0)
    net = models.unet(num_classes=5, in_channels=2, widths=(4, 6, 8), skips=skips).eval()
    x = torch.randn(3, 2, 16, 12)
    d1 = _double_conv(net.down[0], x)
    d2 = _double_conv(net.down[1], F.max_pool2d(d1, 2))
    b = _double_conv(net.down[2], F.max_pool2d(d2, 2))
    u2 = F.conv_transpose2d(b, net.up[1].weight, net.up[1].bias, stride=2)
    u2 = _double_conv(net.decode[1], torch.cat([d2, u2], 1) if skips else u2)
    u1 = F.conv_transpose2d(u2, net.up[0].weight, net.up[0].bias, stride=2)
    u1 = _double_conv(net.decode[0], torch.cat([d1, u1], 1) if skips else u1)
    expected = F.conv2d(u1, net.head.weight, net.head.bias)
    with torch.no_grad():
        out = net(x)
    assert out.shape == (3, 5, 16, 12)
    torch.testing.assert_close(out, expected)


def test_skips_add_only_decoder_input_channels():
    def count(m):
        return sum(p.numel() for p in m.parameters())
    widths = (16, 32, 64)
    extra = sum(w * w * 9 for w in widths[:-1])   # first decoder conv sees 2w instead of w
    assert count(models.unet(widths=widths)) - count(models.unet(widths=widths, skips=False)) \
        == extra


def test_up_convolution_doubles_resolution():
    net = models.unet(widths=(4, 8))
    assert isinstance(net.up[0], torch.nn.ConvTranspose2d)
    assert net.up[0].stride == (2, 2) and net.up[0].kernel_size == (2, 2)
    assert net(torch.zeros(1, 1, 8, 8)).shape == (1, 11, 8, 8)


def test_output_at_a_pixel_depends_on_the_skip_when_present():
    # Through the skip, the decoder sees full-resolution features: changing one input pixel
    # changes the output there even in a net whose bottleneck we silence.
    torch.manual_seed(0)
    for skips, expect_change in ((True, True), (False, False)):
        net = models.unet(widths=(4, 8), skips=skips, batch_norm=False).eval()
        with torch.no_grad():
            net.up[0].weight.zero_()
            net.up[0].bias.zero_()
            x = torch.randn(1, 1, 8, 8)
            y = x.clone()
            y[0, 0, 3, 3] += 5
            changed = not torch.equal(net(x), net(y))
        assert changed == expect_change


@pytest.mark.parametrize("kwargs, words", [
    (dict(widths=(8,)), "at least two levels"),
    (dict(widths=(8, 0)), "each of widths"),
    (dict(num_classes=0), "num_classes"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        models.unet(**kwargs)


def test_bad_input():
    net = models.unet(widths=(4, 8, 16))
    with pytest.raises(ValueError, match="multiples of 4, got 10x12"):
        net(torch.zeros(1, 1, 10, 12))
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 1, H, W\)"):
        net(torch.zeros(1, 3, 8, 8))
