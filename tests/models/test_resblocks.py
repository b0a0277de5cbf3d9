"""The fused resampling convolutions compute what upsampling/pooling and a 3x3 convolution do."""

import pytest
import torch
import torch.nn.functional as F

from wgan.config import ModelConfig
from wgan.models import build_critic, build_generator
from wgan.models.resblocks import ConvPool, UpConv, fuse_resampling


def pair(layer_type, c_in=5, c_out=6):
    plain = layer_type(c_in, c_out).double()
    fused = layer_type(c_in, c_out).double()
    fused.load_state_dict(plain.state_dict())
    fuse_resampling(fused)
    return plain, fused


@pytest.mark.parametrize("layer_type, reference", [
    (UpConv, lambda x, w, b: F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), w, b, padding=1)),
    (ConvPool, lambda x, w, b: F.avg_pool2d(F.conv2d(x, w, b, padding=1), 2)),
])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_fused_equals_plain_forward_backward_and_double_backward(layer_type, reference, layout):
    plain, fused = pair(layer_type)
    assert not plain.fused and fused.fused
    x = torch.randn(3, 5, 8, 10, dtype=torch.float64).contiguous(memory_format=layout)  # not square
    torch.testing.assert_close(plain(x), reference(x, plain.weight, plain.bias))
    grads = []
    for layer in (plain, fused):
        xi = x.clone().requires_grad_()
        out = layer(xi)
        # The gradient penalty's path: a gradient with respect to the input, then its own backward.
        (g,) = torch.autograd.grad((out * out).sum(), xi, create_graph=True)
        (g.pow(2).sum() + out.sum()).backward()
        grads.append((out.detach(), g.detach(), layer.weight.grad.clone(), layer.bias.grad.clone()))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_fuse_switches_every_resampling_conv_of_a_resnet():
    cfg = ModelConfig(generator="resnet-wgan", critic="resnet-wgan", latent_dim=8)
    g, c = build_generator(cfg, (3, 32, 32), 0), build_critic(cfg, (3, 32, 32), 0)
    assert fuse_resampling(g) == 3  # one per up-block
    assert fuse_resampling(c) == 2  # the first block's and the pooling block's
    assert all(m.fused for m in g.modules() if isinstance(m, UpConv))


def test_trainer_fuses_on_cpu_by_default_and_trains_the_same(tiny_image_config):
    from wgan.training.trainer import Trainer

    results = {}
    for mode in ("off", "auto"):
        cfg = type(tiny_image_config).from_dict(tiny_image_config.to_dict())
        cfg.update({"data": {"image_size": 16}, "model": {"generator": "resnet-wgan", "critic": "resnet-wgan"},
                    "train": {"fused_resample": mode, "precision": "fp64", "n_critic": 1}})
        trainer = Trainer(cfg, progress=False)
        fused = [m.fused for m in trainer.algorithm.generator.modules() if isinstance(m, UpConv)]
        assert all(fused) if mode == "auto" else not any(fused)
        for _ in range(2):
            trainer.train_step()
        results[mode] = torch.cat([p.detach().flatten() for p in trainer.algorithm.generator.parameters()])
    # Float64 sums in another order differ by ~1e-16 relative; Adam divides each gradient by its own
    # size, so where a gradient is near zero such a difference can move a weight by up to ~1e-10.
    torch.testing.assert_close(results["auto"], results["off"], rtol=1e-9, atol=1e-9)
