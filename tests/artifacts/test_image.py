"""ImageArtifacts on a stand-in generator whose images say which noise and label made them."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from wgan.data.space import DataSpace
from wgan.handle import GeneratorHandle
from wgan.latent import Latent
from wgan.plots.images import PADDING
from wgan.run_folder import RunFolder
from wgan.training.artifacts.image import ImageArtifacts

H = W = 6


class ConstantImages(torch.nn.Module):
    """Each image is constant: 100 * label + the first coordinate of its noise."""

    def __init__(self, channels):
        super().__init__()
        self.channels = channels
        self.unused = torch.nn.Parameter(torch.zeros(()))  # gives the handle a device and dtype

    def forward(self, z, labels=None):
        value = z[:, 0] + (0 if labels is None else 100 * labels.float())
        return value[:, None, None, None].expand(-1, self.channels, H, W) / 127.5 - 1  # network space [-1, 1]


def stand_in(run_dir, num_classes=0, channels=1):
    """A generator handle whose image i of the fixed noise reads back from the grid as i (+ 100 * label)."""
    for sub in ("samples", "plots"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    fixed_z = torch.arange(100, dtype=torch.float32)[:, None].repeat(1, 3)  # row i of z holds i
    return GeneratorHandle(ConstantImages(channels), DataSpace("image", (channels, H, W)), Latent(3), num_classes,
                           fixed_z, step=0)


def grid_pixels(path):
    with Image.open(path) as im:
        return np.asarray(im)


def cell_value(grid, row, col):
    top, left = PADDING + row * (H + PADDING), PADDING + col * (W + PADDING)
    values = np.unique(grid[top:top + H, left:left + W])
    assert len(values) == 1
    return int(values[0])


class RecordingMonitor:
    def __init__(self):
        self.calls = []

    def image(self, tag, image_chw, step):
        self.calls.append((tag, image_chw, step))


def test_snapshot_writes_fixed_noise_grid_and_tensorboard_image(tmp_path):
    handle = stand_in(tmp_path)
    handle.step = 250
    monitor = RecordingMonitor()
    path = ImageArtifacts(tmp_path).snapshot(handle, monitor)
    assert path == tmp_path / "samples" / "step_0000250.png"
    grid = grid_pixels(path)
    side = 10 * (H + PADDING) + PADDING
    assert grid.shape == (side, side)
    assert [cell_value(grid, r, c) for r, c in ((0, 0), (0, 9), (3, 4), (9, 9))] == [0, 9, 34, 99]
    (tag, chw, step), = monitor.calls
    assert tag == "samples" and step == 250
    assert chw.dtype == np.uint8 and chw.shape == (1, side, side)
    np.testing.assert_array_equal(chw[0], grid)


def test_snapshot_without_monitor_and_rgb(tmp_path):
    handle = stand_in(tmp_path, channels=3)
    path = ImageArtifacts(tmp_path).snapshot(handle)
    assert path.name == "step_0000000.png"
    assert grid_pixels(path).shape[-1] == 3


def test_conditional_snapshot_is_a_class_grid(tmp_path):
    """Keras AC-WGAN MNIST tutorial: column c holds class c; along a row the noise is the same."""
    handle = stand_in(tmp_path, num_classes=2)  # 100 * label + noise stays below 256
    grid = grid_pixels(ImageArtifacts(tmp_path).snapshot(handle))
    assert grid.shape == (10 * (H + PADDING) + PADDING, 2 * (W + PADDING) + PADDING)
    for row in range(10):
        for col in range(2):
            assert cell_value(grid, row, col) == 100 * col + row


def test_many_classes_cycle_through_a_10x10_grid(tmp_path):
    handle = stand_in(tmp_path, num_classes=100)
    seen = []
    handle.generate = lambda z, labels=None: seen.append(labels) or torch.zeros(len(z), 1, H, W)  # noqa: E501
    grid = grid_pixels(ImageArtifacts(tmp_path).snapshot(handle))
    assert grid.shape == (10 * (H + PADDING) + PADDING,) * 2
    assert seen[0].tolist() == list(range(100))


def test_finish_writes_plots_final_grid_and_video(tmp_path):
    handle = stand_in(tmp_path)
    artifacts = ImageArtifacts(tmp_path)
    records = [{"step": s, "loss_critic": -1.0 / s, "loss_generator": 0.5, "wasserstein": 1.0 / s}
               for s in (10, 20, 30)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    for step in (0, 250):
        handle.step = step
        artifacts.snapshot(handle)
    handle.step = 300  # not a multiple of sample_every: finish adds the last grid
    written = artifacts.finish(handle)
    names = [p.relative_to(tmp_path).as_posix() for p in written]
    assert names[:3] == ["plots/losses.png", "plots/wasserstein.png", "samples/final.png"]
    assert names[3] in ("plots/progress.gif", "plots/progress.mp4")
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert RunFolder(tmp_path).grid(300).is_file()


def test_finish_with_a_single_grid_makes_no_video(tmp_path):
    handle = stand_in(tmp_path)
    written = ImageArtifacts(tmp_path).finish(handle)  # step 0: final grid is the only grid
    assert [p.name for p in written] == ["losses.png", "wasserstein.png", "final.png"]


@pytest.mark.parametrize("num_classes", [0, 10])
def test_tensorboard_accepts_the_grid(tmp_path, num_classes):
    """The real Monitor writes the snapshot as a TensorBoard image."""
    from wgan.training.monitor import Monitor

    handle = stand_in(tmp_path, num_classes=num_classes)
    handle.generate = lambda z, labels=None: torch.zeros(len(z), 1, H, W)
    monitor = Monitor(tmp_path, total_steps=1, progress=False)
    ImageArtifacts(tmp_path).snapshot(handle, monitor)
    monitor.close()
    assert list(tmp_path.glob("events.out.tfevents.*"))
