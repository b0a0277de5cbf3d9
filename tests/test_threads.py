import os

import pytest
import torch

from wgan.training.threads import cgroup_cpu_quota, set_threads, usable_cpus


@pytest.fixture(autouse=True)
def _restore_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def cgroup_v2(root, text: str):
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpu.max").write_text(text)
    return root


def cgroup_v1(root, quota: int, period: int = 100000):
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text(f"{period}\n")
    return root


def test_quota_is_read_from_cgroup_v2_and_v1(tmp_path):
    assert cgroup_cpu_quota(cgroup_v2(tmp_path / "a", "250000 100000\n")) == 2.5
    assert cgroup_cpu_quota(cgroup_v2(tmp_path / "b", "max 100000\n")) is None
    assert cgroup_cpu_quota(cgroup_v1(tmp_path / "c", 150000)) == 1.5
    assert cgroup_cpu_quota(cgroup_v1(tmp_path / "d", -1)) is None


def test_no_or_unreadable_quota_means_none(tmp_path):
    assert cgroup_cpu_quota(tmp_path) is None
    assert cgroup_cpu_quota(cgroup_v2(tmp_path, "garbage")) is None


def test_usable_cpus_round_the_quota_up_and_never_exceed_the_affinity(tmp_path):
    cpus = len(os.sched_getaffinity(0))
    assert usable_cpus(cgroup_v2(tmp_path / "half", "50000 100000")) == 1
    assert usable_cpus(cgroup_v2(tmp_path / "many", f"{1000 * 100000} 100000")) == cpus


def test_auto_lowers_the_thread_count_to_the_quota_but_never_raises_it(tmp_path):
    one_cpu = cgroup_v2(tmp_path, "100000 100000")
    torch.set_num_threads(2)
    assert set_threads(0, one_cpu) == 1
    assert set_threads(0, tmp_path / "no-cgroup") == 1  # unlimited: the lower count stays


def test_explicit_count_and_omp_num_threads_are_respected(tmp_path, monkeypatch):
    one_cpu = cgroup_v2(tmp_path, "100000 100000")
    assert set_threads(3, one_cpu) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set_threads(0, one_cpu) == 3


def test_trainer_applies_train_threads(tiny_toy_config):
    from wgan.training.trainer import Trainer

    torch.set_num_threads(2)
    tiny_toy_config.train.threads = 1
    Trainer(tiny_toy_config, progress=False)
    assert torch.get_num_threads() == 1


# ---- a shared machine -----------------------------------------------------------------------------
class FakeMachine:
    """/proc/stat of two CPUs and this process's CPU time, advanced by hand."""

    def __init__(self, path):
        self.path, self.now, self.busy, self.own = path, 0.0, 0.0, 0.0
        self.write()

    def write(self):
        ticks = int(self.busy * os.sysconf("SC_CLK_TCK") / 2)  # spread over the two CPUs
        lines = ["cpu  0 0 0 0 0 0 0 0 0 0"] + [f"cpu{i} {ticks} 0 0 1000 0 0 0 0 0 0" for i in (0, 1)]
        self.path.write_text("\n".join(lines) + "\n")

    def run(self, seconds, own_cores, other_cores):
        self.now += seconds
        self.own += own_cores * seconds
        self.busy += (own_cores + other_cores) * seconds
        self.write()


@pytest.fixture
def two_threads_on_two_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_threads_follow_the_cores_other_processes_leave(tmp_path, two_threads_on_two_cpus):
    from wgan.training.threads import BusyMachine

    machine = FakeMachine(tmp_path / "stat")
    governor = BusyMachine(interval=5, stat=machine.path, clock=lambda: machine.now, own_seconds=lambda: machine.own)
    machine.run(10, own_cores=2, other_cores=0)
    assert governor.adapt() == 2  # idle machine: as many as it started with
    machine.run(10, own_cores=1, other_cores=1)
    assert governor.adapt() == 1 and torch.get_num_threads() == 1  # another process takes a core
    machine.run(2, own_cores=1, other_cores=0)
    assert governor.adapt() == 1  # too soon to look again
    machine.run(10, own_cores=1, other_cores=0.2)
    assert governor.adapt() == 2  # it left: back up, never above the start
    machine.run(10, own_cores=0, other_cores=2)
    assert governor.adapt() == 1  # at least one


def test_a_fixed_count_or_omp_num_threads_is_left_alone(monkeypatch):
    from wgan.training.threads import busy_machine_governor

    assert busy_machine_governor(2, torch.device("cpu")) is None
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert busy_machine_governor(0, torch.device("cpu")) is None
