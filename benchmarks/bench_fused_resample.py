"""The ResNets' resampling convolutions, plain against fused (``train.fused_resample``).

Times forward and backward of each UpConv (nearest upsampling, then a 3x3 convolution) and
ConvPool (a 3x3 convolution, then 2x2 mean pooling) shape of the 32x32 ResNets at batch 64,
channels_last, in fp32 and under bf16 autocast: as written (upsample or pool around
``nn.Conv2d``) and as one strided 4x4 convolution (``models/resblocks.py``).

    python benchmarks/bench_fused_resample.py --repeats 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_matmul_conv import milliseconds  # noqa: E402

from wgan.models.resblocks import ConvPool, UpConv  # noqa: E402

# (layer, channels in, channels out, input size): resnet-wgan's (resnet-sngan's generator has 256 channels)
SHAPES = [(UpConv, 128, 128, 8), (UpConv, 128, 128, 16), (UpConv, 256, 256, 16),
          (ConvPool, 128, 128, 32), (ConvPool, 128, 128, 16)]


def layer_milliseconds(layer, x, bf16: bool, repeats: int) -> float:
    def once():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = layer(x)
        out.float().sum().backward()

    return milliseconds(once, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, forward + backward (ms)")
    print("| layer | channels | input | fp32 plain | fp32 fused | bf16 plain | bf16 fused |")
    print("|---|---|---|---|---|---|---|")
    for layer_type, c_in, c_out, size in SHAPES:
        layer = layer_type(c_in, c_out).to(memory_format=torch.channels_last)
        x = torch.randn(args.batch, c_in, size, size).contiguous(memory_format=torch.channels_last)
        x.requires_grad_()
        cells = []
        for bf16 in (False, True):
            for fused in (False, True):
                layer.fused = fused
                cells.append(f"{layer_milliseconds(layer, x, bf16, args.repeats):.1f}")
        print(f"| {layer_type.__name__} | {c_in}->{c_out} | {size}x{size} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
