import json
import os
import subprocess
import sys
import time

import pytest

from wgan.errors import WganError
from wgan.run_folder import RunFolder
from wgan.run_lock import RunLock

HOLD = """
import sys, time
from wgan.run_lock import RunLock
with RunLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_trainer_is_refused_with_who_holds_the_lock(tmp_path, holder):
    with pytest.raises(WganError, match=rf"is in use: process {holder.pid} on .* since \d{{4}}-"):
        with RunLock(tmp_path):
            pass


def test_the_lock_is_free_again_when_its_holder_dies(tmp_path, holder):
    holder.kill()  # kill -9: the operating system drops the lock, the record stays
    holder.wait()
    with pytest.warns(UserWarning, match=rf"took over the lock .* from process {holder.pid}"):
        with RunLock(tmp_path):
            record = json.loads(RunFolder(tmp_path).lock.read_text())
            assert record["pid"] == os.getpid()
    assert RunFolder(tmp_path).lock.read_text() == ""  # released cleanly: nothing to warn about next time


def test_the_lock_is_reentrant_in_one_process(tmp_path):
    with RunLock(tmp_path):
        with RunLock(tmp_path):
            pass
        assert json.loads(RunFolder(tmp_path).lock.read_text())["pid"] == os.getpid()


def test_two_resumes_of_one_run_never_both_train(tmp_path):
    from click.testing import CliRunner

    from wgan.cli import main

    result = CliRunner().invoke(main, ["train", "--preset", "wgan-gp-8gaussians", "--out", str(tmp_path / "runs"),
                                       "--steps", "2", "--set", "model.width=8", "--set", "train.log_every=1",
                                       "--device", "cpu", "--no-progress"])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    args = [sys.executable, "-m", "wgan", "train", "--resume", str(run), "--steps", "400", "--no-progress"]
    first = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    time.sleep(0.2)
    second = subprocess.run(args, stderr=subprocess.PIPE, text=True, timeout=120)
    first_err = first.communicate(timeout=300)[1]
    codes = sorted([first.returncode, second.returncode])
    if codes == [0, 0]:  # the first had finished before the second started: it was not concurrent
        pytest.skip("the first resume finished before the second one started")
    assert codes == [0, 2]
    refused = second.stderr if second.returncode == 2 else first_err
    lines = [line for line in refused.splitlines() if line.strip()]
    assert len(lines) == 1 and "is in use: process" in lines[0], refused
