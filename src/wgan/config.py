"""Configuration: plain dataclasses, validated, saved resolved as YAML.

A run is described completely by one :class:`Config`. Presets (``presets.py``)
are partial configs as data; the CLI layers flags and ``--set key=value``
overrides on top, and the resolved result is written to ``config.yaml`` in the
run folder so that a run can always be reproduced and resumed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from .conditioning import CONDITIONING, CRITIC_CONDITIONING
from .errors import WganError, choice_error
from .files import write_text
from .augment import augmentation_ops
from .lipschitz import method_names, penalises_pairs
from .objectives import OBJECTIVES
from .stopping import DEFAULT_STOP_SIGNALS, signal_names

OPTIMIZERS = ("auto", "adam", "rmsprop")
LATENTS = ("normal", "uniform")
CLIP_WHEN = ("after", "before")
CRITIC_SPLIT = ("none", "half", "full")
RECORD_KEYS = ("versions", "history")  # sections of config.yaml that describe the run, not configure it
MAX_IMAGE_SIZE = 4096  # pixels a side; one such RGB image is 48 MiB
# Upper limits of the model's sizes, far above any published GAN (BigGAN's widest layer has 2,048
# channels): a typo or a crafted description is refused instead of allocated.
MAX_WIDTH = 16384
MAX_DEPTH = 64
MAX_LATENT_DIM = 16384
DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps"


@dataclass
class DataConfig:
    name: str = "8gaussians"  # a built-in data set name, or a path to user data
    normalize: bool = True  # 2-D: standardise internally; samples are written in data coordinates
    image_size: int | None = None  # images: resize and centre-crop to this size (None = native)
    channels: int | None = None  # images: force 1 (grayscale) or 3 (RGB); None = as stored
    classes: list[int] | None = None  # keep only these labels (the MNIST-sevens tutorial trains on 7s)
    split: str = "train"  # train | test | all, where the source has splits
    skip_bad: bool = False  # image folders: skip unreadable files (with a count) instead of failing
    # Image folders: decode every file into memory (off), stream them from disk with DataLoader
    # workers (on), or stream only when the pixels would exceed 4 GiB (auto).
    stream: str = "auto"


@dataclass
class ModelConfig:
    generator: str = "mlp"
    critic: str = "mlp"
    latent_dim: int = 2
    latent: str = "normal"  # normal: N(0, I); uniform: U(-1, 1) (the quadratic-curve GAN tutorial)
    width: int = 512  # MLP hidden units, or the base channel count of a conv model
    depth: int = 3  # MLP hidden layers
    activation: str = "relu"  # relu | leaky_relu | tanh | elu
    feature_dim: int = 0  # MLP critic: a linear feature layer before the output (the quadratic-curve GAN tutorial uses 2); 0 = none
    critic_norm: str = "none"  # conv critics: none | layer | batch | instance
    init: str = "default"  # default (PyTorch) | normal (N(0, 0.02), the DCGAN/Keras seeds)
    output_bias: str = "zero"  # images: zero | data_mean (the output layer starts at the data's mean colour)
    # Generator: none | embed_mul (the AC-WGAN MNIST tutorial) | concat | cbn (class-conditional BatchNorm)
    conditional: str = "none"
    # Critic of a conditional run: ac (a class head, AC-WGAN) | projection (Miyato and Koyama 2018)
    critic_conditional: str = "ac"
    # Data-parallel runs on CUDA (nccl): BatchNorm statistics over the global batch instead of each
    # process's share (SyncBatchNorm). Off: plain per-process BatchNorm, rank 0's buffers saved.
    sync_bn: bool = False


@dataclass
class LossConfig:
    objective: str = "wgan"  # gan: sigmoid cross-entropy; wgan: E[C(real)] - E[C(fake)]; hinge; ls (least squares)
    lipschitz: str = "gp"  # clip | gp | lp | sn | none
    clip_value: float = 0.01
    clip_when: str = "after"  # after each critic update (WGAN paper) | before each critic iteration (the AC-WGAN MNIST tutorial)
    gp_lambda: float = 10.0  # weight of the gradient penalty (gp and lp)
    class_weight_critic: float = 1.0  # AC-WGAN: cross-entropy weight in the critic loss, real images
    class_weight_critic_fake: float = 1.0  # ... and generated images (the AC-WGAN MNIST tutorial: 1; improved_wgan_training: 0)
    class_weight_generator: float = 1.0  # AC-WGAN: cross-entropy weight in the generator loss


@dataclass
class OptimConfig:
    name: str = "auto"  # auto picks the paper's optimiser for the Lipschitz method
    lr_g: float | None = None  # None: the method's default
    lr_c: float | None = None
    beta1: float | None = None  # Adam only
    beta2: float | None = None
    decay: str = "none"  # none | linear: learning rates fall linearly to 0 over train.steps (WGAN-GP's CIFAR code)


@dataclass
class TrainConfig:
    steps: int = 10_000  # generator iterations
    batch_size: int = 256
    n_critic: int = 5  # critic iterations per generator iteration
    # Samples in each generator update (the global count, like batch_size); 0 = batch_size. The
    # WGAN-GP paper's CIFAR-10 ResNet code updates its generator on twice the critic's batch.
    generator_batch_size: int = 0
    warmup: bool = False  # the WGAN paper's schedule: warmup_n_critic iterations early and periodically
    warmup_n_critic: int = 100
    warmup_first: int = 25  # generator steps (within each warmup_period) that use warmup_n_critic
    warmup_every: int = 500  # and every this many generator steps
    warmup_period: int = 0  # 0: the first steps of the run only (WGAN paper); the AC-WGAN MNIST tutorial repeats every 1000
    seed: int = 0
    device: str = "auto"
    log_every: int = 50  # gather losses to the host, metrics.jsonl, TensorBoard
    sample_every: int = 500  # fixed-noise samples/grids
    checkpoint_every: int = 2000
    keep_checkpoints: int = 0  # also keep the last K checkpoints as checkpoints/step_NNNNNNN.pt (0 = only last.pt)
    ema: float = 0.0  # decay of an exponential moving average of the generator (0 = off)
    # Batches of noise (of batch_size) that recompute the averaged generator's BatchNorm statistics
    # before it samples, is evaluated or is saved (standing statistics); 0 = the trained generator's.
    ema_standing_batches: int = 16
    # Critic updates on real and fake together (none), or one update on real then one on fake, each on
    # half the batch (half: the MNIST-sevens tutorial's Keras loop) or on a whole batch each (full: the AC-WGAN MNIST tutorial's Keras loop).
    critic_split: str = "none"
    # Differentiable augmentation of every critic input, real and generated (DiffAugment): "none", or
    # operations of wgan.augment joined by commas, e.g. "translation,cutout". For small data sets.
    augment: str = "none"
    max_minutes: float = 0.0  # stop after this much training time even if steps remain (0 = no limit)
    eval_every: int = 0  # measure the run every this many steps (wgan eval's metrics; 0 = never)
    eval_n: int = 1000  # generated samples per evaluation during training
    best_metric: str = "auto"  # keep checkpoints/best.pt by this result (auto: fid for images, w1_ratio for 2-D)
    wandb: str = "off"  # off | offline | online: also log to Weights & Biases (the CelebA WGAN-GP tutorial); needs `pip install wandb`
    # Speed. fp32 | bf16: bfloat16 autocast for the networks (losses and optimiser state stay fp32);
    # fp16: float16 autocast with a gradient scaler per network (GPUs without bfloat16: V100, T4);
    # fp64: everything in float64 (slow; for checking numerics, e.g. that N processes equal one);
    # auto: bf16 on a CPU with native bfloat16 (AVX-512 BF16, AMX, Arm BF16) or a CUDA device that
    # has it, fp16 on a CUDA device without it, fp32 elsewhere.
    precision: str = "fp32"
    # When to check that every weight, buffer and optimiser moment is still finite: at each log
    # step (log), or after every step (always; costs a little each step).
    check_finite: str = "log"
    # auto | on | off: replay each generator iteration from a CUDA graph where the run allows it
    # (CUDA, data on the device, constant learning rates); on = fail if it cannot. Off by default:
    # the captured path has not yet been run on a GPU, so it is opt-in (train.cuda_graph=auto).
    cuda_graph: str = "off"
    # auto | on | off: NHWC memory layout for image networks. auto = on for images on a CPU, where
    # oneDNN's convolutions run faster in it (dcgan28: 0.90 vs 0.77 generator it/s on 2 cores).
    channels_last: str = "auto"
    # auto | on | off: compute each convolution to one channel with a kernel of 2 or more (the last
    # layer of dcgan28 and acwgan) as a matrix product and a fold (models/matmul_conv.py). auto = on a
    # CPU, where oneDNN is slow for that shape (7x7, batch 64: 92 -> 40 ms forward and backward).
    matmul_conv: str = "auto"
    # auto | on | off: compute the ResNets' 3x3 convolutions next to an upsampling or a mean pooling
    # as one strided 4x4 convolution (models/resblocks.py): the same numbers with 4 instead of 9
    # products per output pixel. auto = on a CPU (measured there: about 2x for those layers).
    fused_resample: str = "auto"
    # CPU threads of PyTorch's kernels. 0 = auto: at most the CPUs this process may use (affinity
    # and cgroup quota; threads.py), unless OMP_NUM_THREADS is set.
    threads: int = 0
    # Signals that stop training after the update in flight, with the state at that step saved and
    # the exit status 128 + the signal's number (stopping.py); [] leaves every signal its default.
    stop_signals: list[str] = field(default_factory=lambda: list(DEFAULT_STOP_SIGNALS))


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    preset: str | None = None
    name: str | None = None  # optional suffix of the run folder name

    # ---- conversion -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Config":
        cfg = cls()
        cfg.update(d)
        return cfg

    def update(self, d: dict[str, Any], prefix: str = "") -> "Config":
        """Apply a nested dict of values (a preset, a saved config)."""
        for key, value in d.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                self.update(value, prefix=path + ".")
            else:
                self.set(path, value)
        return self

    def set(self, path: str, value: Any) -> None:
        """Set one key, e.g. ``set("train.steps", 500)``; strings are parsed as YAML."""
        obj, leaf = self._resolve(path)
        hint = get_type_hints(type(obj))[leaf]
        setattr(obj, leaf, _coerce(path, value, hint))

    def apply_overrides(self, items) -> "Config":
        """Apply ``KEY=VALUE`` strings (``--set``), values parsed as YAML."""
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise WganError(f"--set expects KEY=VALUE, got {item!r}")
            self.set(key.strip(), value)
        return self

    def get(self, path: str) -> Any:
        obj, leaf = self._resolve(path)
        return getattr(obj, leaf)

    def _resolve(self, path: str):
        parts = path.split(".")
        obj: Any = self
        for part in parts[:-1]:
            if not dataclasses.is_dataclass(obj) or part not in _field_names(obj):
                raise WganError(f"unknown config key {path!r}; accepted: {', '.join(all_keys())}")
            obj = getattr(obj, part)
        leaf = parts[-1]
        if not dataclasses.is_dataclass(obj) or leaf not in _field_names(obj) or dataclasses.is_dataclass(
            getattr(obj, leaf)
        ):
            raise WganError(f"unknown config key {path!r}; accepted: {', '.join(all_keys())}")
        return obj, leaf

    # ---- validation ---------------------------------------------------------
    def validate(self) -> "Config":
        """Raise :class:`WganError` for the first value out of range."""
        _one_of("objective", self.loss.objective, OBJECTIVES)
        method_names(self.loss.lipschitz)  # methods compose: "sn+gp"
        _one_of("optimiser", self.optim.name, OPTIMIZERS)
        _one_of("learning-rate decay", self.optim.decay, ("none", "linear"))
        check_device_name(self.train.device)
        _one_of("clip_when", self.loss.clip_when, CLIP_WHEN)
        _one_of("split", self.data.split, ("train", "test", "all"))
        _one_of("critic_split", self.train.critic_split, CRITIC_SPLIT)
        augmentation_ops(self.train.augment)
        check_best_metric(self.train.best_metric)
        _one_of("W&B mode", self.train.wandb, ("off", "offline", "online"))
        _one_of("precision", self.train.precision, ("fp32", "bf16", "fp16", "fp64", "auto"))
        _one_of("train.check_finite", self.train.check_finite, ("log", "always"))
        _one_of("train.cuda_graph", self.train.cuda_graph, ("auto", "on", "off"))
        _one_of("train.channels_last", self.train.channels_last, ("auto", "on", "off"))
        _one_of("train.matmul_conv", self.train.matmul_conv, ("auto", "on", "off"))
        _one_of("train.fused_resample", self.train.fused_resample, ("auto", "on", "off"))
        self.train.stop_signals = signal_names(self.train.stop_signals)
        validate_model(self.model)
        if self.train.critic_split != "none" and penalises_pairs(self.loss.lipschitz):
            raise WganError("train.critic_split updates the critic on real and fake separately, which leaves "
                            "no pairs for a gradient penalty; use it with clip, sn or none")
        for key in ("train.steps", "train.batch_size", "train.n_critic", "train.log_every",
                    "train.sample_every", "train.checkpoint_every", "train.warmup_n_critic",
                    "train.warmup_every", "train.eval_n"):
            _positive(key, self.get(key))
        for key in ("optim.lr_g", "optim.lr_c", "loss.clip_value"):
            if self.get(key) is not None:
                _positive(key, self.get(key))
        for key in ("loss.gp_lambda", "train.warmup_first", "train.max_minutes", "train.eval_every", "train.warmup_period",
                    "train.threads", "train.generator_batch_size", "train.ema_standing_batches", "train.keep_checkpoints",
                    "loss.class_weight_critic", "loss.class_weight_critic_fake",
                    "loss.class_weight_generator"):
            v = self.get(key)
            if not math.isfinite(v):
                raise WganError(f"{key} must be a finite number >= 0, got {v}")
            if v < 0:
                raise WganError(f"{key} must be >= 0, got {v}")
        for key in ("optim.beta1", "optim.beta2"):
            v = self.get(key)
            if v is not None and not 0 <= v < 1:
                raise WganError(f"{key} must be in [0, 1), got {v}")
        if not 0 <= self.train.ema < 1:
            raise WganError(f"train.ema must be in [0, 1), got {self.train.ema}")
        if not 0 <= self.train.seed < 2**63:
            raise WganError(f"train.seed must be an integer in 0..2**63-1, got {self.train.seed}")
        if self.data.image_size is not None:
            _positive("data.image_size", self.data.image_size)
            if self.data.image_size > MAX_IMAGE_SIZE:
                raise WganError(f"data.image_size must be at most {MAX_IMAGE_SIZE}, got {self.data.image_size}")
        _one_of("data.stream", self.data.stream, ("auto", "on", "off"))
        if self.data.channels not in (None, 1, 3):
            raise WganError(f"data.channels must be 1 or 3, got {self.data.channels}")
        return self

    # ---- files --------------------------------------------------------------
    def save(self, path: Path, record: dict | None = None) -> None:
        """Write the resolved config as YAML, atomically (a full disk never leaves it half written).

        ``record`` adds sections that describe the run rather than configure it (``versions``,
        ``history``); :meth:`load` reads past them and :func:`read_record` returns them.
        """
        d = self.to_dict()
        d.update({k: v for k, v in (record or {}).items() if k in RECORD_KEYS})
        write_text(path, yaml.safe_dump(d, sort_keys=False))

    @classmethod
    def load(cls, path: Path) -> "Config":
        try:
            d = yaml.safe_load(Path(path).read_text())
        except UnicodeDecodeError:
            raise WganError(f"cannot read config {path}: it is not text (a damaged file?); the run's "
                            "checkpoints/last.pt holds a copy of its config") from None
        except yaml.YAMLError as e:
            first = " ".join(str(e).split())
            raise WganError(f"cannot read config {path}: not valid YAML, or a tag that is refused because it "
                            f"could run code ({first[:160]})") from None
        except OSError as e:
            raise WganError(f"cannot read config {path}: {e.strerror or e}") from None
        if not isinstance(d, dict):
            raise WganError(f"config {path} is not a mapping of sections")
        return cls.from_dict({k: v for k, v in d.items() if k not in RECORD_KEYS})


def read_record(path: Path) -> dict:
    """The descriptive sections of a saved config (see :meth:`Config.save`); {} when there are none."""
    try:
        d = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return {k: d[k] for k in RECORD_KEYS if isinstance(d, dict) and k in d}


def versions() -> dict[str, str]:
    """The versions a run was made with (recorded in its config.yaml)."""
    import platform

    import torch

    from . import __version__

    return {"wgan": str(__version__), "torch": str(torch.__version__), "python": platform.python_version()}


def validate_model(model: ModelConfig) -> None:
    """Raise :class:`WganError` for the first model setting out of range.

    Shared by :meth:`Config.validate` and the reading of generator files, whose
    description comes from whoever sent the file: the upper limits keep a few
    bytes of description from building a network that cannot fit anywhere.
    """
    from .models import CRITICS, GENERATORS  # the networks import this module: import them when used
    from .models.layers import ACTIVATIONS, CRITIC_NORMS, INIT_SCHEMES, OUTPUT_BIASES

    _one_of("generator", model.generator, GENERATORS)
    _one_of("critic", model.critic, CRITICS)
    _one_of("activation", model.activation, ACTIVATIONS)
    _one_of("critic normalisation", model.critic_norm, CRITIC_NORMS)
    _one_of("init", model.init, INIT_SCHEMES)
    _one_of("model.output_bias", model.output_bias, OUTPUT_BIASES)
    _one_of("latent distribution", model.latent, LATENTS)
    _one_of("model.conditional", model.conditional, CONDITIONING)
    _one_of("model.critic_conditional", model.critic_conditional, CRITIC_CONDITIONING)
    for key, most in (("latent_dim", MAX_LATENT_DIM), ("width", MAX_WIDTH), ("depth", MAX_DEPTH)):
        value = getattr(model, key)
        _positive(f"model.{key}", value)
        if value > most:
            raise WganError(f"model.{key} must be at most {most}, got {value}")
    if not 0 <= model.feature_dim <= MAX_WIDTH:
        raise WganError(f"model.feature_dim must be in 0..{MAX_WIDTH}, got {model.feature_dim}")
    if model.critic_conditional == "projection" and model.conditional == "none":
        raise WganError("model.critic_conditional=projection scores images against their classes, and "
                        "model.conditional=none trains an unconditional generator; set model.conditional "
                        "to cbn, concat or embed_mul")
    if model.conditional == "cbn" and model.sync_bn:
        raise WganError("model.conditional=cbn and model.sync_bn=true cannot be combined: SyncBatchNorm has no "
                        "class-conditional form; set model.sync_bn=false")


def check_best_metric(name: str) -> None:
    """``train.best_metric``: auto, or a result a registered metric reports (``fid``, ``recall``, or a
    full result name such as ``fid_domain_1k_test_quick``)."""
    from .metrics import METRICS, direction  # the metrics import this module's neighbours: import when used

    if name == "auto" or direction(name) is not None:  # a result that is better one way
        return
    outputs = list(dict.fromkeys(o for m in METRICS.values() for o, d in m.outputs.items() if d is not None))
    raise WganError(f"unknown train.best_metric {name!r}; accepted: auto, or a result of an evaluation: "
                    f"{', '.join(outputs)} (or its full name, e.g. fid_domain_1k_test_quick)")


def check_device_name(name: str) -> None:
    """Raise for a name ``runtime.pick_device`` would not understand (without looking at the hardware)."""
    base, _, index = str(name).partition(":")
    if base in ("auto", "cpu", "mps") and not index:
        return
    if base == "cuda" and (not index or index.isdigit()):
        return
    raise WganError(f"unknown device {name!r}; accepted: {DEVICE_HELP}")


def all_keys() -> list[str]:
    """Every settable key, e.g. ``train.steps``."""
    cfg = Config()
    keys = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            keys += [f"{f.name}.{g.name}" for g in fields(value)]
        else:
            keys.append(f.name)
    return keys


def _field_names(obj) -> set[str]:
    return {f.name for f in fields(obj)}


def _one_of(what: str, value, accepted) -> None:
    if value not in accepted:
        raise choice_error(what, value, accepted)


def _positive(key: str, value) -> None:
    if value is not None and not math.isfinite(value):
        raise WganError(f"{key} must be a finite positive number, got {value}")
    if value is None or value <= 0:
        raise WganError(f"{key} must be positive, got {value}")


def _coerce(path: str, value: Any, hint: Any) -> Any:
    """Convert ``value`` (possibly a string from the command line) to the field's type."""
    if isinstance(value, str):
        try:
            parsed = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            parsed = value
    else:
        parsed = value
    # Optional[X] (X | None) is a union of X and None; list[X] has arguments too, but is no union.
    args = get_args(hint) if get_origin(hint) in (Union, UnionType) else ()
    optional = type(None) in args
    if parsed is None or (isinstance(parsed, str) and parsed.lower() in ("none", "null")):
        if optional:
            return None
        if hint is str:
            return "none" if isinstance(value, str) else value
        raise WganError(f"{path} cannot be empty")
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    origin = get_origin(base)
    try:
        if origin is list:
            (item,) = get_args(base)
            items = parsed if isinstance(parsed, list) else [parsed]
            return [item(x) for x in items]
        if base is bool:
            if isinstance(parsed, bool):
                return parsed
            raise ValueError
        if base is int:
            if isinstance(parsed, bool) or (isinstance(parsed, float) and not parsed.is_integer()):
                raise ValueError
            return int(parsed)
        if base is float:
            if isinstance(parsed, bool):
                raise ValueError
            return float(parsed)
        if base is str:
            return str(value) if isinstance(value, str) else str(parsed)
    except (TypeError, ValueError):
        pass
    else:
        return parsed
    kind = f"a list of {get_args(base)[0].__name__}" if origin is list else getattr(base, "__name__", str(base))
    raise WganError(f"{path} expects {kind}, got {value!r}")
