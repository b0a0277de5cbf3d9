"""upconv: the CIFAR-10 clipping tutorial's upsample + convolution generator and strided critic."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError
from wgan.models.layers import keras_same_pad

from .conftest import assert_finite, build_pair


def test_keras_same_padding():
    # TensorFlow pads (k - 1) // 2 before and the rest after.
    assert keras_same_pad(4).padding == (1, 2, 1, 2)
    assert keras_same_pad(2).padding == (0, 1, 0, 1)
    assert keras_same_pad(5).padding == (2, 2, 2, 2)
    x = torch.randn(1, 1, 6, 6)
    for k in (2, 3, 4, 5):
        assert nn.Sequential(keras_same_pad(k), nn.Conv2d(1, 1, k))(x).shape == x.shape


def test_s0_structure_at_64():
    h = 4
    _, g, c = build_pair("upconv", (3, 64, 64), width=h, latent_dim=128, critic_norm="batch")
    net = list(g.net)
    assert isinstance(net[0], nn.Linear) and net[0].in_features == 128
    assert isinstance(net[1], nn.BatchNorm1d) and isinstance(net[2], nn.ReLU)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in g.modules())
    ups = [m for m in net if isinstance(m, nn.Upsample)]
    assert len(ups) == 4 and all(m.scale_factor == 2 for m in ups)  # 4 -> 64
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    assert all(m.kernel_size == (4, 4) for m in convs)
    assert len([m for m in net if isinstance(m, nn.BatchNorm2d)]) == 3
    assert isinstance(net[-1], nn.Tanh) and convs[-1].out_channels == 3

    body = list(c.body)
    convs = [m for m in body if isinstance(m, nn.Conv2d)]
    assert len(convs) == 4  # the CIFAR-10 clipping tutorial: four blocks
    assert [m.out_channels for m in convs] == [h, 2 * h, 4 * h, 8 * h]
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in convs)
    for i, m in enumerate(body):
        if isinstance(m, nn.Conv2d):
            assert isinstance(body[i + 1], nn.BatchNorm2d) and isinstance(body[i + 2], nn.LeakyReLU)
    assert (c.score_head.in_features, c.score_head.out_features) == (8 * h * 4 * 4, 1)


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, channels):
    _, g, c = build_pair("upconv", (channels, size, size))
    x = g(torch.randn(2, 8))
    assert x.shape == (2, channels, size, size)
    assert x.abs().max() <= 1
    assert c(x).shape == (2,)
    assert_finite(g, c)


@pytest.mark.parametrize("shape", [(1, 30, 30), (3, 100, 100), (1, 32, 28)])
def test_unsupported_sizes(shape):
    with pytest.raises(WganError, match=r"'upconv'.*accepted sizes"):
        build_pair("upconv", shape)
