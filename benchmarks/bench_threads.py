"""Threads on a busy machine: the trainer's speed while other processes take cores.

    python benchmarks/bench_threads.py --seconds 20

Trains the README's main job (``wgan-gp-mnist``: WGAN-GP, DCGAN width 32, embedded
MNIST) through the training loop, in a fresh process for each setting, and prints
generator iterations per second from its log (the first log step on) and the thread
counts it used, idle and beside ``--busy`` competing processes (each a Python loop that
keeps one core busy), for each thread count and OpenMP waiting policy given.
Every setting runs in its own process because OpenMP reads its environment once,
when the library loads.

Run it alone on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, tempfile
from pathlib import Path
from wgan.presets import preset_config
from wgan.training.trainer import Trainer
threads, seconds = int(sys.argv[1]), float(sys.argv[2])
cfg = preset_config("wgan-gp-mnist")
cfg.update({"train": {"device": "cpu", "threads": threads, "steps": 10**6, "max_minutes": seconds / 60,
                      "log_every": 10, "sample_every": 10**6, "checkpoint_every": 10**6}})
with tempfile.TemporaryDirectory() as tmp:
    Trainer(cfg, Path(tmp) / "run", progress=False).fit()
    logs = [json.loads(l) for l in (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()]
logs = [r for r in logs if "train_seconds" in r]
first, last = logs[0], logs[-1]  # from the first log step on: no start-up in the rate
rate = (last["step"] - first["step"]) / (last["train_seconds"] - first["train_seconds"])
print(json.dumps({"it_per_s": rate, "threads": sorted({r["threads"] for r in logs})}))
"""

COMPETITOR = "while True: pass"


def measure(threads: int, seconds: float, busy: int, env: dict[str, str]) -> dict:
    competitors = [subprocess.Popen([sys.executable, "-c", COMPETITOR]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0)
        out = subprocess.run([sys.executable, "-c", CHILD, str(threads), str(seconds)], capture_output=True,
                             text=True, env={**os.environ, **env}, check=True).stdout
    finally:
        for p in competitors:
            p.kill()
            p.wait()
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed training per setting")
    parser.add_argument("--busy", type=int, default=1, help="competing processes, one core each")
    parser.add_argument("--threads", default="0,2,1", help="train.threads values (0 = auto)")
    parser.add_argument("--policies", default="default,passive",
                        help="OpenMP waiting policies: default (as the library ships) or passive")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores; a competitor is `python -c '{COMPETITOR}'`", flush=True)
    rows = []
    for policy in args.policies.split(","):
        env = {} if policy == "default" else {"OMP_WAIT_POLICY": policy.upper()}
        for threads in map(int, args.threads.split(",")):
            for busy in (0, args.busy):
                r = measure(threads, args.seconds, busy, env)
                rows.append((policy, threads, r["threads"], busy, r["it_per_s"]))
                print(rows[-1], flush=True)
    print("\n| OpenMP wait policy | train.threads | threads used | competing processes | generator it/s |")
    print("|---|---|---|---|---|")
    for policy, threads, used, busy, rate in rows:
        print(f"| {policy} | {threads or 'auto'} | {', '.join(map(str, used))} | {busy} | {rate:.2f} |")


if __name__ == "__main__":
    main()
