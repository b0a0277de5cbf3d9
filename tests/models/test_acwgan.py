"""acwgan: the AC-WGAN MNIST tutorial's conditional networks."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError

from .conftest import assert_finite, build_pair


def s1_pair(shape=(1, 28, 28), **overrides):
    values = dict(latent_dim=100, conditional="embed_mul", init="normal")
    values.update(overrides)
    return build_pair("acwgan", shape, 10, **values)


def test_s1_critic():
    _, _, c = s1_pair()
    convs = [m for m in c.body if isinstance(m, nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size, m.padding) for m in convs] == [
        (32, (3, 3), (1, 1)), (64, (3, 3), (1, 1)), (128, (3, 3), (1, 1)), (256, (3, 3), (1, 1))
    ]
    assert [m.kernel_size for m in c.body if isinstance(m, nn.MaxPool2d)] == [2, 2]
    drops = [m for m in c.body if isinstance(m, nn.Dropout)]
    assert len(drops) == 4 and all(m.p == 0.3 for m in drops)
    # Keras's LeakyReLU() default slope.
    assert all(m.negative_slope == 0.3 for m in c.modules() if isinstance(m, nn.LeakyReLU))
    assert (c.score_head.in_features, c.score_head.out_features) == (256 * 7 * 7, 1)
    assert (c.class_head.in_features, c.class_head.out_features) == (256 * 7 * 7, 10)


def test_s1_generator():
    _, g, _ = s1_pair()
    assert isinstance(g.label_input.embed, nn.Embedding)
    assert tuple(g.label_input.embed.weight.shape) == (10, 100)
    lin = [m for m in g.net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in lin] == [(100, 1024), (1024, 128 * 7 * 7)]
    convs = [m for m in g.net if isinstance(m, nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size) for m in convs] == [(256, (5, 5)), (128, (5, 5)), (1, (2, 2))]
    assert [m.padding for m in g.net if isinstance(m, nn.ZeroPad2d)] == [(0, 1, 0, 1)]
    assert isinstance(g.net[-1], nn.Tanh)
    g.eval()
    x = g(torch.randn(3, 100), torch.tensor([0, 5, 9]))
    assert x.shape == (3, 1, 28, 28)


def test_s1_init():
    # RandomNormal(0, 0.02) on the convolutions; Keras's Glorot-uniform on Dense layers.
    _, g, c = s1_pair()
    conv = next(m for m in g.net if isinstance(m, nn.Conv2d))
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.1)
    dense = g.net[0]
    glorot_std = (2 / (dense.in_features + dense.out_features)) ** 0.5
    assert dense.weight.std().item() == pytest.approx(glorot_std, rel=0.1)
    assert all(torch.count_nonzero(m.bias) == 0 for m in c.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 32, 32)])
def test_shapes(shape):
    _, g, c = s1_pair(shape, latent_dim=8)
    x = g(torch.randn(2, 8), torch.tensor([1, 2]))
    assert x.shape == (2, *shape)
    score, logits = c.score_and_logits(x)
    assert score.shape == (2,) and logits.shape == (2, 10)
    assert_finite(g, c)


@pytest.mark.parametrize("shape", [(1, 30, 30), (1, 2, 2), (1, 28, 32)])
def test_unsupported_sizes(shape):
    with pytest.raises(WganError, match=r"'acwgan'.*accepted sizes: a multiple of 4"):
        s1_pair(shape)
