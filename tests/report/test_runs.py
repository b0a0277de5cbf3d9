"""Reading run folders for a report: flattened configs, downsampled curves, what differs."""

import json

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.tools.report.collect import MAX_GRIDS, MAX_POINTS, differing_keys, downsample, flatten, load_run, load_runs


def test_flatten_names_nested_keys():
    assert flatten({"train": {"lr": 1, "n": {"k": 2}}, "name": None}) == {"train.lr": 1, "train.n.k": 2, "name": None}


def test_downsample_keeps_the_level_and_the_range_of_steps():
    steps = np.arange(1, 100_001, dtype=float)
    values = np.sin(steps / 5000) + 3
    s, v = downsample(steps, values, 500)
    assert len(s) == len(v) == 500 and s[0] == 1 and s[-1] > 99_000
    assert abs(v.mean() - values.mean()) < 1e-9  # equal buckets: the mean of the means is the mean
    short = np.arange(10.0)
    assert downsample(short, short, 500)[0] is short


def test_a_run_summary(two_runs):
    run = load_run(two_runs[0])
    assert run.step == 6 and run.config["train.steps"] == 6 and "versions.torch" not in run.config
    assert {"loss_critic", "wasserstein", "penalty", "grad_norm"} <= set(run.curves)
    assert "w1_ratio" in run.results and run.best["step"] == 6
    assert {p.name for p in run.views} >= {"scatter.png", "critic.png"}


def test_differing_keys_are_the_changed_settings(two_runs):
    runs = load_runs(two_runs)
    assert set(differing_keys(runs)) == {"optim.lr_g", "optim.lr_c"}


def test_runs_of_the_same_name_are_told_apart(two_runs, tmp_path):
    import shutil

    copy = tmp_path / "elsewhere" / two_runs[0].name
    shutil.copytree(two_runs[0], copy)
    names = [r.name for r in load_runs([two_runs[0], copy])]
    assert len(set(names)) == 2 and names[1].startswith("elsewhere/")


def test_not_a_run_folder(tmp_path):
    with pytest.raises(WganError, match="not a run folder"):
        load_run(tmp_path)
    with pytest.raises(WganError, match="one or more run folders"):
        load_runs([])


def long_run(folder, steps=100_000, grids=200):
    """A run folder as a 100k-step image run leaves it: a log line per step, a grid every 500 steps."""
    from wgan.config import Config
    from wgan.plots.images import make_grid, write_png

    folder.mkdir(parents=True)
    Config().save(folder / "config.yaml")
    rng = np.random.default_rng(0)
    with open(folder / "metrics.jsonl", "w") as f:
        for step in range(1, steps + 1):
            f.write(json.dumps({"step": step, "loss_critic": float(rng.normal()), "loss_generator": 1.0,
                                "wasserstein": 2.0, "penalty": 0.1, "grad_norm": 1.0}) + "\n")
    noise = rng.integers(0, 256, (100, 28, 28, 1), dtype=np.uint8)  # incompressible: the largest PNG
    grid = make_grid(noise, nrow=10)
    for k in range(grids):
        write_png(grid, folder / "samples" / f"step_{(k + 1) * 500:07d}.png")
    write_png(grid, folder / "samples" / "final.png")
    return folder


def test_a_long_runs_report_stays_small(tmp_path):
    from wgan.tools.report import write_report

    run = load_run(long_run(tmp_path / "0001-long"))
    assert all(len(steps) <= MAX_POINTS for steps, _ in run.curves.values())
    assert len(run.grids) == MAX_GRIDS and run.grids[-1][0] == 100_000
    size = write_report([run], tmp_path / "report.html").stat().st_size
    assert size < 3 * 2**20, size
