"""Speed: the tutorial-style loop against the toolkit's trainer, same model, device and process.

The protocol: model dcgan28 (or ``--model resnet-wgan`` at 32x32), WGAN-GP lambda 10, Adam(1e-4, (0, 0.9)), n_critic 5,
batch 64, Fashion-MNIST. Prints generator iterations per second of each and the ratio, then
the FLOPs of one generator iteration, each loop's achieved GFLOP/s against this machine's
fastest matrix products and convolutions, and the trainer's time split into its parts
(``flops.py``), so that "near the limit" is a number.

With ``--quality`` it then races them to a domain FID: the tutorial-style loop trains for
``--reference-minutes`` and the FID it ends with is the target; the wgan trainer (fresh
networks) trains until it reaches that FID or ``--reference-minutes`` run out. FID is
measured every ``--eval-seconds`` of training (the clock stops while it is measured) on
``--n`` images against the test split, in the domain classifier's feature space.

    python benchmarks/bench_speed.py                 # best device, 60 s per contender
    python benchmarks/bench_speed.py --seconds 20 --device cpu
    python benchmarks/bench_speed.py --set train.precision=bf16   # try a trainer option
    python benchmarks/bench_speed.py --model resnet-wgan --device cpu   # the WGAN-GP paper's ResNet, 32x32
    python benchmarks/bench_speed.py --quality --reference-minutes 6 --eval-seconds 15
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from flops import count_flops, peak, speed, step_parts  # noqa: E402
from seed_loop import MODELS, benchmark_config, seed_contender  # noqa: E402

from wgan.training.trainer import Trainer  # noqa: E402


def race(contenders, seconds: float, rounds: int, sync) -> list[tuple[str, float, int]]:
    """(label, it/s, iterations) of each ``(label, step)``, timed in turns for ``seconds`` in all.

    Taking turns in ``rounds`` rounds spreads any drift of the machine's speed over all
    contenders alike; each round's rates are printed so that the spread is visible.
    """
    totals = {label: [0, 0.0] for label, _ in contenders}
    for r in range(rounds):
        rates = []
        for label, step in contenders:
            rate, n = speed(step, seconds / rounds, sync, warmup=3 if r == 0 else 0)
            totals[label][0] += n
            totals[label][1] += n / rate
            rates.append(f"{rate:.2f}")
        print(f"round {r + 1}: " + " | ".join(rates) + " it/s", flush=True)
    return [(label, n / t, n) for label, (n, t) in totals.items()]


def fid_race(step, trainer, minutes: float, every: float, measure, target: float | None, sync):
    """Train with ``step`` for up to ``minutes``, measuring FID every ``every`` training seconds.

    Returns the (training seconds, generator steps, FID) points; stops at the first
    FID at or below ``target`` when one is given.
    """
    points, trained, steps = [], 0.0, 0
    while trained < 60 * minutes:
        start = time.perf_counter()
        while time.perf_counter() - start < every:
            step()
            steps += 1
        sync()
        trained += time.perf_counter() - start
        points.append((trained, steps, measure(trainer)))
        print(f"  {trained:6.0f} s  {steps:6d} steps  FID {points[-1][2]:.2f}", flush=True)
        if target is not None and points[-1][2] <= target:
            break
    return points


def first_time_at(points, target: float):
    return next((p for p in points if p[2] <= target), None)


def quality_race(args, cfg, seed_trainer, seed, sync) -> None:
    from wgan.evaluation.images import compare_to_reference
    from wgan.evaluation.reference import reference_set
    from wgan.metrics import metric_key
    from wgan.sampling import draw_samples

    real = reference_set(cfg.data, "domain", device=seed_trainer.device, log=print)  # features once
    key = metric_key("fid", "domain", args.n, real.split)

    def measure(trainer) -> float:
        fake = draw_samples(trainer.handle(), args.n, seed=0).values
        return float(compare_to_reference(real, fake, ("fid",))[key])

    print(f"tutorial-style loop for {args.reference_minutes} min:")
    reference = fid_race(seed.step, seed_trainer, args.reference_minutes, args.eval_seconds, measure, None, sync)
    target = reference[-1][2]
    torch.manual_seed(1)
    ours = Trainer(benchmark_config(args.device, args.overrides, args.model), progress=False)  # fresh networks
    print(f"wgan trainer ({' '.join(args.overrides) or 'defaults'}) until FID <= {target:.2f}:")
    race = fid_race(ours.train_step, ours, args.reference_minutes, args.eval_seconds, measure, target, sync)
    print("| loop | FID target | training seconds to reach it | generator steps |")
    print("|---|---|---|---|")
    for label, points in (("tutorial-style", reference), ("wgan trainer", race)):
        hit = first_time_at(points, target)
        cells = f"{hit[0]:.0f} | {hit[1]}" if hit else f"not within {60 * args.reference_minutes:.0f} | -"
        print(f"| {label} | {target:.2f} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed seconds per contender")
    parser.add_argument("--rounds", type=int, default=3, help="turns the contenders take within --seconds")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the seed loop")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--model", default="dcgan28", choices=sorted(MODELS),
                        help="dcgan28 (the protocol's) or resnet-wgan (on Fashion-MNIST at 32x32)")
    parser.add_argument("--no-bf16", action="store_true", help="skip the row of the trainer with bf16 autocast")
    parser.add_argument("--quality", action="store_true", help="also race both loops to a domain FID")
    parser.add_argument("--reference-minutes", type=float, default=6.0,
                        help="training time of the tutorial-style loop, whose final FID is the target")
    parser.add_argument("--eval-seconds", type=float, default=15.0, help="training seconds between FIDs")
    parser.add_argument("--n", type=int, default=2000, help="generated images per FID")
    args = parser.parse_args()

    cfg = benchmark_config(args.device, args.overrides, args.model)
    trainer = Trainer(cfg, progress=False)
    device = trainer.device
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, {torch.get_num_threads()} CPU threads")

    seed_trainer, seed = seed_contender(args.device, args.workers, args.model)
    contenders = [("tutorial-style (torchvision + DataLoader + eager)", seed.step),
                  ("wgan trainer" + (f" ({' '.join(args.overrides)})" if args.overrides else ""), trainer.train_step)]
    if not args.no_bf16:
        bf16 = Trainer(benchmark_config(args.device, args.overrides + ["train.precision=bf16"], args.model),
                       progress=False)
        contenders.append(("wgan trainer, bf16 autocast", bf16.train_step))
    if device.type == "cuda":  # the captured iteration is opt-in (train.cuda_graph is off by default)
        for label, extra in (("", []), (", bf16 autocast", ["train.precision=bf16"])):
            graphed = Trainer(benchmark_config(args.device, args.overrides + ["train.cuda_graph=on", *extra],
                                               args.model), progress=False)
            contenders.append((f"wgan trainer, CUDA graph{label}", graphed.train_step))
    rows = race(contenders, args.seconds, args.rounds, sync)
    seed_rate = rows[0][1]
    print("| loop | generator it/s | iterations timed | ratio to tutorial-style |")
    print("|---|---|---|---|")
    for label, rate, n in rows:
        print(f"| {label} | {rate:.2f} | {n} | {rate / seed_rate:.2f}x |")
    print_arithmetic(trainer, seed.step, rows, device, sync)
    if args.quality:
        # Fresh networks for the race: the speed runs above have already trained these.
        seed_trainer, seed = seed_contender(args.device, args.workers, args.model)
        quality_race(args, cfg, seed_trainer, seed, sync)


def print_arithmetic(trainer, seed_step, rows, device, sync) -> None:
    """FLOPs of one generator iteration, each loop's achieved GFLOP/s against this machine's
    peaks, and where the trainer's time goes. The tutorial-style loop's FLOPs are its own: the
    trainer's speed options can do the same iteration with fewer (train.fused_resample)."""
    flops = count_flops(trainer.train_step)
    seed_flops = count_flops(seed_step)
    peaks = {dtype: peak(dtype, device) for dtype in (torch.float32, torch.bfloat16)}
    print(f"\nFLOPs per generator iteration (matrix products and convolutions): wgan trainer {flops / 1e9:.1f} "
          f"GFLOP, tutorial-style loop {seed_flops / 1e9:.1f} GFLOP")
    print("| kernel | fp32 GFLOP/s | bf16 GFLOP/s |")
    print("|---|---|---|")
    def cell(dtype, kernel):  # a kernel this CPU lacks in one dtype (flops.peak leaves it out) shows as a dash
        return f"{peaks[dtype][kernel] / 1e9:.0f}" if kernel in peaks[dtype] else "–"

    for kernel in dict.fromkeys([*peaks[torch.float32], *peaks[torch.bfloat16]]):
        print(f"| {kernel} | {cell(torch.float32, kernel)} | {cell(torch.bfloat16, kernel)} |")
    print("| loop | achieved GFLOP/s | share of the best matrix product | share of the best kernel |")
    print("|---|---|---|---|")
    for i, (label, rate, _) in enumerate(rows):
        rates = peaks[torch.bfloat16 if "bf16" in label else torch.float32]
        product = max(r for kernel, r in rates.items() if kernel.startswith("matrix product"))
        achieved = rate * (seed_flops if i == 0 else flops)
        print(f"| {label} | {achieved / 1e9:.0f} | {achieved / product:.0%} | {achieved / max(rates.values()):.0%} |")
    print("\nWhere the wgan trainer's time goes (one call of each part):")
    print("| part | GFLOP | ms | GFLOP/s |")
    print("|---|---|---|---|")
    for part, part_flops, seconds in step_parts(trainer.algorithm, sync):
        print(f"| {part} | {part_flops / 1e9:.2f} | {seconds * 1e3:.1f} | {part_flops / seconds / 1e9:.0f} |")


if __name__ == "__main__":
    main()
