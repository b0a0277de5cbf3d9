"""Adding a penalty, a network and a metric through the public registries only (README: "Where
things live"). Each is registered, chosen by name in a config, and used by training or evaluation."""

import pytest
import torch
from torch import nn

import wgan.lipschitz
import wgan.metrics
import wgan.models
from wgan.evaluation import evaluate
from wgan.handle import load_generator
from wgan.lipschitz import LipschitzMethod, register_lipschitz
from wgan.metrics import register_metric, select_result
from wgan.models import register_critic, register_generator
from wgan.models.heads import Critic
from wgan.presets import preset_config
from wgan.trainer import Trainer


@pytest.fixture(autouse=True)
def own_registries():
    """Each registry is put back as it was after the test, so nothing a test adds outlives it."""
    registries = (wgan.lipschitz.METHODS, wgan.models.GENERATORS, wgan.models.CRITICS, wgan.metrics.METRICS)
    saved = [dict(registry) for registry in registries]
    yield
    for registry, before in zip(registries, saved):
        registry.clear()
        registry.update(before)


def tiny(**changes):
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.update({"model": {"width": 16, "depth": 2},
                "train": {"steps": 4, "batch_size": 32, "n_critic": 2, "log_every": 2, "sample_every": 4,
                          "checkpoint_every": 4, "device": "cpu"}})
    return cfg.update(changes)


def test_a_new_penalty(tmp_path):
    calls = []

    @register_lipschitz
    class Drift(LipschitzMethod):
        """Karras et al. 2018's drift term: epsilon * E[C(real)^2] keeps the critic's scores near 0."""

        name = "drift"
        paper_optimizer = ("adam", 1e-3, (0.0, 0.99))

        def penalty(self, critic, real, fake, eps=None, labels=None, scale=None):
            calls.append(len(real))
            return 1e-3 * critic(real).pow(2).mean()

    trainer = Trainer(tiny(loss={"lipschitz": "drift"}), tmp_path, progress=False)
    trainer.fit()
    assert calls == [32] * 8  # every critic update of 4 steps
    assert trainer.cfg.optim.name == "adam" and trainer.cfg.optim.lr_c == 1e-3  # its own optimiser defaults


def test_a_new_network(tmp_path):
    class Generator(nn.Module):
        def __init__(self, latent_dim, out_dim):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(latent_dim, 8), nn.Tanh(), nn.Linear(8, out_dim))

        def forward(self, z, labels=None):
            return self.net(z)

    def critic(cfg, shape, num_classes):
        # A body and a head builder: heads.Critic adds the score head (and a class head for AC-WGAN).
        return Critic(nn.Sequential(nn.Linear(shape[0], 8), nn.Tanh()), lambda n: nn.Linear(8, n), num_classes)

    register_generator("tiny")(lambda cfg, shape, num_classes: Generator(cfg.latent_dim, shape[0]))
    register_critic("tiny")(critic)
    Trainer(tiny(model={"generator": "tiny", "critic": "tiny"}), tmp_path, progress=False).fit()
    g = load_generator(tmp_path)  # rebuilt from its file by the registered name
    assert isinstance(g.net, Generator) and g.sample(5).shape == (5, 2)


def test_a_new_metric(tmp_path):
    def mean_distance(fake, real):
        """How far the generated points' mean is from the real one."""
        return float(torch.as_tensor(fake).mean(0).sub(torch.as_tensor(real).mean(0)).norm())

    register_metric("mean_distance", mean_distance, "points", {"mean_distance": "lower"})
    Trainer(tiny(), tmp_path, progress=False).fit()
    results = evaluate(load_generator(tmp_path), n=200)
    assert results["mean_distance"] >= 0 and "w1_ratio" in results
    assert select_result("mean_distance", results) == ("mean_distance", False)
