"""The Inception feature space: a clear message instead of a download, and safe loading of the weights."""

from __future__ import annotations

import io
import socket

import numpy as np
import pytest
import torch

from wgan.config import DataConfig
from wgan.errors import WganError
from wgan.features import WEIGHTS_FILE, InceptionFeatures, get_feature_extractor
from wgan.features import inception


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("the Inception path tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_without_weights_names_the_file_and_never_downloads(cache, no_network):
    with pytest.raises(WganError) as err:
        get_feature_extractor("inception", DataConfig(name="digits"))
    message = str(err.value)
    assert WEIGHTS_FILE in message and "WGAN_INCEPTION_WEIGHTS" in message
    assert str(cache / WEIGHTS_FILE) in message and "\n" not in message
    assert "never downloaded" in message


def test_env_var_to_a_missing_file_names_it(cache, no_network, monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / WEIGHTS_FILE
    monkeypatch.setenv("WGAN_INCEPTION_WEIGHTS", str(missing))
    with pytest.raises(WganError, match=f"WGAN_INCEPTION_WEIGHTS points to {missing}"):
        InceptionFeatures()


def test_missing_torch_fidelity_says_what_to_install(cache, monkeypatch, tmp_path):
    weights = tmp_path / WEIGHTS_FILE
    torch.save({"w": torch.zeros(1)}, weights)
    monkeypatch.setattr(inception, "_has_torch_fidelity", lambda: False)
    with pytest.raises(WganError, match="pip install torch-fidelity"):
        InceptionFeatures(weights)


class _Payload:
    """A pickle that would create a file when unpickled without weights_only."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_weights_that_hold_code_are_refused_unexecuted(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / WEIGHTS_FILE
    torch.save({"w": _Payload(marker)}, path)
    with pytest.raises(WganError, match="tensor-only"):
        inception.load_weights(path)
    assert not marker.exists()


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
    path = tmp_path / WEIGHTS_FILE
    torch.save(model.state_dict(), path)
    return path


def test_features_from_a_weights_file(random_inception_weights, cache, no_network, monkeypatch):
    monkeypatch.setenv("WGAN_INCEPTION_WEIGHTS", str(random_inception_weights.parent))  # a folder works too
    fx = get_feature_extractor("inception", DataConfig(name="digits"), device="cpu")
    assert fx.name == "inception" and fx.predict is None
    gray = np.random.default_rng(0).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    feats = fx.features(gray)
    assert feats.shape == (3, 2048) and feats.dtype == np.float32 and np.isfinite(feats).all()
    # Grayscale is repeated to RGB; a float [-1, 1] batch gives the same uint8 pixels.
    rgb = np.repeat(gray, 3, axis=-1).transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(fx.features(rgb), feats, rtol=1e-4, atol=1e-4)


def test_wrong_weights_file_is_a_clear_error(cache, tmp_path):
    pytest.importorskip("torch_fidelity")
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(WganError, match="is not torch-fidelity's Inception-v3 weights"):
        InceptionFeatures(path)
