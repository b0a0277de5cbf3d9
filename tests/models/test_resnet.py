"""The ResNet families: shapes at 32 and 64, conditional and not, and the papers' parameter counts."""

import pytest
import torch

from wgan.config import ModelConfig
from wgan.errors import WganError
from wgan.models import build_critic, build_generator
from wgan.models.heads import ConditionalBatchNorm2d

K = 10


def pair(family, size, num_classes=0, conditional="none", critic_conditional="ac", channels=3):
    cfg = ModelConfig(generator=family, critic=family, latent_dim=128, conditional=conditional,
                      critic_conditional=critic_conditional)
    shape = (channels, size, size)
    return build_generator(cfg, shape, num_classes), build_critic(cfg, shape, num_classes)


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("family", ["resnet-wgan", "resnet-sngan"])
@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("conditional, critic_conditional", [("none", "ac"), ("cbn", "ac"), ("cbn", "projection")])
def test_output_shapes(family, size, conditional, critic_conditional):
    k = 0 if conditional == "none" else K
    g, c = pair(family, size, k, conditional, critic_conditional)
    z, labels = torch.randn(3, 128), torch.tensor([0, 4, 9]) if k else None
    x = g(z, labels)
    assert x.shape == (3, 3, size, size) and x.abs().max() <= 1
    score, logits = c(x, labels, return_logits=True)
    assert score.shape == (3,)
    if critic_conditional == "ac" and k:
        assert logits.shape == (3, K)
    else:
        assert logits is None


# Counted by hand from the papers' layer lists (weights and biases; BatchNorm scale and shift):
# resnet-wgan, gan_cifar_resnet.py with DIM_G = DIM_D = 128:
#   G: Linear(128, 2048) 264,192 + 3 UpBlocks of (2 BN 512 + 2 conv3x3 2 x 147,584 + 1x1 16,512)
#      = 3 x 312,192 + BN 256 + Conv(128, 3, 3x3) 3,459 = 1,204,483;
#   D: first block 3,584 + 147,584 + 512 = 151,680; pooling block 2 x 147,584 + 16,512 = 311,680;
#      2 plain blocks 2 x 295,168; Linear(128, 1) 129: 1,053,825;
#   conditional (tflib's cond_batchnorm: a scale and a shift per class, no shared affine): each of
#   the 7 BatchNorms 2 x 10 x 128 = 2,560 instead of 256: 1,220,611; the AC head Linear(128, 10)
#   adds 1,290: 1,055,115.
# resnet-sngan, Miyato et al. 2018 appendix B.4 (mimicry's SNGAN-32): G with 256 channels:
#   Linear(128, 4096) 528,384 + 3 x (2 x 590,080 + 2 x 512 + 65,792) + 512 + Conv(256, 3) 6,915
#   = 4,276,739; D as resnet-wgan's: 1,053,825; cGAN-PD: CBN G 4,276,739 + 7 x (5,120 - 512)
#   = 4,308,995; the projection's Embedding(10, 128) adds 1,280 to D: 1,055,105.
PAPER_COUNTS = {
    ("resnet-wgan", "none", "ac"): (1_204_483, 1_053_825),
    ("resnet-wgan", "cbn", "ac"): (1_220_611, 1_055_115),
    ("resnet-sngan", "none", "ac"): (4_276_739, 1_053_825),
    ("resnet-sngan", "cbn", "projection"): (4_308_995, 1_055_105),
}


@pytest.mark.parametrize("family, conditional, critic_conditional", list(PAPER_COUNTS))
def test_parameter_counts_equal_the_papers_cifar10_models(family, conditional, critic_conditional):
    g, c = pair(family, 32, 0 if conditional == "none" else K, conditional, critic_conditional)
    assert (count(g), count(c)) == PAPER_COUNTS[family, conditional, critic_conditional]


def test_cbn_converts_every_generator_batchnorm():
    g, _ = pair("resnet-wgan", 32, K, "cbn")
    norms = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(norms) == 7 and all(isinstance(m, ConditionalBatchNorm2d) for m in norms)


def test_widths_differ_by_family():
    g_wgan, _ = pair("resnet-wgan", 32)
    g_sngan, _ = pair("resnet-sngan", 32)
    assert g_wgan.net[0].out_features == 4 * 4 * 128 and g_sngan.net[0].out_features == 4 * 4 * 256


def test_critic_pooling_is_mean_or_sum():
    # A constant map: the sum over an 8x8 map is 64 times the mean.
    _, c_wgan = pair("resnet-wgan", 32)
    _, c_sngan = pair("resnet-sngan", 32)
    x = torch.ones(1, 128, 8, 8)
    torch.testing.assert_close(c_sngan.body[-1](x), 64 * c_wgan.body[-1](x))


@pytest.mark.parametrize("size", [28, 48, 512])
def test_unsupported_sizes_are_one_line(size):
    with pytest.raises(WganError, match="power of two from 16 to 256.*--image-size 32"):
        pair("resnet-wgan", size)


def test_grayscale_images():
    g, c = pair("resnet-sngan", 32, channels=1)
    assert g(torch.randn(2, 128)).shape == (2, 1, 32, 32)
