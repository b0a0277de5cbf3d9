"""benchmarks/gpu_check.py --smoke: every section of the GPU check runs on this machine, so the check
that a lent GPU gets once in a while has not rotted in between; and the rules that make one call on
the lent machine always bring its report back (the deadline, two files in --out, one failure costs
one contender or one run)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("environment", "tests", "graph", "fp16", "resume", "speed", "quality", "protocol")


def run_check(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--smoke", "--out", str(out),
                           "--device", "cpu", *extra], capture_output=True, text=True, timeout=600)


def sections_of(out: Path) -> dict:
    return {s["title"]: s for s in json.loads((out / "report.json").read_text())["sections"]}


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out, scratch = tmp_path_factory.mktemp("gpu-check"), tmp_path_factory.mktemp("scratch")
    return run_check(out, "--scratch", str(scratch)), out


@pytest.fixture(scope="module")
def check_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gpu_check

    return gpu_check


@pytest.mark.slow
def test_the_smoke_run_passes_every_section_and_writes_only_its_two_reports(smoke_report):
    done, out = smoke_report
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]  # runs and data went elsewhere
    report = json.loads((out / "report.json").read_text())
    assert report["smoke"] is True
    statuses = [s["status"] for s in report["sections"]]
    assert len(statuses) == len(SECTIONS) and "failed" not in statuses
    markdown = (out / "report.md").read_text()
    assert markdown.count("\n## ") == len(SECTIONS)
    # Each section's Markdown reached stdout as it ended, so a lost file still leaves the numbers.
    for section in report["sections"]:
        assert f"## {section['title']}: {section['status']}" in done.stdout


@pytest.mark.slow
def test_on_a_cpu_the_cuda_sections_say_why_they_skipped(smoke_report):
    _, out = smoke_report
    sections = sections_of(out)
    assert "CUDA" in sections["Tests marked gpu"]["data"]["skipped"]
    graph = next(s for title, s in sections.items() if title.startswith("Eager against the CUDA graph"))
    assert graph["status"] == "skipped" and "CUDA graphs need a CUDA device" in graph["data"]["skipped"]
    assert len(graph["data"]["eager_fp32"]["loss_critic"]) == 4  # the eager side still trained


@pytest.mark.slow
def test_the_smoke_run_measures_what_it_reports(smoke_report):
    _, out = smoke_report
    sections = {title.split(" (")[0].split(":")[0]: s for title, s in sections_of(out).items()}
    resume = sections["A resumed run continues as a straight one"]["data"]
    assert resume["identical"] and resume["largest_difference"] == 0.0
    rows = sections["Speed against the tutorial-style loop"]["data"]["rows"]
    assert {"tiny-dcgan|tutorial-style loop|fp32", "tiny-dcgan|trainer, eager|bf16"} <= set(rows)
    assert all(r["it_per_s"] > 0 and r["iterations"] > 0 for r in rows.values())
    bf16 = rows["tiny-dcgan|trainer, eager|bf16"]
    tutorial_bf16 = rows["tiny-dcgan|tutorial-style loop|bf16"]["it_per_s"]
    assert bf16["ratio_same_precision"] == pytest.approx(bf16["it_per_s"] / tutorial_bf16)
    quality = sections["Quality against time"]["data"]
    assert {"wgan-gp-fashion", "wgan-gp-color32 on colour.npz"} == set(quality)
    for run in quality.values():
        assert run["steps"] > 0 and run["fid"] > 0 and run["key"].startswith("fid_domain_")
        assert (Path(run["run"]) / "eval" / "metrics.json").is_file()  # in --scratch
    fp16 = sections["fp16 with the gradient scaler"]["data"]
    assert fp16["finite"] and set(fp16["skipped"]) == {"critic", "generator"}


def test_past_the_deadline_the_rest_is_skipped_and_the_report_is_whole(tmp_path):
    done = run_check(tmp_path / "out", "--deadline", "5")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sections = list(sections_of(tmp_path / "out").values())
    assert len(sections) == len(SECTIONS)
    # What ran before the deadline depends on the machine's load (on a busy one, nothing does): every
    # section is in the report, those after the deadline skipped with the reason (the last among them),
    # none failed.
    late = [i for i, s in enumerate(sections) if "deadline of 5 s had passed" in s["data"].get("skipped", "")]
    assert late and late == list(range(late[0], len(sections)))
    assert all(s["status"] in ("ok", "skipped") for s in sections[:late[0]])  # skipped: no CUDA here
    scratch = Path(json.loads((tmp_path / "out" / "report.json").read_text())["scratch"])
    assert not scratch.exists()  # the temporary folder it made is gone
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json", "report.md"]


def test_a_contender_that_cannot_be_built_leaves_the_race_and_the_others_run(check_module, monkeypatch):
    gpu_check = check_module

    def build(check, model, loop, precision):
        if loop == "trainer, eager" and precision == "bf16":
            raise RuntimeError("operation not permitted when stream is capturing\nmore")
        return gpu_check.Contender(f"{loop}|{precision}", lambda: None, 10**9)

    monkeypatch.setattr(gpu_check, "build_contender", build)
    check = type("C", (), {"cuda": True})()
    section = gpu_check.Section("speed")
    built = gpu_check.contenders_of(check, section, "dcgan28")
    assert [c.label for c in built] == ["tutorial-style loop|fp32", "trainer, eager|fp32", "trainer, CUDA graph|fp32",
                                        "tutorial-style loop|bf16", "trainer, CUDA graph|bf16"]
    assert section.data["dropped"] == {
        "dcgan28|trainer, eager|bf16": "RuntimeError: operation not permitted when stream is capturing"}
    assert any("dropped from the race" in line for line in section.lines)


def test_a_failed_quality_run_leaves_the_other_row(check_module, monkeypatch, tmp_path):
    gpu_check = check_module
    calls = []

    def train_for(check, cfg, seconds):
        calls.append(cfg.preset)
        if len(calls) == 1:
            raise RuntimeError("CUDA out of memory")
        return tmp_path, 7

    monkeypatch.setattr(gpu_check, "train_for", train_for)
    monkeypatch.setattr(gpu_check, "evaluate_run", lambda run, n, device: ({"fid_domain_10k_test": 3.5}, None))
    check = type("C", (), dict(sizes=gpu_check.Sizes(), fashion=[], emoji=tmp_path / "e.npz", emoji_size=64,
                               device=torch.device("cpu"), fashion_run=None, past_deadline=lambda self: False))()
    section = gpu_check.Section("quality")
    gpu_check.quality(check, section)
    assert section.status == "failed" and len(calls) == 2
    assert section.data["wgan-gp-fashion"] == {"error": "RuntimeError: CUDA out of memory"}
    other = next(v for k, v in section.data.items() if k != "wgan-gp-fashion")
    assert other["steps"] == 7 and other["fid"] == 3.5


def test_the_check_estimates_itself_within_the_device_call(check_module):
    estimate = check_module.Sizes().estimate()
    assert set(estimate) == set(SECTIONS)
    assert sum(estimate.values()) <= 420  # the budget of one call, with room for the machine's start


def test_published_peaks_match_the_card_by_its_name(check_module):
    published_peak = check_module.published_peak
    kind = "tf32" if torch.backends.cudnn.allow_tf32 else "fp32"
    assert published_peak("NVIDIA H100 PCIe", "bf16") == (756.0, "bf16")
    assert published_peak("NVIDIA H100 80GB HBM3", "bf16") == (989.4, "bf16")
    assert published_peak("NVIDIA H200", "fp32")[1] == kind
    assert published_peak("Some future card", "bf16") == (None, "bf16")


def test_the_device_script_refuses_to_start_without_the_bundle(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    script = tmp_path / "benchmarks" / "gpu_check.sh"
    script.write_text((ROOT / "benchmarks" / "gpu_check.sh").read_text())
    done = subprocess.run(["bash", str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert ".gpu/fashion-mnist is missing" in done.stderr and "make gpu-bundle" in done.stderr
