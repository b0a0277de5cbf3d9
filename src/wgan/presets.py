"""Presets: named, partial configurations, kept as data.

Each preset is a description plus a nested dict applied over the defaults of
:class:`wgan.config.Config`. Seed presets reproduce the tutorials of SEEDS.md
exactly; where a seed departs from good practice the preset keeps the seed's
choice and ``warnings`` says why it may hurt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Config
from .errors import choice_error


@dataclass(frozen=True)
class Preset:
    description: str
    settings: dict
    warnings: tuple[str, ...] = field(default_factory=tuple)


PRESETS: dict[str, Preset] = {}


def register(name: str, description: str, settings: dict, warnings: tuple[str, ...] = ()) -> None:
    PRESETS[name] = Preset(description, settings, warnings)


def preset_config(name: str) -> Config:
    if name not in PRESETS:
        raise choice_error("preset", name, PRESETS)
    cfg = Config().update(PRESETS[name].settings)
    cfg.preset = name
    return cfg


# ---------------------------------------------------------------------------------------------
# 2-D: seed S2 and the WGAN-GP paper's toys (improved_wgan_training/gan_toy.py)

register(
    "gan-quadratic",
    "S2: vanilla GAN (non-saturating), 2x16 LReLU MLPs with a 2-d feature layer, on y = 10 + x^2",
    {
        "data": {"name": "quadratic", "normalize": False},
        "model": {"latent_dim": 2, "latent": "uniform", "width": 16, "depth": 2,
                  "activation": "leaky_relu", "feature_dim": 2},
        "loss": {"objective": "gan", "lipschitz": "none"},
        "optim": {"name": "rmsprop", "lr_g": 1e-3, "lr_c": 1e-3},
        "train": {"steps": 100_001, "batch_size": 256, "n_critic": 1, "log_every": 10,
                  "sample_every": 1000, "checkpoint_every": 10_000},
    },
    warnings=("S2 trains on raw coordinates (y up to 2,510); set data.normalize=true to standardise "
              "them internally, which the networks learn from much faster",),
)

# The toy WGANs follow gan_toy.py's networks (3 x 512 ReLU, 2-d Gaussian latent), with a
# step budget that fits about 2-3 minutes on a 2-core CPU. What each method changes:
# gan_toy.py uses a gradient-penalty weight of 0.1 for the toys, but the paper's 10 is kept
# for gp/lp (it is what WGAN-GP users expect and it worked as well in our benchmark).
_TOY_COMMON = {
    "model": {"latent_dim": 2, "width": 512, "depth": 3, "activation": "relu"},
    "train": {"batch_size": 256, "n_critic": 5, "log_every": 50, "sample_every": 250,
              "checkpoint_every": 1000},
}
_TOY_STEPS = {"8gaussians": 3000, "25gaussians": 3000, "swissroll": 3000, "quadratic": 3000}
_METHOD_TEXT = {
    "clip": "weight clipping to [-0.01, 0.01], RMSProp 5e-5 (Arjovsky et al. 2017)",
    "gp": "gradient penalty lambda 10, Adam 1e-4 betas (0, 0.9) (Gulrajani et al. 2017)",
    "lp": "one-sided Lipschitz penalty lambda 10, Adam 1e-4 betas (0, 0.9) (Petzka et al. 2018)",
    "sn": "spectrally normalised critic, Adam 2e-4 betas (0.5, 0.999) (Miyato et al. 2018)",
}


def _merge(*dicts: dict) -> dict:
    out: dict = {}
    for d in dicts:
        for key, value in d.items():
            out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


for _data, _steps in _TOY_STEPS.items():
    for _method, _text in _METHOD_TEXT.items():
        register(
            f"wgan-{_method}-{_data}",
            f"WGAN on {_data}: {_text}",
            _merge(_TOY_COMMON, {
                # gan_toy's data are already near unit scale; only quadratic needs standardising.
                "data": {"name": _data, "normalize": _data == "quadratic"},
                "loss": {"objective": "wgan", "lipschitz": _method},
                "train": {"steps": _steps},
            }),
        )
