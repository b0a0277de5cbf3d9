"""Evaluation metrics: pure functions on arrays, each registered where it is defined.

Each metric lives in its own module and takes plain arrays (NumPy or torch);
nothing here loads data, runs networks or writes files. A registered
:class:`Metric` says what it needs, so the evaluation code can pick the ones
that fit, and which numbers it reports and whether each is better higher or
lower (the best-checkpoint rule reads that). What a metric needs:

- ``"stats"``: the mean and covariance of real and of fake features, called
  ``fn(real_stats, fake_stats)`` (FID: a reference can be kept as these two alone);
- ``"features"``: real and fake feature arrays, called ``fn(real, fake)``
  (KID, precision/recall, density/coverage);
- ``"logits"``: a classifier's logits of generated samples, ``fn(logits, splits=...)``
  (Inception score);
- ``"labels"``: classifier labels of generated samples, by keyword: ``predicted`` and any of
  ``requested``, ``n_classes``, ``data_distribution`` (class histogram, requested-class accuracy);
- ``"points"``: 2-D samples, by keyword: ``fake`` and any of ``real``, ``real_other``,
  ``centers``, ``sd`` (exact W1, mode coverage).

A metric returns a float (named by the metric) or a dict of named values; the
ones in ``outputs`` are the results, the rest are details.
:func:`metric_key` names a result by its protocol, e.g. ``fid_domain_10k_test_quick``.

The functions ``fid``, ``kid`` and ``prdc`` are re-exported here under their
modules' names, so ``wgan.metrics.fid`` is the function; reach a module itself
with ``from wgan.metrics.fid import ...`` or ``importlib.import_module``.
"""

from __future__ import annotations

from ..errors import WganError
from .base import DIRECTIONS, INPUT_KINDS, METRICS, Metric  # noqa: F401  (the registry and its entries' type)

# Each module registers its metrics where they are defined; importing them in this order registers
# them in this order (the order of evaluations' default lists).
from .fid import feature_stats, fid, fid_from_stats, frechet_distance  # isort: skip
from .kid import kid  # isort: skip
from .prdc import density_coverage, prdc, precision_recall  # isort: skip
from .inception_score import inception_score  # isort: skip
from .classes import class_accuracy, class_histogram  # isort: skip
from .toy import mode_report, w1, w1_report  # isort: skip




def metrics_for(kind: str) -> tuple[str, ...]:
    """Names of the registered metrics of images (``"image"``) or of 2-D points (``"toy"``)."""
    return tuple(name for name, m in METRICS.items() if (m.needs == "points") == (kind == "toy"))


def direction(key: str) -> str | None:
    """Whether the result ``key`` (``fid_domain_2k_test_quick``, ``w1_ratio``) is better "lower" or
    "higher" (None: neither, or no registered output names it): the longest output it begins with."""
    outputs = {o: d for m in METRICS.values() for o, d in m.outputs.items()}
    found = [o for o in outputs if key == o or key.startswith(o + "_")]
    return outputs[max(found, key=len)] if found else None


def select_result(name: str, results: dict) -> tuple[str | None, bool]:
    """The result key ``name`` selects (exact, or the first key starting with it) and whether it is
    better higher; ``auto``: FID for images, the W1 ratio for 2-D points."""
    if name == "auto":
        name = "w1_ratio" if "w1_ratio" in results else "fid"
    key = name if name in results else next((k for k in results if k.startswith(name + "_")), None)
    return key, key is not None and direction(key) == "higher"


def format_count(n: int) -> str:
    """Sample counts as they appear in metric names: 10000 -> '10k', 2000 -> '2k', 500 -> '500', 2500 -> '2500'."""
    n = int(n)
    if n <= 0:
        raise WganError(f"sample count must be positive, got {n}")
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def metric_key(name: str, feature_space: str | None, n: int, reference_split: str | None,
               protocol: str | None = "quick") -> str:
    """Name a result by how it was measured: ``metric_key('fid', 'domain', 10000, 'test')`` is
    ``fid_domain_10k_test_quick``.

    ``feature_space`` (e.g. 'domain', 'inception'), ``reference_split`` (e.g. 'train', 'test')
    and ``protocol`` (see :mod:`wgan.evaluation.protocols`) may be None where they do not
    apply (2-D points; the Inception score has no reference).
    """
    parts = [name, feature_space, format_count(n), reference_split, protocol]
    return "_".join(p for p in parts if p)



__all__ = [
    "INPUT_KINDS",
    "METRICS",
    "Metric",
    "direction",
    "metrics_for",
    "select_result",
    "class_accuracy",
    "class_histogram",
    "density_coverage",
    "feature_stats",
    "fid",
    "fid_from_stats",
    "format_count",
    "frechet_distance",
    "inception_score",
    "kid",
    "metric_key",
    "mode_report",
    "precision_recall",
    "prdc",
    "w1",
    "w1_report",
]
