"""dcgan28: the speed benchmark's model and, with batch norm, the MNIST-sevens tutorial."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError
from wgan.models.layers import has_batchnorm

from .conftest import assert_finite, build_pair, layer_types


def test_generator_layers_match_spec():
    _, g, _ = build_pair("dcgan28", (1, 28, 28), latent_dim=100)
    net = list(g.net)
    assert layer_types(net) == [
        nn.Linear, nn.LeakyReLU, nn.Unflatten,
        nn.ConvTranspose2d, nn.BatchNorm2d, nn.LeakyReLU,
        nn.ConvTranspose2d, nn.BatchNorm2d, nn.LeakyReLU,
        nn.Conv2d, nn.Tanh,
    ]
    assert (net[0].in_features, net[0].out_features) == (100, 128 * 7 * 7)
    assert all(m.negative_slope == 0.2 for m in net if isinstance(m, nn.LeakyReLU))
    for convt in (net[3], net[6]):
        assert (convt.in_channels, convt.out_channels) == (128, 128)
        assert (convt.kernel_size, convt.stride, convt.padding) == ((4, 4), (2, 2), (1, 1))
    last = net[9]
    assert (last.in_channels, last.out_channels, last.kernel_size, last.padding) == (128, 1, (7, 7), (3, 3))


def test_critic_layers_match_spec():
    _, _, c = build_pair("dcgan28", (1, 28, 28))
    body = list(c.body)
    assert layer_types(body) == [nn.Conv2d, nn.LeakyReLU, nn.Conv2d, nn.LeakyReLU, nn.Flatten]
    assert [(m.in_channels, m.out_channels) for m in body if isinstance(m, nn.Conv2d)] == [(1, 64), (64, 64)]
    for conv in (body[0], body[2]):
        assert (conv.kernel_size, conv.stride, conv.padding) == ((4, 4), (2, 2), (1, 1))
    assert isinstance(c.score_head, nn.Linear)
    assert (c.score_head.in_features, c.score_head.out_features) == (64 * 7 * 7, 1)
    assert not has_batchnorm(c)


def test_s4_settings_batchnorm_after_each_conv_and_normal_init():
    _, g, c = build_pair("dcgan28", (1, 28, 28), latent_dim=50, critic_norm="batch", init="normal")
    assert layer_types(c.body) == [
        nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU, nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU, nn.Flatten
    ]
    assert has_batchnorm(c)
    assert g.net[0].in_features == 50
    conv = c.body[0]
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.3)
    assert torch.count_nonzero(conv.bias) == 0
    # The MNIST-sevens tutorial's final Dense keeps Keras's Glorot-uniform default: bound sqrt(6 / (3136 + 1)).
    bound = (6 / (64 * 7 * 7 + 1)) ** 0.5
    # (a 3136-sample N(0, 0.02) would almost surely exceed it; a uniform fills it).
    assert 0.9 * bound < c.score_head.weight.abs().max().item() <= bound


@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(channels):
    _, g, c = build_pair("dcgan28", (channels, 28, 28))
    x = g(torch.randn(4, 8))
    assert x.shape == (4, channels, 28, 28)
    assert x.abs().max() <= 1
    assert c(x).shape == (4,)
    assert_finite(g, c)


@pytest.mark.parametrize("shape", [(1, 32, 32), (3, 64, 64), (1, 28, 27)])
def test_other_sizes_are_refused_with_the_accepted_one(shape):
    with pytest.raises(WganError, match="28"):
        build_pair("dcgan28", shape)
