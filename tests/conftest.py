import io
import os
import shutil
import tempfile

import pytest
import torch

from wgan.config import Config
from wgan.presets import preset_config


def pytest_configure(config):
    """Every test session starts from an empty cache folder of its own, as CI does: nothing is read
    from or left in the user's (kept decoded images, trained domain classifiers, references)."""
    os.environ["WGAN_CACHE"] = tempfile.mkdtemp(prefix="wgan-test-cache-")


def pytest_unconfigure(config):
    """The session's cache folder goes with the session."""
    folder = os.environ.get("WGAN_CACHE", "")
    if os.path.basename(folder).startswith("wgan-test-cache-"):
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` skip, with the reason, where PyTorch sees no CUDA device."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (marked gpu)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tiny_toy_config() -> Config:
    """A WGAN-GP 8gaussians config small enough to train in a second on a CPU. One thread: with
    train.threads=auto the count follows the machine's load, and another count rounds differently,
    so the tests that compare runs bit for bit would depend on what else runs."""
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.update({"model": {"width": 16, "depth": 2},
                "train": {"steps": 6, "batch_size": 32, "n_critic": 2, "log_every": 2, "sample_every": 3,
                          "checkpoint_every": 3, "device": "cpu", "threads": 1}})
    return cfg


@pytest.fixture
def tiny_images(tmp_path):
    """50 labelled 28x28 grayscale images (five per class) as an .npz the loaders accept."""
    import numpy as np

    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), labels=np.arange(50) % 10)
    return path


@pytest.fixture
def tiny_rgb_images(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    path = tmp_path / "tiny_rgb.npz"
    np.savez(path, images=rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    return path


@pytest.fixture
def tiny_image_config(tiny_toy_config, tiny_images) -> Config:
    """tiny_toy_config's schedule on tiny_images with a width-8 DCGAN (WGAN-GP, lambda 10)."""
    cfg = tiny_toy_config
    cfg.update({"data": {"name": str(tiny_images), "split": "all"},
                "model": {"generator": "dcgan", "critic": "dcgan", "latent_dim": 16, "width": 8},
                "loss": {"gp_lambda": 10.0}, "train": {"batch_size": 8}})
    return cfg


@pytest.fixture
def random_inception_weights(tmp_path, monkeypatch):
    """A weights file in torch-fidelity's layout holding random values (the real file cannot be fetched here)."""
    fe = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    empty = io.BytesIO()
    torch.save({}, empty)
    empty.seek(0)
    with monkeypatch.context() as m:
        m.setattr(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state, strict=True: None)
        model = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=empty)
    from wgan.features import WEIGHTS_FILE

    path = tmp_path / WEIGHTS_FILE
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """WGAN_CACHE pointed at an empty folder, so no test reads or writes the user's cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("WGAN_CACHE", str(folder))
    monkeypatch.delenv("WGAN_INCEPTION_WEIGHTS", raising=False)
    return folder


@pytest.fixture
def quick_training(monkeypatch):
    """A few optimiser steps only, for tests about caching rather than accuracy."""
    from wgan.features import classifier

    monkeypatch.setattr(classifier, "EPOCHS", 1)
    monkeypatch.setattr(classifier, "MIN_STEPS", 5)
    monkeypatch.setattr(classifier, "MAX_STEPS", 5)
