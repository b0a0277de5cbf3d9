"""Running the ``wgan`` command inside a test."""

from pathlib import Path

from click.testing import CliRunner

from wgan.cli import main

# A 2-D run of 4 steps that takes about a second.
TINY = ["--set", "model.width=16", "--set", "model.depth=2", "--steps", "4", "--batch-size", "32",
        "--n-critic", "2", "--set", "train.log_every=2", "--set", "train.sample_every=2",
        "--set", "train.checkpoint_every=2", "--device", "cpu", "--no-progress"]


def run(*args) -> tuple[int, str]:
    """``wgan ARGS...`` in this process: (exit status, stdout and stderr)."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def train_toy(out: Path, *extra) -> Path:
    """``wgan train`` of the TINY 8gaussians run (plus ``extra`` flags) into ``out``; its run folder."""
    code, output = run("train", "--preset", "wgan-gp-8gaussians", "--out", out, *TINY, *extra)
    assert code == 0, output
    (run_dir,) = out.iterdir()
    return run_dir
