"""``wgan plot``: a run's figures drawn again from its folder alone.

The curves come from ``metrics.jsonl``, the samples from the generator file; a 2-D run's critic
views also need the critic, the trained generator and its optimiser, which are rebuilt from
``config.yaml`` and read from a checkpoint. No data is loaded and no Trainer is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..checkpoint import load_checkpoint
from ..config import Config
from ..handle import load_generator
from ..methods.lipschitz import build_lipschitz
from ..methods.objectives import build_objective
from ..models import build_critic, build_generator
from ..run_folder import RunFolder, check_run_dir
from ..validation import resolved
from .artifacts import build_artifacts
from .optim import build_optimizers


@dataclass
class CriticViews:
    """What a 2-D run's critic figures read of training (``ToyArtifacts.finish``'s ``training``)."""

    generator: nn.Module  # the trained weights, not their average: the figures show one generator update
    critic: nn.Module
    opt_g: torch.optim.Optimizer
    objective: object


def critic_views(run_dir: Path, checkpoint: str | int, shape: tuple, num_classes: int) -> CriticViews:
    """The networks and the generator's optimiser of ``run_dir`` at ``checkpoint``, on the CPU in fp32."""
    folder = RunFolder(run_dir)
    cfg = resolved(Config.load(folder.config))
    pt, _ = folder.checkpoint_files(checkpoint)
    state = load_checkpoint(pt)
    generator = build_generator(cfg.model, shape, num_classes)
    critic = build_lipschitz(cfg.loss).prepare(build_critic(cfg.model, shape, num_classes))
    generator.load_state_dict(state["generator"])  # copied into the fp32 parameters, whatever was trained
    critic.load_state_dict(state["critic"])
    opt_g, _ = build_optimizers(cfg, generator, critic, torch.device("cpu"))
    opt_g.load_state_dict(state["opt_g"])
    return CriticViews(generator, critic, opt_g, build_objective(cfg.loss.objective))


def redraw_figures(run_dir: Path, checkpoint: str | int = "last") -> list[Path]:
    """Draw ``run_dir``'s figures into its ``plots/`` again (a 2-D run's critic views included); the
    paths written."""
    run_dir = check_run_dir(run_dir)  # a run folder (a generator file has no metrics to draw)
    handle = load_generator(run_dir, checkpoint, device="cpu")
    views = (critic_views(Path(run_dir), checkpoint, handle.space.shape, handle.num_classes)
             if handle.kind == "toy" else None)
    return build_artifacts(handle.kind, run_dir).finish(handle, views)
