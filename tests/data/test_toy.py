import numpy as np
import pytest
import torch

from wgan.data.toy import TOY_SETS, ToyDataset
from wgan.errors import WganError
from wgan.rng import SharedRandom


def test_quadratic_points_lie_on_the_parabola_in_data_coordinates():
    data = ToyDataset("quadratic", normalize=True)
    x, _ = data.sample(256, SharedRandom(0, "cpu"))
    points = data.to_data(x)
    assert torch.allclose(points[:, 1], 10 + points[:, 0] ** 2, rtol=1e-4, atol=1e-2)
    assert points[:, 0].abs().max() <= 50
    assert x.std(0).sub(1).abs().max() < 0.2  # the networks see standardised values


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_mixture_samples_sit_on_their_modes(name):
    data = ToyDataset(name, normalize=False)
    points = data.reference(5000, seed=0)[0].numpy()
    modes = TOY_SETS[name].modes
    dist = np.linalg.norm(points[:, None] - modes.centers[None], axis=2).min(1)
    assert np.quantile(dist, 0.9) < 3 * modes.sd
    assert abs(points.std(0).mean() - 1.0) < 0.1  # gan_toy scales them to about unit sd


def test_reference_draws_modes_independently_not_in_equal_shares():
    # gan_toy builds 25gaussians with the same number of points on every mode; an
    # evaluation sample must still be independent draws, as a generator's are.
    modes = TOY_SETS["25gaussians"].modes
    points = ToyDataset("25gaussians", normalize=False).reference(2000, seed=0)[0].numpy()
    nearest = np.linalg.norm(points[:, None] - modes.centers[None], axis=2).argmin(1)
    counts = np.bincount(nearest, minlength=25)
    assert counts.sum() == 2000 and counts.std() > 3  # multinomial: sd about 8.9 around 80


def test_reference_samples_differ_by_seed_and_repeat_by_seed():
    data = ToyDataset("8gaussians", normalize=False)
    assert torch.equal(data.reference(100, seed=1)[0], data.reference(100, seed=1)[0])
    assert not torch.equal(data.reference(100, seed=1)[0], data.reference(100, seed=2)[0])


def test_swissroll_scale():
    points = ToyDataset("swissroll", normalize=False).reference(2000, seed=0)[0]
    assert 0.5 < points.abs().max() < 2.5


def test_sampling_is_reproducible_from_the_random_numbers():
    data = ToyDataset("8gaussians")
    a = data.sample(10, SharedRandom(3, "cpu"))[0]
    assert torch.equal(a, data.sample(10, SharedRandom(3, "cpu"))[0])
    assert not torch.equal(a, data.sample(10, SharedRandom(4, "cpu"))[0])


def test_unknown_toy_name():
    with pytest.raises(WganError, match="accepted: 25gaussians, 8gaussians, quadratic, swissroll"):
        ToyDataset("9gaussians")
