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

from .space import DataSpace


class Dataset(Protocol):
    name: str
    kind: str  # "toy" (2-D points) or "image"
    shape: tuple[int, ...]  # one sample: (2,) or (C, H, W)
    num_classes: int  # 0 when the source has no labels
    space: DataSpace  # what a generator file records of the data (kind, shape, class names, normalisation)
    size: int | None  # samples in one pass over the data (an epoch); None for the endless 2-D toys
    streaming: bool  # read from disk by worker processes while training (not replayable in a CUDA graph)

    def state_dict(self) -> dict:
        """Where the data set is in its stream, for a checkpoint ({} when it has no such state)."""

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict`'s record."""

    def to(self, device: torch.device) -> "Dataset":
        """Move the stored data to ``device`` (returns self)."""

    def sample(self, n: int, random) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch ``(x, labels)`` on the data set's device, normalised; labels None if unlabelled."""

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``n`` real samples in data coordinates (CPU), reproducible from ``seed``, for evaluation."""

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: network space -> data coordinates (images: [-1, 1] -> [0, 255])."""
