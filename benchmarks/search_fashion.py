"""The recipe search on Fashion-MNIST, at the budget of Lucic et al. 2018, in Inception space.

Lucic et al.'s Fashion-MNIST rows (the published Inception FIDs under ``--protocol lucic``) come
after 15,625 discriminator updates of batch 64 (compare_gan v1 counts one step per critic
update). Each trial here trains that many critic updates of batch 64, whatever its critic
schedule (5 critic steps per generator step: 3,125 generator steps; 1: 15,625), so the budget is
the paper's and independent of the machine. Then it measures the run under ``--protocol`` (default
``lucic-2k``: 2,000 samples, FID and KID, the ranking proxy; ``lucic`` for the number reported), with
the real images' features computed once and read from the cache afterwards.

    python benchmarks/search_fashion.py --trials recipe,r1-ns --results search.jsonl
    python benchmarks/search_fashion.py --trials r1-ns --seeds 1,2,3 --protocol lucic
    python benchmarks/search_fashion.py --list

Each finished trial appends one JSON line to ``--results`` (its settings, steps, training seconds,
the evaluation's numbers and the run folder), so a search cut short keeps what it measured; a
trial whose run folder already holds its last step is only evaluated. ``wgan eval RUN --protocol
lucic`` measures any of the kept runs with the full protocol later.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch

from wgan.config import Config
from wgan.evaluation import evaluate_run
from wgan.presets import preset_config
from wgan.run_folder import RunFolder
from wgan.training.trainer import Trainer

BUDGET = 15_625  # critic updates of batch 64 (Lucic et al. 2018)

# The WGAN-GP settings of compare_gan v1 (params.py: Adam 1e-4, beta1 0.5, 5 discriminator steps, no
# BatchNorm in the discriminator, lambda 10; TensorFlow's beta2 0.999; z of 64 dimensions, uniform).
COMPARE_GAN_WGAN_GP = ["model.generator=infogan28", "model.critic=infogan28", "model.latent_dim=64",
                       "model.latent=uniform", "model.init=normal", "optim.lr_g=1e-4", "optim.lr_c=1e-4",
                       "optim.beta1=0.5", "optim.beta2=0.999", "train.n_critic=5", "train.precision=fp32"]
# Mescheder et al. 2018's kind of recipe: the non-saturating loss, R1 on real images, one critic step,
# Adam (0, 0.99).
NS_R1 = ["loss.objective=gan", "loss.lipschitz=r1", "train.n_critic=1", "optim.beta1=0.0", "optim.beta2=0.99"]

# name: (what it tries, preset, overrides). Each is a change against the recommended recipe or the
# paper's networks; docs/benchmarks.md has one row per trial run, with this script's command.
TRIALS: dict[str, tuple[str, str, list[str]]] = {
    "recipe": ("wgan-gp-fashion as it is: dcgan width 32, WGAN-GP, 2 critic steps, critic lr 3e-4", "wgan-gp-fashion", []),
    "recipe-ema": ("the recipe with a generator EMA of 0.999 (standing BatchNorm statistics)", "wgan-gp-fashion",
                   ["train.ema=0.999"]),
    "recipe-w64": ("the recipe at width 64 (both networks)", "wgan-gp-fashion", ["model.width=64"]),
    "recipe-critic-x2-fc": ("the recipe with a critic of width 64 and a 1,024-unit hidden layer",
                            "wgan-gp-fashion", ["model.critic_width=64", "model.critic_fc=1024"]),
    "recipe-1-critic": ("the recipe with one critic step", "wgan-gp-fashion", ["train.n_critic=1"]),
    "recipe-upsample": ("the recipe with an upsample + 3x3 convolution output layer", "wgan-gp-fashion",
                        ["model.generator_output=upsample"]),
    "r1-ns": ("NS GAN + R1 (gamma 1), one critic step, Adam 2e-4 (0, 0.99), dcgan width 32", "wgan-gp-fashion",
              [*NS_R1, "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4"]),
    "r1-ns-w64": ("NS GAN + R1 (gamma 1) at width 64", "wgan-gp-fashion",
                  [*NS_R1, "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4", "model.width=64"]),
    "r1-ns-lazy": ("NS GAN + R1 (gamma 1) applied every 4th critic update", "wgan-gp-fashion",
                   [*NS_R1, "loss.r1_gamma=1", "loss.penalty_every=4", "optim.lr_g=2e-4", "optim.lr_c=2e-4"]),
    "r1-ns-ema": ("NS GAN + R1 (gamma 1) with a generator EMA of 0.999 (standing BatchNorm statistics)",
                  "wgan-gp-fashion", [*NS_R1, "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4", "train.ema=0.999"]),
    "r1-ns-critic-x2-fc-ema": ("NS GAN + R1 (gamma 1), a critic of width 64 with a 1,024-unit hidden layer, EMA 0.999",
                               "wgan-gp-fashion", [*NS_R1, "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4",
                                                   "model.critic_width=64", "model.critic_fc=1024", "train.ema=0.999"]),
    "gan-r1-fashion": ("the recommended preset gan-r1-fashion as it is (the settings of r1-ns-critic-x2-fc-ema)",
                       "gan-r1-fashion", []),
    "r1-hinge": ("hinge loss + R1 (gamma 1), one critic step", "wgan-gp-fashion",
                 [*NS_R1, "loss.objective=hinge", "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4"]),
    "infogan-wgan-gp": ("Lucic et al.'s networks with compare_gan's WGAN-GP settings (the paper's own baseline)",
                        "wgan-gp-fashion", COMPARE_GAN_WGAN_GP),
    "infogan-r1-ns": ("Lucic et al.'s networks, NS GAN + R1 (gamma 1), one critic step", "wgan-gp-fashion",
                      [*COMPARE_GAN_WGAN_GP, *NS_R1, "loss.r1_gamma=1", "optim.lr_g=2e-4", "optim.lr_c=2e-4"]),
}


def trial_config(name: str, seed: int, extra: list[str], budget: int = BUDGET) -> Config:
    _, preset, overrides = TRIALS[name]
    cfg = preset_config(preset)
    cfg.apply_overrides([*overrides, *extra, f"train.seed={seed}", "train.batch_size=64", "train.max_minutes=0",
                         "train.sample_every=1000", "train.checkpoint_every=1000", "train.log_every=100"])
    cfg.train.steps = math.ceil(budget / cfg.train.n_critic)
    return cfg


def run_trial(name: str, seed: int, extra: list[str], out: Path, protocol: str, budget: int = BUDGET) -> dict:
    cfg = trial_config(name, seed, extra, budget)
    run_dir = out / f"{name}-seed{seed}"
    started = time.perf_counter()
    last = RunFolder(run_dir).checkpoints / "last.pt" if run_dir.is_dir() else None
    if last is not None and last.is_file():
        trainer = Trainer.resume(run_dir, progress=False)
    else:
        trainer = Trainer(cfg, run_dir, progress=False)
    if trainer.state.step < cfg.train.steps:
        trainer.fit(cfg.train.steps)
    trained = time.perf_counter() - started
    # train.threads=auto lowers the threads while the machine is busy; the evaluation gets them all back.
    torch.set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    results, _ = evaluate_run(run_dir, protocol=protocol)
    return {"trial": name, "seed": seed, "what": TRIALS[name][0], "overrides": TRIALS[name][2] + extra,
            "generator_steps": trainer.state.step, "critic_updates": trainer.state.step * cfg.train.n_critic,
            "train_seconds": round(trainer.state.elapsed, 1), "wall_seconds": round(trained, 1),
            "eval_seconds": round(time.perf_counter() - started, 1), "run": str(run_dir),
            "precision": trainer.precision, **{k: v for k, v in results.items() if isinstance(v, (int, float, str))}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", default="recipe", help=f"comma-separated, of: {', '.join(TRIALS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--protocol", default="lucic-2k", help="lucic-2k (the proxy) or lucic")
    parser.add_argument("--set", dest="extra", nargs="*", default=[], metavar="KEY=VALUE",
                        help="added to every trial's settings")
    parser.add_argument("--out", type=Path, default=Path("runs/search"), help="where the run folders go")
    parser.add_argument("--results", type=Path, default=Path("runs/search/results.jsonl"))
    parser.add_argument("--budget", type=int, default=BUDGET, help="critic updates of batch 64 (Lucic et al.: 15,625)")
    parser.add_argument("--list", action="store_true", help="print the trials and stop")
    args = parser.parse_args()
    if args.list:
        for name, (what, preset, overrides) in TRIALS.items():
            print(f"{name}: {what}\n    {preset} {' '.join(overrides)}")
        return 0
    names = [t for t in args.trials.split(",") if t]
    unknown = [t for t in names if t not in TRIALS]
    if unknown:
        parser.error(f"unknown trial(s) {', '.join(unknown)}; accepted: {', '.join(TRIALS)}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    for seed in (int(s) for s in args.seeds.split(",")):
        for name in names:
            print(f"== {name}, seed {seed}: {TRIALS[name][0]}", flush=True)
            row = run_trial(name, seed, args.extra, args.out, args.protocol, args.budget)
            with open(args.results, "a") as f:
                f.write(json.dumps(row) + "\n")
            fid = next((v for k, v in row.items() if k.startswith("fid_")), None)
            kid = next((v for k, v in row.items() if k.startswith("kid_")), None)
            print(f"   {row['generator_steps']} generator steps, {row['train_seconds']:.0f} s of training "
                  f"({row['precision']}); {args.protocol}: FID {fid:.2f}, KID {kid:.4f}; evaluation "
                  f"{row['eval_seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
