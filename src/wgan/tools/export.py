"""A generator as a file that runs without this toolkit: TorchScript (torch only) or ONNX (onnxruntime).

The exported module maps noise (and, for a conditional run, class labels) to
samples in data space, exactly as ``wgan sample`` writes them: images as
uint8 (N, C, H, W), 2-D points as float (N, 2). Its inputs are ``z`` of shape
(N, latent_dim) and, when conditional, ``labels`` (N,) int64; N may vary.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..errors import WganError
from ..files import atomic_write
from ..handle import GeneratorHandle
from ..registry import Registry

ONNX_OPSET = 17


@dataclass(frozen=True)
class Format:
    """An export format: what runs its files, and ``write(module, example inputs, their names, buffer)``."""

    summary: str
    write: Callable[[nn.Module, tuple, list[str], io.BytesIO], None]


# The formats a generator is exported in (``wgan export --format``), each registered below with its writer.
FORMATS: Registry[Format] = Registry("export format")


class _ToData(nn.Module):
    """Network space -> data space, as :meth:`wgan.data.space.DataSpace.to_data` and the uint8 rounding."""

    def __init__(self, handle: GeneratorHandle):
        super().__init__()
        space = handle.space
        self.image = space.kind == "image"
        scale = space.scale if space.scale is not None else (1.0,) * space.shape[0]
        shift = space.shift if space.shift is not None else (0.0,) * space.shape[0]
        self.register_buffer("scale", torch.tensor(scale, dtype=handle.dtype))
        self.register_buffer("shift", torch.tensor(shift, dtype=handle.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.image:
            pixels = (x.float().clamp(-1.0, 1.0) + 1.0) * 127.5
            return pixels.round().clamp(0, 255).to(torch.uint8)
        return x * self.scale + self.shift


class Unconditional(nn.Module):
    def __init__(self, handle: GeneratorHandle):
        super().__init__()
        self.net, self.to_data = handle.net, _ToData(handle)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.to_data(self.net(z))


class Conditional(Unconditional):
    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.to_data(self.net(z, labels))


def exportable(handle: GeneratorHandle) -> tuple[nn.Module, tuple[torch.Tensor, ...], list[str]]:
    """The module to export, example inputs and their names."""
    handle = handle.to("cpu")
    handle.net.eval()
    z = handle.noise(2, seed=0)
    if handle.num_classes:
        return Conditional(handle).eval(), (z, torch.arange(2) % handle.num_classes), ["z", "labels"]
    return Unconditional(handle).eval(), (z,), ["z"]


def export_generator(handle: GeneratorHandle, out: str | Path, fmt: str) -> Path:
    """Write ``handle``'s generator to ``out`` in the registered format ``fmt``, atomically."""
    write = FORMATS.get(fmt).write
    module, example, names = exportable(handle)
    buffer = io.BytesIO()
    with torch.no_grad():
        write(module, example, names, buffer)
    data = buffer.getvalue()
    return atomic_write(Path(out), lambda tmp: Path(tmp).write_bytes(data), needs_bytes=len(data))


def _export_torchscript(module: nn.Module, example, names: list[str], buffer: io.BytesIO) -> None:
    with warnings.catch_warnings():  # newer torch announces TorchScript's successor; the file still runs
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        traced = torch.jit.trace(module, example, check_trace=False)
        torch.jit.save(traced, buffer)


def _export_onnx(module: nn.Module, example, names: list[str], buffer: io.BytesIO) -> None:
    try:
        import onnx  # noqa: F401  (the exporter writes through it)
    except ImportError:
        raise WganError("ONNX export needs the onnx package: pip install 'wgan[onnx]' (onnx and onnxruntime)") from None
    dynamic = {name: {0: "n"} for name in names}
    dynamic["samples"] = {0: "n"}
    with warnings.catch_warnings():  # the TorchScript-based exporter announces its successor
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example, buffer, input_names=names, output_names=["samples"],
                          dynamic_axes=dynamic, opset_version=ONNX_OPSET, dynamo=False)


FORMATS.register("torchscript", Format("runs with torch alone", _export_torchscript))
FORMATS.register("onnx", Format("runs with onnxruntime; needs pip install 'wgan[onnx]'", _export_onnx))
