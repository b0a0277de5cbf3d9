import math

import numpy as np
import pytest

from wgan.plots.curves import moving_average, plot_losses, plot_wasserstein, series


def make_records(n=200, penalty=True, clip=False):
    rng = np.random.default_rng(0)
    records = []
    for i in range(n):
        step = 10 * i
        record = {"step": step, "wall_time": 0.01 * step,
                  "loss_critic": -1.0 + 0.1 * rng.normal(), "loss_generator": 0.5 + 0.1 * rng.normal(),
                  "loss_critic_real": -0.7, "loss_critic_fake": 0.3,
                  "wasserstein": math.exp(-i / 50) + 0.05 * rng.normal(), "grad_norm": 1.0 + 0.1 * rng.normal()}
        if penalty:
            record["penalty"] = 0.1 * math.exp(-i / 30)
        if clip:
            record["clip_fraction"] = min(1.0, i / 100)
        records.append(record)
    return records


def test_plot_losses_writes_png_and_returns_path(tmp_path, png):
    path = tmp_path / "plots" / "losses.png"  # parent folder does not exist yet
    assert plot_losses(make_records(clip=True), path) == path
    png(path)
    # Written through a temporary file that must not be left behind.
    assert [p.name for p in path.parent.iterdir()] == ["losses.png"]


def test_plot_losses_skips_missing_and_non_finite_values(tmp_path, png):
    records = make_records(50)
    records[3]["loss_critic"] = float("nan")
    records[4]["loss_generator"] = None
    records[5]["penalty"] = float("inf")
    records[6]["grad_norm"] = "n/a"
    del records[7]["loss_critic"]
    del records[8]["step"]
    records.append({"step": 999})  # a record with nothing plottable
    png(plot_losses(records, tmp_path / "ragged.png"))


@pytest.mark.parametrize("records", [[], [{"step": 1}], [{"loss_critic": 1.0}],
                                     [{"step": 0, "loss_critic": float("nan")}]])
def test_plot_losses_without_data_still_draws(tmp_path, png, records):
    png(plot_losses(records, tmp_path / "empty.png"))


def test_diagnostic_panels_only_when_logged(tmp_path, png):
    # Each diagnostic present adds a sub-panel, so the figure grows taller.
    bare = png(plot_losses(make_records(penalty=False), tmp_path / "a.png"))
    more = png(plot_losses(make_records(penalty=True, clip=True), tmp_path / "b.png"))
    assert more.shape[0] > bare.shape[0]


def test_plot_wasserstein(tmp_path, png):
    png(plot_wasserstein(make_records(), tmp_path / "w.png"))
    png(plot_wasserstein(make_records(), tmp_path / "w5.png", window=5))
    png(plot_wasserstein([{"step": 0, "loss_critic": 1.0}], tmp_path / "none.png"))


def test_series_skips_bad_values_sorts_and_keeps_last_duplicate():
    records = [{"step": 20, "x": 2.0}, {"step": 10, "x": 1.0}, {"step": 30, "x": float("nan")},
               {"step": 40}, {"step": None, "x": 5.0}, {"step": 20, "x": 7.0}, {"step": 50, "x": True}]
    steps, values = series(records, "x")
    assert steps.tolist() == [10, 20]
    assert values.tolist() == [1.0, 7.0]  # step 20 logged again after a resume: the later wins
    assert [len(a) for a in series([], "x")] == [0, 0]


def test_moving_average():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(moving_average(values, 1), values)
    # Centred window of 3, shrinking at the ends.
    np.testing.assert_allclose(moving_average(values, 3), [1.5, 2.0, 3.0, 4.0, 4.5])
    np.testing.assert_allclose(moving_average(np.full(7, 2.5), 4), np.full(7, 2.5))
    # A window longer than the data is cut to the data.
    np.testing.assert_allclose(moving_average(values, 100), moving_average(values, 5))
    assert moving_average([], 5).shape == (0,)
