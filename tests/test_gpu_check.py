"""benchmarks/gpu_check.py --smoke: every section of the GPU check runs on this machine, so the check
that a lent GPU gets once in a while has not rotted in between."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("environment", "tests", "graph", "fp16", "resume", "speed", "quality", "protocol")


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-check")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--smoke", "--out", str(out),
                           "--device", "cpu"], capture_output=True, text=True, timeout=600)
    return done, out


@pytest.mark.slow
def test_the_smoke_run_passes_every_section_and_writes_both_reports(smoke_report):
    done, out = smoke_report
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["smoke"] is True
    statuses = [s["status"] for s in report["sections"]]
    assert len(statuses) == len(SECTIONS) and "failed" not in statuses
    markdown = (out / "report.md").read_text()
    assert markdown.count("\n## ") == len(SECTIONS)


@pytest.mark.slow
def test_on_a_cpu_the_cuda_sections_say_why_they_skipped(smoke_report):
    _, out = smoke_report
    sections = {s["title"]: s for s in json.loads((out / "report.json").read_text())["sections"]}
    assert "CUDA" in sections["Tests marked gpu"]["data"]["skipped"]
    graph = next(s for title, s in sections.items() if title.startswith("Eager against the CUDA graph"))
    assert graph["status"] == "skipped" and "CUDA graphs need a CUDA device" in graph["data"]["skipped"]
    assert len(graph["data"]["eager_fp32"]["loss_critic"]) == 4  # the eager side still trained


@pytest.mark.slow
def test_the_smoke_run_measures_what_it_reports(smoke_report):
    _, out = smoke_report
    sections = {s["title"].split(" (")[0].split(":")[0]: s for s in
                json.loads((out / "report.json").read_text())["sections"]}
    resume = sections["A resumed run continues as a straight one"]["data"]
    assert resume["identical"] and resume["largest_difference"] == 0.0
    rows = sections["Speed against the tutorial-style loop"]["data"]["rows"]
    assert {"tiny-dcgan|tutorial-style loop|fp32", "tiny-dcgan|trainer, eager|bf16"} <= set(rows)
    assert all(r["it_per_s"] > 0 and r["iterations"] > 0 for r in rows.values())
    quality = sections["Quality against time"]["data"]
    assert {"wgan-gp-fashion", "wgan-gp-color32 on colour.npz"} == set(quality)
    for run in quality.values():
        assert run["steps"] > 0 and run["fid"] > 0 and run["key"].startswith("fid_domain_")
        assert (Path(run["run"]) / "eval" / "metrics.json").is_file()
    fp16 = sections["fp16 with the gradient scaler"]["data"]
    assert fp16["finite"] and set(fp16["skipped"]) == {"critic", "generator"}


def test_published_peaks_match_the_card_by_its_name():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gpu_check import published_peak

    kind = "tf32" if torch.backends.cudnn.allow_tf32 else "fp32"
    assert published_peak("NVIDIA H100 PCIe", "bf16") == (756.0, "bf16")
    assert published_peak("NVIDIA H100 80GB HBM3", "bf16") == (989.4, "bf16")
    assert published_peak("NVIDIA H200", "fp32")[1] == kind
    assert published_peak("Some future card", "bf16") == (None, "bf16")
