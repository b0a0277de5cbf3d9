"""Nothing lost, nothing hidden: divergence, full disks, resume rules and bad input, end to end."""

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from cli_helpers import run

from wgan.checkpoint import load_checkpoint
from wgan.files import stray_temporaries
from wgan.training.algorithm import Totals
from wgan.training.loop import RunningSums
from wgan.training.runtime import Runtime
from wgan.training.trainer import Trainer, TrainingDiverged

TINY = ["--set", "model.width=16", "--set", "model.depth=2", "--batch-size", "32", "--n-critic", "2",
        "--set", "train.log_every=2", "--set", "train.sample_every=2", "--set", "train.checkpoint_every=2",
        "--device", "cpu", "--no-progress"]


def one_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith("warning:")]
    assert len(lines) == 1, out
    return lines[0]


@pytest.fixture
def trained_run(tmp_path):
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--out", tmp_path / "runs", "--steps", 4, *TINY)
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir


# ---- divergence never poisons the checkpoint ------------------------------------------------------
def _poison_adam_moment(trainer):
    """A non-finite optimiser moment: Adam then makes zero updates, so the losses stay finite."""
    param = next(iter(trainer.algorithm.opt_c.state))
    trainer.algorithm.opt_c.state[param]["exp_avg_sq"].fill_(float("inf"))


def test_non_finite_optimiser_state_stops_at_the_next_log_step(tiny_toy_config, tmp_path):
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    trainer.fit(3)  # its checkpoint at step 3
    good = (tmp_path / "checkpoints" / "last.pt").read_bytes()
    _poison_adam_moment(trainer)
    with pytest.raises(TrainingDiverged) as caught:
        trainer.fit(6)
    message = str(caught.value)
    assert "at step 4" in message and "opt_c.state" in message and "exp_avg_sq is not finite" in message
    assert "last.pt (step 3), is kept" in message
    assert (tmp_path / "checkpoints" / "last.pt").read_bytes() == good


def test_check_finite_always_stops_at_the_next_step(tiny_toy_config, tmp_path):
    tiny_toy_config.train.check_finite = "always"
    tiny_toy_config.train.log_every = 100
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    trainer.fit(3)
    _poison_adam_moment(trainer)
    with pytest.raises(TrainingDiverged, match="at step 4: opt_c"):
        trainer.fit(6)


def test_a_non_finite_state_is_never_saved_and_the_message_says_no_checkpoint_yet(tiny_toy_config, tmp_path):
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    with torch.no_grad():
        next(trainer.algorithm.generator_ema.parameters()).fill_(float("nan"))  # EMA weights only
    with pytest.raises(TrainingDiverged, match="generator_ema.* is not finite.*no checkpoint had been written yet"):
        trainer.save()
    assert not (tmp_path / "checkpoints" / "last.pt").exists()


def test_a_float32_overflow_of_finite_losses_is_not_divergence():
    sums = RunningSums(torch.device("cpu"))
    for _ in range(4):  # each finite in float32, their float32 sum is not
        iteration = Totals(torch.float32)
        iteration.add({"loss_critic": torch.tensor(3e38), "loss_generator": torch.tensor(-3e38)})
        sums.add(iteration)
    values = sums.gather(Runtime(torch.device("cpu")))
    assert values["loss_critic"] == pytest.approx(3e38) and math.isfinite(values["loss_generator"])


def test_sample_refuses_non_finite_samples(trained_run, tmp_path):
    path = trained_run / "checkpoints" / "last.pt"
    state = load_checkpoint(path)
    for key in ("generator", "generator_ema"):
        state[key] = {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
                      for k, v in state[key].items()}
    torch.save(state, path)
    (trained_run / "checkpoints" / "generator.safetensors").unlink(missing_ok=True)
    code, out = run("sample", trained_run, "--n", 10, "--out", tmp_path / "s.npz")
    assert code == 2 and "non-finite values in 10 of 10 samples" in one_line(out)
    assert not (tmp_path / "s.npz").exists()


# ---- a full disk loses nothing ----------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (root only); ``fill()`` leaves it with no space."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")

    class Disk:
        path = mount
        filler = mount / "filler"

        def fill(self):
            with open(self.filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass

        def free(self):
            self.filler.unlink(missing_ok=True)

    yield Disk()
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def wgan(*args, timeout=180):
    """The CLI in a process of its own (so that a writer thread's output would be seen too)."""
    proc = subprocess.run([sys.executable, "-m", "wgan", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def test_a_full_disk_during_training_and_resume_loses_nothing(small_disk):
    runs = small_disk.path / "runs"
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--out", runs, "--steps", 4, *TINY)
    assert code == 0, out
    (run_dir,) = runs.iterdir()
    config, checkpoint = (run_dir / "config.yaml").read_bytes(), (run_dir / "checkpoints" / "last.pt").read_bytes()
    small_disk.fill()
    code, _, err = wgan("train", "--resume", run_dir, "--steps", 40, "--no-progress")
    assert code == 2 and "Traceback" not in err, err
    assert "no space left on device writing" in one_line(err) and "MB free" in err
    assert (run_dir / "config.yaml").read_bytes() == config
    assert (run_dir / "checkpoints" / "last.pt").read_bytes() == checkpoint
    assert stray_temporaries(run_dir) == []
    for args in (["sample", run_dir, "--n", 2000, "--out", small_disk.path / "s.npz"],
                 ["eval", run_dir, "--n", 100]):
        code, out = run(*args)
        assert code == 2 and "no space left on device" in one_line(out), out
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--out", runs, "--steps", 4, *TINY)
    assert code == 2 and "no space" in one_line(out), out
    assert sorted(runs.iterdir()) == [run_dir]  # no half-made second run folder
    assert stray_temporaries(small_disk.path) == []
    small_disk.free()
    code, out = run("train", "--resume", run_dir, "--steps", 6, "--no-progress")
    assert code == 0 and "at step 4 of 6" in out, out


# ---- resume never damages the run -------------------------------------------------------------------
@pytest.mark.parametrize("steps,message", [(-1, "must be positive"), (0, "must be positive"),
                                           (2, "below the run's current step 4")])
def test_resume_with_a_bad_total_changes_nothing(trained_run, steps, message):
    before = (trained_run / "config.yaml").read_bytes()
    code, out = run("train", "--resume", trained_run, "--steps", steps, "--no-progress")
    assert code == 2 and message in one_line(out)
    assert (trained_run / "config.yaml").read_bytes() == before


def test_a_config_of_random_bytes_is_one_line_that_mentions_the_copy(trained_run):
    (trained_run / "config.yaml").write_bytes(bytes(np.random.default_rng(0).integers(128, 256, 300, np.uint8)))
    code, out = run("train", "--resume", trained_run)
    assert code == 2 and "config.yaml" in one_line(out) and "last.pt holds a copy" in out


def test_a_malicious_yaml_tag_is_one_line_and_runs_nothing(trained_run, tmp_path):
    marker = tmp_path / "ran"
    (trained_run / "config.yaml").write_text(f"train: !!python/object/apply:os.system ['touch {marker}']\n")
    code, out = run("train", "--resume", trained_run, "--no-progress")
    assert code == 2 and "could run code" in one_line(out) and not marker.exists()


def test_a_refused_pickle_never_suggests_turning_off_the_safety(trained_run):
    class Payload:
        def __reduce__(self):
            return (print, ("executed",))

    torch.save({"generator": Payload(), "critic": {}, "step": 0, "config": {}}, trained_run / "checkpoints" / "last.pt")
    code, out = run("train", "--resume", trained_run)
    line = one_line(out)
    assert code == 2 and "not a checkpoint this toolkit can load safely" in line and "weights_only" not in line


def test_config_records_the_versions(trained_run):
    import yaml

    recorded = yaml.safe_load((trained_run / "config.yaml").read_text())["versions"]
    assert recorded["torch"] == str(torch.__version__) and recorded["wgan"]


# ---- the last tracebacks on bad input ---------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    (["--lr", "nan"], "optim.lr_g must be a finite positive number, got nan"),
    (["--lr", "inf"], "must be a finite positive number, got inf"),
    (["--seed", str(2**70)], "train.seed must be an integer in 0..2**63-1"),
    (["--set", "loss.gp_lambda=nan"], "loss.gp_lambda must be a finite number >= 0"),
    (["--set", "train.max_minutes=nan"], "train.max_minutes must be a finite number >= 0"),
    (["--classes", "1"], "data.classes applies to image data; 8gaussians is 2-D points"),
    (["--preset", "wgan-gp-mnist", "--image-size", "100000"], "data.image_size must be at most 4096"),
])
def test_bad_numbers_are_refused_before_a_run_folder_is_made(tmp_path, args, message):
    if "--preset" not in args:
        args = ["--preset", "wgan-gp-8gaussians", *args]
    code, out = run("train", *args, "--out", tmp_path / "runs", "--no-progress")
    assert code == 2 and message in one_line(out)
    assert not (tmp_path / "runs").exists()


def test_an_image_size_that_would_not_fit_in_memory_names_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.setattr("wgan.memory.available_memory", lambda: 2**30)
    code, out = run("train", "--preset", "wgan-gp-mnist", "--image-size", 1024, "--out", tmp_path / "runs")
    line = one_line(out)
    assert code == 2 and "at 1024x1024 would need 3.9 GiB of memory and 1.0 GiB are available" in line
    assert not (tmp_path / "runs").exists()


def test_an_mlp_trains_on_images(tmp_path, tiny_images):
    code, out = run("train", "--data", tiny_images, "--model", "mlp", "--steps", 2, "--out", tmp_path / "runs", *TINY,
                    "--batch-size", 8, "--set", "model.latent_dim=8")
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    code, out = run("sample", run_dir, "--n", 4, "--out", tmp_path / "s.npz")
    assert code == 0 and np.load(tmp_path / "s.npz")["images"].shape == (4, 28, 28, 1)


def test_plot_refuses_an_object_array_snapshot(trained_run):
    np.savez(trained_run / "samples" / "step_0000099.npz", samples=np.array([object()]), step=99)
    code, out = run("plot", trained_run)
    assert code == 2 and "step_0000099.npz is not a sample snapshot" in one_line(out)


def test_sample_below_an_existing_file_is_one_line(trained_run, tmp_path):
    (tmp_path / "afile").write_text("x")
    code, out = run("sample", trained_run, "--out", tmp_path / "afile" / "x.npz")
    assert code == 2 and "cannot write" in one_line(out) and (tmp_path / "afile").read_text() == "x"


# ---- streamed image folders ------------------------------------------------------------------------
def test_training_on_a_streamed_folder_resumes_where_it_stopped(tmp_path):
    from PIL import Image

    folder = tmp_path / "faces"
    for i in range(12):
        (folder / f"c{i % 2}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((20, 20, 3), 20 * i, np.uint8)).save(folder / f"c{i % 2}" / f"{i}.png")
    common = ["--data", folder, "--image-size", 16, "--model", "dcgan", "--set", "model.width=8",
              "--set", "model.latent_dim=8", "--set", "data.stream=on", "--out", tmp_path / "runs", *TINY,
              "--batch-size", 4]
    code, out = run("train", "--steps", 4, *common)
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert load_checkpoint(run_dir / "checkpoints" / "last.pt")["data"]["position"] == 8  # 4 steps x 2 critic
    code, out = run("train", "--resume", run_dir, "--steps", 6, "--no-progress")
    assert code == 0 and "at step 4 of 6" in out, out
