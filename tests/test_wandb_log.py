import sys

import numpy as np
import pytest
import torch

from wgan.errors import WganError


def test_missing_wandb_says_how_to_install(tmp_path, monkeypatch):
    from wgan.training.wandb_log import WandbLogger

    monkeypatch.setitem(sys.modules, "wandb", None)  # makes "import wandb" fail
    with pytest.raises(WganError, match="pip install wandb"):
        WandbLogger(tmp_path, {}, mode="offline")


def test_unknown_mode(tmp_path):
    from wgan.training.wandb_log import WandbLogger

    with pytest.raises(WganError, match="offline, online"):
        WandbLogger(tmp_path, {}, mode="cloud")


def test_offline_run_is_recorded_in_the_run_folder(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    from wgan.training.monitor import Monitor
    from wgan.training.wandb_log import WandbLogger

    # Keep W&B's own settings and caches out of the user's home; no network in offline mode.
    for var in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb-home"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_MODE", raising=False)
    run_dir = tmp_path / "0001-mnist-wgan"
    run_dir.mkdir()
    logger = WandbLogger(run_dir, {"train": {"steps": 2}}, mode="offline")
    generator, critic = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    logger.watch(generator, critic, log_freq=1)
    critic(generator(torch.randn(4, 2))).sum().backward()

    monitor = Monitor(run_dir, total_steps=2, progress=False, sinks=[logger])
    monitor.log(1, {"loss_critic": -0.5, "wasserstein": 0.5})
    monitor.image("samples", np.zeros((1, 8, 8), np.uint8), 1)
    monitor.log(2, {"loss_critic": -0.4, "wasserstein": 0.4})
    monitor.close()  # closes the W&B run too

    runs = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    assert list(runs[0].glob("*.wandb"))
    run_id = (run_dir / "wandb" / "wgan-run-id").read_text().strip()
    assert runs[0].name.endswith(run_id)
