"""What a run writes besides numbers: samples over training and the figures.

The trainer calls ``snapshot`` every ``sample_every`` steps and ``finish`` at
the end; both run outside the hot loop. Which artefacts fit depends on the
data: 2-D point clouds get scatter plots and critic landscapes (``toy.py``),
images get sample grids (``image.py``).
"""

from __future__ import annotations


def build_artifacts(trainer):
    if trainer.data.kind == "toy":
        from .toy import ToyArtifacts

        return ToyArtifacts(trainer.run_dir)
    from .image import ImageArtifacts

    return ImageArtifacts(trainer.run_dir)
