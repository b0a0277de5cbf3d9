import errno

import pytest
import torch

from wgan.checkpoint import load_checkpoint, save_checkpoint
from wgan.errors import WganError
from wgan.files import atomic_write, stray_temporaries, write_text


def full_disk(path):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_line_naming_the_file_and_the_space(tmp_path):
    target = write_text(tmp_path / "config.yaml", "old\n")
    with pytest.raises(WganError) as caught:
        atomic_write(target, full_disk, needs_bytes=5 * 2**20)
    message = str(caught.value)
    assert "\n" not in message and "no space left on device writing" in message and str(target) in message
    assert "MB free" in message and "the file needs about 5.0 MB" in message
    assert target.read_text() == "old\n" and stray_temporaries(tmp_path) == []


def test_a_checkpoint_on_a_full_disk_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint({"generator": {}, "critic": {}, "step": 1, "config": {}}, path)

    def save_then_fail(obj, f):  # torch's own writer: a RuntimeError raised while handling the OSError
        try:
            f.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc] unexpected pos")

    monkeypatch.setattr(torch, "save", save_then_fail)
    with pytest.raises(WganError, match=r"last.pt; .* MB free, a checkpoint needs about"):
        save_checkpoint({"generator": {"w": torch.ones(1000)}, "critic": {}, "step": 2, "config": {}}, path)
    assert load_checkpoint(path)["step"] == 1 and stray_temporaries(tmp_path) == []


def test_other_failures_keep_their_type_and_leave_nothing(tmp_path):
    def broken(path):
        raise ValueError("a bug, not the disk")

    with pytest.raises(ValueError):
        atomic_write(tmp_path / "x.json", broken)
    assert list(tmp_path.iterdir()) == []


def test_writing_below_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(WganError, match="cannot write .*afile/x.npz"):
        write_text(tmp_path / "afile" / "x.npz", "y")
