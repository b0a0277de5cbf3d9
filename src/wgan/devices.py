"""Which device a command runs on: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, checked against the hardware."""

from __future__ import annotations

import torch

from .config import check_device_name
from .errors import WganError


def pick_device(name: str, local_rank: int = 0, world_size: int = 1) -> torch.device:
    """The device ``train.device`` names, for the process with this ``local_rank``."""
    check_device_name(name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise WganError(f"--device {name} was asked for but PyTorch sees no CUDA device; "
                            "use --device auto or cpu")
        if name == "cuda":
            name = f"cuda:{local_rank if world_size > 1 else torch.cuda.current_device()}"
        elif world_size > 1:
            raise WganError(f"--device {name}: under torchrun each process takes the GPU of its LOCAL_RANK; "
                            "use --device cuda")
        index = int(name.split(":")[1])
        if index >= torch.cuda.device_count():
            raise WganError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                            f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
        return torch.device(name)
    if name == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise WganError("--device mps was asked for but PyTorch has no MPS device here; use --device auto or cpu")
    return torch.device(name)
