"""Configuration: plain dataclasses, YAML in and out.

A run is described completely by one :class:`Config`. Presets (``presets.py``)
are partial configs as data; the CLI layers flags and ``--set key=value``
overrides on top, and the resolved result is written to ``config.yaml`` in the
run folder so that a run can always be reproduced and resumed.

This module knows nothing of what it configures: it checks the values it owns
(types, ranges, its own small lists of words) in :meth:`Config.check_values`.
The names of components (networks, Lipschitz methods, objectives, metrics, ...)
and the settings components own are checked against their registries by
:func:`wgan.validation.validate`, the one validation step above both. A section
with component settings (``loss``, ``model``) keeps them in its ``options``,
which the YAML shows beside the section's own keys (``loss.gp_lambda``).
"""

from __future__ import annotations

import dataclasses
import signal
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from .errors import WganError, choice_error
from .files import write_text
from .options import check_range

CRITIC_SPLIT = ("none", "half", "full")
SWITCH = ("auto", "on", "off")  # the speed options; auto: where it pays (each option's comment says where)
# Signals that stop training after the update in flight, the state saved (wgan.training.stopping):
# those train.stop_signals may name (where the platform has them), and its default.
STOP_SIGNALS = tuple(name for name in ("SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP")
                     if hasattr(signal, name))
DEFAULT_STOP_SIGNALS = tuple(name for name in ("SIGTERM", "SIGINT", "SIGUSR1") if name in STOP_SIGNALS)
RECORD_KEYS = ("versions", "history")  # sections of config.yaml that describe the run, not configure it
MAX_IMAGE_SIZE = 4096  # pixels a side; one such RGB image is 48 MiB
# Upper limits of the model's sizes, far above any published GAN (BigGAN's widest layer has 2,048
# channels): a typo or a crafted description is refused instead of allocated.
MAX_WIDTH = 16384
MAX_DEPTH = 64
MAX_LATENT_DIM = 16384
DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps"


# ---- how the config's own fields are checked ---------------------------------------------------
# Each field declares its check beside its default (dataclass field metadata), the way components
# declare their settings (options.Option); Config.check_values reads the declarations, one validator
# for all of them. A field that names a component (a network, a method, ...) declares the registry
# that holds the names (``registered``); wgan.validation checks those, as this module cannot see
# the registries' contents (they fill up as the components' modules are imported).
def one_of(default: str, choices, what: str | None = None):
    """A field whose value is one of ``choices`` (``what``: how messages name it; default its key)."""
    return field(default=default, metadata={"choices": tuple(choices), "what": what})


def registered(default: str, registry: str, also: tuple[str, ...] = (), joined_by: str | None = None):
    """A field whose value is a name in the registry called ``registry`` (registry.registry_called),
    or one of ``also`` (e.g. ``auto``); ``joined_by``: several names joined by it are accepted too."""
    return field(default=default, metadata={"registry": registry, "also": tuple(also), "joined_by": joined_by})


def registered_fields(section, name: str):
    """``(key, value, metadata)`` of every field of the config section ``section`` (called ``name``)
    that names registered choices."""
    for f in fields(section):
        if "registry" in f.metadata:
            yield f"{name}.{f.name}", getattr(section, f.name), f.metadata


def positive(default):
    """A number above zero (None allowed where None is the default: "not set")."""
    return field(default=default, metadata={"bounds": {"positive": True}})


def at_least_zero(default):
    """A finite number of zero or more."""
    return field(default=default, metadata={"bounds": {"minimum": 0}})


def unit_interval(default):
    """A number in [0, 1) (None allowed where None is the default)."""
    return field(default=default, metadata={"bounds": {"minimum": 0, "below": 1}})


def _check_field(key: str, f, value) -> None:
    """``value`` of the field ``f`` (called ``key``) against what ``f`` declares."""
    if "choices" in f.metadata:
        _one_of(f.metadata["what"] or key, value, f.metadata["choices"])
    if "bounds" in f.metadata and not (value is None and f.default is None):
        if value is None:
            raise WganError(f"{key} must be a number, got None")
        check_range(key, value, **f.metadata["bounds"])

@dataclass
class DataConfig:
    name: str = "8gaussians"  # a built-in data set name, or a path to user data
    normalize: bool = True  # 2-D: standardise internally; samples are written in data coordinates
    image_size: int | None = None  # images: resize and centre-crop to this size (None = native)
    channels: int | None = None  # images: force 1 (grayscale) or 3 (RGB); None = as stored
    classes: list[int] | None = None  # keep only these labels (the MNIST-sevens tutorial trains on 7s)
    split: str = one_of("train", ("train", "test", "all"), what="split")  # where the source has splits
    skip_bad: bool = False  # image folders: skip unreadable files (with a count) instead of failing
    # Image folders: decode every file into memory (off), stream them from disk with DataLoader
    # workers (on), or stream only when the pixels would exceed 4 GiB (auto).
    stream: str = one_of("auto", SWITCH)
    # Image folders and archives: where their decoded pixels are kept for the next start (auto: the
    # cache folder, $WGAN_CACHE or ~/.cache/wgan, under data/), off, or a folder; wgan data list shows them.
    cache: str = "auto"


@dataclass
class ModelConfig:
    generator: str = registered("mlp", "generator")  # a network family (wgan.models)
    critic: str = registered("mlp", "critic")
    latent_dim: int = 2
    latent: str = registered("normal", "latent distribution")  # normal: N(0, I); uniform: U(-1, 1), ...
    width: int = 512  # MLP hidden units, or the base channel count of a conv model
    activation: str = registered("relu", "activation")  # of the MLPs and conv models (models/layers.py)
    critic_norm: str = registered("none", "critic normalisation")  # conv critics: after each convolution
    init: str = registered("default", "init")  # default (PyTorch), normal (N(0, 0.02): DCGAN, Keras), ...
    output_bias: str = registered("zero", "model.output_bias")  # data_mean: the output starts at the mean colour
    # How the generator takes a class: none, embed_mul (the AC-WGAN MNIST tutorial), concat, cbn
    # (class-conditional BatchNorm), ... (models/heads.py)
    conditional: str = registered("none", "model.conditional")
    # Critic of a conditional run: ac (a class head, AC-WGAN) | projection (Miyato and Koyama 2018)
    critic_conditional: str = registered("ac", "model.critic_conditional")
    # Data-parallel runs on CUDA (nccl): BatchNorm statistics over the global batch instead of each
    # process's share (SyncBatchNorm). Off: plain per-process BatchNorm, rank 0's buffers saved.
    sync_bn: bool = False
    # A network family's own settings (the MLP's depth and feature_dim), declared by the family.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LossConfig:
    objective: str = registered("wgan", "objective")  # gan: sigmoid cross-entropy; wgan: E[C(real)] - E[C(fake)]; hinge; ...
    lipschitz: str = registered("gp", "Lipschitz method", joined_by="+")  # clip, gp, sn, r1, ..., or several joined by +
    class_weight_critic: float = at_least_zero(1.0)  # AC-WGAN: cross-entropy weight in the critic loss, real images
    class_weight_critic_fake: float = at_least_zero(1.0)  # ... and generated images (the AC-WGAN MNIST tutorial: 1; improved_wgan_training: 0)
    class_weight_generator: float = at_least_zero(1.0)  # AC-WGAN: cross-entropy weight in the generator loss
    # The Lipschitz method's own coefficients (gp_lambda; clip_value and clip_when), declared by the method.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    name: str = registered("auto", "optimiser", also=("auto",))  # auto picks the paper's optimiser for the Lipschitz method
    lr_g: float | None = positive(None)  # None: the method's default
    lr_c: float | None = positive(None)
    beta1: float | None = unit_interval(None)  # Adam only
    beta2: float | None = unit_interval(None)
    decay: str = one_of("none", ("none", "linear"), what="learning-rate decay")  # learning rates fall linearly to 0 over train.steps (WGAN-GP's CIFAR code)


@dataclass
class TrainConfig:
    steps: int = positive(10_000)  # generator iterations
    batch_size: int = positive(256)
    n_critic: int = positive(5)  # critic iterations per generator iteration
    # Samples in each generator update (the global count, like batch_size); 0 = batch_size. The
    # WGAN-GP paper's CIFAR-10 ResNet code updates its generator on twice the critic's batch.
    generator_batch_size: int = at_least_zero(0)
    warmup: bool = False  # the WGAN paper's schedule: warmup_n_critic iterations early and periodically
    warmup_n_critic: int = positive(100)
    warmup_first: int = at_least_zero(25)  # generator steps (within each warmup_period) that use warmup_n_critic
    warmup_every: int = positive(500)  # and every this many generator steps
    warmup_period: int = at_least_zero(0)  # 0: the first steps of the run only (WGAN paper); the AC-WGAN MNIST tutorial repeats every 1000
    seed: int = 0
    device: str = "auto"
    log_every: int = positive(50)  # gather losses to the host, metrics.jsonl, TensorBoard
    sample_every: int = positive(500)  # fixed-noise samples/grids
    checkpoint_every: int = positive(2000)
    keep_checkpoints: int = at_least_zero(0)  # also keep the last K checkpoints as checkpoints/step_NNNNNNN.pt (0 = only last.pt)
    ema: float = unit_interval(0.0)  # decay of an exponential moving average of the generator (0 = off)
    # Batches of noise (of batch_size) that recompute the averaged generator's BatchNorm statistics
    # before it samples, is evaluated or is saved (standing statistics); 0 = the trained generator's.
    ema_standing_batches: int = at_least_zero(16)
    # Critic updates on real and fake together (none), or one update on real then one on fake, each on
    # half the batch (half: the MNIST-sevens tutorial's Keras loop) or on a whole batch each (full: the AC-WGAN MNIST tutorial's Keras loop).
    critic_split: str = one_of("none", CRITIC_SPLIT, what="critic_split")
    # Differentiable augmentation of every critic input, real and generated (DiffAugment): "none", or
    # operations of wgan.methods.augment joined by commas, e.g. "translation,cutout". For small data sets.
    augment: str = registered("none", "augmentation", also=("none", ""), joined_by=",")
    max_minutes: float = at_least_zero(0.0)  # stop after this much training time even if steps remain (0 = no limit)
    eval_every: int = at_least_zero(0)  # measure the run every this many steps (wgan eval's metrics; 0 = never)
    eval_n: int = positive(1000)  # generated samples per evaluation during training
    best_metric: str = "auto"  # keep checkpoints/best.pt by this result (auto: fid for images, w1_ratio for 2-D)
    wandb: str = one_of("off", ("off", "offline", "online"), what="W&B mode")  # also log to Weights & Biases (the CelebA WGAN-GP tutorial); needs `pip install wandb`
    # Speed. fp32 | bf16: bfloat16 autocast for the networks (losses and optimiser state stay fp32);
    # fp16: float16 autocast with a gradient scaler per network (GPUs without bfloat16: V100, T4);
    # fp64: everything in float64 (slow; for checking numerics, e.g. that N processes equal one);
    # auto: bf16 on a CPU with native bfloat16 (AVX-512 BF16, AMX, Arm BF16) or a CUDA device that
    # has it, fp16 on a CUDA device without it, fp32 elsewhere.
    precision: str = registered("fp32", "precision", also=("auto",))
    # When to check that every weight, buffer and optimiser moment is still finite: at each log
    # step (log), or after every step (always; costs a little each step).
    check_finite: str = one_of("log", ("log", "always"))
    # auto | on | off: replay each generator iteration from a CUDA graph where the run allows it
    # (CUDA, data on the device, constant learning rates); on = fail if it cannot. Off by default:
    # the captured path has not yet been run on a GPU, so it is opt-in (train.cuda_graph=auto).
    cuda_graph: str = one_of("off", SWITCH)
    # auto | on | off: NHWC memory layout for image networks. auto = on for images on a CPU, where
    # oneDNN's convolutions run faster in it (dcgan28: 0.90 vs 0.77 generator it/s on 2 cores).
    channels_last: str = one_of("auto", SWITCH)
    # auto | on | off: compute each convolution to one channel with a kernel of 2 or more (the last
    # layer of dcgan28 and acwgan) as a matrix product and a fold (models/matmul_conv.py). auto = on a
    # CPU, where oneDNN is slow for that shape (7x7, batch 64: 92 -> 40 ms forward and backward).
    matmul_conv: str = one_of("auto", SWITCH)
    # auto | on | off: compute the ResNets' 3x3 convolutions next to an upsampling or a mean pooling
    # as one strided 4x4 convolution (models/resblocks.py): the same numbers with 4 instead of 9
    # products per output pixel. auto = on a CPU (measured there: about 2x for those layers).
    fused_resample: str = one_of("auto", SWITCH)
    # CPU threads of PyTorch's kernels. 0 = auto: at most the CPUs this process may use (affinity
    # and cgroup quota; threads.py), unless OMP_NUM_THREADS is set.
    threads: int = at_least_zero(0)
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
        """Nested plain values, each section's options beside its own keys (as config.yaml shows them)."""
        return {f.name: section_dict(getattr(self, f.name)) if dataclasses.is_dataclass(getattr(self, f.name))
                else getattr(self, f.name) for f in fields(self)}

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
        """Set one key, e.g. ``set("train.steps", 500)``; strings are parsed as YAML. A key that is not
        a section's own goes to its ``options`` as given (its component checks it: wgan.validation)."""
        obj, leaf = self._resolve(path)
        if leaf not in _field_names(obj):
            obj.options[leaf] = _parsed(value)
            return
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
        """The value of one key (an option a section does not set: None)."""
        obj, leaf = self._resolve(path)
        return getattr(obj, leaf) if leaf in _field_names(obj) else obj.options.get(leaf)

    def keys(self) -> list[str]:
        """Every key this config has: the sections' own and the options they hold."""
        return all_keys() + [f"{f.name}.{k}" for f in fields(self) if _has_options(getattr(self, f.name))
                             for k in getattr(self, f.name).options]

    def _resolve(self, path: str):
        parts = path.split(".")
        obj: Any = self
        for part in parts[:-1]:
            if not dataclasses.is_dataclass(obj) or part not in _field_names(obj):
                raise WganError(f"unknown config key {path!r}; accepted: {', '.join(all_keys())}")
            obj = getattr(obj, part)
        leaf = parts[-1]
        if not dataclasses.is_dataclass(obj) or leaf == "options" or (
                leaf not in _field_names(obj) and not _has_options(obj)) or (
                leaf in _field_names(obj) and dataclasses.is_dataclass(getattr(obj, leaf))):
            raise WganError(f"unknown config key {path!r}; accepted: {', '.join(all_keys())}")
        return obj, leaf

    # ---- the values this module owns -------------------------------------------
    def check_values(self) -> "Config":
        """Raise :class:`WganError` for the first value out of range among those the config owns
        (component names and settings: :func:`wgan.validation.validate`)."""
        for part in fields(self):  # each section's fields, by what each declares
            section = getattr(self, part.name)
            if dataclasses.is_dataclass(section):
                for f in fields(section):
                    _check_field(f"{part.name}.{f.name}", f, getattr(section, f.name))
        check_device_name(self.train.device)
        self.train.stop_signals = signal_names(self.train.stop_signals)
        check_model_values(self.model)
        if not 0 <= self.train.seed < 2**63:
            raise WganError(f"train.seed must be an integer in 0..2**63-1, got {self.train.seed}")
        if self.data.image_size is not None:
            _positive("data.image_size", self.data.image_size)
            if self.data.image_size > MAX_IMAGE_SIZE:
                raise WganError(f"data.image_size must be at most {MAX_IMAGE_SIZE}, got {self.data.image_size}")
        if self.data.channels not in (None, 1, 3):
            raise WganError(f"data.channels must be 1 or 3, got {self.data.channels}")
        if not str(self.data.cache).strip():
            raise WganError("data.cache must be auto (the cache folder), off, or a folder for the decoded images")
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


def check_model_values(model: ModelConfig) -> None:
    """Raise :class:`WganError` for the first model size out of range (names: wgan.validation).

    Shared by :meth:`Config.check_values` and the reading of generator files, whose description
    comes from whoever sent the file: the upper limits keep a few bytes of description from
    building a network that cannot fit anywhere.
    """
    for key, most in (("latent_dim", MAX_LATENT_DIM), ("width", MAX_WIDTH)):
        value = getattr(model, key)
        _positive(f"model.{key}", value)
        if value > most:
            raise WganError(f"model.{key} must be at most {most}, got {value}")


def signal_names(names) -> list[str]:
    """``names`` as canonical signal names (``term`` and ``TERM`` are SIGTERM); a one-line error for others."""
    out = []
    for name in names:
        canonical = str(name).strip().upper()
        canonical = canonical if canonical.startswith("SIG") else f"SIG{canonical}"
        if canonical not in STOP_SIGNALS:
            raise WganError(f"unknown signal {name!r} in train.stop_signals; accepted: {', '.join(STOP_SIGNALS)} "
                            "(or [] for none)")
        out.append(canonical)
    return out


def check_device_name(name: str) -> None:
    """Raise for a name ``devices.pick_device`` would not understand (without looking at the hardware)."""
    base, _, index = str(name).partition(":")
    if base in ("auto", "cpu", "mps") and not index:
        return
    if base == "cuda" and (not index or index.isdigit()):
        return
    raise WganError(f"unknown device {name!r}; accepted: {DEVICE_HELP}")


def all_keys() -> list[str]:
    """Every key the config itself defines, e.g. ``train.steps`` (components add their options' keys:
    wgan.validation.settable_keys)."""
    cfg = Config()
    keys = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            keys += [f"{f.name}.{g.name}" for g in fields(value) if g.name != "options"]
        else:
            keys.append(f.name)
    return keys


def section_dict(section) -> dict[str, Any]:
    """A section as plain values, its options beside its own keys."""
    out = {f.name: _plain(getattr(section, f.name)) for f in fields(section) if f.name != "options"}
    if _has_options(section):
        out.update({k: _plain(v) for k, v in section.options.items()})
    return out


def _plain(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def _has_options(obj) -> bool:
    return dataclasses.is_dataclass(obj) and "options" in _field_names(obj)


def _field_names(obj) -> set[str]:
    return {f.name for f in fields(obj)}


def _parsed(value: Any) -> Any:
    """A command-line string as YAML reads it (``10`` an int, ``[a, b]`` a list); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        return value


def _one_of(what: str, value, accepted) -> None:
    if value not in accepted:
        raise choice_error(what, value, accepted)


def _positive(key: str, value) -> None:
    if value is None:
        raise WganError(f"{key} must be positive, got None")
    check_range(key, value, positive=True)


def _coerce(path: str, value: Any, hint: Any) -> Any:
    """Convert ``value`` (possibly a string from the command line) to the field's type."""
    parsed = _parsed(value)
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
