"""Optional Weights & Biases logging (the CelebA WGAN-GP tutorial), never required.

``WandbLogger`` is a sink with the same ``log`` / ``image`` / ``close``
methods as the rest of the monitoring, so the ``Monitor`` can hand it every
logged number and sample grid; ``watch`` adds the CelebA WGAN-GP tutorial's gradient and parameter
histograms. ``mode="offline"`` needs no network and no account: the run is
recorded under ``RUN_DIR/wandb`` and can be uploaded later with
``wandb sync RUN_DIR/wandb/offline-run-*``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np

from ..errors import WganError, choice_error
from ..run_folder import RunFolder

MODES = ("offline", "online")
PROJECT = "wgan"
_ID_FILE = "wgan-run-id"  # inside RUN_DIR/wandb: a resumed training continues the same W&B run


class WandbLogger:
    def __init__(self, run_dir: str | os.PathLike, cfg_dict: dict, mode: str = "offline",
                 project: str | None = None):
        if mode not in MODES:
            raise choice_error("W&B mode", mode, MODES)
        try:
            import wandb
        except ImportError:
            raise WganError("W&B logging needs the wandb package: pip install wandb "
                            "(or pip install 'wgan[wandb]')") from None
        self._wandb = wandb
        run_dir = Path(run_dir)
        wandb_dir = RunFolder(run_dir).wandb
        wandb_dir.mkdir(parents=True, exist_ok=True)
        id_file = wandb_dir / _ID_FILE
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex[:12] + "\n")
        self.run = wandb.init(
            project=project or os.environ.get("WANDB_PROJECT", PROJECT),
            name=run_dir.name,
            id=id_file.read_text().strip(),
            resume="allow",
            dir=str(run_dir),  # wandb adds the "wandb" folder itself
            config=cfg_dict,
            mode=mode,
        )

    def log(self, step: int, values: dict[str, float]) -> None:
        self.run.log(dict(values), step=step)

    def image(self, tag: str, image_chw, step: int) -> None:
        hwc = np.asarray(image_chw).transpose(1, 2, 0)
        self.run.log({tag: self._wandb.Image(hwc[..., 0] if hwc.shape[-1] == 1 else hwc)}, step=step)

    def watch(self, generator, critic, log_freq: int = 1000) -> None:
        """Gradient and parameter histograms of both networks every ``log_freq`` backward passes (the CelebA WGAN-GP tutorial)."""
        # Run.watch is wandb >= 0.19; older releases have only the module-level function.
        watch = getattr(self.run, "watch", None) or self._wandb.watch
        watch((generator, critic), log="all", log_freq=log_freq)

    def close(self) -> None:
        self.run.finish()
