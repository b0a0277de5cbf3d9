"""Image runs: FID, KID, precision/recall, density/coverage and class statistics in a feature space.

The reference is held-out data (see :func:`reference_images`), and the result
names say which split it is (``..._test``, ``..._holdout`` or ``..._train``).
"""

from __future__ import annotations

import copy
import sys

import numpy as np

from ..data.sources import load_images
from ..data.sources.arrays import holdout_split
from ..errors import WganError, choice_error
from ..features import get_feature_extractor
from ..metrics import METRICS, metric_key
from ..sampling import draw_samples

IMAGE_METRICS = ("fid", "kid", "precision_recall", "density_coverage", "class_histogram", "class_accuracy")
# Numbers each metric reports (others in its result, like counts per class, go under "details").
_SCALARS = {"fid": ("fid",), "kid": ("kid", "kid_std"), "precision_recall": ("precision", "recall"),
            "density_coverage": ("density", "coverage"),
            "class_histogram": ("modes_covered", "kl_to_data"), "class_accuracy": ("accuracy",)}


def reference_images(data_cfg):
    """The held-out real images and the name of their split.

    The source's test split where it has one; otherwise the last 20% of each class
    ("holdout"), which is also what the domain classifier holds out, so the reference
    is never data the feature space was trained on; unlabelled data without a split
    is compared against all of it ("train").
    """
    cfg = copy.deepcopy(data_cfg)
    cfg.split = "test"
    try:
        return load_images(cfg), "test"
    except WganError as e:
        if "no test split" not in str(e):
            raise
    cfg.split = "all"
    arrays = load_images(cfg)
    if arrays.labels is None:
        return arrays, "train"
    return arrays.subset(holdout_split(arrays.labels, "test")), "holdout"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare_image_sets(real: np.ndarray, fake: np.ndarray, extractor, metrics=IMAGE_METRICS,
                       real_labels=None, requested=None, reference_split: str | None = "test",
                       n_classes: int | None = None) -> dict:
    """Metrics of ``fake`` against ``real`` (both uint8 NHWC) in ``extractor``'s feature space."""
    for name in metrics:
        if name not in _SCALARS:
            raise choice_error("image metric", name, _SCALARS)
    space, n = extractor.name, len(fake)
    results: dict = {"n": n, "n_reference": len(real), "feature_space": space}
    if hasattr(extractor, "test_accuracy"):
        results["feature_classifier_test_accuracy"] = extractor.test_accuracy
    needs_features = any(METRICS[m].needs == "features" for m in metrics)
    real_f = extractor.features(real) if needs_features else None
    fake_f = extractor.features(fake) if needs_features else None
    predicted = extractor.predict(fake) if getattr(extractor, "predict", None) is not None else None
    details = {}
    for name in metrics:
        metric = METRICS[name]
        if metric.needs == "features":
            out = metric.fn(real_f, fake_f)
            out = out if isinstance(out, dict) else {name: out}
        elif predicted is None or (name == "class_accuracy" and requested is None):
            continue  # no classifier for this feature space, or an unconditional run
        elif name == "class_histogram":
            data_dist = None
            if real_labels is not None and n_classes:
                data_dist = np.bincount(real_labels, minlength=n_classes) / len(real_labels)
            out = metric.fn(predicted, n_classes=n_classes, data_distribution=data_dist)
        else:
            out = metric.fn(predicted, requested, n_classes=n_classes)
        for key in _SCALARS[name]:
            results[metric_key(key, space, n, reference_split)] = out[key]
        details[name] = {k: v for k, v in out.items() if k not in _SCALARS[name]}
    results["details"] = details
    return results


def evaluate_images(trainer, n: int = 2000, seed: int = 0, metrics=IMAGE_METRICS, features: str = "domain",
                    weights=None, extractor=None) -> dict:
    """Generate ``n`` images from the run and measure them against the held-out reference."""
    if extractor is None:
        extractor = get_feature_extractor(features, trainer.cfg.data, device=trainer.device, weights=weights,
                                          log=_log)
    real, split = reference_images(trainer.cfg.data)
    samples = draw_samples(trainer, n, seed=seed)
    results = {"step": trainer.step}
    results.update(compare_image_sets(
        real.images, samples.values, extractor, metrics, real_labels=real.labels, requested=samples.labels,
        reference_split=split, n_classes=trainer.data.num_classes or None))
    return results
