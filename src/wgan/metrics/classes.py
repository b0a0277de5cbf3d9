"""Class-level metrics from a classifier's predicted labels for generated samples.

The class histogram is the image analogue of mode coverage on the toys
(Metz et al. 2017 and VEEGAN/PacGAN count modes of stacked MNIST this way):
a generator that drops a class, or over-produces one, shows it here even when
FID barely moves. For conditional runs the classifier also checks that the
generator produces the class it was asked for (as AC-GAN reports).
"""

from __future__ import annotations

import numpy as np

from ..errors import WganError
from .base import METRICS, Metric

# Added to the data's class shares before dividing, so a class the data set
# lacks (share 0) but the generator's classifier predicts gives a large finite
# KL instead of inf.
KL_EPS = 1e-10

# A class counts as covered when it receives at least this fraction of the
# samples the data's class distribution would give it -- the same "one fifth
# of the expected count" rule PacGAN applies to toy modes (20 of 100).
MIN_FRACTION_OF_EXPECTED = 0.2


def _labels(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.size == 0:
        raise WganError(f"{name} must be a non-empty 1-D array of class indices, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise WganError(f"{name} must hold integer class indices")
        arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise WganError(f"{name} holds a negative class index ({arr.min()})")
    return arr


def _n_classes(n_classes, *arrays) -> int:
    needed = max(int(a.max()) + 1 for a in arrays)
    if n_classes is None:
        return needed
    if needed > n_classes:
        raise WganError(f"class index {needed - 1} is out of range for {n_classes} classes")
    return int(n_classes)


def class_histogram(predicted, n_classes: int | None = None, data_distribution=None) -> dict:
    """Histogram of predicted classes of generated samples, modes covered and KL to the data.

    ``data_distribution`` is the data set's class shares (or counts; they are
    normalised), uniform over ``n_classes`` when omitted.

    - ``modes_covered``: classes whose generated count is at least
      MIN_FRACTION_OF_EXPECTED (1/5) of the count the data's distribution
      expects for that class (e.g. 200 of 10,000 samples for 10 balanced classes).
    - ``kl_to_data``: KL(generated || data) = sum_c q_c log(q_c / p_c) in nats,
      with q the generated class shares and p the data's. This direction stays
      finite when the generator misses a class (q_c = 0 terms are 0), which is
      exactly the failure we want to measure on a scale; the reverse direction
      would be infinite then. p gets KL_EPS added so a class absent from the
      data stays finite too. 0 means the class balance matches the data.

    Returns ``counts``, ``shares``, ``modes_covered``, ``modes_total``,
    ``kl_to_data`` and ``n``.
    """
    predicted = _labels(predicted, "predicted")
    if data_distribution is not None:
        p = np.asarray(data_distribution, dtype=np.float64)
        if p.ndim != 1 or np.any(p < 0) or p.sum() <= 0:
            raise WganError("data_distribution must be a 1-D array of non-negative shares with a positive sum")
        if n_classes is not None and len(p) != n_classes:
            raise WganError(f"data_distribution has {len(p)} classes but n_classes is {n_classes}")
        n_classes = len(p)
    k = _n_classes(n_classes, predicted)
    p = np.full(k, 1.0 / k) if data_distribution is None else p / p.sum()

    n = len(predicted)
    counts = np.bincount(predicted, minlength=k)
    q = counts / n
    expected = p * n
    covered = (counts >= MIN_FRACTION_OF_EXPECTED * expected) & (expected > 0)
    nonzero = q > 0
    kl = float(np.sum(q[nonzero] * np.log(q[nonzero] / (p[nonzero] + KL_EPS))))
    return {
        "counts": counts.tolist(),
        "shares": q.tolist(),
        "modes_covered": int(covered.sum()),
        "modes_total": int((p > 0).sum()),
        "kl_to_data": max(kl, 0.0),
        "n": n,
    }


def class_accuracy(predicted, requested, n_classes: int | None = None) -> dict:
    """How often a conditional generator produces the class it was asked for.

    ``predicted`` is the classifier's label for each generated sample,
    ``requested`` the class it was generated for. Returns ``accuracy``
    (overall), ``per_class`` (a list over classes: accuracy among samples
    requested as that class, None for classes never requested) and ``n``.
    """
    predicted = _labels(predicted, "predicted")
    requested = _labels(requested, "requested")
    if predicted.shape != requested.shape:
        raise WganError(f"predicted and requested differ in length: {len(predicted)} vs {len(requested)}")
    k = _n_classes(n_classes, predicted, requested)
    hit = predicted == requested
    asked = np.bincount(requested, minlength=k)
    right = np.bincount(requested[hit], minlength=k)
    per_class = [float(right[c] / asked[c]) if asked[c] else None for c in range(k)]
    return {"accuracy": float(hit.mean()), "per_class": per_class, "n": len(predicted)}


METRICS.register("class_histogram", Metric(class_histogram, "labels",
                                           {"modes_covered": "higher", "kl_to_data": "lower"},
                                           "classes covered and KL(generated || data)"))
METRICS.register("class_accuracy", Metric(class_accuracy, "labels", {"accuracy": "higher"},
                                          "share of samples of the requested class"))
