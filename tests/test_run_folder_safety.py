"""A run folder from someone else: nothing is written through its links, files follow the umask,
and a killed write's temporaries are cleared when a run starts or resumes."""

import os
import stat

import pytest
from cli_helpers import run, train_toy

from wgan.errors import WganError
from wgan.files import append_line, atomic_write, write_text


@pytest.fixture
def trained_run(tmp_path):
    return train_toy(tmp_path / "runs", "--steps", 2)  # two steps: a resume to 4 has work to do


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("someone else's file\n")
    return secret


def resume(run_dir):
    return run("train", "--resume", run_dir, "--steps", 4, "--no-progress")


@pytest.mark.parametrize("name", [".lock", "metrics.jsonl", "config.yaml"])
def test_a_linked_file_is_refused_and_the_outside_file_unchanged(trained_run, outside, name):
    (trained_run / name).unlink()
    (trained_run / name).symlink_to(outside)
    code, out = resume(trained_run)
    assert code == 2 and "is a link" in out, out
    assert outside.read_text() == "someone else's file\n"


def test_a_dangling_link_creates_nothing_outside(trained_run, tmp_path):
    target = tmp_path / "created-outside"
    (trained_run / ".lock").unlink(missing_ok=True)
    (trained_run / ".lock").symlink_to(target)
    code, out = resume(trained_run)
    assert code == 2 and "is a link" in out
    assert not target.exists()


def test_a_linked_checkpoint_folder_is_refused(trained_run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (trained_run / "checkpoints").rename(elsewhere)
    (trained_run / "checkpoints").symlink_to(elsewhere)
    before = {p.name: p.stat().st_mtime_ns for p in elsewhere.iterdir()}
    code, out = resume(trained_run)
    assert code == 2 and "checkpoints is a link" in out
    assert {p.name: p.stat().st_mtime_ns for p in elsewhere.iterdir()} == before


def test_appending_through_a_link_is_refused(tmp_path, outside):
    log = tmp_path / "metrics.jsonl"
    log.symlink_to(outside)
    with pytest.raises(WganError, match="is a link"):
        append_line(log, '{"step": 1}')
    assert outside.read_text() == "someone else's file\n"


def test_files_get_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o077)
    try:
        write_text(tmp_path / "a.json", "{}")
        append_line(tmp_path / "m.jsonl", "{}")
        atomic_write(tmp_path / "b.bin", lambda p: open(p, "wb").write(b"x"))
    finally:
        os.umask(old)
    for name in ("a.json", "m.jsonl", "b.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "c.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c.json").stat().st_mode) == 0o644


def test_a_killed_writes_temporaries_are_removed_on_resume(trained_run):
    stray = trained_run / "checkpoints" / ".last.pt.abc123.tmp"
    stray.write_bytes(b"\0" * 1000)
    keep = trained_run / "checkpoints" / "notes.txt"
    keep.write_text("mine")
    code, out = resume(trained_run)
    assert code == 0, out
    assert not stray.exists() and keep.read_text() == "mine"
