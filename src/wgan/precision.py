"""The numbers a run computes in (``train.precision``), one registry of them.

Each precision names the dtype the weights, optimiser state and losses are kept in, and the dtype
the networks compute in under autocast (None: the weights' own). ``auto`` picks per device
(:func:`resolve_precision`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .registry import Registry


@dataclass(frozen=True)
class Precision:
    weights: torch.dtype  # weights, optimiser state and losses
    compute: torch.dtype | None  # the networks' dtype under autocast; None: no autocast
    description: str


PRECISIONS: Registry[Precision] = Registry("precision")
PRECISIONS.register("fp32", Precision(torch.float32, None, "float32 throughout"))
PRECISIONS.register("bf16", Precision(torch.float32, torch.bfloat16, "bfloat16 autocast for the networks"))
PRECISIONS.register("fp16", Precision(torch.float32, torch.float16, "float16 autocast with a gradient scaler per "
                                                                     "network (GPUs without bfloat16)"))
PRECISIONS.register("fp64", Precision(torch.float64, None, "float64 throughout (slow; for checking numerics)"))


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes in bfloat16 natively (x86 AVX-512 BF16 or AMX, Arm's BF16 extension)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags = {f for line in text.splitlines() if line.lower().startswith(("flags", "features"))
             for f in line.split(":", 1)[-1].split()}
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def resolve_precision(name: str, device: torch.device, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """``train.precision``: ``auto`` is bf16 where the device computes in bfloat16 (a CPU with native
    bfloat16, a CUDA device from Ampere on), fp16 on an older CUDA device, fp32 anywhere else."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if device.type == "cpu" and cpu_has_native_bf16(cpuinfo) else "fp32"
