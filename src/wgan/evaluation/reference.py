"""The real side of an image evaluation: real images in a feature space, kept as a file.

Each evaluation of an image run measures generated images against real ones
(which ones is the protocol's choice: see :mod:`.protocols`) in a feature
space. What the metrics need of those real images is small: the mean and
covariance of their features (FID), a sample of up to 10,000 feature rows
(KID, precision/recall, density/coverage) and their labels (the class
histogram). A :class:`ReferenceSet` holds exactly that, and a reference file
(``.npz``) stores it with a description of how it was made: protocol, split,
count, data set and the feature extractor's identity (for the domain space,
the classifier itself, so the file is enough to embed generated images).

Reference files come from ``wgan stats`` (to share, or to evaluate without the
data set) and from every evaluation of a run whose data is at hand
(``RUN/eval/reference-<space>-<protocol>.npz``), so that a run can be
measured again after its data folder is gone.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..data.sources import load_images
from ..data.sources.arrays import holdout_split, holdout_tail
from ..errors import WganError, first_line
from ..features import CACHE_ENV, cache_dir, get_feature_extractor, space_family
from ..files import file_sha256, path_signature
from ..metrics import feature_stats
from ..run_folder import RunFolder
from .protocols import DEFAULT_PROTOCOL, get_protocol

FORMAT = "wgan-reference"
VERSION = 2
SAMPLE_SEED = 0  # which real rows KID and the k-NN metrics use, when there are more than they take


@dataclass
class ReferenceSet:
    extractor: object  # a feature extractor (see wgan.features)
    split: str  # "test", "holdout" or "train"
    count: int  # real images behind the statistics
    mean: np.ndarray  # (D,) float64 feature mean
    cov: np.ndarray  # (D, D) float64 feature covariance
    sample: np.ndarray  # (<= feature_sample, D) float32 feature rows for KID and the k-NN metrics
    labels: np.ndarray | None  # the class of each of the ``count`` images, when the data is labelled
    protocol: str = DEFAULT_PROTOCOL
    data: dict | None = None  # what a reference file recorded of the data it was made from

    def __len__(self) -> int:
        return self.count

    @property
    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean, self.cov

    @classmethod
    def from_features(cls, extractor, features: np.ndarray, labels, split: str, protocol: str = DEFAULT_PROTOCOL,
                      ) -> "ReferenceSet":
        """The reference of real images whose features are ``features`` (N, D)."""
        features = np.asarray(features, dtype=np.float32)
        if features.shape[1] == 0:  # no feature metric asked for: nothing to summarise
            mean, cov = np.zeros(0), np.zeros((0, 0))
        else:
            mean, cov = feature_stats(features)
        rows = sample_rows(len(features), get_protocol(protocol).feature_sample)
        return cls(extractor, split, len(features), mean, cov, features[rows], labels, protocol)


def sample_rows(n: int, k: int) -> np.ndarray:
    """Indices of the rows a k-row sample of n keeps: all of them in order when n <= k, else k seeded ones."""
    if n <= k:
        return np.arange(n)
    return np.sort(np.random.RandomState(SAMPLE_SEED).choice(n, k, replace=False))


def reference_images(data_cfg, which: str = "heldout"):
    """The real images a protocol measures against, and the name of their split.

    ``which`` "train": the full train split (everything, for data without a split).
    ``which`` "heldout": the source's test split where it has one; otherwise the last
    20% of each class ("holdout"), which is also what the domain classifier holds
    out, so the reference is never data the feature space was trained on;
    unlabelled data, the last 20% of its images (what the rotation classifier holds out).
    """
    cfg = copy.deepcopy(data_cfg)
    if which == "train":
        cfg.split = "train"
        return load_images(cfg), "train"
    cfg.split = "test"
    try:
        return load_images(cfg), "test"
    except WganError as e:
        if "no test split" not in str(e):
            raise
    cfg.split = "all"
    arrays = load_images(cfg)
    if arrays.labels is None:
        return arrays.subset(holdout_tail(len(arrays), "test")), "holdout"
    return arrays.subset(holdout_split(arrays.labels, "test")), "holdout"


def data_available(data_cfg) -> bool:
    """Whether the data a run names is on this machine (built-in sets: whether their package is installed)."""
    from ..data.sources import builtin_names
    from ..data.sources.builtin import FASHION_DIR

    name = str(data_cfg.name)
    if name.lower() in builtin_names():
        return name.lower() != "fashion-mnist" or FASHION_DIR.is_dir()
    return Path(name).expanduser().exists()


def build_reference(data_cfg, features: str = "domain", weights=None, device=None, protocol: str = DEFAULT_PROTOCOL,
                    log=None, extractor=None) -> ReferenceSet:
    """The reference of ``data_cfg`` under ``protocol``, from the data: in the ``features`` space, or in
    ``extractor``'s when one is given."""
    if extractor is None:
        extractor = get_feature_extractor(features, data_cfg, device=device, weights=weights, log=log)
    chosen = get_protocol(protocol)
    real, split = reference_images(data_cfg, chosen.reference)
    if chosen.reference_limit is not None and len(real) > chosen.reference_limit:
        real = real.subset(np.arange(chosen.reference_limit))  # the first ones, in the source's order
    return ReferenceSet.from_features(extractor, extractor.features(real.images), real.labels, split, protocol)


def write_reference(data: str, out: Path, protocol: str = DEFAULT_PROTOCOL, features: str | None = None,
                    weights=None, image_size=None, channels=None, classes: str | None = None, device=None,
                    log=None) -> tuple[ReferenceSet, Path, str]:
    """``wgan stats``: the reference of ``data`` (a data set, or a run folder's data) under ``protocol``
    written to ``out`` (.npz); returns it, the path written and the data's name."""
    from ..devices import pick_device

    chosen = get_protocol(protocol)
    data_cfg = stats_data(data, image_size, channels, classes)
    if Path(out).suffix != ".npz":
        raise WganError(f"--out {out}: a reference file ends in .npz")
    ref = build_reference(data_cfg, chosen.space(features), weights, pick_device(device), protocol, log=log)
    return ref, save_reference(ref, out, data_description(data_cfg)), str(data_cfg.name)


def cached_reference(data_cfg, features: str = "domain", weights=None, device=None,
                     protocol: str = DEFAULT_PROTOCOL, log=None) -> ReferenceSet:
    """:func:`build_reference`, kept in the cache folder: the real images' features are computed once
    for the same data (its files as listed: names, sizes, times), extractor (its weights' hash) and
    protocol, and read back later. 10,000 test images in Inception space cost a CPU as much as the
    generated ones, so this halves every later evaluation under ``lucic``. A cache that cannot be
    written costs a warning."""
    extractor = get_feature_extractor(features, data_cfg, device=device, weights=weights, log=log)
    path = reference_cache_path(data_cfg, extractor, protocol)
    if path.is_file():
        try:
            description, arrays = read_reference_file(path)
            return ReferenceSet(extractor, str(description["split"]), int(description["count"]), arrays["mean"],
                                arrays["cov"], arrays["sample"], arrays.get("labels"), protocol,
                                description.get("data") or {})
        except WganError as e:  # damaged: made again below
            warnings.warn(f"ignoring the damaged cached reference {path} ({e}); it is made again", stacklevel=2)
    ref = build_reference(data_cfg, extractor=extractor, protocol=protocol)
    try:
        save_reference(ref, path, data_description(data_cfg))
    except (OSError, WganError) as e:
        warnings.warn(f"could not keep the reference features in {path.parent} ({first_line(e, 200)}); set "
                      f"{CACHE_ENV} to a writable folder to reuse them", stacklevel=2)
    return ref


def reference_cache_path(data_cfg, extractor, protocol: str) -> Path:
    """Where :func:`cached_reference` keeps the reference of this data, extractor and protocol."""
    name = Path(str(data_cfg.name)).expanduser()
    chosen = get_protocol(protocol)  # protocols measuring against the same real images share one entry
    real_side = {"reference": chosen.reference, "limit": chosen.reference_limit, "sample": chosen.feature_sample}
    key = {"data": data_description(data_cfg), "split": data_cfg.split, "real": real_side,
           "files": path_signature(name) if name.exists() else None, "extractor": extractor_identity(extractor),
           "version": VERSION}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return cache_dir() / "references" / f"{chosen.reference}-{extractor.name}-{digest}.npz"


def reference_set(data_cfg, features: str = "domain", weights=None, device=None, run_dir: Path | None = None,
                  log=None, protocol: str = DEFAULT_PROTOCOL) -> ReferenceSet:
    """The reference of ``data_cfg`` in the ``features`` space: from the data when it is here (once, then
    from the cache; and stored in ``run_dir``), else from what ``run_dir`` stored."""
    stored = RunFolder(run_dir).reference(features, protocol) if run_dir is not None else None
    if data_available(data_cfg):
        ref = cached_reference(data_cfg, features, weights, device, protocol, log)
        if stored is not None:
            save_reference(ref, stored, data_description(data_cfg))
        return ref
    if stored is not None and stored.is_file():
        return load_reference(stored, weights=weights, device=device)
    legacy = (RunFolder(run_dir).legacy_reference(features) if run_dir is not None and protocol == DEFAULT_PROTOCOL
              else None)
    if legacy is not None and legacy.is_file():
        return load_legacy_reference(legacy, weights=weights, device=device)
    where = f"; nor does {stored} exist" if stored is not None else ""
    raise WganError(f"the data {data_cfg.name} is not on this machine{where}: evaluate the run once where its "
                    "data is (that stores the reference in the run folder), pass a reference file made with "
                    "wgan stats (--reference), or compare with --real and --fake")


def data_description(data_cfg) -> dict:
    """What a reference file records of the data it was made from."""
    return {"name": str(data_cfg.name), "image_size": data_cfg.image_size, "channels": data_cfg.channels,
            "classes": data_cfg.classes}


# --- The extractor's identity: two references are comparable only when these agree ---

def extractor_identity(extractor) -> dict:
    """What names a feature extractor exactly: its space and a hash of its weights (and, for the
    domain space, the fingerprint of the data it was trained on)."""
    if extractor.name == "domain":
        return {"space": "domain", "weights_sha256": state_dict_sha256(extractor.model.state_dict()),
                "data_fingerprint": extractor.fingerprint}
    if extractor.name.startswith("inception"):  # the official weights, or the port (inception-port)
        return {"space": extractor.name, "weights_sha256": file_sha256(extractor.weights_path)}
    return {"space": extractor.name}


def state_dict_sha256(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        h.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        h.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())  # the raw bytes, any dtype
    return h.hexdigest()


# --- Reference files ---

def save_reference(ref: ReferenceSet, path: Path, data: dict | None = None) -> Path:
    """Write ``ref`` as a reference file (``.npz``, arrays only: reading it never runs code)."""
    from ..files import write_npz

    ex = ref.extractor
    description = {"format": FORMAT, "version": VERSION, "protocol": ref.protocol, "split": ref.split,
                   "count": ref.count, "feature_sample": len(ref.sample), "extractor": extractor_identity(ex),
                   "data": data or {}}
    arrays = {"mean": np.asarray(ref.mean, np.float64), "cov": np.asarray(ref.cov, np.float64),
              "sample": np.ascontiguousarray(ref.sample, dtype=np.float32)}
    if ref.labels is not None:
        arrays["labels"] = np.asarray(ref.labels, dtype=np.int64)
    if ex.name == "domain":  # the classifier too, so that generated images can be embedded without the data
        arrays.update({f"classifier.{k}": v.detach().cpu().numpy() for k, v in ex.model.state_dict().items()})
        description["domain"] = {"test_accuracy": ex.test_accuracy, "image_shape": list(ex.image_shape),
                                 "class_names": list(ex.class_names), "kept": ex.kept, "info": ex.info}
    arrays["description"] = np.array(json.dumps(description))
    return write_npz(path, arrays)


def read_reference_file(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(description, arrays)`` of a reference file; anything else is a one-line WganError."""
    path = Path(path)
    if not path.is_file():
        raise WganError(f"no reference file at {path} (make one with: wgan stats DATA --out {path.name})")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        description = json.loads(str(arrays.pop("description")))
        assert isinstance(description, dict)
    except (OSError, ValueError, KeyError, AssertionError, EOFError, zipfile.BadZipFile) as e:
        raise WganError(f"{path} is not a reference file of this toolkit ({first_line(e, 200)}); make one with "
                        "wgan stats") from None
    if description.get("format") != FORMAT or description.get("version") != VERSION:
        raise WganError(f"{path} is not a reference file of this version of the toolkit (format "
                        f"{description.get('format')!r}, version {description.get('version')!r}); make it again "
                        "with wgan stats")
    missing = {"mean", "cov", "sample"} - arrays.keys()
    if missing:
        raise WganError(f"{path} lacks {', '.join(sorted(missing))}: it is damaged; make it again with wgan stats")
    return description, arrays


def load_reference(path: Path, weights=None, device=None) -> ReferenceSet:
    """The reference a file holds, with its feature extractor (the domain classifier from the file;
    Inception from ``weights``, which must be the weights the file was made with)."""
    description, arrays = read_reference_file(path)
    identity = description["extractor"]
    if identity.get("space") == "domain":
        extractor = _domain_extractor(description["domain"], identity["data_fingerprint"], arrays, device)
    else:
        extractor = get_feature_extractor(identity.get("space", "inception"), None, device=device, weights=weights)
        check_same_extractor(identity, extractor, path)
    labels = arrays.get("labels")
    return ReferenceSet(extractor, str(description["split"]), int(description["count"]), arrays["mean"],
                        arrays["cov"], arrays["sample"], labels, str(description["protocol"]),
                        description.get("data") or {})


def check_reference_fits(reference: ReferenceSet, path, protocol: str | None = None, features: str | None = None
                         ) -> str:
    """The protocol of an evaluation against a reference file: the file's. Asking for another protocol
    or feature space than the file's is refused in one line."""
    if protocol is not None and protocol != reference.protocol:
        raise WganError(f"{path} was made for the {reference.protocol} protocol, not {protocol}: leave out "
                        f"--protocol, or make a {protocol} reference with wgan stats --protocol {protocol}")
    if features is not None and features != space_family(reference.extractor.name):
        raise WganError(f"{path} holds {reference.extractor.name} features, not {features}: leave out --features, "
                        f"or make a {features} reference with wgan stats --features {features}")
    return reference.protocol


def check_reference_matches_run(reference: ReferenceSet, handle, path) -> None:
    """Refuse a domain reference made for other data than the run's (other image shape or classes,
    or another built-in data set)."""
    from ..data.sources import builtin_names

    ex = reference.extractor
    if ex.name != "domain":
        return  # Inception takes any image; its weights were checked when the file was read
    if tuple(ex.image_shape) != tuple(handle.space.shape):
        raise WganError(f"{path} was made for {'x'.join(map(str, ex.image_shape))} images, but this run makes "
                        f"{'x'.join(map(str, handle.space.shape))}: make a reference for the run's data and size")
    names = list(handle.space.class_names)
    if names and names != [str(c) for c in ex.class_names]:
        raise WganError(f"{path} was made for the classes {ex.class_names}, but this run has {names}")
    made_for, run_data = str((reference.data or {}).get("name", "")), str(handle.info.get("data", {}).get("name", ""))
    builtin = builtin_names()
    if made_for.lower() in builtin and run_data.lower() in builtin and made_for.lower() != run_data.lower():
        raise WganError(f"{path} was made for {made_for}, but this run was trained on {run_data}")


def _domain_extractor(d: dict, fingerprint: str, tensors: dict, device):
    """The domain classifier a reference stored (``tensors``: its ``classifier.*`` entries)."""
    from ..features._images import resolve_device
    from ..features.classifier import DomainClassifier
    from ..features.domain import DomainFeatures

    info = d.get("info") or {}
    model = DomainClassifier(int(info.get("in_channels", d["image_shape"][0])), int(info["n_classes"]))
    model.load_state_dict({k[len("classifier."):]: torch.as_tensor(v) for k, v in tensors.items()
                           if k.startswith("classifier.")})
    device = resolve_device(device)
    return DomainFeatures(model.to(device).eval(), device, fingerprint, float(d["test_accuracy"]),
                          tuple(d["image_shape"]), list(d["class_names"]), d.get("kept"), info)


def check_same_extractor(identity: dict, extractor, path) -> None:
    """Refuse, in one line, a reference made in another feature space or with other weights."""
    mine = extractor_identity(extractor)
    if identity.get("space") != mine["space"]:
        raise WganError(f"{path} holds {identity.get('space')} features, not {mine['space']}: measure in the "
                        f"space it was made in, or make a {mine['space']} reference with wgan stats")
    for key, what in (("weights_sha256", "weights"), ("data_fingerprint", "data")):
        if identity.get(key) != mine.get(key):
            raise WganError(f"{path} was made with other {mine['space']} {what} ({key} "
                            f"{str(identity.get(key))[:12]}..., these are {str(mine.get(key))[:12]}...); its "
                            "numbers would not be comparable: make the reference again with these")


def load_legacy_reference(path: Path, weights=None, device=None) -> ReferenceSet:
    """A quick-protocol reference as evaluations before named protocols stored it (safetensors, all features)."""
    from ..handle import read_safetensors

    meta, tensors = read_safetensors(path, "a stored evaluation reference")
    if meta.get("format") != 1 or "features" not in tensors:
        raise WganError(f"{path} is not an evaluation reference of this toolkit")
    labels = tensors["labels"].numpy() if "labels" in tensors else None
    if meta.get("space") == "domain":
        extractor = _domain_extractor(meta["domain"], meta["domain"]["fingerprint"], tensors, device)
    else:
        extractor = get_feature_extractor(meta.get("space", "inception"), None, device=device, weights=weights)
    return ReferenceSet.from_features(extractor, tensors["features"].numpy(), labels, str(meta["split"]))


def data_config_of(info: dict):
    """The DataConfig recorded in a generator's description."""
    from ..config import DataConfig

    fields = {k: v for k, v in (info.get("data") or {}).items() if k in DataConfig.__dataclass_fields__}
    if "name" not in fields:
        raise WganError("this generator records no data set, so there is nothing to evaluate it against")
    return replace(DataConfig(), **fields)


def stats_data(data: str, image_size=None, channels=None, classes: str | None = None):
    """The DataConfig ``wgan stats`` summarises: a run folder's data (its size and classes), or ``data``
    with the size, channels and comma-separated classes given."""
    from ..config import Config, DataConfig

    config = RunFolder(data).config
    if config.is_file():
        if image_size or channels or classes:
            raise WganError(f"{data} is a run folder: its data, size and classes are the run's; leave out "
                            "--image-size, --channels and --classes")
        return replace(Config.load(config).data)
    try:
        kept = [int(c) for c in classes.split(",")] if classes else None
    except ValueError:
        raise WganError(f"--classes expects class numbers separated by commas (e.g. 7 or 0,1,2), got {classes!r}"
                        ) from None
    return DataConfig(name=data, image_size=image_size, channels=channels, classes=kept)
