"""``wgan presets``: every preset with its one-line description."""

from __future__ import annotations

import click

from ..presets import PRESETS
from .group import main


@main.command()
def presets():
    """List every preset with a one-line description."""
    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        click.echo(f"{name:<{width}}  {preset.description}")
