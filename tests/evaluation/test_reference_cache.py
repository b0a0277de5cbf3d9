"""The real side of an evaluation is computed once per data, extractor and protocol, then read back."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.evaluation import reference as reference_module
from wgan.evaluation.reference import cached_reference, reference_cache_path
from wgan.features import get_feature_extractor


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.npz"
    rng = np.random.default_rng(0)
    np.savez(path, images=rng.integers(0, 256, (60, 8, 8, 1), dtype=np.uint8), labels=np.arange(60) % 3)
    return DataConfig(name=str(path), split="all")


@pytest.fixture
def builds(monkeypatch):
    """One entry per reference computed from the images (the real computation still runs)."""
    calls = []
    real = reference_module.build_reference

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reference_module, "build_reference", counting)
    return calls


def test_a_second_evaluation_reads_the_reference_back(cache, quick_training, data, builds):
    first = cached_reference(data, "domain", device="cpu")
    second = cached_reference(data, "domain", device="cpu")
    assert len(builds) == 1
    assert np.array_equal(first.mean, second.mean) and np.array_equal(first.cov, second.cov)
    assert np.array_equal(first.sample, second.sample) and np.array_equal(first.labels, second.labels)
    assert (second.split, second.count, second.protocol) == (first.split, first.count, first.protocol)
    assert len(list((cache / "references").glob("heldout-domain-*.npz"))) == 1


def test_other_real_images_or_changed_data_are_computed_again(cache, quick_training, data, builds):
    cached_reference(data, "domain", device="cpu")
    cached_reference(data, "domain", device="cpu", protocol="paper")  # the train split
    assert len(builds) == 2
    shared = cached_reference(data, "domain", device="cpu", protocol="paper-test")  # the same images as quick
    assert len(builds) == 2 and shared.protocol == "paper-test"
    extractor = get_feature_extractor("domain", data, device="cpu")
    before = reference_cache_path(data, extractor, "quick")
    stat = os.stat(data.name)
    os.utime(data.name, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file rewritten
    assert reference_cache_path(data, extractor, "quick") != before


def test_a_cache_that_cannot_be_written_warns_and_the_evaluation_goes_on(cache, quick_training, data,
                                                                        monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reference_module, "save_reference", refuse)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = cached_reference(data, "domain", device="cpu")
    assert ref.count == 12  # the held-out fifth of 60
    assert any("could not keep the reference features" in str(w.message) for w in caught)
