"""infogan28: the InfoGAN-style networks of Lucic et al. 2018, layer for layer."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError

from .conftest import build_pair


def test_the_papers_layers_and_sizes():
    _, g, c = build_pair("infogan28", (1, 28, 28), latent_dim=64)
    linears = [(m.in_features, m.out_features) for m in g.net if isinstance(m, nn.Linear)]
    assert linears == [(64, 1024), (1024, 128 * 7 * 7)]
    convts = [(m.in_channels, m.out_channels) for m in g.net if isinstance(m, nn.ConvTranspose2d)]
    assert convts == [(128, 64), (64, 1)]
    assert sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in g.net) == 3
    assert isinstance(g.net[-1], nn.Tanh)
    convs = [(m.in_channels, m.out_channels) for m in c.body if isinstance(m, nn.Conv2d)]
    assert convs == [(1, 64), (64, 128)]
    assert [(m.in_features, m.out_features) for m in c.body if isinstance(m, nn.Linear)] == [(128 * 7 * 7, 1024)]
    assert (c.score_head.in_features, c.score_head.out_features) == (1024, 1)
    # About 6.6M parameters each, as the paper's networks.
    assert 6.5e6 < sum(p.numel() for p in g.parameters()) < 6.7e6
    assert 6.5e6 < sum(p.numel() for p in c.parameters()) < 6.7e6
    x = g(torch.rand(4, 64) * 2 - 1)
    assert x.shape == (4, 1, 28, 28) and c(x).shape == (4,)


def test_the_critics_norm_follows_both_the_convolution_and_the_fully_connected_layer():
    _, _, c = build_pair("infogan28", (1, 28, 28), critic_norm="batch")
    assert [type(m) for m in c.body if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))] == [nn.BatchNorm2d,
                                                                                             nn.BatchNorm1d]
    _, _, c = build_pair("infogan28", (1, 28, 28), critic_norm="layer")
    assert sum(isinstance(m, nn.GroupNorm) for m in c.body) == 2
    with pytest.raises(WganError, match="critic_norm=instance.*fully connected"):
        build_pair("infogan28", (1, 28, 28), critic_norm="instance")


def test_other_sizes_are_refused():
    with pytest.raises(WganError, match="infogan28.*cannot produce 32x32 images; accepted sizes: 28 only"):
        build_pair("infogan28", (1, 32, 32))
