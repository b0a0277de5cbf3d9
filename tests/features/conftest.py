"""Shared set-up for the feature-space tests: a counter on training (the private cache folder and the
short training are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from wgan.features import domain


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
