import numpy as np
import pytest

from wgan.plots.toy import (
    finite_difference_grad_norm,
    plot_critic_landscape,
    plot_feature_space,
    plot_scatter_snapshots,
    select_snapshots,
)

RNG = np.random.default_rng(0)
REAL = np.column_stack([x := 100 * (RNG.random(1000) - 0.5), 10 + x**2])  # the quadratic-curve GAN tutorial's quadratic
FAKE = RNG.normal(size=(300, 2)) * [10.0, 100.0]


def test_select_snapshots_evenly_spaced_with_first_and_last():
    picked = select_snapshots(101, 12)
    assert len(picked) == 12
    assert picked[0] == 0 and picked[-1] == 100
    gaps = np.diff(picked)
    assert gaps.min() >= 1 and gaps.max() - gaps.min() <= 1
    assert select_snapshots(13, 12)[-1] == 12 and len(set(select_snapshots(13, 12))) == 12
    assert select_snapshots(5, 12) == [0, 1, 2, 3, 4]
    assert select_snapshots(7, 1) == [6]
    assert select_snapshots(0, 12) == []
    with pytest.raises(ValueError):
        select_snapshots(5, 0)


def test_plot_scatter_snapshots(tmp_path, png):
    snapshots = [(1000 * k, FAKE * (1 + k)) for k in range(30)]
    path = tmp_path / "scatter.png"
    assert plot_scatter_snapshots(REAL, snapshots, path, max_panels=6) == path
    png(path)
    png(plot_scatter_snapshots(REAL, snapshots[:1], tmp_path / "one.png"))
    png(plot_scatter_snapshots(REAL, [], tmp_path / "none.png"))


def test_plot_scatter_snapshots_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="real"):
        plot_scatter_snapshots(REAL[:, 0], [(0, FAKE)], tmp_path / "x.png")
    with pytest.raises(ValueError, match="step 5"):
        plot_scatter_snapshots(REAL, [(5, np.zeros((3, 3)))], tmp_path / "x.png")


def test_finite_difference_gradient_of_linear_critic_is_exact():
    w, b = np.array([3.0, -4.0]), 0.5
    points = RNG.normal(size=(100, 2)) * 50
    norms = finite_difference_grad_norm(lambda p: p @ w + b, points)
    np.testing.assert_allclose(norms, np.linalg.norm(w), rtol=1e-6)
    # Per-axis steps, as used for data with very different axis scales.
    norms = finite_difference_grad_norm(lambda p: p @ w + b, points, step=[0.1, 2.5])
    np.testing.assert_allclose(norms, 5.0, rtol=1e-6)


def test_finite_difference_gradient_of_quadratic_critic():
    # Central differences are exact for quadratics: |grad (x^2 + y^2)| = 2|p|.
    points = RNG.normal(size=(50, 2))
    norms = finite_difference_grad_norm(lambda p: (p**2).sum(axis=1), points, step=0.01)
    np.testing.assert_allclose(norms, 2 * np.linalg.norm(points, axis=1), rtol=1e-6)


def test_finite_difference_rejects_bad_step():
    with pytest.raises(ValueError, match="step"):
        finite_difference_grad_norm(lambda p: p[:, 0], np.zeros((2, 2)), step=0.0)


def test_plot_critic_landscape(tmp_path, png):
    def critic(p):
        return np.tanh(0.05 * p[:, 0]) - 1e-3 * p[:, 1]
    path = tmp_path / "landscape.png"
    assert plot_critic_landscape(critic, REAL, FAKE, path, grid=40) == path
    png(path)
    # An analytic gradient field, (K, 1)-shaped output and explicit bounds.
    png(plot_critic_landscape(lambda p: critic(p)[:, None], REAL, FAKE, tmp_path / "g.png",
                              grad_fn=lambda p: np.ones(len(p)), grid=30,
                              bounds=(-60, 60, -100, 2600)))


def test_plot_critic_landscape_constant_critic(tmp_path, png):
    png(plot_critic_landscape(lambda p: np.zeros(len(p)), REAL, FAKE, tmp_path / "c.png", grid=20))


def test_plot_critic_landscape_rejects_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="critic_fn"):
        plot_critic_landscape(lambda p: np.zeros(3), REAL, FAKE, tmp_path / "x.png", grid=10)
    with pytest.raises(ValueError, match="bounds"):
        plot_critic_landscape(lambda p: p[:, 0], REAL, FAKE, tmp_path / "x.png", grid=10,
                              bounds=(1, 0, 0, 1))
    assert not list(tmp_path.iterdir())


def test_plot_feature_space(tmp_path, png):
    before = {"real": RNG.normal(size=(400, 2)) + [2, 1], "fake": RNG.normal(size=(400, 2)) - 1}
    after = {"real": before["real"], "fake": RNG.normal(size=(400, 2)) * 0.5}
    path = tmp_path / "feature.png"
    assert plot_feature_space(before, after, path) == path
    png(path)
    # Identical clouds before and after (a generator step that did nothing).
    png(plot_feature_space(before, before, tmp_path / "same.png"))


def test_plot_feature_space_requires_both_clouds(tmp_path):
    with pytest.raises(ValueError, match="fake"):
        plot_feature_space({"real": np.zeros((3, 2))}, {"real": np.zeros((3, 2)), "fake": np.zeros((3, 2))},
                           tmp_path / "x.png")


def test_scatter_snapshot_steps_of_any_type(tmp_path, png):
    snapshots = [(np.int64(2000), FAKE), (2500.5, FAKE), ("final", np.full((10, 2), np.nan))]
    png(plot_scatter_snapshots(REAL, snapshots, tmp_path / "steps.png"))
