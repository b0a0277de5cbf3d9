"""Shared set-up for the feature-space tests: a private cache folder and a counter on training."""

from __future__ import annotations

import pytest

from wgan.features import domain


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """WGAN_CACHE pointed at an empty folder, so no test reads or writes the user's cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("WGAN_CACHE", str(folder))
    monkeypatch.delenv("WGAN_INCEPTION_WEIGHTS", raising=False)
    return folder


@pytest.fixture
def train_calls(monkeypatch):
    """A list that gets one entry per classifier training (the real training still runs)."""
    calls = []
    real = domain.train_classifier

    def counting(images, labels, n_classes, device):
        calls.append(len(images))
        return real(images, labels, n_classes, device)

    monkeypatch.setattr(domain, "train_classifier", counting)
    return calls


@pytest.fixture
def quick_training(monkeypatch):
    """A few optimiser steps only, for tests about caching rather than accuracy."""
    from wgan.features import classifier

    monkeypatch.setattr(classifier, "EPOCHS", 1)
    monkeypatch.setattr(classifier, "MIN_STEPS", 5)
    monkeypatch.setattr(classifier, "MAX_STEPS", 5)

