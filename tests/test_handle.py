"""The generator on its own: a finished run samples, evaluates and exports after its data is gone."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from cli_helpers import run

from wgan import load_generator
from wgan.errors import WganError


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and " error: " in lines[0], output
    return lines[0]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A conditional 28x28 run of 6 steps (EMA, evaluated at step 3 and 6, two snapshots kept),
    whose data file is then moved away."""
    root = tmp_path_factory.mktemp("image_run")
    rng = np.random.default_rng(0)
    data = root / "digits.npz"
    np.savez(data, images=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), labels=np.arange(50) % 10)
    code, out = run("train", "--data", data, "--model", "dcgan", "--set", "model.width=8",
                    "--set", "model.latent_dim=8", "--set", "model.conditional=concat", "--steps", 6,
                    "--batch-size", 10, "--n-critic", 2, "--set", "train.log_every=2", "--set", "train.sample_every=3",
                    "--set", "train.checkpoint_every=2", "--set", "train.keep_checkpoints=2",
                    "--set", "train.eval_every=3", "--set", "train.eval_n=40", "--set", "train.ema=0.9",
                    "--device", "cpu", "--no-progress", "--out", root / "runs")
    assert code == 0, out
    data.rename(root / "moved.npz")
    (run_dir,) = (root / "runs").iterdir()
    return run_dir


def test_sample_and_eval_need_no_training_data(image_run, tmp_path):
    code, out = run("sample", image_run, "--n", 12, "--class", 3, "--out", tmp_path / "s.npz")
    assert code == 0, out
    samples = np.load(tmp_path / "s.npz")
    assert samples["images"].shape == (12, 28, 28, 1) and samples["images"].dtype == np.uint8
    assert (samples["labels"] == 3).all()
    code, out = run("eval", image_run, "--n", 40)
    assert code == 0, out
    results = json.loads((image_run / "eval" / "metrics.json").read_text())
    assert any(k.startswith("fid_domain") and np.isfinite(v) for k, v in results.items())


def test_load_generator_samples_what_the_command_writes(image_run, tmp_path):
    code, out = run("sample", image_run, "--n", 9, "--seed", 4, "--out", tmp_path / "s.npz")
    assert code == 0, out
    written = np.load(tmp_path / "s.npz")
    g = load_generator(image_run)
    assert g.num_classes == 10 and g.step == 6
    images = g.sample(9, labels=torch.as_tensor(written["labels"]), seed=4)
    assert images.dtype == torch.uint8 and images.shape == (9, 1, 28, 28)
    assert np.array_equal(images.permute(0, 2, 3, 1).numpy(), written["images"])


def test_noise_row_depends_only_on_seed_and_index(image_run):
    g = load_generator(image_run)
    many = g.noise(40, seed=7)
    assert torch.equal(g.noise(1, seed=7)[0], many[0]) and torch.equal(g.noise(25, seed=7), many[:25])
    assert not torch.equal(g.noise(1, seed=8)[0], many[0])


def test_keep_checkpoints_keeps_exactly_the_last_two(image_run, tmp_path):
    folder = image_run / "checkpoints"
    assert sorted(p.name for p in folder.glob("step_*.pt")) == ["step_0000004.pt", "step_0000006.pt"]
    assert len(list(folder.glob("step_*.generator.safetensors"))) == 2
    assert load_generator(image_run, checkpoint=4).step == 4
    code, out = run("sample", image_run, "--checkpoint", 2, "--out", tmp_path / "x.npz")
    assert code == 2 and "no checkpoint '2'" in one_error_line(out) and "4, 6" in out
    assert not (tmp_path / "x.npz").exists()


def test_best_checkpoint_names_its_evaluation(image_run):
    best = json.loads((image_run / "checkpoints" / "best.json").read_text())
    assert best["step"] in (3, 6) and best["metric"].startswith("fid")
    assert load_generator(image_run, checkpoint="best").step == best["step"]


def test_a_generator_file_alone_is_enough(image_run, tmp_path):
    alone = tmp_path / "g.safetensors"
    shutil.copy(image_run / "checkpoints" / "generator.safetensors", alone)
    assert torch.equal(load_generator(alone).sample(4, labels=1), load_generator(image_run).sample(4, labels=1))


def test_the_weight_average_or_the_trained_weights(image_run):
    ema, trained = load_generator(image_run), load_generator(image_run, ema=False)
    assert not torch.equal(ema.sample(4, labels=0), trained.sample(4, labels=0))


def test_truncation_keeps_noise_within_psi(image_run):
    z = load_generator(image_run).noise(200, seed=0, truncation=0.5)
    assert z.abs().max() <= 0.5 and z.std() < 0.5


# ---- interpolation ------------------------------------------------------------------------------------
def test_interpolation_ends_are_the_samples_of_their_seeds(image_run):
    from wgan.tools.interpolate import walk

    g = load_generator(image_run)
    (path,) = walk(g, [2, 5], frames=6)
    assert torch.allclose(path[0], g.noise(1, seed=2)[0], atol=1e-6)
    assert torch.allclose(path[-1], g.noise(1, seed=5)[0], atol=1e-6)
    walked = g.decode(path, torch.full((6,), 7))
    assert torch.equal(walked[0], g.sample(1, labels=7, seed=2)[0])
    assert torch.equal(walked[-1], g.sample(1, labels=7, seed=5)[0])


@pytest.mark.parametrize("name", ["walk.png", "walk.gif"])
def test_interpolate_writes_a_grid_or_an_animation(image_run, tmp_path, name):
    from PIL import Image

    code, out = run("interpolate", image_run, "--seeds", "0,1,2", "--frames", 4, "--out", tmp_path / name)
    assert code == 0, out
    with Image.open(tmp_path / name) as picture:
        frames = getattr(picture, "n_frames", 1)
        assert picture.width > 28 and (frames > 1) == name.endswith(".gif")


# ---- export -------------------------------------------------------------------------------------------
RUN_TORCHSCRIPT = """
import sys, torch
module = torch.jit.load(sys.argv[1])
inputs = torch.load(sys.argv[2])
torch.save(module(inputs["z"], inputs["labels"]), sys.argv[3])
assert not any(name == "wgan" or name.startswith("wgan.") for name in sys.modules), "wgan was imported"
"""


def test_torchscript_export_runs_without_wgan_and_gives_the_same_pixels(image_run, tmp_path):
    code, out = run("export", image_run, "--format", "torchscript", "--out", tmp_path / "g.pt")
    assert code == 0, out
    g = load_generator(image_run)
    labels = torch.arange(10)
    torch.save({"z": g.noise(10, seed=3), "labels": labels}, tmp_path / "in.pt")
    proc = subprocess.run([sys.executable, "-c", RUN_TORCHSCRIPT, tmp_path / "g.pt", tmp_path / "in.pt",
                           tmp_path / "out.pt"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert torch.equal(torch.load(tmp_path / "out.pt"), g.sample(10, labels=labels, seed=3))


def test_onnx_export_gives_the_same_pixels(image_run, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="the onnx extra (pip install 'wgan[onnx]') is not installed")
    pytest.importorskip("onnx", reason="the onnx extra (pip install 'wgan[onnx]') is not installed")
    code, out = run("export", image_run, "--format", "onnx", "--out", tmp_path / "g.onnx")
    assert code == 0, out
    g = load_generator(image_run)
    labels = torch.arange(10)
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    (pixels,) = session.run(None, {"z": g.noise(10, seed=3).numpy(), "labels": labels.numpy()})
    expected = g.sample(10, labels=labels, seed=3).numpy()
    assert pixels.dtype == np.uint8 and pixels.shape == expected.shape
    # Another runtime sums in another order: a pixel at a rounding boundary may move by one level.
    assert np.abs(pixels.astype(int) - expected).max() <= 1 and (pixels == expected).mean() > 0.99


# ---- bad input: one line, exit 2, nothing written -----------------------------------------------------
def test_unknown_export_format(image_run, tmp_path):
    code, out = run("export", image_run, "--format", "pdf", "--out", tmp_path / "g.pdf")
    assert code == 2 and "torchscript" in one_error_line(out) and not (tmp_path / "g.pdf").exists()


@pytest.mark.parametrize("psi", [0, -1])
def test_truncation_must_be_positive(image_run, tmp_path, psi):
    code, out = run("sample", image_run, "--truncation", psi, "--out", tmp_path / "s.npz")
    assert code == 2 and "--truncation must be positive" in one_error_line(out)
    assert not (tmp_path / "s.npz").exists()


def test_class_out_of_range(image_run, tmp_path):
    code, out = run("sample", image_run, "--class", 10, "--out", tmp_path / "s.npz")
    assert code == 2 and "0..9" in one_error_line(out) and not (tmp_path / "s.npz").exists()
    code, out = run("interpolate", image_run, "--class", -1, "--out", tmp_path / "w.png")
    assert code == 2 and "0..9" in one_error_line(out) and not (tmp_path / "w.png").exists()


def _rewrite(src, dst, change):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(src), framework="pt") as f:
        metadata = f.metadata()
    tensors, metadata = change(load_file(str(src)), dict(metadata))
    save_file(tensors, str(dst), metadata=metadata)
    return dst


def test_a_generator_file_of_another_family(image_run, tmp_path):
    def as_mlp(tensors, metadata):
        info = json.loads(metadata["wgan"])
        info["family"] = info["model"]["generator"] = "mlp"
        return tensors, {**metadata, "wgan": json.dumps(info)}

    path = _rewrite(image_run / "checkpoints" / "generator.safetensors", tmp_path / "g.safetensors", as_mlp)
    code, out = run("sample", path, "--out", tmp_path / "s.npz")
    assert code == 2 and "do not fit" in one_error_line(out) and not (tmp_path / "s.npz").exists()


def test_a_safetensors_file_that_is_not_a_generator(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(WganError, match="not a generator file of this toolkit"):
        load_generator(tmp_path / "other.safetensors")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_corrupt_generator_file(image_run, tmp_path, damage):
    data = (image_run / "checkpoints" / "generator.safetensors").read_bytes()
    path = tmp_path / "g.safetensors"
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x07" * 64 + data[64:])
    code, out = run("export", path, "--format", "torchscript", "--out", tmp_path / "g.pt")
    assert code == 2 and "not a readable safetensors file" in one_error_line(out)
    assert not (tmp_path / "g.pt").exists()


def test_a_run_folder_without_the_checkpoint(image_run, tmp_path):
    empty = tmp_path / "run"
    empty.mkdir()
    shutil.copy(image_run / "config.yaml", empty / "config.yaml")
    code, out = run("sample", empty, "--out", tmp_path / "s.npz")
    assert code == 2 and "no checkpoint" in one_error_line(out)
    code, out = run("sample", image_run, "--checkpoint", "newest", "--out", tmp_path / "s.npz")
    assert code == 2 and "last, best" in one_error_line(out)
