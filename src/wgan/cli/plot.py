"""``wgan plot``: a run's figures drawn again from its metrics and a checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from ..training.artifacts import build_artifacts
from ..training.trainer import Trainer
from . import options
from .group import main


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@options.CHECKPOINT
def plot(run_dir, checkpoint):
    """(Re)draw a run's figures into RUN_DIR/plots from its metrics and a checkpoint (no image data needed)."""
    handle = options.generator(run_dir, checkpoint, "cpu")
    training = None
    if handle.kind == "toy":  # the critic's figures: the 2-D data are made, not read, so this is cheap
        trainer = Trainer.resume(run_dir, progress=False, checkpoint=checkpoint)
        handle, training = trainer.handle(), trainer.algorithm
    for path in build_artifacts(handle.kind, run_dir).finish(handle, training):
        click.echo(f"wrote {path}")
