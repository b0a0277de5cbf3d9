"""wgan plot redraws a run's figures from its folder alone: no Trainer, no data."""

import numpy as np
import torch
from cli_helpers import TINY, run

from wgan.handle import load_generator
from wgan.training import trainer as trainer_module
from wgan.training.artifacts.toy import feature_views
from wgan.training.figures import critic_views


def test_plot_redraws_a_2d_runs_figures_without_a_trainer_or_data(tmp_path, monkeypatch):
    code, out = run("train", "--preset", "gan-quadratic", "--out", tmp_path / "runs", *TINY,
                    "--set", "data.normalize=true", "--no-progress")
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    trained = trainer_module.Trainer.resume(run_dir, progress=False)  # the networks as training left them
    for figure in (run_dir / "plots").iterdir():
        figure.unlink()

    def refused(*args, **kwargs):
        raise AssertionError("wgan plot built a Trainer or loaded data")

    monkeypatch.setattr(trainer_module.Trainer, "__init__", refused)
    monkeypatch.setattr(trainer_module, "build_dataset", refused)
    code, out = run("plot", run_dir)
    assert code == 0, out
    assert {"losses.png", "wasserstein.png", "scatter.png", "critic.png", "features.png"} <= {
        p.name for p in (run_dir / "plots").iterdir()}

    # The critic's views are the trained run's: the same features before and after one generator update.
    handle = load_generator(run_dir)
    views = critic_views(run_dir, "last", handle.space.shape, handle.num_classes)
    for ours, theirs in zip(feature_views(views, handle), feature_views(trained.algorithm, handle)):
        for side in ("real", "fake"):
            np.testing.assert_allclose(ours[side], theirs[side], rtol=1e-5, atol=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(views.critic.state_dict().values(),
                                                 trained.algorithm.critic.state_dict().values()))
