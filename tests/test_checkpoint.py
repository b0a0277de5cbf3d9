import pytest
import torch

from wgan.checkpoint import load_checkpoint, save_checkpoint
from wgan.errors import WganError


def test_round_trip(tmp_path):
    state = {"generator": {"w": torch.ones(2)}, "critic": {}, "step": 5, "config": {"a": [1, None]}}
    save_checkpoint(state, tmp_path / "last.pt")
    loaded = load_checkpoint(tmp_path / "last.pt")
    assert loaded["step"] == 5 and torch.equal(loaded["generator"]["w"], torch.ones(2))
    assert not (tmp_path / "last.pt.tmp").exists()


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    save_checkpoint({"generator": {}, "critic": {}, "step": 1, "config": {}}, tmp_path / "last.pt")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # a kill in the middle of writing
    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"generator": {}, "critic": {}, "step": 2, "config": {}}, tmp_path / "last.pt")
    assert load_checkpoint(tmp_path / "last.pt")["step"] == 1


def test_corrupt_and_missing_checkpoints_are_user_errors(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(WganError, match="corrupt"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(WganError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_loading_refuses_pickled_code(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("executed",))
    torch.save({"generator": Payload(), "critic": {}, "step": 0, "config": {}}, tmp_path / "evil.pt")
    with pytest.raises(WganError):
        load_checkpoint(tmp_path / "evil.pt")
