"""A stop signal loses nothing: SIGTERM, SIGUSR1 and Ctrl-C save the step reached, under torchrun too."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from wgan.checkpoint import load_checkpoint
from wgan.config import signal_names
from wgan.errors import WganError
from wgan.files import stray_temporaries
from wgan.training.loop import STOP_CHECK_EVERY, Callback
from wgan.training.stopping import Stopped
from wgan.training.trainer import Trainer


def toy_run(steps: int = 1_000_000, checkpoint_every: int = 100_000) -> list[str]:
    """A 2-D run that would train for hours, saving only every 100,000 steps: what a stop must not lose."""
    return ["train", "--preset", "wgan-gp-8gaussians", "--set", "model.width=16", "--set", "model.depth=2",
            "--batch-size", "32", "--n-critic", "2", "--steps", str(steps), "--set", "train.log_every=5",
            "--set", "train.sample_every=100000", "--set", f"train.checkpoint_every={checkpoint_every}",
            "--set", "train.threads=1", "--device", "cpu", "--no-progress"]


LONG = toy_run()
STOPPED = re.compile(r"wgan: stopped by (SIG\w+) at step (\d+); the state at that step is saved; continue with: "
                     r"wgan train --resume (\S+)")


def wgan(*args) -> list[str]:
    return [sys.executable, "-m", "wgan", *map(str, args)]


def start_and_signal(command, out: Path, signum: int, after_steps: int = 20, timeout: float = 120):
    """Start ``command``, send ``signum`` once metrics.jsonl records ``after_steps``, return the finished process."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        logs = list(out.glob("*/metrics.jsonl"))
        if logs and len(logs[0].read_text().splitlines()) * 5 >= after_steps:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr


def params(state: dict) -> list[torch.Tensor]:
    return [*state["generator"].values(), *state["critic"].values()]


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGUSR1, 138)])
def test_a_signal_saves_the_step_reached_and_the_resumed_run_continues_exactly(tmp_path, signum, code):
    out = tmp_path / "runs"
    returncode, _, stderr = start_and_signal(wgan(*LONG, "--out", out), out, signum)
    assert returncode == code, stderr[-2000:]
    found = STOPPED.search(stderr)
    assert found and found.group(1) == signal.Signals(signum).name, stderr[-2000:]
    step, run_dir = int(found.group(2)), Path(found.group(3))
    assert step >= 20
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    assert state["step"] == step
    assert (run_dir / "checkpoints" / "generator.safetensors").is_file()
    logged = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["step"] == step  # the steps since the last log line were logged too

    total = step + 7
    resumed = subprocess.run(wgan("train", "--resume", run_dir, "--steps", total, "--no-progress"),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    straight = subprocess.run(wgan(*toy_run(total), "--out", tmp_path / "straight"), capture_output=True, text=True,
                              timeout=120)
    assert straight.returncode == 0, straight.stderr[-2000:]
    (straight_dir,) = (tmp_path / "straight").iterdir()
    a = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    b = load_checkpoint(straight_dir / "checkpoints" / "last.pt")
    assert a["step"] == b["step"] == total
    assert all(torch.equal(x, y) for x, y in zip(params(a), params(b)))


@pytest.mark.slow
def test_under_torchrun_a_signal_to_the_launcher_saves_once_and_every_process_ends(tmp_path):
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "wgan",
               *LONG, "--out", out]
    started = time.time()
    returncode, stdout, stderr = start_and_signal(command, out, signal.SIGTERM, after_steps=20, timeout=180)
    assert time.time() - started < 240
    (run_dir,) = out.iterdir()
    found = STOPPED.findall(stderr)
    assert len(found) == 1, stderr[-3000:]  # rank 0 says it, once
    step = int(found[0][1])
    assert step % STOP_CHECK_EVERY == 0  # the processes agree at the same steps
    assert load_checkpoint(run_dir / "checkpoints" / "last.pt")["step"] == step
    assert returncode != 0
    assert not stray_temporaries(run_dir)


class SignalAt(Callback):
    """Sends this process ``signum`` after step ``step`` (as a scheduler would, from outside)."""

    def __init__(self, step: int, signum: int):
        self.step, self.signum = step, signum

    def on_step(self, view):
        if view.state.step == self.step:
            os.kill(os.getpid(), self.signum)


def test_a_signal_in_process_stops_after_the_update_in_flight_and_restores_the_handler(tiny_toy_config, tmp_path):
    trainer = Trainer(tiny_toy_config, tmp_path / "run", progress=False)
    before = signal.getsignal(signal.SIGUSR1)
    callbacks = trainer.callbacks(100)
    with pytest.raises(Stopped) as stopped:
        trainer.loop.run_until(100, [*callbacks, SignalAt(4, signal.SIGUSR1)], trainer.view())
    assert stopped.value.step == 4 and stopped.value.code == 138
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == 4
    assert signal.getsignal(signal.SIGUSR1) is before


def test_stop_signals_can_leave_a_signal_alone(tiny_toy_config, tmp_path):
    tiny_toy_config.train.stop_signals = ["SIGTERM"]
    trainer = Trainer(tiny_toy_config, tmp_path / "run", progress=False)
    seen = []
    previous = signal.signal(signal.SIGUSR2, lambda *a: seen.append(1))
    try:
        trainer.loop.run_until(6, [*trainer.callbacks(6), SignalAt(2, signal.SIGUSR2)], trainer.view())
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert seen == [1] and trainer.state.step == 6  # SIGUSR2 kept its own handler; training went on


def test_signal_names_are_checked_and_made_canonical():
    assert signal_names(["term", "SIGUSR1", "int"]) == ["SIGTERM", "SIGUSR1", "SIGINT"]
    with pytest.raises(WganError, match="unknown signal 'SIGKILL'.*accepted: SIGTERM"):
        signal_names(["SIGKILL"])


def test_a_bad_stop_signal_is_refused_before_training(tmp_path):
    from cli_helpers import run

    code, output = run("train", "--preset", "wgan-gp-8gaussians", "--set", "train.stop_signals=[SIGSTOP]",
                       "--out", tmp_path)
    assert code == 2 and "unknown signal 'SIGSTOP'" in output
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_every_temporary_name_a_killed_save_can_leave_is_removed_on_resume(tmp_path):
    from cli_helpers import run, train_toy

    run_dir = train_toy(tmp_path / "runs")
    strays = [run_dir / "checkpoints" / ".last.pt.k3j2h1.wgan-tmp",  # this writer's
              run_dir / "checkpoints" / ".last.pt.abc123.tmp",  # its earlier versions'
              run_dir / "checkpoints" / ".tmpAbC123",  # safetensors' own save_file
              run_dir / "samples" / ".step_0000004.png.x1.wgan-tmp.png"]
    for path in strays:
        path.write_bytes(b"half a file")
    assert len(stray_temporaries(run_dir)) == 4
    code, output = run("train", "--resume", run_dir, "--steps", 6, "--no-progress")
    assert code == 0, output
    assert not stray_temporaries(run_dir) and not any(p.exists() for p in strays)


@pytest.mark.slow
def test_kill_9_during_saves_then_resume_leaves_no_temporary_file(tmp_path):
    """Checkpoints at every step, so a kill lands in a save most of the time."""
    out = tmp_path / "runs"
    command = wgan(*toy_run(checkpoint_every=1), "--out", out)
    returncode, _, _ = start_and_signal(command, out, signal.SIGKILL, after_steps=10)
    assert returncode == -signal.SIGKILL
    (run_dir,) = out.iterdir()
    for delay in (0.7, 1.3):
        proc = subprocess.Popen(wgan("train", "--resume", run_dir, "--no-progress"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay + 2.0)  # past the start-up, into the saves
        proc.kill()
        proc.wait()
    last = load_checkpoint(run_dir / "checkpoints" / "last.pt")["step"]
    done = subprocess.run(wgan("train", "--resume", run_dir, "--steps", last + 3, "--no-progress"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not stray_temporaries(run_dir)
