"""How a training session ends a process: one library exception type, ProcessExit, for the ways a
data-parallel run ends one on purpose; the command line only prints it."""

import pytest
from click.testing import CliRunner

from wgan.errors import ProcessExit
from wgan.training.session import session


class FakeRuntime:
    def __init__(self, distributed: bool):
        self.distributed, self.closed = distributed, None

    def close(self, finished: bool) -> None:
        self.closed = finished


def test_a_collective_that_loses_its_peers_becomes_a_one_line_exit_on_every_rank():
    runtime = FakeRuntime(distributed=True)
    with pytest.raises(ProcessExit) as ended:
        with session(runtime):
            raise RuntimeError("[../gloo/transport/tcp/pair.cc:534] Connection closed by peer [127.0.0.1]:29500")
    assert ended.value.code == 1 and ended.value.every_rank
    assert ended.value.message.startswith("stopped: lost contact with the other processes (")
    assert runtime.closed is False  # left at once, not together


@pytest.mark.parametrize("distributed,error", [(False, RuntimeError("gloo: connection closed")),
                                               (True, RuntimeError("a bug of ours"))])
def test_other_errors_keep_their_type_and_traceback(distributed, error):
    runtime = FakeRuntime(distributed)
    with pytest.raises(RuntimeError):
        with session(runtime):
            raise error
    assert runtime.closed is False


@pytest.mark.parametrize("rank,exit_,expected", [
    (None, ProcessExit(130, "stopped by SIGINT at step 4"), "wgan: stopped by SIGINT at step 4"),
    ("1", ProcessExit(130, "stopped by SIGINT at step 4"), ""),  # rank 0 says it
    ("1", ProcessExit(1, "stopped: lost contact", every_rank=True), "wgan: rank 1: stopped: lost contact"),
    ("1", ProcessExit(2), ""),  # another process names the failure
])
def test_the_command_line_prints_a_process_exit_by_its_policy(monkeypatch, rank, exit_, expected):
    import click

    from wgan.cli.group import WganGroup

    if rank is not None:
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("WORLD_SIZE", "2")

    @click.group(cls=WganGroup)
    def group():
        pass

    @group.command()
    def end():
        raise exit_

    result = CliRunner().invoke(group, ["end"])
    assert result.exit_code == exit_.code
    assert result.output.strip() == expected
