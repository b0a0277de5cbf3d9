"""Adding a penalty with a coefficient, a network, a metric, a data source, an optimiser, an init scheme,
an export format and a way to condition the generator through the registries only (docs/design.md):
each is one definition, registered, chosen by name, offered in --help where a flag offers its kind, and
used by training, evaluation or export."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from wgan.cli import main
from wgan.data.sources import SOURCES, Source
from wgan.data.sources.arrays import ImageArrays
from wgan.evaluation import evaluate
from wgan.handle import load_generator
from wgan.methods.lipschitz import LIPSCHITZ_METHODS, LipschitzMethod
from wgan.metrics import METRICS, Metric, select_result
from wgan.models import CRITICS, GENERATORS
from wgan.methods.optimizers import OPTIMIZERS
from wgan.models.heads import CONDITIONING, Critic, LabelInput
from wgan.models.layers import INIT_SCHEMES
from wgan.options import Option
from wgan.presets import preset_config
from wgan.tools.export import FORMATS, Format
from wgan.training.trainer import Trainer


@pytest.fixture(autouse=True)
def own_registries():
    """Each registry is put back as it was after the test, so nothing a test adds outlives it."""
    registries = (LIPSCHITZ_METHODS, GENERATORS, CRITICS, METRICS, SOURCES, OPTIMIZERS, INIT_SCHEMES, FORMATS,
                  CONDITIONING)
    saved = [registry.snapshot() for registry in registries]
    yield
    for registry, before in zip(registries, saved):
        registry.restore(before)


def tiny(**changes):
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.update({"model": {"width": 16, "depth": 2},
                "train": {"steps": 4, "batch_size": 32, "n_critic": 2, "log_every": 2, "sample_every": 4,
                          "checkpoint_every": 4, "device": "cpu"}})
    return cfg.update(changes)


def help_of(*command) -> str:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_a_new_penalty_with_a_coefficient_of_its_own(tmp_path):
    calls = []

    @LIPSCHITZ_METHODS.register("drift")
    class Drift(LipschitzMethod):
        """Karras et al. 2018's drift term: epsilon * E[C(real)^2] keeps the critic's scores near 0."""

        paper_optimizer = ("adam", 1e-3, (0.0, 0.99))
        options = (Option("drift_epsilon", float, 1e-3, "weight of the drift term", minimum=0),)

        def __init__(self, drift_epsilon: float = 1e-3):
            self.epsilon = drift_epsilon

        def penalty(self, critic, real, fake, eps=None, labels=None, scale=None):
            calls.append((len(real), self.epsilon))
            return self.epsilon * critic(real).pow(2).mean()

    trainer = Trainer(tiny(loss={"lipschitz": "drift", "drift_epsilon": 0.01}), tmp_path, progress=False)
    trainer.fit()
    assert calls == [(32, 0.01)] * 8  # every critic update of 4 steps, with the coefficient set by name
    assert trainer.cfg.optim.name == "adam" and trainer.cfg.optim.lr_c == 1e-3  # its own optimiser defaults
    assert "drift" in help_of("train")
    default = Trainer(tiny(loss={"lipschitz": "drift"}), progress=False)
    assert default.cfg.loss.options["drift_epsilon"] == 1e-3  # its declared default, in the resolved config


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

    GENERATORS.register("tiny", lambda cfg, shape, num_classes: Generator(cfg.latent_dim, shape[0]))
    CRITICS.register("tiny", critic)
    Trainer(tiny(model={"generator": "tiny", "critic": "tiny"}), tmp_path, progress=False).fit()
    g = load_generator(tmp_path)  # rebuilt from its file by the registered name
    assert isinstance(g.net, Generator) and g.sample(5).shape == (5, 2)
    assert "tiny" in help_of("train")


def test_a_new_metric(tmp_path):
    def mean_distance(fake, real):
        """How far the generated points' mean is from the real one."""
        return float(torch.as_tensor(fake).mean(0).sub(torch.as_tensor(real).mean(0)).norm())

    METRICS.register("mean_distance", Metric(mean_distance, "points", {"mean_distance": "lower"}))
    Trainer(tiny(), tmp_path, progress=False).fit()
    results = evaluate(load_generator(tmp_path), n=200)
    assert results["mean_distance"] >= 0 and "w1_ratio" in results
    assert select_result("mean_distance", results) == ("mean_distance", False)

    def brightness(fake, real):
        return float(np.abs(np.mean(fake) - np.mean(real)))

    METRICS.register("brightness", Metric(brightness, "features", {"brightness": "lower"}))
    assert "brightness" in help_of("eval")  # an image metric is offered by --metrics


def test_a_new_data_source(tmp_path):
    """Raw .npy stacks of grey images, each file one class: a kind of path the toolkit did not read."""
    def stacks(path):
        return path.is_dir() and any(path.glob("*.npy")) and not any(p.is_dir() for p in path.iterdir())

    def load(path, cfg):
        files = sorted(path.glob("*.npy"))
        arrays = [np.load(f, allow_pickle=False) for f in files]
        labels = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
        return ImageArrays(np.concatenate(arrays)[..., None], labels, [f.stem for f in files], str(path))

    SOURCES.register("npy-stacks", Source("a folder of .npy stacks, one per class", load, recognises=stacks,
                                          peek=lambda path, size: (1, size or 8), has_split=False))
    folder = tmp_path / "stacks"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("zeros", "ones"):
        np.save(folder / f"{name}.npy", rng.integers(0, 256, (16, 8, 8), dtype=np.uint8))
    cfg = tiny(data={"name": str(folder), "split": "all"}, model={"generator": "mlp", "critic": "mlp"})
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    assert trainer.data.shape == (1, 8, 8) and trainer.data.num_classes == 2
    trainer.fit()
    assert "a folder of .npy stacks, one per class" in help_of("train")


def test_a_new_optimiser(tmp_path):
    built = []

    @OPTIMIZERS.register("sgd")
    def sgd(o, params, lr, device):
        """plain SGD with momentum 0.9"""
        built.append(lr)
        return torch.optim.SGD(params, lr=lr, momentum=0.9)

    trainer = Trainer(tiny(optim={"name": "sgd", "lr_g": 0.01, "lr_c": 0.02}), tmp_path / "run", progress=False)
    assert isinstance(trainer.algorithm.opt_g, torch.optim.SGD) and sorted(built) == [0.01, 0.02]
    trainer.fit()


def test_a_new_init_scheme(tmp_path):
    @INIT_SCHEMES.register("zero_bias_orthogonal")
    def orthogonal(module, keras_default=()):
        """orthogonal weights, zero biases"""
        for m in module.modules():
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight)
                nn.init.zeros_(m.bias)

    trainer = Trainer(tiny(model={"init": "zero_bias_orthogonal"}), tmp_path / "run", progress=False)
    linear = next(m for m in trainer.algorithm.critic.modules() if isinstance(m, nn.Linear) and m.out_features > 1)
    w = linear.weight.detach()
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    assert torch.allclose(small, torch.eye(len(small)), atol=1e-4) and not linear.bias.any()


def test_a_new_export_format(tmp_path):
    def state_dict_writer(module, example, names, buffer):
        torch.save({k: v.clone() for k, v in module.state_dict().items()}, buffer)

    FORMATS.register("state-dict", Format("a plain state dict for torch.load", state_dict_writer))
    cfg = tiny()
    Trainer(cfg, tmp_path / "run", progress=False).fit()
    assert "state-dict (a plain state dict for torch.load)" in help_of("export")
    out = tmp_path / "g.pt"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "run"), "--format", "state-dict", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert any(torch.is_tensor(v) for v in torch.load(out, weights_only=True).values())


def test_a_new_way_to_condition_the_generator(tmp_path, tiny_images):
    @CONDITIONING.register("embed_add")
    class EmbeddingPlusNoise(LabelInput):
        """the noise plus a class embedding"""

        def __init__(self, latent_dim, num_classes):
            super().__init__(latent_dim, num_classes)
            self.embed = nn.Embedding(num_classes, latent_dim)

        def combine(self, z, labels):
            return z + self.embed(labels)

    cfg = tiny(data={"name": str(tiny_images), "split": "all"},
               model={"generator": "dcgan", "critic": "dcgan", "width": 8, "latent_dim": 16,
                      "conditional": "embed_add"},
               train={"batch_size": 8})
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    assert isinstance(trainer.algorithm.generator.label_input, EmbeddingPlusNoise)
    trainer.fit()
    handle = load_generator(tmp_path / "run")
    assert handle.num_classes == 10
