"""Presets: named, partial configurations, kept as data.

Each preset is a description plus a nested dict applied over the defaults of
:class:`wgan.config.Config`. The tutorial presets reproduce five public tutorials
(named in their descriptions and in docs/presets.md) exactly; where a tutorial departs from good practice the preset keeps the tutorial's
choice and ``warnings`` says why it may hurt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Config
from .methods.lipschitz import penalises_pairs
from .registry import Registry


@dataclass(frozen=True)
class Preset:
    description: str
    settings: dict
    warnings: tuple[str, ...] = field(default_factory=tuple)
    data_hint: str | None = None  # for data this machine cannot ship: what --data PATH should be


PRESETS: Registry[Preset] = Registry("preset")


def register(name: str, description: str, settings: dict, warnings: tuple[str, ...] = (),
             data_hint: str | None = None) -> None:
    """``PRESETS.register(name, Preset(...))``, as the definitions below read best."""
    PRESETS.register(name, Preset(description, settings, warnings, data_hint))


def preset_config(name: str) -> Config:
    cfg = Config().update(PRESETS.get(name).settings)
    cfg.preset = name
    return cfg


# ---------------------------------------------------------------------------------------------
# 2-D: the quadratic-curve GAN tutorial and the WGAN-GP paper's toys (improved_wgan_training/gan_toy.py)

register(
    "gan-quadratic",
    "TF1 quadratic-curve GAN tutorial: vanilla GAN (non-saturating), 2x16 LReLU MLPs with a 2-d feature layer, on y = 10 + x^2",
    {
        "data": {"name": "quadratic", "normalize": False},
        "model": {"latent_dim": 2, "latent": "uniform", "width": 16, "depth": 2,
                  "activation": "leaky_relu", "feature_dim": 2},
        "loss": {"objective": "gan", "lipschitz": "none"},
        "optim": {"name": "rmsprop", "lr_g": 1e-3, "lr_c": 1e-3},
        "train": {"steps": 100_001, "batch_size": 256, "n_critic": 1, "log_every": 10,
                  "sample_every": 1000, "checkpoint_every": 10_000},
    },
    warnings=("The quadratic-curve GAN tutorial trains on raw coordinates (y up to 2,510); set data.normalize=true to standardise "
              "them internally, which the networks learn from much faster",),
)

# The toy WGANs follow gan_toy.py (ReLU MLPs with 3 hidden layers, a 2-d Gaussian latent, batch 256,
# and its gradient-penalty weight of 0.1 for the toys), narrowed from 512 to 128 units so that a run
# fits in under 3 minutes on a 2-core CPU. With the paper's image weight of 10, or 1, the critic lost
# track of the generator on 25gaussians in our runs. The penalised critics train with gan_toy's Adam
# betas (0.5, 0.9) at 1e-3 rather than 1e-4, and with 2 critic iterations instead of 5: at a fixed time
# that is 2.5x more generator steps, and the critic keeps up. Every toy generator is sampled through an
# exponential moving average of its weights (decay 0.99): at these learning rates the raw generator
# jitters from step to step (on 8gaussians its high-quality share swung between 23% and 89%), and the
# average holds steady (93-97% from step 2,000 on).
_PENALTY = {"optim": {"name": "adam", "lr_g": 1e-3, "lr_c": 1e-3, "beta1": 0.5, "beta2": 0.9},
            "train": {"n_critic": 2}}
_TOY_COMMON = {
    "model": {"latent_dim": 2, "width": 128, "depth": 3, "activation": "relu"},
    "loss": {"gp_lambda": 0.1},
    "train": {"batch_size": 256, "n_critic": 5, "ema": 0.99, "log_every": 50, "sample_every": 500,
              "checkpoint_every": 1000},
}
# Generator steps: the penalised methods (2 critic iterations each) get more of them in the same time.
_PENALISED_STEPS = {"8gaussians": 5000, "25gaussians": 7000, "swissroll": 5000, "quadratic": 5000}
# 25 modes share a batch: at 256 points (about 10 a mode) the penalised runs stalled at 93-94% high
# quality; at 512 they reach 96%, still inside 3 minutes.
_PENALISED_BATCH = {"25gaussians": 512}
_UNPENALISED_STEPS = 3000
_METHOD_TEXT = {
    "clip": "weight clipping to [-0.01, 0.01], RMSProp 5e-5 (Arjovsky et al. 2017)",
    "gp": "gradient penalty lambda 0.1 (gan_toy.py), Adam 1e-3 betas (0.5, 0.9), 2 critic steps, EMA generator",
    "lp": "one-sided Lipschitz penalty lambda 0.1, Adam 1e-3 betas (0.5, 0.9), 2 critic steps (Petzka et al. 2018)",
    "sn": "spectrally normalised critic, Adam 2e-4 betas (0.5, 0.999) (Miyato et al. 2018)",
}


def _cifar_hint(name: str) -> str:
    return (f"{name} trains on CIFAR-10, which cannot be downloaded here: pass --data PATH to the CIFAR-10 "
            "python batches folder (cifar-10-batches-py) or its .tar.gz")


def _merge(*dicts: dict) -> dict:
    out: dict = {}
    for d in dicts:
        for key, value in d.items():
            out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def _toy_settings(data: str, method: str) -> dict:
    settings = _merge(_TOY_COMMON, {
        # gan_toy's data are already near unit scale; only quadratic needs standardising.
        "data": {"name": data, "normalize": data == "quadratic"},
        "loss": {"objective": "wgan", "lipschitz": method},
        "train": {"steps": _UNPENALISED_STEPS},
    })
    if penalises_pairs(method):
        batch = {"batch_size": _PENALISED_BATCH[data]} if data in _PENALISED_BATCH else {}
        settings = _merge(settings, _PENALTY, {"train": {"steps": _PENALISED_STEPS[data], **batch}})
    return settings


for _data in ("8gaussians", "25gaussians", "swissroll", "quadratic"):
    for _method, _text in _METHOD_TEXT.items():
        register(f"wgan-{_method}-{_data}", f"WGAN on {_data}: {_text}", _toy_settings(_data, _method))


# ---------------------------------------------------------------------------------------------
# Images. Our recommended 28x28 defaults: WGAN-GP with the settings of the paper's MNIST code
# (gan_mnist.py: Adam 1e-4 betas (0.5, 0.9), lambda 10, n_critic 5, no norm in the critic) on a
# DCGAN of base width 32, which trains about 4x faster on a CPU than the benchmark model dcgan28
# (2.8 vs 0.7 generator iterations per second on 2 cores) so that the demo shows digits in minutes.

_GP_28 = {
    "model": {"generator": "dcgan", "critic": "dcgan", "latent_dim": 100, "width": 32},
    "loss": {"objective": "wgan", "lipschitz": "gp", "gp_lambda": 10.0},
    "optim": {"name": "adam", "lr_g": 1e-4, "lr_c": 1e-4, "beta1": 0.5, "beta2": 0.9},
    "train": {"batch_size": 64, "n_critic": 5, "log_every": 50, "sample_every": 250, "checkpoint_every": 1000},
}
# The recommended unconditional recipe, measured on Fashion-MNIST on a 2-core CPU with native
# bfloat16 (domain FID of 2,000 samples against the test split; benchmarks/bench_ema.py, docs/benchmarks.md
# has the tables):
# - init normal (N(0, 0.02), as DCGAN): with PyTorch's default init the transposed convolutions'
#   last layer starts with a bright lattice of saturated tanh pixels that the generator cannot
#   unlearn (tanh's gradient vanishes there): the Wasserstein estimate stayed at 16.6 and FID at
#   176.6 after 900 steps; with N(0, 0.02) the estimate fell to 2 by step 300 and FID was 66.2;
# - 2 critic steps, critic lr 3e-4 (TTUR): FID 26.5 after 204 s, against 56.5 with 5 steps at
#   1e-4 (1 step at 4e-4: 35.2; 2 steps at 4e-4 with the generator at 2e-4: 32.5);
# - precision auto: bf16 autocast where the CPU has it (about 1.6x the steps per second);
# - no weight average: EMA decays 0.99, 0.995 and 0.999 of this BatchNorm generator scored
#   32.1, 33.5 and 52.3 against 31.3 for the trained weights after 360 s;
# - kept after a second round (FID after 204 s; this recipe scored 21.8 and 21.5 in two runs):
#   the two-sided penalty (one-sided, lp: 21.6, with 13% fewer steps in the time), batch 64
#   (128: 28.3), Adam beta1 0.5 (0.0: 20.9 in one run; not yet adopted, see docs/benchmarks.md).
#   dcgan28's widths are fixed by the model.
_GP_28_RECOMMENDED = _merge(_GP_28, {"model": {"init": "normal"}, "optim": {"lr_c": 3e-4},
                                     "train": {"n_critic": 2, "precision": "auto"}})
register(
    "wgan-gp-mnist",
    "recommended: WGAN-GP, DCGAN width 32, on the embedded MNIST digits (at most 9 minutes; the main job)",
    _merge(_GP_28_RECOMMENDED, {"data": {"name": "mnist", "split": "train"},
                                "train": {"steps": 20_000, "max_minutes": 9.0}}),
)
register(
    "wgan-gp-fashion",
    "WGAN-GP, DCGAN width 32, on Fashion-MNIST (the earlier recommended recipe, kept for comparison with gan-r1-fashion)",
    _merge(_GP_28_RECOMMENDED, {"data": {"name": "fashion-mnist", "split": "train"}, "train": {"steps": 20_000}}),
)
# The recommended Fashion-MNIST recipe, the winner of the search at Lucic et al. 2018's budget
# (15,625 critic updates of batch 64; benchmarks/search_fashion.py, docs/benchmarks.md "The recipe
# search"), measured in Inception space under --protocol lucic. Mescheder et al. 2018's kind of
# recipe: the non-saturating GAN loss with the R1 penalty on real images (gamma 1) and one critic
# step, Adam 2e-4 betas (0, 0.99) for both networks, on wgan-gp-fashion's generator, with
# - a generator EMA of 0.999 (BatchNorm statistics re-estimated for the averaged weights): lucic-2k
#   FID 33.02 against 37.07 without it; with the WGAN-GP recipe at 32x32 it had helped too;
# - a critic of width 64 with a 1,024-unit hidden layer before its score (compare_gan's InfoGAN
#   critic has one): 25.57 against 33.02, at about twice the critic's cost. The full protocol gave
#   19.60 and 19.85 on two seeds where wgan-gp-fashion scored 42.8 after 23,746 critic updates.
register(
    "gan-r1-fashion",
    "recommended: non-saturating GAN + R1 penalty, generator EMA, DCGAN (critic width 64 + 1,024-unit layer), "
    "on Fashion-MNIST",
    _merge(_GP_28, {
        "data": {"name": "fashion-mnist", "split": "train"},
        "model": {"init": "normal", "critic_width": 64, "critic_fc": 1024},
        "loss": {"objective": "gan", "lipschitz": "r1", "r1_gamma": 1.0},
        "optim": {"lr_g": 2e-4, "lr_c": 2e-4, "beta1": 0.0, "beta2": 0.99},
        "train": {"steps": 15_625, "n_critic": 1, "ema": 0.999, "precision": "auto", "sample_every": 500},
    }),
)
# Colour images of the user's own (a folder, an .npz): the recipe `wgan train --data PATH` picks for
# colour images at 32x32 or 64x64 when no --preset or --config is given (COLOR_RECIPES). The 28x28
# recipe with three changes, measured at 64x64 on 3,781 emoji (benchmarks/emoji_data.py) with
# benchmarks/stall_probe.py (Wasserstein estimate, mean of 25 steps, 3 seeds) and
# benchmarks/bench_quality.py (domain FID of 10,000 samples against the held-out fifth, 2,100 steps,
# one run each); docs/benchmarks.md has the tables:
# - the generator's learning rate raised to the critic's 3e-4: the estimate peaked at step 100
#   instead of 150 (110 against 175 on the CPU) and ended at half;
# - the generator's output layer starting at the data's mean colour (model.output_bias): a grey
#   start is far from every emoji (mostly white background), and the critic's first hundred steps
#   went to that difference alone: the estimate peaked at 49-57 at step 50-75 and was 28-38 at step
#   100, against 97-124 rising to step 100-125 without it;
# - Adam beta1 0 (it was 0.5): with the mean-colour start the estimate falls from step 50 (44-47,
#   then 14-17 at step 100 and 4-5 at step 400), and FID after 2,100 steps was 3.8 against 8.3
#   (13.2 against 26.2 after 700).
# Tried and not taken: critic lr 1e-4 (a weaker critic: the estimate says little), 5 critic steps
# (half the speed, estimate 62 at step 100), width 64 (a third of the speed), penalty weight 1 or 5,
# batch 128, layer norm in the critic, fp32 instead of bf16 (the same start), DiffAugment
# translation+cutout (FID 14.7 after 2,100 steps, against 8.3 without).
_COLOR_HINT = "pass --data PATH to a folder (or .npz) of colour images"
_COLOR = _merge(_GP_28_RECOMMENDED, {"data": {"name": "my_images", "channels": 3, "split": "all"},
                                     "model": {"output_bias": "data_mean"},
                                     "optim": {"lr_g": 3e-4, "beta1": 0.0}, "train": {"steps": 20_000}})
COLOR_RECIPES = {32: "wgan-gp-color32", 64: "wgan-gp-color64"}
register(
    "wgan-gp-color32",
    "recommended for your own colour images at 32x32: WGAN-GP, DCGAN width 32, Adam 3e-4 betas (0, 0.9), output at the mean colour",
    _merge(_COLOR, {"data": {"image_size": 32}}), data_hint=f"wgan-gp-color32: {_COLOR_HINT}",
)
register(
    "wgan-gp-color64",
    "recommended for your own colour images at 64x64: WGAN-GP, DCGAN width 32, Adam 3e-4 betas (0, 0.9), output at the mean colour",
    _merge(_COLOR, {"data": {"image_size": 64}}), data_hint=f"wgan-gp-color64: {_COLOR_HINT}",
)
register(
    "wgan-clip-mnist7",
    "Keras MNIST-sevens WGAN tutorial: WGAN with clipping on MNIST 7s, dcgan28 with BatchNorm critic, latent 50, half-batch critic updates",
    {
        "data": {"name": "mnist", "classes": [7], "split": "train"},
        "model": {"generator": "dcgan28", "critic": "dcgan28", "latent_dim": 50, "critic_norm": "batch",
                  "init": "normal"},
        "loss": {"objective": "wgan", "lipschitz": "clip", "clip_value": 0.01, "clip_when": "after"},
        "optim": {"name": "rmsprop", "lr_g": 5e-5, "lr_c": 5e-5},
        # 10 epochs of about 97 batches of 64: 970 generator iterations.
        "train": {"steps": 970, "batch_size": 64, "n_critic": 5, "critic_split": "half", "log_every": 10,
                  "sample_every": 97, "checkpoint_every": 97},
    },
    warnings=("The MNIST-sevens tutorial trains on full MNIST's 6,265 sevens; the embedded mnist has about 400 — pass "
              "--data PATH to MNIST's IDX files for the tutorial's data",),
)
register(
    "wgan-clip-cifar64",
    "Keras CIFAR-10 clipping tutorial: WGAN with clipping on CIFAR-10 at 64x64, upsample+conv generator, BatchNorm critic, latent 128",
    {
        "data": {"name": "cifar-10-batches-py", "image_size": 64, "channels": 3, "split": "train"},
        "model": {"generator": "upconv", "critic": "upconv", "latent_dim": 128, "width": 64,
                  "critic_norm": "batch"},
        "loss": {"objective": "wgan", "lipschitz": "clip", "clip_value": 0.01, "clip_when": "after"},
        "optim": {"name": "rmsprop", "lr_g": 5e-5, "lr_c": 5e-5},
        # 5 epochs of 50,000 images in batches of 64: 3,910 generator iterations.
        "train": {"steps": 3910, "batch_size": 64, "n_critic": 5, "log_every": 50, "sample_every": 250,
                  "checkpoint_every": 782},
    },
    data_hint=_cifar_hint("wgan-clip-cifar64"),
)
register(
    "wgan-gp-celeba64",
    "PyTorch CelebA WGAN-GP tutorial: WGAN-GP on a CelebA-style image folder at 64x64, DCGAN networks with BatchNorm critic, 3 critic steps",
    {
        "data": {"name": "img_align_celeba", "image_size": 64, "channels": 3, "split": "all"},
        "model": {"generator": "dcgan", "critic": "dcgan", "latent_dim": 100, "width": 64,
                  "critic_norm": "batch", "init": "normal"},
        "loss": {"objective": "wgan", "lipschitz": "gp", "gp_lambda": 10.0},
        "optim": {"name": "adam", "lr_g": 1e-4, "lr_c": 1e-4, "beta1": 0.5, "beta2": 0.999},
        # 10 epochs of CelebA's 202,599 images in batches of 64: 31,660 generator iterations.
        "train": {"steps": 31_660, "batch_size": 64, "n_critic": 3, "log_every": 50, "sample_every": 500,
                  "checkpoint_every": 2000},
    },
    warnings=("The CelebA WGAN-GP tutorial keeps BatchNorm in its gradient-penalty critic; set model.critic_norm=layer for the "
              "per-sample penalty of Gulrajani et al. 2017",),
    data_hint="wgan-gp-celeba64 trains on CelebA, which cannot be downloaded here: pass --data PATH to a "
              "folder of face images (CelebA's img_align_celeba, or any image folder)",
)
register(
    "ac-wgan-mnist",
    "Keras AC-WGAN MNIST tutorial: conditional AC-WGAN on MNIST, clipping before each critic iteration, warm-up schedule, seed 777",
    {
        "data": {"name": "mnist", "split": "all"},
        "model": {"generator": "acwgan", "critic": "acwgan", "latent_dim": 100, "init": "normal",
                  "conditional": "embed_mul"},
        "loss": {"objective": "wgan", "lipschitz": "clip", "clip_value": 0.01, "clip_when": "before",
                 "class_weight_critic": 1.0, "class_weight_generator": 1.0},
        "optim": {"name": "rmsprop", "lr_g": 5e-5, "lr_c": 5e-5},
        "train": {"steps": 20_000, "batch_size": 100, "n_critic": 5, "critic_split": "full", "warmup": True,
                  "warmup_n_critic": 100, "warmup_first": 25, "warmup_every": 500, "warmup_period": 1000,
                  "seed": 777, "log_every": 10, "sample_every": 250, "checkpoint_every": 1000},
    },
    warnings=("The AC-WGAN MNIST tutorial trains on all 70,000 MNIST digits; the embedded mnist has 5,000 — pass --data PATH to "
              "MNIST's IDX files (with --set data.split=all) for the tutorial's data",),
)
register(
    "ac-wgan-gp-mnist",
    "conditional WGAN-GP with an AC critic head (class loss on real images and in the generator), DCGAN width 32, "
    "DiffAugment",
    _merge(_GP_28, {
        "data": {"name": "mnist", "split": "train"},
        "model": {"conditional": "concat"},
        # Cross-entropy on real images in the critic (1) and none on generated ones, as Gulrajani et
        # al.'s AC-WGAN. The critic sees every image, real and generated, randomly shifted and cut out
        # (DiffAugment): without it the class head memorises the 4,000 training digits (class loss on
        # them 0.004) and accepts generated digits that an independent classifier reads otherwise.
        # The generator's class weight trades class accuracy for variety within a class; measured by
        # benchmarks/bench_conditional.py on a 2-core CPU (accuracy of an independent classifier,
        # recall in the domain feature space; docs/benchmarks.md has the table):
        #   10 minutes, no augmentation, weight 1: 76.9%, recall 0.64;
        #   10 minutes, augmentation, weight 1: 98.6%, recall 0.14;
        #   10 minutes, augmentation, weight 0.1 (Gulrajani et al.): 21.6%, recall 0.68;
        #   15 minutes, augmentation, weight 0.3 (this preset): 96.9%, recall 0.32.
        "loss": {"class_weight_critic": 1.0, "class_weight_critic_fake": 0.0, "class_weight_generator": 0.3},
        "train": {"steps": 20_000, "augment": "translation,cutout"},
    }),
)


# ---------------------------------------------------------------------------------------------
# The papers' CIFAR-10 ResNet recipes (models/resnet.py), setting for setting. CIFAR-10 cannot be
# downloaded here: each takes --data PATH to the python batches folder or its .tar.gz.
_CIFAR10 = {"data": {"name": "cifar-10-batches-py", "channels": 3, "split": "train"}}
_RESNET_RECIPE = {
    # Adam 2e-4 betas (0, 0.9), 5 critic steps, batch 64, 100,000 generator steps with the learning
    # rates falling linearly to 0: the WGAN-GP paper's CIFAR-10 code and mimicry's baselines alike.
    "model": {"latent_dim": 128},
    "optim": {"name": "adam", "lr_g": 2e-4, "lr_c": 2e-4, "beta1": 0.0, "beta2": 0.9, "decay": "linear"},
    "train": {"steps": 100_000, "batch_size": 64, "n_critic": 5, "log_every": 100, "sample_every": 1000,
              "checkpoint_every": 5000},
}
_WGAN_GP_RESNET = _merge(_CIFAR10, _RESNET_RECIPE, {
    "model": {"generator": "resnet-wgan", "critic": "resnet-wgan"},
    "loss": {"objective": "wgan", "lipschitz": "gp", "gp_lambda": 10.0},
    # gan_cifar_resnet.py's GEN_BS_MULTIPLE = 2: each generator update sees 128 samples.
    "train": {"generator_batch_size": 128},
})
_SNGAN = _merge(_CIFAR10, _RESNET_RECIPE, {
    "model": {"generator": "resnet-sngan", "critic": "resnet-sngan"},
    "loss": {"objective": "hinge", "lipschitz": "sn"},
})



register(
    "wgan-gp-cifar10-resnet",
    "WGAN-GP paper's CIFAR-10 ResNet (gan_cifar_resnet.py; Inception score 7.86): lambda 10, Adam 2e-4 betas "
    "(0, 0.9), 5 critic steps, batch 64 (generator 128), 100k steps, linear decay",
    _WGAN_GP_RESNET, data_hint=_cifar_hint("wgan-gp-cifar10-resnet"),
)
register(
    "ac-wgan-gp-cifar10-resnet",
    "WGAN-GP paper's conditional CIFAR-10 ResNet (Inception score 8.42): conditional BatchNorm generator, AC "
    "critic head, class weights 1 (real images) and 0.1 (generator)",
    # gan_cifar_resnet.py with CONDITIONAL and ACGAN: ACGAN_SCALE = 1 on the real half of the
    # critic's batch only, ACGAN_SCALE_G = 0.1 in the generator loss.
    _merge(_WGAN_GP_RESNET, {
        "model": {"conditional": "cbn", "critic_conditional": "ac"},
        "loss": {"class_weight_critic": 1.0, "class_weight_critic_fake": 0.0, "class_weight_generator": 0.1},
    }),
    data_hint=_cifar_hint("ac-wgan-gp-cifar10-resnet"),
)
register(
    "sngan-cifar10",
    "SNGAN (Miyato et al. 2018) CIFAR-10 ResNet as mimicry trains it (FID 16.77): hinge loss, spectral norm, "
    "Adam 2e-4 betas (0, 0.9), 5 critic steps, batch 64, 100k steps, linear decay",
    _SNGAN, data_hint=_cifar_hint("sngan-cifar10"),
)
register(
    "cgan-pd-cifar10",
    "cGAN-PD (Miyato and Koyama 2018) CIFAR-10 ResNet as mimicry trains it (FID 10.84): SNGAN's recipe with "
    "conditional BatchNorm in the generator and a projection critic",
    _merge(_SNGAN, {"model": {"conditional": "cbn", "critic_conditional": "projection"}}),
    data_hint=_cifar_hint("cgan-pd-cifar10"),
)
