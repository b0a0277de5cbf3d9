"""dcgan: the CelebA WGAN-GP tutorial's DCGAN pair, generalised over sizes by the number of doubling blocks."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError
from wgan.models.layers import has_batchnorm

from .conftest import assert_finite, build_pair


def _convs(module, kind):
    return [m for m in module.modules() if type(m) is kind]


def test_s3_channel_widths_at_64():
    h, nz = 4, 8
    _, g, c = build_pair("dcgan", (3, 64, 64), width=h, latent_dim=nz, critic_norm="batch")
    convts = _convs(g.net, nn.ConvTranspose2d)
    assert [(m.in_channels, m.out_channels) for m in convts] == [
        (nz, 16 * h), (16 * h, 8 * h), (8 * h, 4 * h), (4 * h, 2 * h), (2 * h, 3)
    ]
    assert (convts[0].kernel_size, convts[0].stride, convts[0].padding) == ((4, 4), (1, 1), (0, 0))
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in convts[1:])
    # BN + ReLU after every ConvT but the output one, then tanh.
    assert len(_convs(g.net, nn.BatchNorm2d)) == 4 and isinstance(g.net[-1], nn.Tanh)
    assert all(isinstance(m, nn.ReLU) for m in g.net if isinstance(m, (nn.ReLU, nn.LeakyReLU)))

    convs = _convs(c.body, nn.Conv2d)
    assert [(m.in_channels, m.out_channels) for m in convs] == [(3, h), (h, 2 * h), (2 * h, 4 * h), (4 * h, 8 * h)]
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in convs)
    # No norm on the first layer (DCGAN); one after each of the other three.
    assert type(c.body[1]) is nn.LeakyReLU
    assert len(_convs(c.body, nn.BatchNorm2d)) == 3
    head = c.score_head
    assert (head.in_channels, head.out_channels, head.kernel_size, head.padding) == (8 * h, 1, (4, 4), (0, 0))


@pytest.mark.parametrize("size", [16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, channels):
    _, g, c = build_pair("dcgan", (channels, size, size))
    x = g(torch.randn(2, 8))
    assert x.shape == (2, channels, size, size)
    assert x.abs().max() <= 1
    assert c(x).shape == (2,)
    assert_finite(g, c)


def test_accepts_dcgan_style_noise_shape():
    _, g, _ = build_pair("dcgan", (1, 32, 32))
    z = torch.randn(2, 8)
    g.eval()
    assert torch.equal(g(z), g(z.view(2, 8, 1, 1)))


@pytest.mark.parametrize(
    "norm, kind", [("none", None), ("layer", nn.GroupNorm), ("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d)]
)
def test_critic_norms(norm, kind):
    _, _, c = build_pair("dcgan", (1, 32, 32), critic_norm=norm)
    norms = [m for m in c.modules() if isinstance(m, (nn.GroupNorm, nn.BatchNorm2d, nn.InstanceNorm2d))]
    assert [type(m) for m in norms] == ([kind] * 2 if kind else [])
    assert has_batchnorm(c) == (norm == "batch")
    assert c(torch.randn(3, 1, 32, 32)).shape == (3,)


def test_unknown_critic_norm():
    with pytest.raises(WganError, match="accepted: batch, instance, layer, none"):
        build_pair("dcgan", (1, 32, 32), critic_norm="weight")


@pytest.mark.parametrize("shape", [(1, 24, 24), (3, 48, 48), (1, 4, 4), (3, 64, 32)])
def test_unsupported_sizes_name_the_accepted_ones(shape):
    with pytest.raises(WganError, match=r"'dcgan'.*accepted sizes: a power of two"):
        build_pair("dcgan", shape)


def test_its_own_settings_change_only_what_they_name():
    h = 4
    _, g, c = build_pair("dcgan", (1, 28, 28), width=h, options={
        "critic_width": 16, "critic_fc": 32, "generator_fc": 24, "generator_output": "upsample"})
    # The critic: width 16 instead of 4, then a fully connected layer of 32 units the heads read.
    convs = _convs(c.body, nn.Conv2d)
    assert [(m.in_channels, m.out_channels) for m in convs] == [(1, 16), (16, 32)]
    fc = _convs(c.body, nn.Linear)
    assert [(m.in_features, m.out_features) for m in fc] == [(32 * 7 * 7, 32)]
    assert (c.score_head.in_features, c.score_head.out_features) == (32, 1)
    # The generator: z -> 24 units (BN, act) -> the usual ladder -> upsample + 3x3 convolution.
    linear = _convs(g.net, nn.Linear)
    assert [(m.in_features, m.out_features) for m in linear] == [(8, 24)]
    assert _convs(g.net, nn.ConvTranspose2d)[0].in_channels == 24
    assert isinstance(g.net[-3], nn.Upsample) and type(g.net[-2]) is nn.Conv2d and g.net[-2].kernel_size == (3, 3)
    x = g(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28) and c(x).shape == (5,)


def test_without_its_settings_it_is_the_tutorials_network():
    _, g, c = build_pair("dcgan", (3, 64, 64))
    assert not _convs(g.net, nn.Linear) and not _convs(c.body, nn.Linear)
    assert type(g.net[-2]) is nn.ConvTranspose2d


def test_its_settings_are_checked(tiny_image_config):
    from wgan.validation import validate

    tiny_image_config.model.options["generator_output"] = "pixelshuffle"
    with pytest.raises(WganError, match="unknown model.generator_output 'pixelshuffle'; accepted: convt, upsample"):
        validate(tiny_image_config)
