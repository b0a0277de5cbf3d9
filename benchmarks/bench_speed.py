"""Speed: the seed-style loop against the toolkit's trainer, same model, device and process.

SPEC.md's protocol: model dcgan28, WGAN-GP lambda 10, Adam(1e-4, (0, 0.9)), n_critic 5,
batch 64, Fashion-MNIST. Prints generator iterations per second of each and the ratio.

    python benchmarks/bench_speed.py                 # best device, 60 s per contender
    python benchmarks/bench_speed.py --seconds 20 --device cpu
    python benchmarks/bench_speed.py --set train.bf16=true   # try a trainer option
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from seed_loop import SeedLoop, fashion_mnist_torchvision  # noqa: E402

from wgan.data.sources.builtin import FASHION_DIR  # noqa: E402
from wgan.presets import preset_config  # noqa: E402
from wgan.trainer import Trainer  # noqa: E402


def speed(step, seconds: float, sync, warmup: int = 3) -> tuple[float, int]:
    """Generator iterations per second of ``step`` over about ``seconds`` (after a warm-up)."""
    for _ in range(warmup):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    sync()
    return n / (time.perf_counter() - start), n


def benchmark_config(device: str, overrides: list[str]):
    cfg = preset_config("wgan-gp-fashion")
    cfg.update({"model": {"generator": "dcgan28", "critic": "dcgan28", "latent_dim": 100},
                "optim": {"name": "adam", "lr_g": 1e-4, "lr_c": 1e-4, "beta1": 0.0, "beta2": 0.9},
                "train": {"batch_size": 64, "n_critic": 5, "device": device}})
    for item in overrides:
        key, _, value = item.partition("=")
        cfg.set(key, value)
    return cfg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed seconds per contender")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the seed loop")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    cfg = benchmark_config(args.device, args.overrides)
    trainer = Trainer(cfg, progress=False)
    device = trainer.device
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} CPU threads")

    torch.manual_seed(0)
    # The seed loop gets freshly built networks of the same architecture and initialisation.
    seed_cfg = benchmark_config(args.device, [])
    seed_trainer = Trainer(seed_cfg, progress=False)
    seed = SeedLoop(seed_trainer.generator, seed_trainer.critic, fashion_mnist_torchvision(FASHION_DIR),
                    device, batch_size=64, n_critic=5, workers=args.workers)
    del seed_trainer

    seed_rate, seed_n = speed(seed.step, args.seconds, sync)
    ours_rate, ours_n = speed(trainer.train_step, args.seconds, sync)
    print("| loop | generator it/s | iterations timed |")
    print("|---|---|---|")
    print(f"| seed-style (torchvision + DataLoader + eager) | {seed_rate:.2f} | {seed_n} |")
    print(f"| wgan trainer | {ours_rate:.2f} | {ours_n} |")
    print(f"ratio wgan / seed-style: {ours_rate / seed_rate:.2f}x")


if __name__ == "__main__":
    main()
