"""Which generator weight average (EMA decay) to sample from: one training run, several averages.

    python benchmarks/bench_ema.py --minutes 6 --at 500,1000 --decays 0.99,0.995,0.999

Trains a preset (default ``wgan-gp-fashion``) once and keeps, beside its generator, one
exponential moving average of its weights per decay (averages never change the training,
so one run serves them all). At the given steps and at the end it measures the domain
FID and recall of ``--n`` samples of the trained generator and of each average against
the test split, as ``wgan eval`` does: each average once with the trained generator's
BatchNorm statistics ("live") and once with its own (standing statistics, as training
with ``train.ema`` samples it). The clock stops during measurements.
"""

from __future__ import annotations

import argparse
import copy
import time

from wgan.evaluation import compare_image_sets
from wgan.evaluation.reference import reference_images
from wgan.features import get_feature_extractor
from wgan.metrics import metric_key
from wgan.presets import preset_config
from wgan.sampling import draw_samples
from wgan.training.standing import recompute_batchnorm
from wgan.training.algorithm import update_average
from wgan.training.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="wgan-gp-fashion")
    parser.add_argument("--minutes", type=float, default=6.0, help="training time (measurements not counted)")
    parser.add_argument("--at", default="500,1000", help="steps to measure at (and at the end)")
    parser.add_argument("--decays", default="0.99,0.995,0.999")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    cfg = preset_config(args.preset)
    cfg.update({"train": {"device": "cpu", "ema": 0.0}})
    cfg.apply_overrides(args.overrides)
    trainer = Trainer(cfg, progress=False)
    decays = [float(d) for d in args.decays.split(",") if d]  # "" for none
    averages = {d: copy.deepcopy(trainer.algorithm.generator).eval() for d in decays}
    extractor = get_feature_extractor("domain", cfg.data, device=trainer.device, log=print)
    test, split = reference_images(cfg.data)
    keys = {m: metric_key(m, "domain", args.n, split) for m in ("fid", "recall")}

    def measure(label: str, net) -> str:
        handle = trainer.handle()
        handle.net = net
        fake = draw_samples(handle, args.n, seed=0).values
        r = compare_image_sets(test.images, fake, extractor, ("fid", "precision_recall"), reference_split=split)
        return f"{label} FID {r[keys['fid']]:.1f} recall {r[keys['recall']]:.3f}"

    at = sorted(int(s) for s in args.at.split(",") if s)  # "" for the end only
    trained, start = 0.0, time.perf_counter()
    print(f"{args.preset} {' '.join(args.overrides)}: {cfg.train.precision}, init {cfg.model.init}", flush=True)
    while trained + time.perf_counter() - start < 60 * args.minutes:
        trainer.train_step()
        for decay, average in averages.items():
            update_average(average, trainer.algorithm.generator, decay)
        last = trained + time.perf_counter() - start >= 60 * args.minutes
        if trainer.state.step in at or last:
            trained += time.perf_counter() - start
            rows = [measure("trained", trainer.algorithm.generator)]
            for d, average in averages.items():
                standing = copy.deepcopy(average)
                recompute_batchnorm(standing, trainer.algorithm.standing.inputs(trainer.state.step))
                rows += [measure(f"EMA {d} live", average), measure(f"EMA {d} standing", standing)]
            print(f"step {trainer.state.step} ({trained:.0f} s): " + " | ".join(rows), flush=True)
            start = time.perf_counter()


if __name__ == "__main__":
    main()
