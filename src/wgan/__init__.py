"""wgan: train, inspect and evaluate Wasserstein GANs (see docs/design.md for the layout)."""

from ._version import __version__
from .config import Config
from .errors import WganError
from .handle import load_generator

__all__ = ["Config", "WganError", "__version__", "load_generator"]
