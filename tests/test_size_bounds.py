"""Every size on the command line is checked before work starts: against memory, or against a bound
past which a typo would render for hours."""

import numpy as np
import pytest
from cli_helpers import run, train_toy

ONE_GIB = 2**30


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("image_run")
    data = root / "digits.npz"
    np.savez(data, images=np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8))
    code, out = run("train", "--data", data, "--model", "dcgan", "--set", "model.width=8",
                    "--set", "model.latent_dim=8", "--steps", 4, "--batch-size", 10, "--n-critic", 1,
                    "--set", "train.log_every=2", "--set", "train.sample_every=2", "--device", "cpu",
                    "--no-progress", "--out", root / "runs")
    assert code == 0, out
    (run_dir,) = (root / "runs").iterdir()
    return run_dir


@pytest.fixture
def small_memory(monkeypatch):
    monkeypatch.setattr("wgan.memory.available_memory", lambda: ONE_GIB)


def test_sample_checks_the_count_against_memory(image_run, tmp_path, small_memory):
    code, out = run("sample", image_run, "--n", 10**8, "--out", tmp_path / "s.npz")
    # Twice (28 * 28 pixels and a label of 8 bytes) per image: the chunks, then the array they form.
    assert code == 2 and ("100,000,000 images of 1x28x28 would need 147.5 GiB of memory and 1.0 GiB are "
                          "available; use a smaller --n") in out, out
    assert not (tmp_path / "s.npz").exists()


def test_a_toy_sample_count_is_checked_too(tmp_path, small_memory):
    run_dir = train_toy(tmp_path / "runs")
    code, out = run("sample", run_dir, "--n", 10**9, "--out", tmp_path / "s.npz")
    assert code == 2 and "1,000,000,000 points would need" in out, out


def test_eval_checks_the_count_against_memory(image_run, small_memory):
    code, out = run("eval", image_run, "--n", 10**7)
    assert code == 2 and "evaluating 10,000,000 samples would need" in out and "use a smaller --n" in out, out


def test_a_large_sample_is_drawn_in_uint8_chunks(image_run, tmp_path):
    # More samples than one chunk: the result is the same as drawing them in one go.
    from wgan.handle import load_generator
    from wgan.sampling import draw_samples

    g = load_generator(image_run)
    samples = draw_samples(g, 5200, seed=3)
    assert samples.values.dtype == np.uint8 and samples.values.shape == (5200, 28, 28, 1)
    np.testing.assert_array_equal(samples.values[5000:5010], draw_samples(g, 5010, seed=3).values[5000:])


@pytest.mark.parametrize("args, message", [
    (["--fps", 10**9], "--fps must be in (0, 120], got 1e+09"),
    (["--fps", 0], "--fps must be in (0, 120], got 0"),
    (["--iterations-per-second", 1e-9], "the video would last 1111111.1 h (4 steps at 1e-09 per second); "
                                        "accepted: at most 60 min: raise --iterations-per-second"),
    (["--iterations-per-second", 0], "--iterations-per-second must be positive, got 0"),
    (["--iterations-per-second", 0.002, "--fps", 120], "the video would have 240,120 frames; accepted: at most "
                                                      "100,000: lower --fps"),
])
def test_video_bounds_its_length(image_run, tmp_path, args, message):
    code, out = run("video", image_run, "--out", tmp_path / "v.gif", *args)
    assert code == 2 and message in out, out
    assert not (tmp_path / "v.gif").exists()


@pytest.mark.parametrize("args, message", [
    (["--frames", 10**6], "--frames must be in 2..1000"),
    (["--fps", 1e6], "--fps must be in (0, 120]"),
    (["--seeds", ",".join(map(str, range(200))), "--frames", 1000], "the video would have 199,800 frames"),
])
def test_interpolate_bounds_its_frames(image_run, tmp_path, args, message):
    code, out = run("interpolate", image_run, "--out", tmp_path / "walk.gif", *args)
    assert code == 2 and message in out, out
    assert not (tmp_path / "walk.gif").exists()


def test_an_interpolation_grid_is_checked_against_memory(image_run, tmp_path, small_memory):
    seeds = ",".join(map(str, range(1000)))
    code, out = run("interpolate", image_run, "--seeds", seeds, "--frames", 1000, "--out", tmp_path / "walk.png")
    assert code == 2 and "a grid of 999 x 1000 images would need 1.5 GiB" in out, out
