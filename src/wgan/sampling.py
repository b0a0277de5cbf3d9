"""Drawing samples from a trained generator and writing them where the user asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import WganError
from .files import write_npz


@dataclass
class Samples:
    kind: str  # "toy" or "image"
    values: np.ndarray  # toy: (N, 2) float in data coordinates; image: (N, H, W, C) uint8
    labels: np.ndarray | None = None
    step: int = 0  # the generator step the samples come from
    reference: np.ndarray | None = None  # toy: real points drawn beside the samples in a picture


def draw_samples(trainer, n: int, seed: int = 0, class_: int | None = None, batch: int = 500) -> Samples:
    """``n`` samples in data coordinates from the run's (EMA) generator, noise seeded by ``seed``."""
    labels = None
    if trainer.num_classes:
        if class_ is not None and not 0 <= class_ < trainer.num_classes:
            raise WganError(f"--class must be in 0..{trainer.num_classes - 1}, got {class_}")
        gen = torch.Generator().manual_seed(seed + 1)
        labels = (torch.full((n,), class_) if class_ is not None
                  else torch.randint(0, trainer.num_classes, (n,), generator=gen))
    elif class_ is not None:
        raise WganError("--class needs a class-conditional run; this run's generator takes no labels")
    z = trainer.latent(n, generator=torch.Generator().manual_seed(seed))
    chunks = []
    for start in range(0, n, batch):
        y = None if labels is None else labels[start:start + batch]
        chunks.append(trainer.data.to_data(trainer.generate(z[start:start + batch], y)).cpu())
    x = torch.cat(chunks)
    check_finite_samples(x, trainer.step)
    if trainer.data.kind == "toy":
        return Samples("toy", x.numpy(), step=trainer.step,
                       reference=trainer.data.reference(min(n, 2000), seed=seed)[0].numpy())
    images = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()  # NCHW -> NHWC
    return Samples("image", images, None if labels is None else labels.numpy(), step=trainer.step)


def check_finite_samples(x: torch.Tensor, step: int) -> None:
    """Refuse samples with NaN or infinite values: they mean a diverged generator, not pictures."""
    bad = int((~torch.isfinite(x)).flatten(1).any(1).sum())
    if bad:
        raise WganError(f"the generator of step {step} gives non-finite values in {bad} of {len(x)} samples "
                        "(the run diverged); nothing was written: sample an earlier checkpoint")


def write_samples(samples: Samples, out: Path) -> Path:
    out = Path(out)
    if out.suffix == ".npz":
        arrays = {"samples": samples.values} if samples.kind == "toy" else {"images": samples.values}
        if samples.labels is not None:
            arrays["labels"] = samples.labels
        return write_npz(out, arrays)
    if out.suffix == ".png":
        if samples.kind == "toy":
            from .plots.toy import plot_scatter_snapshots

            return plot_scatter_snapshots(samples.reference, [(samples.step, samples.values)], out)
        from .plots.images import save_grid

        return save_grid(samples.values, out)
    if out.suffix:
        raise WganError(f"--out {out}: unknown kind {out.suffix!r}; accepted: FILE.npz, FILE.png or a folder")
    if samples.kind == "toy":
        raise WganError("2-D samples are points, not images: write them to FILE.npz or FILE.png")
    from .plots.images import save_folder

    return save_folder(samples.values, out)


def draw_class_grid(trainer, per_class: int, seed: int = 0) -> np.ndarray:
    """(K, per_class, H, W, C) uint8: every class drawn from the same ``per_class`` noise vectors,
    so that a row of the grid shows one style across all classes (S1's grid)."""
    z = trainer.latent(per_class, generator=torch.Generator().manual_seed(seed))
    rows = []
    for k in range(trainer.num_classes):
        x = trainer.data.to_data(trainer.generate(z, torch.full((per_class,), k))).cpu()
        rows.append(x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.stack(rows)

