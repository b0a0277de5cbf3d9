"""Data sets by name or path: the 2-D toys here, images in ``images.py`` and ``sources/``."""

from __future__ import annotations

from ..config import DataConfig
from ..errors import WganError
from .toy import TOY_SETS, ToyDataset


def build_dataset(cfg: DataConfig, seed: int = 0):
    """The data set a config names, on the CPU (the trainer moves it to its device)."""
    if cfg.name in TOY_SETS:
        for key, value in (("classes", cfg.classes), ("image_size", cfg.image_size), ("channels", cfg.channels)):
            if value:
                raise WganError(f"data.{key} applies to image data; {cfg.name} is 2-D points "
                                f"(without labels): leave --{key.replace('_', '-')} out")
        return ToyDataset(cfg.name, normalize=cfg.normalize, seed=seed)
    from .images import load_image_dataset  # images need torchvision/PIL: import only when used

    return load_image_dataset(cfg)
