"""``wgan sample``: draw samples from a trained run or a generator file."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import WganError
from ..latent import check_truncation
from ..plots.images import save_class_grid
from ..sampling import draw_class_grid, draw_samples, write_samples
from . import shared_flags as flags
from .group import main


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=1000, show_default=True, help="Number of samples.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="FILE.npz (arrays), FILE.png (a picture), or a folder (one PNG per image sample).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latent noise.")
@click.option("--class", "class_", type=int, help="Class to generate (conditional runs).")
@click.option("--truncation", type=float, metavar="PSI",
              help="Redraw every noise coordinate beyond PSI standard deviations (PSI > 0; the truncation "
              "trick): cleaner, more typical samples at the cost of variety; smaller PSI trades more.")
@flags.CHECKPOINT
@flags.DEVICE
def sample(run_dir, n, out, seed, class_, truncation, checkpoint, device):
    """Draw samples from a trained run (or a generator file); needs no training data.

    For a class-conditional run, FILE.png without --class is a class grid: one column per class,
    the same noise along each row (about N / classes rows).
    """
    if n <= 0:
        raise WganError(f"--n must be positive, got {n}")
    check_truncation(truncation)  # before the generator is loaded
    handle = flags.generator(run_dir, checkpoint, device)
    if handle.num_classes and class_ is None and out.suffix == ".png":
        grid = draw_class_grid(handle, per_class=max(1, n // handle.num_classes), seed=seed, truncation=truncation)
        click.echo(f"wrote {save_class_grid(grid, out)}")
        return
    samples = draw_samples(handle, n, seed=seed, class_=class_, truncation=truncation)
    click.echo(f"wrote {write_samples(samples, out)}")
