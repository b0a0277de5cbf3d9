"""Conditioning and class heads, for every convolutional family."""

import pytest
import torch
from torch import nn

from wgan.errors import WganError
from wgan.models.heads import NoLabels
from wgan.models.layers import has_batchnorm

from .conftest import build_pair

FAMILIES = [("dcgan28", 28), ("dcgan", 32), ("upconv", 32), ("acwgan", 28)]
K = 10


@pytest.mark.parametrize("family, size", FAMILIES)
@pytest.mark.parametrize("mode", ["embed_mul", "concat"])
def test_labels_change_the_output(family, size, mode):
    _, g, _ = build_pair(family, (1, size, size), K, conditional=mode)
    assert g.num_classes == K
    g.eval()  # BatchNorm on running statistics: each sample on its own
    z = torch.randn(1, 8).repeat(2, 1)
    x = g(z, torch.tensor([3, 7]))
    assert not torch.allclose(x[0], x[1])
    # and the same label gives the same image
    assert torch.allclose(x[:1], g(z[:1], torch.tensor([3])), atol=1e-6)


@pytest.mark.parametrize("family, size", FAMILIES)
def test_unconditional_generator_ignores_labels(family, size):
    _, g, _ = build_pair(family, (3, size, size), K, conditional="none")
    assert g.num_classes == 0
    g.eval()
    z = torch.randn(2, 8)
    assert torch.equal(g(z, torch.tensor([1, 2])), g(z, torch.tensor([5, 6])))
    assert torch.equal(g(z), g(z, torch.tensor([1, 2])))


def test_label_input_layers():
    _, g, _ = build_pair("dcgan", (1, 32, 32), K, conditional="concat")
    assert g.label_input.out_dim == 8 + K and not hasattr(g.label_input, "embed")
    assert g.net[1].in_channels == 8 + K
    _, g, _ = build_pair("dcgan", (1, 32, 32), K, conditional="embed_mul")
    assert g.label_input.out_dim == 8 and tuple(g.label_input.embed.weight.shape) == (K, 8)
    # Without classes there is nothing to condition on.
    _, g, _ = build_pair("dcgan", (1, 32, 32), 0, conditional="embed_mul")
    assert g.num_classes == 0 and isinstance(g.label_input, NoLabels) and not list(g.label_input.parameters())


def test_conditional_generator_needs_labels():
    _, g, _ = build_pair("upconv", (1, 28, 28), K, conditional="embed_mul")
    with pytest.raises(WganError, match="class-conditional"):
        g(torch.randn(2, 8))


def test_keras_style_label_column_is_accepted():
    _, g, _ = build_pair("acwgan", (1, 28, 28), K, conditional="embed_mul")
    g.eval()
    z = torch.randn(2, 8)
    labels = torch.tensor([4, 8])
    assert torch.equal(g(z, labels), g(z, labels[:, None]))


def test_unknown_conditioning():
    with pytest.raises(WganError, match="accepted: cbn, concat, embed_mul, none"):
        build_pair("dcgan", (1, 32, 32), K, conditional="film")


@pytest.mark.parametrize("family, size", FAMILIES)
@pytest.mark.parametrize("channels", [1, 3])
def test_class_head(family, size, channels):
    _, _, c = build_pair(family, (channels, size, size), K)
    c.eval()  # no dropout: the two paths must agree
    x = torch.randn(3, channels, size, size)
    score, logits = c.score_and_logits(x)
    assert c.num_classes == K
    assert score.shape == (3,) and logits.shape == (3, K)
    assert torch.allclose(c(x), score)  # forward is the score alone
    s2, l2 = c(x, return_logits=True)
    assert torch.allclose(s2, score) and torch.allclose(l2, logits)


@pytest.mark.parametrize("family, size", FAMILIES)
def test_no_class_head_without_classes(family, size):
    _, _, c = build_pair(family, (1, size, size), 0)
    assert c.num_classes == 0 and c.class_head is None
    score, logits = c.score_and_logits(torch.randn(2, 1, size, size))
    assert score.shape == (2,) and logits is None


def test_class_loss_reaches_generator_and_critic():
    _, g, c = build_pair("dcgan", (1, 32, 32), K, conditional="embed_mul")
    labels = torch.tensor([0, 1, 2])
    score, logits = c.score_and_logits(g(torch.randn(3, 8), labels))
    (score.mean() + nn.functional.cross_entropy(logits, labels)).backward()
    assert g.label_input.embed.weight.grad.abs().sum() > 0
    assert c.class_head.weight.grad.abs().sum() > 0
    assert c.body[0].weight.grad.abs().sum() > 0


def test_has_batchnorm():
    _, g, c = build_pair("dcgan", (1, 32, 32), critic_norm="layer")
    assert has_batchnorm(g) and not has_batchnorm(c)
    _, g, c = build_pair("acwgan", (1, 28, 28))
    assert not has_batchnorm(g) and not has_batchnorm(c)
    assert has_batchnorm(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    assert not has_batchnorm(nn.InstanceNorm2d(3))


# ---- conditional BatchNorm and the projection critic ---------------------------------------------
BATCHNORM_FAMILIES = [("dcgan28", 28), ("dcgan", 32), ("upconv", 32), ("resnet-wgan", 32)]


@pytest.mark.parametrize("family, size", BATCHNORM_FAMILIES)
def test_cbn_labels_change_the_output(family, size):
    from wgan.models.heads import ConditionalBatchNorm2d

    _, g, _ = build_pair(family, (1, size, size), K, conditional="cbn")
    assert g.num_classes == K
    assert any(isinstance(m, ConditionalBatchNorm2d) for m in g.modules())
    with torch.no_grad():  # distinct per-class scales, as after training
        for m in g.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.class_weight.normal_(1.0, 0.5)
    g.eval()
    z = torch.randn(1, 8).repeat(2, 1)
    x = g(z, torch.tensor([3, 7]))
    assert not torch.allclose(x[0], x[1])
    assert torch.allclose(x[:1], g(z[:1], torch.tensor([3])), atol=1e-6)


def test_cbn_starts_as_plain_batchnorm():
    """Class scales start at 1 and shifts at 0: before training every class gives the same image."""
    _, g, _ = build_pair("dcgan", (1, 32, 32), K, conditional="cbn")
    g.eval()
    z = torch.randn(1, 8).repeat(2, 1)
    x = g(z, torch.tensor([3, 7]))
    assert torch.allclose(x[0], x[1])


@pytest.mark.parametrize("family, size", [("mlp", 28), ("acwgan", 28)])
def test_cbn_without_batchnorm_is_refused(family, size):
    with pytest.raises(WganError, match="conditional=cbn.*has none; use concat or embed_mul"):
        build_pair(family, (1, size, size), K, conditional="cbn")


def test_cbn_generator_needs_labels():
    _, g, _ = build_pair("dcgan", (1, 32, 32), K, conditional="cbn")
    with pytest.raises(WganError, match="class-conditional"):
        g(torch.randn(2, 8))


@pytest.mark.parametrize("family, size", [("dcgan28", 28), ("dcgan", 32), ("upconv", 32), ("mlp", 28),
                                          ("resnet-sngan", 32)])
def test_projection_with_zero_embedding_scores_as_unconditional(family, size):
    _, _, c = build_pair(family, (1, size, size), K, conditional="concat", critic_conditional="projection")
    _, _, plain = build_pair(family, (1, size, size), 0)
    assert c.class_head is None and c.embed is not None
    plain.load_state_dict({k: v for k, v in c.state_dict().items() if not k.startswith("embed")})
    with torch.no_grad():
        c.embed.weight.zero_()
    c.eval(), plain.eval()
    x = torch.randn(4, 1, size, size)
    torch.testing.assert_close(c(x, torch.tensor([0, 3, 5, 9])), plain(x))


def test_projection_gradients_reach_the_embedding_of_the_given_classes():
    _, _, c = build_pair("dcgan", (1, 32, 32), K, conditional="concat", critic_conditional="projection")
    labels = torch.tensor([2, 2, 6])
    c(torch.randn(3, 1, 32, 32), labels).sum().backward()
    grad_rows = c.embed.weight.grad.abs().sum(1)
    assert grad_rows[2] > 0 and grad_rows[6] > 0
    assert grad_rows[[0, 1, 3, 4, 5, 7, 8, 9]].sum() == 0


def test_projection_critic_needs_labels():
    _, _, c = build_pair("dcgan", (1, 32, 32), K, conditional="concat", critic_conditional="projection")
    with pytest.raises(WganError, match="projects class labels"):
        c(torch.randn(2, 1, 32, 32))


def test_spectral_norm_covers_the_projection_embedding():
    from wgan.config import LossConfig
    from wgan.methods.lipschitz import build_lipschitz

    _, _, c = build_pair("resnet-sngan", (3, 32, 32), K, conditional="cbn", critic_conditional="projection")
    build_lipschitz(LossConfig(lipschitz="sn")).prepare(c)
    assert torch.nn.utils.parametrize.is_parametrized(c.embed, "weight")
    for _ in range(30):  # each training-mode access takes one power-iteration step
        weight = c.embed.weight
    assert torch.linalg.matrix_norm(weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)
