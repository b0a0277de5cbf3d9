import pytest

from wgan.config import Config
from wgan.presets import preset_config


@pytest.fixture
def tiny_toy_config() -> Config:
    """A WGAN-GP 8gaussians config small enough to train in a second on a CPU."""
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.update({"model": {"width": 16, "depth": 2},
                "train": {"steps": 6, "batch_size": 32, "n_critic": 2, "log_every": 2, "sample_every": 3,
                          "checkpoint_every": 3, "device": "cpu"}})
    return cfg
