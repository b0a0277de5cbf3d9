"""``wgan report`` (one HTML page) and ``wgan compare`` (one figure) of runs side by side."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import WganError
from ..tools.report import load_runs, write_compare_figure, write_report
from .group import main


def _suffix(out: Path, suffix: str) -> None:
    if out.suffix.lower() != suffix:
        raise WganError(f"--out {out}: expected a {suffix} file")


@main.command()
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True,
              help="The HTML file to write.")
def report(run_dirs, out):
    """One self-contained HTML page (images embedded, no network) of one run or several side by side.

    \b
    Results: final training numbers, the latest evaluation and the best checkpoint, a column per run.
    Curves: losses, Wasserstein estimate, penalty, gradient norm, evaluations, the runs overlaid.
    Samples: final grids next to each other; grids over training; the 2-D views.
    Config: the resolved settings, those that differ between the runs highlighted.
    """
    _suffix(out, ".html")
    click.echo(f"wrote {write_report(load_runs(run_dirs), out)}")


@main.command()
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("compare.png"), show_default=True,
              help="The PNG file to write.")
def compare(run_dirs, out):
    """A figure for papers and slides: the runs' curves overlaid and their final samples side by side."""
    _suffix(out, ".png")
    click.echo(f"wrote {write_compare_figure(load_runs(run_dirs), out)}")
