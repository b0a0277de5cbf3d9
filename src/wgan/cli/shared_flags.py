"""Flags several commands share; their choices and help read the registries."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEVICE_HELP
from ..evaluation.protocols import PROTOCOLS
from ..features import FEATURE_SPACES
from ..handle import load_generator


class LazyHelp(click.Option):
    """An option whose help text (a function) is made when ``--help`` is shown, so that it lists what
    is registered then, a component registered after this module was imported included."""

    def __init__(self, *args, help=None, **kwargs):
        self.make_help = help if callable(help) else None
        super().__init__(*args, help=None if callable(help) else help, **kwargs)

    def get_help_record(self, ctx):
        if self.make_help is not None:
            self.help = self.make_help()
        return super().get_help_record(ctx)


class RegistryChoice(click.Choice):
    """A choice among a registry's names as they are when the command runs."""

    def __init__(self, registry):
        self.registry = registry
        super().__init__(registry.names())

    @property
    def choices(self):
        return tuple(self.registry.names())

    @choices.setter
    def choices(self, value):  # click sets it once; the registry stays the source
        pass


CHECKPOINT = click.option(
    "--checkpoint", default="last", show_default=True,
    help="Which weights of the run: last, best (by train.eval_every's evaluations) or a step number that the "
    "run kept (train.keep_checkpoints).")
DEVICE = click.option("--device", default="auto", show_default=True, help=f"{DEVICE_HELP} (sampling needs no GPU).")


def protocol_help() -> str:
    return f"How to measure: {PROTOCOLS.help(lambda p: p.description)}. Result names end with it."


FEATURES = click.option(
    "--features", type=RegistryChoice(FEATURE_SPACES), default=None, cls=LazyHelp,
    help=lambda: f"Feature space of the image metrics: {FEATURE_SPACES.help(lambda space: space.summary)}. Default: "
    "the protocol's, else the first.")
INCEPTION_WEIGHTS = click.option("--inception-weights", type=click.Path(path_type=Path),
                                 help="Inception weights file for --features inception (or set "
                                 "WGAN_INCEPTION_WEIGHTS).")


def generator(source: Path, checkpoint: str, device: str):
    """The generator of a run folder (at ``checkpoint``) or of a generator file, on ``device``."""
    from ..devices import pick_device

    return load_generator(source, checkpoint, device=pick_device(device))
