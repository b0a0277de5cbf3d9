"""A trained generator on its own: load it, sample it, evaluate it -- without data, critic or optimisers.

What a user keeps from a GAN run is its generator. A :class:`GeneratorHandle`
holds exactly what sampling needs: the network (or its weight average), the
noise, the class count, the way back to data coordinates (a
:class:`~wgan.data.space.DataSpace`), the fixed noise of the run's grids and
the step. Every checkpoint writes one next to it as a small safetensors file
(``checkpoints/generator.safetensors`` for ``last.pt``; ``<name>.generator.safetensors``
for the others), with the few settings needed to rebuild the network, so::

    from wgan import load_generator
    g = load_generator("runs/0003-mnist-wgan/")          # or a .generator.safetensors file
    images = g.sample(16, labels=[3] * 16)             # uint8 (16, C, H, W); points: (N, 2) floats

Reading a generator file never executes code (safetensors holds tensors and
text only).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from .config import Config, ModelConfig, section_dict
from .data.space import DataSpace
from .errors import WganError, first_line
from .files import write_safetensors
from .latent import Latent
from .rng import seeded, stream_seed

FORMAT = 1
META_KEY = "wgan"


class NonFiniteSamples(WganError):
    """The generator gave NaN or infinite values: it diverged."""


class GeneratorHandle:
    def __init__(self, net: nn.Module, space: DataSpace, latent: Latent, num_classes: int = 0,
                 fixed_z: torch.Tensor | None = None, step: int = 0, info: dict | None = None):
        self.net, self.space, self.latent_spec = net, space, latent
        self.num_classes, self.step = num_classes, step
        self.fixed_z = fixed_z
        self.info = info or {}  # the generator file's description (model settings, data config, ...)

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.net.parameters()).dtype

    @property
    def kind(self) -> str:
        return self.space.kind

    def to(self, device) -> "GeneratorHandle":
        self.net.to(device)
        if self.fixed_z is not None:
            self.fixed_z = self.fixed_z.to(device)
        return self

    # ---- noise and labels -------------------------------------------------------------------
    def latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise vectors from ``generator`` (CPU), or torch's global generator on the device."""
        return self.latent_spec.draw(n, generator=generator, device=self.device, dtype=self.dtype)

    def noise(self, n: int, seed: int = 0, truncation: float | None = None, start: int = 0) -> torch.Tensor:
        """Reproducible noise, rows ``start`` to ``start + n``: row ``i`` comes from its own generator keyed
        on ``(seed, i)``, so it is the same for any ``n``, any chunking and any split of the work over
        processes (one batched draw would not be: torch's CPU normal sampler takes another path for
        larger tensors)."""
        if n == 0:
            return self.latent(0)
        rows = []
        for i in range(start, start + n):
            gen = seeded(stream_seed(seed, "noise", i))
            z = self.latent(1, generator=gen)
            rows.append(z if truncation is None else self.latent_spec.truncate(z, truncation, generator=gen))
        return torch.cat(rows)

    def labels(self, n: int, labels=None, seed: int = 0, start: int = 0) -> torch.Tensor | None:
        """Class labels for ``n`` samples: as given (an int or a sequence), else drawn from ``seed``
        (rows ``start`` to ``start + n`` of that draw)."""
        if not self.num_classes:
            if labels is not None:
                raise WganError("--class needs a class-conditional run; this run's generator takes no labels")
            return None
        if labels is None:
            return torch.tensor([int(torch.randint(self.num_classes, (1,), generator=seeded(stream_seed(seed, "label", i))))
                                 for i in range(start, start + n)], dtype=torch.long)
        out = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        out = out.expand(n) if out.numel() == 1 else out
        if out.numel() != n:
            raise WganError(f"{out.numel()} labels for {n} samples")
        if ((out < 0) | (out >= self.num_classes)).any():
            raise WganError(f"--class must be in 0..{self.num_classes - 1}, got {out[(out < 0) | (out >= self.num_classes)][0].item()}")
        return out.clone()

    # ---- sampling ---------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Network-space samples, the network in eval mode (BatchNorm uses its running statistics)."""
        was_training = self.net.training
        self.net.eval()
        try:
            z = z.to(self.device, self.dtype)
            return self.net(z, None if labels is None else labels.to(self.device))
        finally:
            self.net.train(was_training)

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.to_data(x)

    def sample(self, n: int, labels=None, seed: int = 0, truncation: float | None = None,
               batch: int = 500) -> torch.Tensor:
        """``n`` samples in data space: points as float (N, 2), images as uint8 (N, C, H, W)."""
        z, y = self.noise(n, seed, truncation), self.labels(n, labels, seed)
        return self.decode(z, y, batch)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None, batch: int = 500) -> torch.Tensor:
        """The data-space samples of noise ``z`` (and ``labels``), in batches; non-finite ones refused."""
        # Each batch is checked and turned into its final type (uint8 for images) at once, so a large
        # count holds one batch of floats at a time, not all of them.
        chunks, bad = [], 0
        for start in range(0, len(z), batch):
            y = None if labels is None else labels[start:start + batch]
            x = self.to_data(self.generate(z[start:start + batch], y)).cpu()
            bad += count_nonfinite(x)
            if not bad:
                chunks.append(x.round().clamp(0, 255).to(torch.uint8) if self.kind == "image" else x.float())
        check_finite_samples(bad, len(z), self.step)
        if chunks:
            return torch.cat(chunks)
        return torch.empty((0, *self.space.shape), dtype=torch.uint8 if self.kind == "image" else torch.float32)


def count_nonfinite(x: torch.Tensor) -> int:
    """Samples of ``x`` with a NaN or infinite value."""
    return int((~torch.isfinite(x)).flatten(1).any(1).sum()) if x.numel() else 0


def check_finite_samples(bad: int, total: int, step: int) -> None:
    """Refuse samples with NaN or infinite values: they mean a diverged generator, not pictures."""
    if bad:
        raise NonFiniteSamples(f"the generator of step {step} gives non-finite values in {bad} of {total} samples "
                        "(the run diverged); nothing was written: sample an earlier checkpoint (--checkpoint)")


# ---- the generator file ----------------------------------------------------------------------------
def generator_info(model_cfg: ModelConfig, space: DataSpace, num_classes: int, step: int, ema: bool,
                   data_cfg: dict | None = None) -> dict:
    """The settings that rebuild a generator without its run: family, sizes, latent, classes, data space."""
    return {"format": FORMAT, "family": model_cfg.generator, "model": section_dict(model_cfg), "space": space.to_dict(),
            "num_classes": num_classes, "step": int(step), "ema": bool(ema), "data": data_cfg or {}}


def write_generator_file(path: Path, info: dict, generator: nn.Module, generator_ema: nn.Module | None,
                         fixed_z: torch.Tensor) -> Path:
    """``generator.*`` (and ``generator_ema.*``) weights, the fixed noise and ``info``, as safetensors."""
    tensors = {f"generator.{k}": v for k, v in generator.state_dict().items()}
    if generator_ema is not None:
        tensors.update({f"generator_ema.{k}": v for k, v in generator_ema.state_dict().items()})
    tensors["fixed_z"] = fixed_z
    return write_safetensors(path, tensors, metadata={META_KEY: json.dumps(info)})


def read_safetensors(path: Path, what: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """``(description, tensors)`` of a safetensors file this toolkit wrote (``what`` names it in errors)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise WganError(f"no {what} at {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types for truncated or corrupt files
        raise WganError(f"{path} is not a readable safetensors file (corrupt or truncated? {first_line(e, 120)})"
                        ) from None
    try:
        info = json.loads(metadata[META_KEY])
        assert isinstance(info, dict)
    except (KeyError, ValueError, AssertionError):
        raise WganError(f"{path} is a safetensors file but not {what} of this toolkit "
                        "(no wgan description in its metadata)") from None
    return info, tensors


def read_generator_file(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """``(info, tensors)`` of a generator file; anything else is a one-line :class:`WganError`."""
    info, tensors = read_safetensors(path, "a generator file")
    if info.get("format") != FORMAT or "space" not in info:
        raise WganError(f"{path} is not a generator file of this toolkit (format {info.get('format')!r})")
    return info, tensors


MAX_CLASSES = 100_000  # far above any labelled image set (ImageNet-21k has 21,841)


def handle_from_parts(info: dict, tensors: dict[str, torch.Tensor], ema: bool = True, source: str = "",
                      device="cpu") -> GeneratorHandle:
    """Rebuild the generator that ``info`` describes and load its weights (the EMA copy when there is one).

    The description may come from someone else's file: it is validated like a config, and the network
    is first built on the ``meta`` device (shapes, no memory) and compared with the file's tensors, so
    a description that does not match its weights is refused before anything real is allocated.
    """
    model, space, num_classes = check_description(info, source)
    prefix = "generator_ema." if ema and info.get("ema") and any(k.startswith("generator_ema.") for k in tensors) \
        else "generator."
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    samples = f"{'x'.join(map(str, space.shape))} images" if space.kind == "image" else "2-D points"
    check_weights_fit(model, space, num_classes, state, f"{source} (a {model.generator!r} generator of {samples})")
    from .models import build_generator

    net = build_generator(model, space.shape, num_classes)
    dtype = next(iter(state.values())).dtype if state else torch.float32
    net = net.to(dtype if dtype.is_floating_point else torch.float32)
    net.load_state_dict(state)
    fixed = tensors.get("fixed_z")
    if fixed is not None and (fixed.dim() != 2 or fixed.shape[1] != model.latent_dim):
        raise WganError(f"{source}: its fixed noise has shape {tuple(fixed.shape)}, expected (N, {model.latent_dim})")
    handle = GeneratorHandle(net.eval(), space, Latent(model.latent_dim, model.latent), num_classes,
                             fixed.to(net_dtype(net)) if fixed is not None else None, int(info.get("step", 0)), info)
    return handle.to(device)


def check_description(info: dict, source: str) -> tuple[ModelConfig, DataSpace, int]:
    """``(model settings, data space, class count)`` of a generator description, each checked as a
    config is (types, choices, ranges); anything else is one line naming the file and the setting."""
    try:
        model = info.get("model")
        if not isinstance(model, dict):
            raise WganError("it has no model settings")
        from .validation import check_model  # the registries of networks, layers and their options

        cfg = Config()
        cfg.update({"model": model})
        check_model(cfg.model)
        space = DataSpace.from_dict(info.get("space") if isinstance(info.get("space"), dict) else {})
        num_classes, step = info.get("num_classes", 0), info.get("step", 0)
        if type(num_classes) is not int or not 0 <= num_classes <= MAX_CLASSES:
            raise WganError(f"num_classes must be an integer in 0..{MAX_CLASSES}, got {num_classes!r}")
        if type(step) is not int or step < 0:
            raise WganError(f"step must be an integer >= 0, got {step!r}")
    except WganError as e:
        raise WganError(f"{source}: the generator description is refused: {e}") from None
    return cfg.model, space, num_classes


def check_weights_fit(model: ModelConfig, space: DataSpace, num_classes: int, state: dict[str, torch.Tensor],
                      what: str) -> None:
    """Refuse weights whose names or shapes differ from the network the description builds; the network
    is built on the ``meta`` device for this (shapes only), so a huge description costs no memory."""
    from .models import build_generator

    try:
        with torch.device("meta"):
            skeleton = build_generator(model, space.shape, num_classes)
    except WganError as e:
        raise WganError(f"{what}: {e}") from None
    except (ValueError, RuntimeError, TypeError) as e:  # a family that cannot take these sizes
        raise WganError(f"{what}: the description builds no network ({first_line(e, 160)})") from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected == found:
        return
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or extra:
        detail = (f"{len(missing)} weights missing (first: {missing[0]})" if missing else "") + \
                 ("; " if missing and extra else "") + (f"{len(extra)} unexpected (first: {extra[0]})" if extra else "")
    else:
        key = next(k for k in expected if expected[k] != found[k])
        detail = f"{key} is {found[key]} in the file, {expected[key]} in the description"
    raise WganError(f"{what}: the weights do not fit the description (a file from another family or a damaged "
                    f"description? {detail})")


def net_dtype(net: nn.Module) -> torch.dtype:
    return next(net.parameters()).dtype


def load_generator(source: str | os.PathLike, checkpoint: str | int = "last", device="cpu",
                   ema: bool = True) -> GeneratorHandle:
    """A run's generator from its run folder (``checkpoint``: last, best or a step) or from a generator file.

    Needs neither the training data nor the critic nor the optimisers. ``ema=False``
    takes the trained weights instead of their moving average (when the run kept one).
    """
    source = Path(source)
    if source.is_file():
        info, tensors = read_generator_file(source)
        return handle_from_parts(info, tensors, ema, str(source), device)
    from .run_folder import RunFolder, check_run_dir

    run_dir = check_run_dir(source)
    pt, gen = RunFolder(run_dir).checkpoint_files(checkpoint)
    if gen.is_file():
        info, tensors = read_generator_file(gen)
        return handle_from_parts(info, tensors, ema, str(gen), device)
    return _from_training_checkpoint(run_dir, pt, ema, device)


def _from_training_checkpoint(run_dir: Path, pt: Path, ema: bool, device) -> GeneratorHandle:
    """The generator of a ``.pt`` (runs from before generator files; only the toys' data is rebuilt)."""
    from .checkpoint import load_checkpoint

    state = load_checkpoint(pt)
    info = state.get("generator_info")
    if not isinstance(info, dict):
        raise WganError(f"{pt} predates generator files and holds no description of its generator; "
                        "resume the run once (wgan train --resume) to write one")
    tensors = {f"generator.{k}": v for k, v in state["generator"].items()}
    if "generator_ema" in state:
        tensors.update({f"generator_ema.{k}": v for k, v in state["generator_ema"].items()})
    tensors["fixed_z"] = state["fixed_z"]
    return handle_from_parts(info, tensors, ema, str(pt), device)
