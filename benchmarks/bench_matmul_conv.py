"""MatmulConv2d against nn.Conv2d on the CPU, for the shapes that decide where it is used.

Prints the forward (no gradients, as in the critic steps' generator pass) and the
forward-and-backward time of each, batch 64, channels_last as the trainer uses
on a CPU. ``train.matmul_conv=auto`` converts the rows marked yes: one output channel,
kernel 2 or more.

    python benchmarks/bench_matmul_conv.py
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from wgan.models.matmul_conv import MatmulConv2d, convertible

# (in channels, out channels, kernel, padding, image side): dcgan28's last layer first, acwgan's
# (2x2 after its own padding to 29 pixels) fourth.
SHAPES = [(128, 1, 7, 3, 28), (128, 1, 5, 2, 28), (128, 1, 3, 1, 28), (128, 1, 2, 0, 29), (128, 1, 1, 0, 28),
          (64, 3, 4, 0, 33), (64, 3, 3, 1, 64)]


def milliseconds(fn, repeats: int) -> float:
    for _ in range(2):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, batch {args.batch}")
    print("| conv | converted by auto | forward ms (Conv2d -> matmul) | forward+backward ms |")
    print("|---|---|---|---|")
    for c_in, c_out, k, pad, side in SHAPES:
        conv = nn.Conv2d(c_in, c_out, k, padding=pad).to(memory_format=torch.channels_last)
        fast = MatmulConv2d(c_in, c_out, k, padding=pad).to(memory_format=torch.channels_last)
        fast.load_state_dict(conv.state_dict())
        x = torch.randn(args.batch, c_in, side, side).contiguous(memory_format=torch.channels_last)
        x.requires_grad_(True)
        times = []
        for net in (conv, fast):
            with torch.no_grad():
                forward = milliseconds(lambda: net(x), args.repeats)
            both = milliseconds(lambda: net(x).sum().backward(), args.repeats)
            times.append((forward, both))
        (f0, b0), (f1, b1) = times
        name = f"{c_in}->{c_out}, {k}x{k}, pad {pad}, {side}px"
        print(f"| {name} | {'yes' if convertible(conv) else 'no'} | {f0:.1f} -> {f1:.1f} | {b0:.1f} -> {b1:.1f} |")


if __name__ == "__main__":
    main()
