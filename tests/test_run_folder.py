"""The run folder's layout: every path a run uses comes from RunFolder."""

import pytest

from wgan.errors import WganError
from wgan.run_folder import RunFolder


def test_paths_of_checkpoints_and_their_generator_files(tmp_path):
    folder = RunFolder(tmp_path)
    assert folder.checkpoint() == tmp_path / "checkpoints" / "last.pt"
    assert folder.generator_file("last") == tmp_path / "checkpoints" / "generator.safetensors"
    assert folder.checkpoint(1200) == tmp_path / "checkpoints" / "step_0001200.pt"
    assert folder.generator_file("best") == tmp_path / "checkpoints" / "best.generator.safetensors"
    with pytest.raises(WganError, match="--checkpoint 'newest': accepted: last, best or a step number"):
        folder.checkpoint("newest")


def test_what_a_run_has_is_listed_in_step_order(tmp_path):
    folder = RunFolder(tmp_path).make()
    with pytest.raises(WganError, match="has no checkpoint 'last'; it has: none yet"):
        folder.checkpoint_files()
    for name in ("last.pt", "step_0000900.pt", "step_0000100.pt", "step_x.pt"):
        (folder.checkpoints / name).touch()
    for step in (1000, 0, 250):
        folder.grid(step).touch()
    folder.final_grid.touch()
    assert folder.available_checkpoints() == ["last", "100", "900"] and folder.kept_steps() == [100, 900]
    assert [step for step, _ in folder.grids()] == [0, 250, 1000]


def test_evaluation_results_are_named_by_protocol_and_checkpoint(tmp_path):
    folder = RunFolder(tmp_path)
    assert folder.results("quick").name == "metrics.json"
    assert folder.results("paper", "best").name == "metrics-paper-best.json"
    assert folder.reference("domain", "paper").name == "reference-domain-paper.npz"
