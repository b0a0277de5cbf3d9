"""The Inception feature space: a clear message instead of a download, and safe loading of the weights."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from wgan.config import DataConfig
from wgan.errors import WganError
from wgan.features import WEIGHTS_FILE, InceptionFeatures, get_feature_extractor, inception


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


def test_inception_score_agrees_with_torch_fidelity(random_inception_weights, cache, no_network):
    torch_fidelity = pytest.importorskip("torch_fidelity")
    from wgan.metrics import inception_score

    images = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (24, 3, 32, 32), dtype=np.uint8))

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            return images[i]

    theirs = torch_fidelity.calculate_metrics(input1=Images(), isc=True, isc_splits=3, cuda=False, verbose=False,
                                              save_cpu_ram=True,  # no loader worker processes
                                              feature_extractor_weights_path=str(random_inception_weights))
    fx = InceptionFeatures(random_inception_weights, device="cpu")
    features, logits = fx.embed(images.numpy(), features=True, logits=True)
    assert features.shape == (24, 2048) and logits.shape == (24, 1008)
    ours = inception_score(logits, splits=3)
    assert ours["is"] == pytest.approx(theirs["inception_score_mean"], rel=1e-5)
    assert ours["is_std"] == pytest.approx(theirs["inception_score_std"], rel=1e-4, abs=1e-7)


def test_domain_logits_score_as_torch_fidelity_scores_them():
    isc = pytest.importorskip("torch_fidelity.metric_isc")
    from wgan.metrics import inception_score

    logits = np.random.default_rng(2).normal(size=(300, 10)) * 4
    theirs = isc.isc_features_to_metric(torch.from_numpy(logits), splits=10)
    ours = inception_score(logits)
    assert ours["is"] == pytest.approx(theirs["inception_score_mean"], rel=1e-12)
    assert ours["is_std"] == pytest.approx(theirs["inception_score_std"], rel=1e-9)
