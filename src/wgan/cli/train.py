"""``wgan train``: flags, then a new run or a resumed one (wgan.training.session)."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import click

from ..config_layers import DEFAULT_PRESET, RESUMABLE, build_config, preset_notes
from ..errors import WganError
from ..precision import PRECISIONS
from ..run_folder import next_run_dir
from ..training import session
from .shared_flags import LazyHelp
from .group import main
from .train_flags import settings_from, train_flags


def flag_options(command):
    """The click options of :func:`~wgan.cli.train_flags.train_flags`, in their order in ``--help``."""
    for flag in reversed(train_flags()):
        command = click.option(flag.name, flag.param, type=flag.type, is_flag=flag.is_flag,
                               default=None, cls=LazyHelp, help=flag.help)(command)
    return command


def epilog() -> str:
    """The text after the options: paragraphs click keeps as written (each marked with \\b), the names
    of precisions read from their registry."""
    paragraphs = [
        "Order of the layers, each over the one before:\n"
        "  1. the defaults;  2. --config FILE;  3. --preset NAME ({} when neither\n"
        "  --config nor --preset is given);  4. the flags above;  5. --set KEY=VALUE, in order.".format(DEFAULT_PRESET),
        "With --resume the run's own config.yaml is the base, and flags and --set may change\n"
        "only what does not change what is trained:\n  "
        + textwrap.fill(", ".join(key.split(".", 1)[1] for key in RESUMABLE), 88, subsequent_indent="  ")
        + "\nEach change is recorded in config.yaml's history; anything else is refused.",
        f"Speed options (--set): train.precision ({', '.join(PRECISIONS.names())} or auto), train.channels_last,\n"
        "train.matmul_conv, train.fused_resample, train.threads, and train.cuda_graph (auto, on;\n"
        "off by default: not yet measured on a GPU).",
        "SIGTERM, Ctrl-C and SIGUSR1 (train.stop_signals) stop after the step in flight with the\n"
        "state at that step saved, and exit with 128 + the signal's number (143, 130, 138).",
        "Under torchrun (torchrun --nproc_per_node N -m wgan train ...) train.batch_size is the\n"
        "global batch, split evenly over the processes; only rank 0 writes the run folder.",
    ]
    return "\n\n".join("\b\n" + paragraph for paragraph in paragraphs)


@main.command(epilog=epilog())
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="A config file as the base: a run's config.yaml or a hand-written partial one.")
@click.option("--preset", help=f"Start from a preset (see `wgan presets`); default {DEFAULT_PRESET}.")
@flag_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True,
              help="Folder that holds the run folders.")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run in this run folder.")
@click.option("--checkpoint", default="last", show_default=True,
              help="With --resume: which weights to continue from: last, best or a step number the run kept.")
@click.option("--allow-batch-change", is_flag=True,
              help="With --resume: allow a different train.batch_size (refused otherwise).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Set any config key, e.g. --set train.log_every=10 --set model.width=256 (repeatable).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and where the run would be written, "
              "then exit (no data is loaded and nothing is written).")
def train(config_file, preset, out, resume, checkpoint, allow_batch_change, overrides, no_progress, dry_run,
          **flags):
    """Train a GAN; writes a run folder runs/NNNN-<data>-<objective>[-<name>]/.

    Flags override the preset; --set overrides any config key (config.yaml in a run folder lists them all).
    """
    settings = settings_from({flag.name: flags[flag.param] for flag in train_flags()}, overrides)
    if resume is not None:
        if config_file is not None or preset is not None:
            raise WganError("--resume continues a run from its own config.yaml; --config and --preset start new "
                            "runs (use --config RUN/config.yaml for a new run like it)")
        if dry_run:
            click.echo(session.describe_resume(resume, settings, checkpoint, allow_batch_change))
            return
        session.train_resume(resume, settings, checkpoint, allow_batch_change, progress=not no_progress,
                             echo=click.echo)
        return
    if checkpoint != "last" or allow_batch_change:
        raise WganError("--checkpoint and --allow-batch-change go with --resume")
    cfg = build_config(config_file, preset, settings)
    recipe, cautions = preset_notes(cfg, preset is not None, config_file is not None, flags["data"] is not None)
    if recipe:
        click.echo(recipe, err=True)
    for message in cautions:
        warnings.warn(message)
    if dry_run:
        run_dir = next_run_dir(out, cfg)
        click.echo(session.describe_run(cfg, run_dir, f"would write a new run folder {run_dir} (its number is "
                                                      "taken when it starts)"))
        return
    session.train_new(cfg, out, progress=not no_progress, echo=click.echo)
