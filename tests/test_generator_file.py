"""A generator file from someone else: its description is checked like a config, and the network is
compared with the file's weights on the meta device before anything real is allocated."""

import json
import subprocess
import sys

import pytest
from cli_helpers import run, train_toy
from safetensors import safe_open
from safetensors.torch import save_file

from wgan.handle import META_KEY, load_generator

PEAK_LIMIT_MB = 1500  # python, torch and a tiny MLP take 750 MB; one 16,000-wide hidden layer takes 1 GB

# Reports the peak resident memory of the command it runs (Linux: ru_maxrss is in KiB).
MEASURE = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, "-m", "wgan", *sys.argv[1:]], stderr=subprocess.PIPE, text=True)
sys.stdout.write(code.stderr)
print(f"peak_mb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024} status={code.returncode}")
"""


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    run_dir = train_toy(tmp_path_factory.mktemp("runs"))
    return run_dir / "checkpoints" / "generator.safetensors"


def tampered(source, target, change) -> None:
    """``source`` with its description changed by ``change(info)``, written to ``target``."""
    with safe_open(str(source), framework="pt") as f:
        info = json.loads(f.metadata()[META_KEY])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    change(info)
    save_file(tensors, str(target), metadata={META_KEY: json.dumps(info)})


def set_model(**values):
    return lambda info: info["model"].update(values)


@pytest.mark.parametrize("change, message", [
    (set_model(latent_dim=-5), "model.latent_dim must be positive, got -5"),
    (set_model(latent_dim="abc"), "model.latent_dim expects int, got 'abc'"),
    (set_model(latent_dim=10**9), "model.latent_dim must be at most 16384"),
    (set_model(depth=100000), "model.depth must be at most 64"),
    (set_model(generator="nope"), "unknown generator 'nope'"),
    (set_model(width=[1]), "model.width expects int"),
    (set_model(unknown=1), "unknown config key 'model.unknown'"),
    (lambda info: info.update(model="mlp"), "it has no model settings"),
    (lambda info: info.update(num_classes="ten"), "num_classes must be an integer"),
    (lambda info: info.update(num_classes=10**12), "num_classes must be an integer in 0..100000"),
    (lambda info: info.update(step=-1), "step must be an integer >= 0"),
    (lambda info: info["space"].update(shape=[2, 2]), "has shape (2, 2) for toy data"),
    (lambda info: info["space"].update(kind="image", shape=[3, 100000, 100000]), "H, W in 1..4096"),
    (set_model(width=16000), "the weights do not fit the description"),
    (set_model(depth=3), "weights missing"),
    (set_model(latent_dim=8), "is (16, 2) in the file, (16, 8) in the description"),
])
def test_a_bad_description_is_one_line_naming_the_setting(generator_file, tmp_path, change, message):
    bad = tmp_path / "g.safetensors"
    tampered(generator_file, bad, change)
    code, out = run("sample", bad, "--n", 4, "--out", tmp_path / "s.npz")
    assert code == 2 and message in out, out
    assert len(out.strip().splitlines()) == 1 and str(bad) in out
    assert not (tmp_path / "s.npz").exists()


@pytest.mark.slow
@pytest.mark.parametrize("change", [set_model(width=16000), set_model(width=16000, depth=64)])
def test_a_huge_description_is_refused_without_allocating(generator_file, tmp_path, change):
    bad = tmp_path / "g.safetensors"
    tampered(generator_file, bad, change)
    proc = subprocess.run([sys.executable, "-c", MEASURE, "sample", str(bad), "--n", "4", "--out",
                           str(tmp_path / "s.npz")], capture_output=True, text=True, timeout=300)
    *lines, last = proc.stdout.strip().splitlines()
    peak, status = (int(part.split("=")[1]) for part in last.split())
    assert status == 2 and len(lines) == 1 and "the weights do not fit" in lines[0], proc.stdout
    assert peak < PEAK_LIMIT_MB, f"peak {peak} MB"


def test_a_good_file_still_loads(generator_file, tmp_path):
    copy = tmp_path / "g.safetensors"
    tampered(generator_file, copy, lambda info: None)
    assert load_generator(copy).sample(3).shape == (3, 2)
