"""The folded Inception (a resize by two matrix products, BatchNorm folded into the convolutions) gives
torch-fidelity's features: the same arithmetic, rounded in another order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wgan.features import InceptionFeatures
from wgan.features.inception_folded import FoldedInception, tf1_resize_matrix

from .test_inception_port import port_file  # noqa: F401  (a fixture: the port converted once per module)

TOLERANCE = 1e-4  # of the pool features, which reach about 5 on these images


@pytest.mark.parametrize("size", [(28, 28), (64, 64), (32, 48)])
def test_the_resize_matrices_are_tensorflow_1s_bilinear_resize(size):
    fidelity = pytest.importorskip("torch_fidelity.interpolate_compat_tensorflow")
    x = torch.randint(0, 256, (4, 3, *size), generator=torch.Generator().manual_seed(0)).float()
    ours = tf1_resize_matrix(size[0]) @ x @ tf1_resize_matrix(size[1]).T
    theirs = fidelity.interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    assert ours.shape == theirs.shape == (4, 3, 299, 299)
    assert (ours - theirs).abs().max() < 1e-3  # of 255: rounding only


def test_a_resize_to_its_own_size_is_the_identity():
    assert torch.equal(tf1_resize_matrix(299), torch.eye(299))


def features_both_ways(weights, images):
    folded = InceptionFeatures(weights, device="cpu")
    reference = InceptionFeatures(weights, device="cpu", folded=False)
    assert isinstance(folded.extractor, FoldedInception) and not isinstance(reference.extractor, FoldedInception)
    return folded.embed(images, logits=True), reference.embed(images, logits=True)


@pytest.mark.parametrize("shape", [(6, 28, 28, 1), (4, 32, 32, 3)])
def test_the_ports_features_match_torch_fidelitys_forward(port_file, shape):  # noqa: F811
    images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    (ours, _), (theirs, _) = features_both_ways(port_file, images)
    assert np.abs(theirs).max() > 1  # real features, not zeros
    assert np.abs(ours - theirs).max() <= TOLERANCE


def test_the_logits_match_too(random_inception_weights):
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    (pool, logits), (pool_ref, logits_ref) = features_both_ways(random_inception_weights, images)
    assert logits.shape == logits_ref.shape == (3, 1008)
    scale = max(np.abs(logits_ref).max(), 1.0)
    assert np.abs(logits - logits_ref).max() <= TOLERANCE * scale
    assert np.abs(pool - pool_ref).max() <= TOLERANCE * max(np.abs(pool_ref).max(), 1.0)
