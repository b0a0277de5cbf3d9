"""Data-parallel speed: the speed benchmark's model at world size 1 and 2 (gloo on a CPU, nccl on CUDA).

    python benchmarks/bench_ddp.py                    # CPU: one process (2 threads, 1 thread), two processes
    python benchmarks/bench_ddp.py --device cuda      # one process, and one per GPU when there are several

Model dcgan28, WGAN-GP lambda 10, Adam(1e-4, (0, 0.9)), n_critic 5, global batch 64,
Fashion-MNIST, as ``bench_speed.py``. Each setting trains ``--steps`` generator
iterations after a warm-up and prints generator iterations per second, images per
second (real images the critic sees: batch x n_critic per iteration), the share of
the step spent in the gradient all-reduce, and the scaling efficiency (the speed-up
of N processes over one, divided by N). Processes talk through a file in a temporary
folder (``init_method=file://``), as torchrun's single-machine rendezvous would.
A run of world size 1 joins no process group at all (torchrun with one process
included), so it has no overhead to measure. The CUDA branch has not been run: no
GPU was available when it was written.

Run it alone on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import benchmark_config  # noqa: E402

from wgan.training.runtime import Runtime  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402


def _timed_all_reduce(runtime: Runtime) -> list[float]:
    """Wrap ``runtime.average_gradients`` so that its seconds are recorded (a list, appended to)."""
    seconds: list[float] = []
    inner = runtime.average_gradients

    def average_gradients(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            if runtime.device.type == "cuda":
                torch.cuda.synchronize(runtime.device)
            seconds.append(time.perf_counter() - start)

    runtime.average_gradients = average_gradients
    return seconds


def measure(rank: int, world: int, init: str | None, device: str, threads: int, steps: int, warmup: int,
            out: str | None) -> dict:
    """Train ``steps`` iterations on this process; rank 0's numbers (written to ``out`` when spawned)."""
    torch.set_num_threads(threads)
    if device == "cuda" and world:
        device = f"cuda:{rank}"
    group = {"rank": rank, "world_size": world, "init_method": init} if world else {}  # world 0: no group
    runtime = Runtime.start(device, threads=threads, **group)
    try:
        cfg = benchmark_config(device, [f"train.threads={threads}", "train.log_every=1000000",
                                        "train.cuda_graph=off"])
        trainer = Trainer(cfg, progress=False, runtime=runtime)
        all_reduce = _timed_all_reduce(runtime)
        sync = (lambda: torch.cuda.synchronize(runtime.device)) if runtime.device.type == "cuda" else (lambda: None)
        for _ in range(warmup):
            trainer.train_step()
        sync()
        runtime.any(False)  # every process starts the clock together
        all_reduce.clear()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        sync()
        elapsed = time.perf_counter() - start
        result = {"it_per_s": steps / elapsed, "all_reduce_share": sum(all_reduce) / elapsed,
                  "batch": cfg.train.batch_size, "n_critic": cfg.train.n_critic}
        if out is not None and rank == 0:
            torch.save(result, out)
        return result
    finally:
        runtime.close()


def _spawned(rank, world, init, device, threads, steps, warmup, out):
    measure(rank, world, init, device, threads, steps, warmup, out)


def in_processes(world: int, device: str, threads: int, steps: int, warmup: int, backend_note: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.pt")
        init = f"file://{tmp}/rendezvous"
        env = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            mp.spawn(_spawned, args=(world, init, device, threads, steps, warmup, out), nprocs=world, join=True)
        finally:
            if env is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = env
        result = torch.load(out)
    result.update(setting=backend_note, world=world, threads=threads)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=30, help="timed generator iterations per setting")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    rows = []
    if args.device == "cpu":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"CPU: {cores} cores available; torch {torch.__version__}", flush=True)
        for threads in (cores, 1):
            r = measure(0, 0, None, "cpu", threads, args.steps, args.warmup, None)
            rows.append({**r, "world": 1, "threads": threads,
                         "setting": f"one process, {threads} thread(s), no process group"})
            print(rows[-1], flush=True)
        for world in sorted({2, cores} - {1}):
            rows.append(in_processes(world, "cpu", max(1, cores // world), args.steps, args.warmup,
                                     f"{world} processes (gloo), {max(1, cores // world)} thread(s) each"))
            print(rows[-1], flush=True)
    else:
        print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)
        r = measure(0, 0, None, "cuda", 1, args.steps, args.warmup, None)
        rows.append({**r, "world": 1, "threads": 1, "setting": "one process"})
        if torch.cuda.device_count() > 1:
            n = torch.cuda.device_count()
            rows.append(in_processes(n, "cuda", 1, args.steps, args.warmup, f"{n} processes (nccl)"))

    # Speed-up over the first row (one process on every core); scaling efficiency: over one process
    # with as many threads as each of the N processes has, divided by N.
    base = rows[0]["it_per_s"]
    single = {r["threads"]: r["it_per_s"] for r in rows if r["world"] == 1}
    print("\n| setting | processes | generator it/s | images/s | all-reduce share | vs first row | "
          "scaling efficiency |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        images = r["it_per_s"] * r["batch"] * r["n_critic"]
        one = single.get(r["threads"])
        efficiency = f"{r['it_per_s'] / (one * r['world']):.0%}" if one and r["world"] > 1 else "-"
        print(f"| {r['setting']} | {r['world']} | {r['it_per_s']:.2f} | {images:.0f} | "
              f"{100 * r['all_reduce_share']:.1f}% | {r['it_per_s'] / base:.2f}x | {efficiency} |")
    algorithm = Trainer(benchmark_config("cpu", ["train.threads=1"]), progress=False).algorithm
    critic, generator = (sum(p.numel() for p in net.parameters()) for net in (algorithm.critic, algorithm.generator))
    per_iteration = 4 * (rows[0]["n_critic"] * critic + generator)
    print(f"\nparameters: critic {critic:,}, generator {generator:,}; all-reduced per generator iteration "
          f"(n_critic critic steps + one generator step, fp32): {per_iteration / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
