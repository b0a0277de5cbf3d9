"""The ``wgan`` group and how it ends: every problem a user can fix is one line on stderr and exit
status 2. Each command is a module of its own beside this one and adds itself to the group
(``@main.command()``), so the list of commands is the modules that are imported."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from ..errors import CollectiveError, ProcessExit, WganError
from ..files import write_error
from ..training.launch_env import launch_rank


class WganGroup(click.Group):
    """Turns usage errors and WganError into one line and exit status 2 (no traceback).

    Under torchrun every process runs this; an error that all processes reach alike
    (:class:`~wgan.errors.CollectiveError`) is reported by rank 0 only, any other names
    the rank it happened on, and a process that stops because another one failed says
    so in one line.
    """

    def main(self, args=None, prog_name=None, **extra):
        rank = launch_rank()
        warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
        if rank:
            warnings.simplefilter("ignore")  # rank 0 says it once
        where = f"rank {rank}: " if rank else ""
        try:
            return super().main(args=args, prog_name=prog_name or "wgan", standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except ProcessExit as e:  # a stop signal obeyed, another process's failure, lost contact
            if e.message is not None and (e.every_rank or not rank):
                click.echo(f"wgan: {where if e.every_rank else ''}{e.message}", err=True)
            sys.exit(e.code)
        except click.UsageError as e:
            if not rank:
                command = e.ctx.command_path if e.ctx else "wgan"
                click.echo(f"{command}: error: {e.format_message()}", err=True)
            sys.exit(2)
        except (WganError, click.ClickException) as e:
            message = e.format_message() if isinstance(e, click.ClickException) else str(e)
            if not (rank and isinstance(e, CollectiveError)):
                click.echo(f"wgan: error: {where}{message}", err=True)
            sys.exit(2)
        except OSError as e:  # a file the toolkit reads or writes outside its own checks (a full disk, ...)
            click.echo(f"wgan: error: {where}{write_error(Path(e.filename or '?'), e)}", err=True)
            sys.exit(2)


@click.group(cls=WganGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wgan")
def main():
    """Train, inspect and evaluate Wasserstein GANs.

    \b
    wgan presets                       list the ready-made configurations
    wgan train                         train WGAN-GP on the embedded MNIST digits
    wgan train --preset NAME           train a preset (2-D toys, the five tutorial presets, ...)
    wgan sample RUN_DIR --n N --out F  draw samples from a trained run
    wgan eval RUN_DIR                  measure it
    wgan data prepare FOLDER --out F   decode an image folder once, for --data
    """
