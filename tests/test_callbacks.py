"""The writing callbacks: best.pt across a resume, snapshots kept."""

import json

import pytest

from wgan.checkpoint import load_checkpoint
from wgan.training.trainer import Trainer


@pytest.fixture
def scripted_scores(monkeypatch):
    """Evaluations return the next of a list of W1 ratios (lower is better) instead of measuring."""
    scores = []

    def evaluate(self, n):
        return {"step": self.state.step, "w1_ratio": scores.pop(0)}

    monkeypatch.setattr(Trainer, "evaluate", evaluate)
    return scores


def best_of(run_dir):
    return json.loads((run_dir / "checkpoints" / "best.json").read_text()), \
        load_checkpoint(run_dir / "checkpoints" / "best.pt")["step"]


def test_a_resumed_run_keeps_the_better_best(tiny_toy_config, tmp_path, scripted_scores):
    tiny_toy_config.update({"train": {"eval_every": 2, "steps": 2}})
    run_dir = tmp_path / "run"
    scripted_scores.extend([1.5])
    Trainer(tiny_toy_config, run_dir, progress=False).fit(2)
    assert best_of(run_dir) == ({"metric": "w1_ratio", "value": 1.5, "step": 2}, 2)
    scripted_scores.extend([3.0])  # worse after the resume: best.pt stays at step 2
    Trainer.resume(run_dir, progress=False).fit(4)
    assert best_of(run_dir) == ({"metric": "w1_ratio", "value": 1.5, "step": 2}, 2)
    scripted_scores.extend([1.2])  # better: replaced
    Trainer.resume(run_dir, progress=False).fit(6)
    assert best_of(run_dir) == ({"metric": "w1_ratio", "value": 1.2, "step": 6}, 6)
    assert not scripted_scores


def test_keep_checkpoints_removes_older_snapshots(tiny_toy_config, tmp_path):
    tiny_toy_config.update({"train": {"checkpoint_every": 1, "keep_checkpoints": 2, "steps": 5}})
    run_dir = tmp_path / "run"
    Trainer(tiny_toy_config, run_dir, progress=False).fit(5)
    names = sorted(p.name for p in (run_dir / "checkpoints").glob("step_*"))
    assert names == ["step_0000004.generator.safetensors", "step_0000004.pt",
                     "step_0000005.generator.safetensors", "step_0000005.pt"]
    assert load_checkpoint(run_dir / "checkpoints" / "step_0000004.pt")["step"] == 4
