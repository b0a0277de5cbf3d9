"""model.output_bias=data_mean: an image generator starts at the data's mean colour, not grey."""

import numpy as np
import pytest
import torch

from wgan.errors import WganError
from wgan.models.layers import start_at_colour
from wgan.training.trainer import Trainer
from wgan.validation import validate

from .conftest import build_pair

MEAN = torch.tensor([0.6, 0.2, -0.4])


@pytest.mark.parametrize("name, shape", [("dcgan", (3, 32, 32)), ("upconv", (3, 32, 32)), ("mlp", (3, 8, 8))])
def test_a_new_generator_draws_images_of_the_given_colour(name, shape):
    _, g, _ = build_pair(name, shape, init="normal", width=8)
    start_at_colour(g, MEAN)
    with torch.no_grad():
        x = g.eval()(torch.randn(16, 8))
    # Small N(0, 0.02) weights: every pixel sits near the colour; without the bias near grey (0).
    assert torch.allclose(x.mean(dim=(0, 2, 3)), MEAN, atol=0.05)
    assert (x - MEAN.view(1, 3, 1, 1)).abs().max() < 0.3


def test_white_backgrounds_give_a_finite_bias():
    _, g, _ = build_pair("dcgan", (3, 32, 32), init="normal")
    start_at_colour(g, torch.tensor([1.0, 1.0, -1.0]))
    assert all(torch.isfinite(p).all() for p in g.parameters())


def test_a_generator_with_other_output_channels_is_refused():
    _, g, _ = build_pair("dcgan", (1, 32, 32))
    with pytest.raises(WganError, match="output_bias=data_mean needs a generator whose last layer outputs"):
        start_at_colour(g, MEAN)


def test_the_trainer_starts_at_the_mean_colour_of_the_data(tiny_image_config, tmp_path):
    rng = np.random.default_rng(0)
    images = np.zeros((32, 16, 16, 3), np.uint8)
    images[..., 0] = 230  # reddish: the mean colour is far from grey in red and blue
    images[..., 1] = rng.integers(100, 140, images.shape[:3])
    path = tmp_path / "red.npz"
    np.savez(path, images=images)
    cfg = tiny_image_config
    cfg.update({"data": {"name": str(path), "split": "all"}, "model": {"init": "normal", "output_bias": "data_mean"}})
    trainer = Trainer(cfg, progress=False)
    x = trainer.handle(refresh=False).generate(trainer.algorithm.noise(64)).float()
    expected = torch.tensor([230 / 127.5 - 1, 120 / 127.5 - 1, -1.0])
    assert torch.allclose(x.mean(dim=(0, 2, 3)), expected.clamp(-0.95, 0.95), atol=0.08)


def test_an_unknown_output_bias_is_refused_with_the_accepted_ones(tiny_image_config):
    tiny_image_config.model.output_bias = "median"
    with pytest.raises(WganError, match="model.output_bias .median.; accepted: data_mean, zero"):
        validate(tiny_image_config)
