import pytest
import torch

from wgan.config import ModelConfig
from wgan.models import build_critic, build_generator


def small_cfg(name: str, **overrides) -> ModelConfig:
    """A conv model config small enough for a CPU test (width 4, latent 8)."""
    values = dict(generator=name, critic=name, latent_dim=8, width=4)
    values.update(overrides)
    return ModelConfig(**values)


def build_pair(name: str, shape: tuple, num_classes: int = 0, **overrides):
    cfg = small_cfg(name, **overrides)
    return cfg, build_generator(cfg, shape, num_classes), build_critic(cfg, shape, num_classes)


def assert_finite(*modules):
    for module in modules:
        for pname, p in module.named_parameters():
            assert torch.isfinite(p).all(), pname


def layer_types(module) -> list[type]:
    return [type(m) for m in module]


@pytest.fixture(autouse=True)
def _seeded_single_thread():
    # These networks are tiny: one thread is faster than two fighting over a busy CPU.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)
