"""Image runs: fixed-noise sample grids over training, the curves, and the training video.

The grids use the trainer's fixed noise, so consecutive grids show the same
latent points and the eye can follow each sample as the generator learns.
For conditional runs the grid is the AC-WGAN MNIST tutorial's class grid: one column per class,
the same noise along each row, so a row shows one "style" in every class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...plots.curves import plot_losses, plot_wasserstein
from ...plots.images import class_grid_order, make_grid, write_png
from ...run_folder import RunFolder, read_metrics

GRID_SIDE = 10  # a 10x10 grid, as in the AC-WGAN and MNIST-sevens tutorials
# Up to this many classes get one column each; beyond it (CIFAR-100, EMNIST)
# such a grid would be too wide to read, and the classes cycle through a 10x10 grid.
MAX_CLASS_COLUMNS = 20


def fixed_noise_grid(handle) -> np.ndarray:
    """The (H, W, C) uint8 grid of the generator's output on the fixed noise."""
    z_all = handle.fixed_z
    k = handle.num_classes
    if k and k <= MAX_CLASS_COLUMNS:
        labels, noise_index, nrow = class_grid_order(k, min(GRID_SIDE, len(z_all)), by="column")
        z, labels = z_all[torch.as_tensor(noise_index)], torch.as_tensor(labels)
    else:
        z = z_all[:GRID_SIDE * GRID_SIDE]
        labels = torch.arange(len(z)) % k if k else None
        nrow = GRID_SIDE
    images = handle.decode(z, labels).permute(0, 2, 3, 1).numpy()  # NCHW -> NHWC
    return make_grid(images, nrow)


class ImageArtifacts:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.folder = RunFolder(run_dir)

    def snapshot(self, handle, monitor=None) -> Path:
        """``samples/step_NNNNNNN.png`` and, given a monitor, the same grid in TensorBoard."""
        grid = fixed_noise_grid(handle)
        path = write_png(grid, self.folder.grid(handle.step))
        if monitor is not None:
            monitor.image("samples", np.ascontiguousarray(grid.transpose(2, 0, 1)), handle.step)
        return path

    def finish(self, handle, training=None) -> list[Path]:
        """The curves, ``samples/final.png`` and the training video (from two grids on)."""
        records = read_metrics(self.folder.metrics)
        grid = fixed_noise_grid(handle)
        written = [
            plot_losses(records, self.folder.plot("losses")),
            plot_wasserstein(records, self.folder.plot("wasserstein")),
            write_png(grid, self.folder.final_grid),
        ]
        # The last step is rarely a multiple of sample_every: add its grid so
        # that the video ends where training ended.
        last = self.folder.grid(handle.step)
        if not last.exists():
            write_png(grid, last)
        if len(self.folder.grids()) >= 2:
            from ...tools.video import make_video

            written.append(make_video(self.run_dir))
        return written
