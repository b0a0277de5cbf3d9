"""``wgan plot``: a run's figures drawn again from its metrics and a checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from ..training.figures import redraw_figures
from . import shared_flags as flags
from .group import main


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@flags.CHECKPOINT
def plot(run_dir, checkpoint):
    """(Re)draw a run's figures into RUN_DIR/plots from its metrics and a checkpoint (no data needed)."""
    for path in redraw_figures(run_dir, checkpoint):
        click.echo(f"wrote {path}")
