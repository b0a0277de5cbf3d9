"""``wgan video``, ``wgan interpolate`` and ``wgan export``: what is made of a trained generator."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import WganError
from ..run_folder import check_run_dir
from ..tools.export import FORMATS, export_generator
from ..tools.interpolate import write_interpolation
from ..tools.video import check_fps, make_video
from . import shared_flags as flags
from .group import main


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="FILE.mp4 or FILE.gif (default: plots/progress.mp4 "
              "when ffmpeg is available to imageio, else .gif).")
@click.option("--iterations-per-second", type=float, default=250, show_default=True,
              help="Training iterations per second of video (the AC-WGAN MNIST tutorial uses 250).")
@click.option("--fps", type=float, help="Frame rate of an MP4.")
@click.option("--checkpoint", help="End the video at this checkpoint's step: best or a kept step (default: the end).")
def video(run_dir, out, iterations_per_second, fps, checkpoint):
    """Render the fixed-noise sample grids of a finished or running image run into a video."""
    run_dir = check_run_dir(run_dir)
    until = flags.generator(run_dir, checkpoint, "cpu").step if checkpoint not in (None, "last") else None
    path = make_video(run_dir, out=out, fps=fps, iterations_per_second=iterations_per_second, until_step=until)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=flags.RegistryChoice(FORMATS), required=True, cls=flags.LazyHelp,
              help=lambda: FORMATS.help(lambda f: f.summary) + ".")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The file to write (.pt, .onnx).")
@flags.CHECKPOINT
def export(run_dir, fmt, out, checkpoint):
    """Export the generator as a file that runs without this toolkit.

    Input z (N, latent_dim) float32 and, for a conditional run, labels (N,) int64; output the
    samples as `wgan sample` writes them: uint8 (N, C, H, W) images or float (N, 2) points.
    """
    click.echo(f"wrote {export_generator(flags.generator(run_dir, checkpoint, 'cpu'), out, fmt)}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="FILE.png (a grid: one walk per row), FILE.gif or FILE.mp4 (a loop through the seeds).")
@click.option("--seeds", default="0,1,2,3", show_default=True,
              help="Comma-separated seeds; their noise (as `wgan sample --seed S`) are the end points.")
@click.option("--frames", type=int, default=10, show_default=True, help="Images per walk between two seeds.")
@click.option("--class", "class_", type=int, help="Conditional runs: walk in this class (default: every class).")
@click.option("--fps", type=float, default=10.0, show_default=True, help="Frames per second of a GIF or MP4.")
@flags.CHECKPOINT
def interpolate(run_dir, out, seeds, frames, class_, fps, checkpoint):
    """Walk the latent space between seeds (spherical interpolation), per class for conditional runs."""
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise WganError(f"--seeds expects integers separated by commas, got {seeds!r}") from None
    check_fps(fps)
    handle = flags.generator(run_dir, checkpoint, "cpu")
    click.echo(f"wrote {write_interpolation(handle, out, seed_list, frames, class_, fps)}")
