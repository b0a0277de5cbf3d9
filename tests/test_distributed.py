"""Data-parallel training on the CPU (gloo): N processes train exactly what one process trains."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from wgan.checkpoint import load_checkpoint, tensors_of
from wgan.config import Config
from wgan.presets import preset_config
from wgan.training.runtime import Runtime
from wgan.training.trainer import Trainer

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="this PyTorch has no torch.distributed")


def exact_config() -> Config:
    """A tiny float64 WGAN-GP MLP with a weight average and no BatchNorm, logging every step."""
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.update({"model": {"width": 16, "depth": 2},
                "train": {"batch_size": 32, "n_critic": 2, "precision": "fp64", "device": "cpu", "threads": 1,
                          "log_every": 1, "sample_every": 1000, "checkpoint_every": 1000, "ema": 0.9}})
    return cfg


# A process of a finished gloo run sometimes aborts in its C++ teardown ("terminate called without an
# active exception", SIGABRT) after all its work is written, about once in five runs of this file on
# this 2-core machine, with a barrier before destroy_process_group too. Still to be found; until then
# these tests run again on exactly that failure, and on no other.
teardown_abort = pytest.mark.flaky(reruns=2, only_rerun=["SIGABRT", "terminate called without an active exception"])


def state_tensors(trainer) -> dict[str, torch.Tensor]:
    """Every weight, buffer, EMA weight and optimiser moment, by name."""
    return {name: t.detach().clone() for name, t in tensors_of(trainer.algorithm.state_dict())}


def _worker(rank, world, init, cfg_dict, action, run_dir, until):
    torch.set_num_threads(1)
    runtime = Runtime.start("cpu", threads=1, rank=rank, world_size=world, init_method=init)
    finished = False
    try:
        cfg = Config.from_dict(cfg_dict)
        if action == "steps":
            trainer = Trainer(cfg, progress=False, runtime=runtime)
            for _ in range(until):
                trainer.train_step()
            torch.save(state_tensors(trainer), Path(run_dir) / f"rank{rank}.pt")
        elif action == "fit":
            trainer = Trainer(cfg, Path(run_dir), progress=False, runtime=runtime)
            trainer.fit(until)
        else:  # resume
            Trainer.resume(Path(run_dir), progress=False, runtime=runtime).fit(until)
        finished = True
    finally:
        runtime.close(finished)


def spawn(tmp_path, world, action, run_dir, until, cfg=None):
    init = f"file://{tmp_path / f'init-{action}-{world}'}"
    cfg = (cfg or exact_config()).to_dict()
    mp.spawn(_worker, args=(world, init, cfg, action, str(run_dir), until), nprocs=world, join=True)


def assert_close(a: dict, b: dict, tol: float = 1e-10) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.allclose(a[name].double(), b[name].double(), rtol=0, atol=tol), name


@teardown_abort
def test_two_processes_train_what_one_process_trains(tmp_path):
    spawn(tmp_path, 2, "steps", tmp_path, until=3)
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # identical on both processes
    one = Trainer(exact_config(), progress=False)
    for _ in range(3):
        one.train_step()
    alone = state_tensors(one)
    assert any("exp_avg_sq" in k for k in alone) and any(k.startswith("generator_ema") for k in alone)
    assert_close(rank0, alone)


@teardown_abort
@pytest.mark.parametrize("first,second", [(2, 1), (1, 2)])
def test_a_checkpoint_resumes_under_another_number_of_processes(tmp_path, first, second):
    straight = Trainer(exact_config(), tmp_path / "straight", progress=False)
    straight.fit(4)
    run = tmp_path / "run"
    if first == 1:
        Trainer(exact_config(), run, progress=False).fit(2)
    else:
        spawn(tmp_path, first, "fit", run, until=2)
    if second == 1:
        Trainer.resume(run, progress=False).fit(4)
    else:
        spawn(tmp_path, second, "resume", run, until=4)
    resumed = load_checkpoint(run / "checkpoints" / "last.pt")
    assert resumed["step"] == 4 and resumed["world_size"] == second
    keys = ("generator", "critic", "generator_ema", "opt_g", "opt_c")
    assert_close({n: t for n, t in tensors_of({k: resumed[k] for k in keys})},
                 {n: t for n, t in tensors_of({k: straight.checkpoint()[k] for k in keys})})


# ---- torchrun, end to end ---------------------------------------------------------------------------
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def torchrun(args, env=None, timeout=240):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([*TORCHRUN, "-m", "wgan", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.slow
@teardown_abort
def test_torchrun_trains_an_image_gan_into_one_run_folder(tmp_path, tiny_images):
    out = tmp_path / "runs"
    proc = torchrun(["train", "--data", tiny_images, "--model", "dcgan", "--set", "model.width=8",
                     "--set", "model.latent_dim=8", "--steps", 4, "--batch-size", 8, "--n-critic", 2,
                     "--set", "train.augment=translation,cutout", "--set", "train.log_every=1",
                     "--set", "train.sample_every=2", "--device", "cpu", "--no-progress", "--out", out])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = out.iterdir()
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]  # one writer: no step twice
    assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1
    assert proc.stdout.count("run folder:") == 2  # start and end, from rank 0 only
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    assert state["world_size"] == 2 and any("running_mean" in k for k in state["generator"])  # BatchNorm
    from click.testing import CliRunner

    from wgan.cli import main

    result = CliRunner().invoke(main, ["sample", str(run_dir), "--n", "4", "--out", str(tmp_path / "s.npz")])
    assert result.exit_code == 0, result.output


FAIL_ON_RANK_1 = """
import os
if os.environ.get("RANK") == "1":
    import wgan.training.algorithm
    update = wgan.training.algorithm.Algorithm.generator_update
    calls = []

    def failing(self):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected failure")
        return update(self)

    wgan.training.algorithm.Algorithm.generator_update = failing
"""


@pytest.mark.slow
def test_a_failure_on_one_rank_stops_the_job_and_names_it(tmp_path):
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(FAIL_ON_RANK_1)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "inject"), os.environ.get("PYTHONPATH", "")])}
    proc = torchrun(["train", "--preset", "wgan-gp-8gaussians", "--steps", 1000, "--set", "model.width=8",
                     "--set", "train.log_every=1", "--device", "cpu", "--no-progress", "--out", tmp_path / "runs"],
                    env=env, timeout=120)  # a hang would end in TimeoutExpired
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "RuntimeError: injected failure" in output and "rank: 1" in output
    assert output.count("RuntimeError: injected failure") == 1 or "Root Cause" in output


def test_the_global_batch_must_divide_over_the_processes(tmp_path):
    proc = torchrun(["train", "--preset", "wgan-gp-8gaussians", "--batch-size", 33, "--steps", 2,
                     "--device", "cpu", "--out", tmp_path / "runs"], timeout=120)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("wgan: error")]
    assert proc.returncode != 0 and len(lines) == 1 and "must divide evenly over 2 processes" in lines[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_sync_bn_is_refused_on_the_cpu(tmp_path):
    from click.testing import CliRunner

    from wgan.cli import main

    result = CliRunner().invoke(main, ["train", "--preset", "wgan-gp-mnist", "--set", "model.sync_bn=true",
                                       "--device", "cpu", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "model.sync_bn" in result.output and "nccl" in result.output


def _collectives_worker(rank, world, init, out):
    import torch.distributed.distributed_c10d as c10d

    def refuse(*args, **kwargs):
        raise AssertionError("a pickled object was exchanged")

    # torch's object collectives pickle through these two; the runtime must never reach them.
    c10d._object_to_tensor = c10d._tensor_to_object = refuse
    runtime = Runtime.start("cpu", threads=1, rank=rank, world_size=world, init_method=init)
    finished = False
    try:
        path = runtime.broadcast_text("runs/0001-ünïcode run" if rank == 0 else "ignored")
        texts = runtime.all_gather_texts(None if rank == 0 else f"rank {rank} failed: é")
        n = 5  # rank 0 holds rows 0-2, rank 1 rows 3-4
        part = runtime.share(n)
        rows = runtime.gather_rows(torch.arange(n, dtype=torch.uint8)[part].repeat_interleave(3).view(-1, 3), n)
        result = {"path": path, "texts": texts, "rows": None if rows is None else rows.tolist()}
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
        finished = True
    finally:
        runtime.close(finished)


@teardown_abort
def test_text_and_rows_travel_as_tensors_not_pickles(tmp_path):
    mp.spawn(_collectives_worker, args=(2, f"file://{tmp_path / 'init'}", str(tmp_path)), nprocs=2, join=True)
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for result in results:
        assert result["path"] == "runs/0001-ünïcode run"
        assert result["texts"] == [None, "rank 1 failed: é"]
    assert results[0]["rows"] == [[i] * 3 for i in range(5)] and results[1]["rows"] is None
