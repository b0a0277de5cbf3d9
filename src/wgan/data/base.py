"""What every data set offers the trainer.

A data set lives on the training device and hands out batches there, so that
the training step never waits on the host: ``sample`` draws a batch with the
training step's random numbers (a :class:`~wgan.rng.SharedRandom`, keyed on
the step, so that every process of a data-parallel run takes its own part of
the global batch), already normalised to the space the networks see.
``to_data`` undoes that normalisation for anything written for a user.
"""

from __future__ import annotations

from typing import Protocol

import torch


class Dataset(Protocol):
    name: str
    kind: str  # "toy" (2-D points) or "image"
    shape: tuple[int, ...]  # one sample: (2,) or (C, H, W)
    num_classes: int  # 0 when the source has no labels

    def to(self, device: torch.device) -> "Dataset":
        """Move the stored data to ``device`` (returns self)."""

    def sample(self, n: int, random) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch ``(x, labels)`` on the data set's device, normalised; labels None if unlabelled."""

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``n`` real samples in data coordinates (CPU), reproducible from ``seed``, for evaluation."""

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: network space -> data coordinates (images: [-1, 1] -> [0, 255])."""
