"""What a run writes besides numbers: samples over training and the figures.

The training loop calls ``snapshot`` every ``sample_every`` steps and ``finish``
at the end, both with a :class:`~wgan.handle.GeneratorHandle`; both run outside
the hot loop, and ``wgan plot`` calls ``finish`` without any data. Which artefacts fit depends on the
data: 2-D point clouds get scatter plots and critic landscapes (``toy.py``),
images get sample grids (``image.py``).
"""

from __future__ import annotations


def build_artifacts(kind: str, run_dir):
    """The artefacts of a run on ``kind`` data ("toy" or "image") in ``run_dir``."""
    if kind == "toy":
        from .toy import ToyArtifacts

        return ToyArtifacts(run_dir)
    from .image import ImageArtifacts

    return ImageArtifacts(run_dir)
