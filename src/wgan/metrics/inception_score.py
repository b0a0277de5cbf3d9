"""Inception score (Salimans et al. 2016, "Improved techniques for training GANs").

IS = exp(E_x KL(p(y|x) || p(y))): high when each sample is classified
confidently (low entropy of p(y|x)) and the samples spread over many classes
(high entropy of the marginal p(y)). It lies between 1 (every sample gets the
same class distribution) and the number of classes (confident and evenly
spread). The samples are cut into ``splits`` equal parts, the score is
computed on each, and the mean and standard deviation over the parts are
reported: the original protocol (50,000 samples, 10 splits).

With the TensorFlow-port Inception's logits it is the WGAN-GP paper's
headline number; with the domain classifier's logits it is the "MNIST IS"
some papers report, comparable only between runs on the same data set.
Like torch-fidelity, the samples are shuffled with a fixed seed (2020) before
they are split, so the two agree on the same images.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import WganError
from .base import METRICS, Metric
from ._arrays import as_rows

SHUFFLE_SEED = 2020  # torch-fidelity's default, so that both split the samples the same way


def inception_score(logits, splits: int = 10, shuffle_seed: int | None = SHUFFLE_SEED) -> dict:
    """Mean and standard deviation of the Inception score of (n, classes) ``logits`` over ``splits`` parts.

    ``shuffle_seed`` None keeps the samples' order. Returns ``is`` and ``is_std``.
    """
    x = as_rows(logits, "logits", min_rows=1)
    n = len(x)
    if splits < 1 or splits > n:
        raise WganError(f"the Inception score needs between 1 and {n} splits of {n} samples, got {splits}")
    if shuffle_seed is not None:
        x = x[np.random.RandomState(shuffle_seed).permutation(n)]
    log_p = torch.from_numpy(x).log_softmax(dim=1)  # float64: exp(log p) never under- or overflows here
    p = log_p.exp()
    scores = []
    for i in range(splits):
        part = slice(i * n // splits, (i + 1) * n // splits)
        marginal = p[part].mean(dim=0)
        # xlogy: a class no sample of the part reaches (marginal 0) adds 0, not 0 * -inf.
        kl = (p[part] * log_p[part] - torch.special.xlogy(p[part], marginal)).sum(dim=1).mean()
        scores.append(kl.exp().item())
    return {"is": float(np.mean(scores)), "is_std": float(np.std(scores)), "splits": splits}


METRICS.register("inception_score", Metric(inception_score, "logits", {"is": "higher", "is_std": None},
                                           "exp E KL(p(y|x) || p(y)) over 10 splits, with its std"))
