"""Named evaluation protocols: how many samples, against which real images, and how each metric uses them.

Published scores differ more by protocol than by model: 50,000 samples
against the train split's statistics give a much lower FID than 2,000 against
the test split. A protocol fixes those choices under one name, every result
key ends with that name (``fid_domain_50k_train_paper``), and two numbers are
only put side by side when their keys match.

- ``quick``: the default and what training evaluates with. ``--n`` samples
  (2,000 unless given) against the held-out split (the test split, else the
  per-class holdout): cheap enough to run often, comparable between runs of
  this toolkit.
- ``paper``: the protocol of the FID and IS papers and of most GAN papers
  since: 50,000 samples, FID against the statistics of the full train split,
  Inception score over 10 splits.
- ``paper-test``: the same against the test split (StudioGAN's
  ``--eval_type test``).
- ``lucic``: the protocol of Lucic et al. 2018, "Are GANs Created Equal?" (code:
  google/compare_gan, branch v1, ``eval_gan_lib.py``), whose Fashion-MNIST table is the one
  published Inception-FID table for that data: 10,000 samples against the first 10,000 images
  of the test split, in Inception space (grey repeated to three channels, TensorFlow 1's bilinear
  resize to 299x299, pool features; torch-fidelity reproduces the resize), FID in float64 with
  covariances over n - 1; KID and precision/recall beside it.
- ``lucic-2k``: a proxy of ``lucic`` for ranking many runs, at a fifth of its cost: 2,000
  samples against the same real images; FID (biased upwards at 2,000) and KID (unbiased at any
  count). Its keys end in ``lucic-2k``, so its numbers never stand beside ``lucic``'s.

In every protocol KID and the k-NN metrics (precision/recall,
density/coverage) use at most ``feature_sample`` samples on each side (their
cost grows with the square of the count; the key carries the count used).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import WganError
from ..registry import Registry
from ..run_folder import DEFAULT_PROTOCOL  # noqa: F401  (the protocol whose results are eval/metrics.json)


@dataclass(frozen=True)
class Protocol:
    name: str
    n: int | None  # generated samples; None: the caller's --n (default_n when not given)
    reference: str  # "heldout": the test split or per-class holdout; "train": the full train split
    description: str
    default_n: int = 2000
    is_splits: int = 10
    feature_sample: int = 10_000  # samples per side for KID and the k-NN metrics
    reference_limit: int | None = None  # only the first this many real images of the reference split
    features: str | None = None  # the feature space the protocol is defined in (None: the caller's, domain)
    metrics: tuple[str, ...] | None = None  # the metrics it reports by default (None: every image metric)

    def space(self, features: str | None = None) -> str:
        """The feature space an evaluation under this protocol uses: ``features`` when asked for, else the
        protocol's own, else the domain space."""
        return features or self.features or "domain"

    def sample_count(self, n: int | None) -> int:
        """The number of samples this protocol draws when the user asked for ``n`` (None: not asked)."""
        if self.n is None:
            n = self.default_n if n is None else int(n)
            if n < 2:
                raise WganError(f"--n must be at least 2, got {n}")
            return n
        if n is not None and int(n) != self.n:
            raise WganError(f"the {self.name} protocol draws {self.n} samples, so --n {n} does not apply; "
                            f"use --protocol quick --n {n} for another count")
        return self.n


PROTOCOLS: Registry[Protocol] = Registry("evaluation protocol")
for _protocol in (
    Protocol("quick", None, "heldout", "N samples (2,000 by default) against the held-out split"),
    Protocol("paper", 50_000, "train", "50,000 samples against the full train split; IS over 10 splits"),
    Protocol("paper-test", 50_000, "heldout", "50,000 samples against the test split; IS over 10 splits"),
    Protocol("lucic", 10_000, "heldout", "Lucic et al. 2018: 10,000 samples against the first 10,000 test "
             "images, in Inception space", reference_limit=10_000, features="inception",
             metrics=("fid", "kid", "precision_recall")),
    Protocol("lucic-2k", 2_000, "heldout", "a ranking proxy for lucic: 2,000 samples against the same 10,000 "
             "test images, FID and KID (never reported as lucic)", reference_limit=10_000, features="inception",
             metrics=("fid", "kid")),
):
    PROTOCOLS.register(_protocol.name, _protocol)


def get_protocol(name: str) -> Protocol:
    """The protocol called ``name``, or a WganError listing the known ones."""
    return PROTOCOLS.get(name)
