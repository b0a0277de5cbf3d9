"""Fetching a weights file on a connected machine: ``wgan weights fetch inception``.

Nothing in the toolkit downloads on its own (training and evaluation never
touch the network); this is the one explicit step that does. A download is
streamed to a temporary file next to its destination, its length checked
against what the server announced, its SHA-256 against the published one,
and its contents read back as tensors before it is renamed into place, so a
truncated, altered or wrong file never lands where the toolkit looks.

torch-fidelity publishes its Inception weights under a name that carries
the first 8 hex digits of the file's SHA-256 (``...-6726825d.pth``, PyTorch
hub's convention, which ``torch.hub`` itself checks); that prefix is the
published hash checked here. ``--sha256`` pins a full digest instead.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import WganError, first_line
from ..files import file_mode, fsync_folder

INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")
INCEPTION_SHA256 = "6726825d"  # the published prefix, from the file's name
MAX_BYTES = 512 << 20  # the Inception file is about 92 MB; a server that sends more is not sending it
BLOCK = 1 << 20


def fetch(url: str, dest: Path, sha256: str, check: Callable[[Path], None] | None = None,
          timeout: float = 60.0, max_bytes: int = MAX_BYTES, progress: bool = False) -> Path:
    """Download ``url`` to ``dest`` if and only if it is whole, its SHA-256 starts with ``sha256``
    (a full digest or a published prefix of at least 8 hex digits) and ``check(path)`` accepts it.

    Any failure is a one-line WganError and leaves ``dest`` as it was.
    """
    expected = sha256.strip().lower()
    if len(expected) < 8 or any(c not in "0123456789abcdef" for c in expected):
        raise WganError(f"--sha256 must be a hex SHA-256 digest (or a published prefix of at least 8 digits), "
                        f"got {sha256!r}")
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as e:
        raise WganError(f"cannot write into {dest.parent}: {first_line(e)}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _download(url, out, timeout, max_bytes, progress)
            out.flush()
            os.fsync(out.fileno())
        if not digest.startswith(expected):
            raise WganError(f"{url} sent a file whose SHA-256 is {digest}, not the published {expected}...: "
                            "not saved (a changed or tampered file; pass --sha256 only for a file you trust)")
        if check is not None:
            check(Path(tmp))
        os.chmod(tmp, file_mode())
        os.replace(tmp, dest)
        fsync_folder(dest.parent)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest


def _download(url: str, out, timeout: float, max_bytes: int, progress: bool) -> str:
    """Stream ``url`` into the open file ``out``; returns the SHA-256 of what arrived (all of it)."""
    from tqdm.auto import tqdm

    h, received = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            announced = int(announced) if announced and announced.isdigit() else None
            if announced is not None and announced > max_bytes:
                raise WganError(f"{url} announces {announced} bytes, more than the {max_bytes} this file can be")
            with tqdm(total=announced, unit="B", unit_scale=True, desc="downloading", disable=not progress) as bar:
                while block := response.read(BLOCK):
                    received += len(block)
                    if received > max_bytes:
                        raise WganError(f"{url} sent more than {max_bytes} bytes, more than this file can be")
                    h.update(block)
                    out.write(block)
                    bar.update(len(block))
    except http.client.IncompleteRead as e:
        raise WganError(f"the download of {url} broke off after {received + len(e.partial)} bytes: not saved; "
                        "try again") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise WganError(f"cannot download {url} ({first_line(reason, 200)}); on a machine without internet access, "
                        "copy the file there by hand") from None
    if announced is not None and received != announced:
        raise WganError(f"the download of {url} broke off after {received} of {announced} bytes: not saved; "
                        "try again")
    return h.hexdigest()


def check_inception_weights(path: Path) -> None:
    """Accept only a tensor-only file that torch-fidelity's Inception-v3 loads (when it is installed)."""
    from .inception import InceptionFeatures, _has_torch_fidelity, load_weights

    if _has_torch_fidelity():
        InceptionFeatures(path, device="cpu")  # strict load_state_dict: every tensor and shape must fit
    else:
        load_weights(path)


def fetch_inception(dest: Path | None = None, url: str = INCEPTION_URL, sha256: str = INCEPTION_SHA256,
                    progress: bool = True) -> Path:
    """torch-fidelity's Inception-v3 weights, fetched to where the toolkit looks for them."""
    from .inception import default_weights_path

    return fetch(url, dest or default_weights_path(), sha256, check=check_inception_weights, progress=progress)
