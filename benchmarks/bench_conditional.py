"""Conditional generation: does the generator draw the class it was asked for?

Trains each conditional preset on the embedded MNIST's train split for ``--minutes``,
then asks for ``--per-class`` images of every class and has an independent classifier
name them. The classifier is trained by this script on the test split (images the GAN
never saw), split 80/20 so that its own accuracy on real held-out digits is printed too;
it trains on randomly shifted, rotated and scaled copies, since 800 digits alone leave
it too weak to judge a generator that is right 95% of the time.

Accuracy alone rewards a generator that draws one perfect digit per class, so each row
also carries ``wgan eval``'s FID, precision, recall and coverage of 1,000 generated
images against the 1,000 test digits (domain features): recall and coverage fall when
the generator's digits stop varying.

    python benchmarks/bench_conditional.py --minutes 15
    # projection critic and conditional BatchNorm against the AC head, same recipe otherwise:
    python benchmarks/bench_conditional.py --minutes 10 --presets ac-wgan-gp-mnist \
        "ac-wgan-gp-mnist+model.conditional=cbn+model.critic_conditional=projection"

A row is a preset name, optionally followed by ``+KEY=VALUE`` overrides of its own.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from wgan.config import DataConfig
from wgan.data.sources import load_images
from wgan.evaluation import evaluate_images
from wgan.features.classifier import accuracy, run_batched, train_classifier
from wgan.metrics import metric_key
from wgan.presets import preset_config
from wgan.run_folder import new_run_dir
from wgan.sampling import draw_samples
from wgan.training.trainer import Trainer


CLASSIFIER_STEPS = 1500  # about 240 passes over the 800 digits, each pass differently augmented
EVAL_N = 1000  # generated images for FID and the rest: as many as the test digits they are compared with
DIVERSITY = ("fid", "precision", "recall", "coverage")


def independent_classifier(device):
    test = load_images(DataConfig(name="mnist", split="test"))
    x = torch.from_numpy(test.images).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(test.labels)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    cut = int(0.8 * len(x))
    fit, held = order[:cut], order[cut:]
    model = train_classifier(x[fit], y[fit], 10, device, augmented=True, steps=CLASSIFIER_STEPS)
    return model, accuracy(model, x[held], y[held], device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["ac-wgan-gp-mnist", "ac-wgan-mnist"])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE",
                        help="config overrides applied to every preset")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_conditional_"))
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    classifier, own = independent_classifier(device)
    print(f"independent classifier (trained on 800 augmented test-split digits): {100 * own:.1f}% "
          "on 200 held-out digits")
    print("| preset | steps | " + " | ".join(str(k) for k in range(10)) + " | mean | " + " | ".join(DIVERSITY) + " |")
    print("|---" * (13 + len(DIVERSITY)) + "|")
    for name in args.presets:
        preset, *own = name.split("+")
        cfg = preset_config(preset)
        # The GAN trains on the train split only, so the classifier's digits stay unseen by it.
        cfg.update({"data": {"split": "train"}, "train": {"max_minutes": args.minutes, "device": args.device}})
        cfg.apply_overrides(args.overrides + own)
        trainer = Trainer(cfg, progress=False)
        trainer.attach_run_dir(new_run_dir(out, cfg))
        trainer.fit()
        per_class = []
        for k in range(10):
            images = draw_samples(trainer.handle(), args.per_class, seed=k, class_=k).values  # uint8 NHWC
            x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
            predicted = run_batched(classifier, x, device).argmax(1).numpy()
            per_class.append(float(np.mean(predicted == k)))
        cells = " | ".join(f"{100 * a:.0f}" for a in per_class)
        quality = evaluate_images(trainer.handle(), n=EVAL_N, metrics=("fid", "precision_recall", "density_coverage"))
        spread = " | ".join(f"{quality[metric_key(key, 'domain', EVAL_N, 'test')]:.3g}" for key in DIVERSITY)
        print(f"| {name} | {trainer.state.step} | {cells} | {100 * np.mean(per_class):.1f} | {spread} |", flush=True)
        print(f"  run folder: {trainer.run_dir}")


if __name__ == "__main__":
    main()
