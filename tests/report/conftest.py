import pytest

from wgan.training.trainer import Trainer


@pytest.fixture
def two_runs(tiny_toy_config, tmp_path):
    """Two short 2-D runs that differ in their learning rate, each evaluated once."""
    paths = []
    for i, lr in enumerate((1e-4, 3e-4)):
        cfg = tiny_toy_config
        cfg.update({"optim": {"lr_g": lr, "lr_c": lr}, "train": {"eval_every": 6, "eval_n": 200}})
        run_dir = tmp_path / f"runs/000{i + 1}-8gaussians-wgan"
        Trainer(cfg, run_dir, progress=False).fit(6)
        paths.append(run_dir)
    return paths
