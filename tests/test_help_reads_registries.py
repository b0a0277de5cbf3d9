"""Every list of choices on the command line is a registry's: a Choice offers its names, and the help of
`wgan train` names what the registries hold (a newly registered choice is offered at once)."""

import click
from click.testing import CliRunner

from wgan.cli import main
from wgan.cli.shared_flags import RegistryChoice
from wgan.methods.lipschitz import LIPSCHITZ_METHODS
from wgan.methods.objectives import OBJECTIVES
from wgan.models import GENERATORS
from wgan.precision import PRECISIONS


def commands(group: click.Group, path=("wgan",)):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def test_every_choice_on_the_command_line_is_a_registrys():
    found = 0
    for path, command in commands(main):
        for param in command.params:
            if isinstance(param.type, click.Choice):
                found += 1
                assert isinstance(param.type, RegistryChoice), f"{' '.join(path)} {param.name}: a hand-written Choice"
                assert list(param.type.choices) == param.type.registry.names()
    assert found >= 4  # export --format, eval/stats --features, weights fetch/install NAME


def test_a_choice_registered_later_is_offered_at_once():
    from wgan.tools.export import FORMATS, Format

    with FORMATS.override("pickle-free", Format("a test's format", lambda *a: None)):
        result = CliRunner().invoke(main, ["export", "--help"])
    assert "pickle-free (a test's format)" in result.output


def test_train_help_names_what_the_registries_hold_and_shows_no_markers():
    text = CliRunner().invoke(main, ["train", "--help"], terminal_width=200).output
    assert "\\b" not in text and "\b" not in text
    for registry in (OBJECTIVES, LIPSCHITZ_METHODS, GENERATORS, PRECISIONS):
        for name in registry.names():
            assert name in text, (registry, name)
