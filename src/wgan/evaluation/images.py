"""Image runs: FID, KID, precision/recall, density/coverage and class statistics in a feature space.

The reference is held-out data (see :func:`~wgan.evaluation.reference.reference_images`),
and the result names say which split it is (``..._test``, ``..._holdout`` or ``..._train``).
"""

from __future__ import annotations

import copy
import sys

import numpy as np

from ..errors import choice_error
from ..metrics import METRICS, metric_key
from ..sampling import draw_samples
from .reference import ReferenceSet, data_config_of, reference_images, reference_set

IMAGE_METRICS = ("fid", "kid", "precision_recall", "density_coverage", "class_histogram", "class_accuracy")
# Numbers each metric reports (others in its result, like counts per class, go under "details").
_SCALARS = {"fid": ("fid",), "kid": ("kid", "kid_std"), "precision_recall": ("precision", "recall"),
            "density_coverage": ("density", "coverage"),
            "class_histogram": ("modes_covered", "kl_to_data"), "class_accuracy": ("accuracy",)}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare_image_sets(real: np.ndarray, fake: np.ndarray, extractor, metrics=IMAGE_METRICS,
                       real_labels=None, requested=None, reference_split: str | None = "test",
                       n_classes: int | None = None) -> dict:
    """Metrics of ``fake`` against ``real`` (both uint8 NHWC) in ``extractor``'s feature space."""
    _check_metrics(metrics)
    needs_features = any(METRICS[m].needs == "features" for m in metrics)
    reference = ReferenceSet(extractor, extractor.features(real) if needs_features else np.empty((len(real), 0)),
                             real_labels, reference_split)
    return compare_to_reference(reference, fake, metrics, requested, n_classes)


def _check_metrics(metrics) -> None:
    for name in metrics:
        if name not in _SCALARS:
            raise choice_error("image metric", name, _SCALARS)


def compare_to_reference(reference: ReferenceSet, fake: np.ndarray, metrics=IMAGE_METRICS, requested=None,
                         n_classes: int | None = None) -> dict:
    """Metrics of ``fake`` (uint8 NHWC) against a reference whose features are already computed."""
    _check_metrics(metrics)
    extractor = reference.extractor
    space, n = extractor.name, len(fake)
    results: dict = {"n": n, "n_reference": len(reference), "feature_space": space}
    if hasattr(extractor, "test_accuracy"):
        results["feature_classifier_test_accuracy"] = extractor.test_accuracy
    needs_features = any(METRICS[m].needs == "features" for m in metrics)
    fake_f = extractor.features(fake) if needs_features else None
    predicted = extractor.predict(fake) if getattr(extractor, "predict", None) is not None else None
    details = {}
    for name in metrics:
        metric = METRICS[name]
        if metric.needs == "features":
            out = metric.fn(reference.features, fake_f)
            out = out if isinstance(out, dict) else {name: out}
        elif predicted is None or (name == "class_accuracy" and requested is None):
            continue  # no classifier for this feature space, or an unconditional run
        elif name == "class_histogram":
            data_dist = None
            if reference.labels is not None and n_classes:
                data_dist = np.bincount(reference.labels, minlength=n_classes) / len(reference.labels)
            out = metric.fn(predicted, n_classes=n_classes, data_distribution=data_dist)
        else:
            out = metric.fn(predicted, requested, n_classes=n_classes)
        for key in _SCALARS[name]:
            results[metric_key(key, space, n, reference.split)] = out[key]
        details[name] = {k: v for k, v in out.items() if k not in _SCALARS[name]}
    results["details"] = details
    return results


def evaluate_images(handle, n: int = 2000, seed: int = 0, metrics=IMAGE_METRICS, features: str = "domain",
                    weights=None, extractor=None, run_dir=None, runtime=None) -> dict | None:
    """Generate ``n`` images from ``handle`` and measure them against the held-out reference.

    With a ``runtime`` of several processes each generates its part; the main one measures
    (the others get None). ``run_dir`` keeps the reference, for evaluating without the data.
    """
    samples = draw_samples(handle, n, seed=seed, runtime=runtime)
    if samples is None:
        return None
    data_cfg = data_config_of(handle.info)
    if extractor is None:
        reference = reference_set(data_cfg, features, weights, handle.device, run_dir, log=_log)
    else:
        real, split = reference_images(data_cfg)
        reference = ReferenceSet(extractor, extractor.features(real.images), real.labels, split)
    results = {"step": handle.step}
    results.update(compare_to_reference(reference, samples.values, metrics, requested=samples.labels,
                                        n_classes=len(handle.space.class_names) or None))
    return results
