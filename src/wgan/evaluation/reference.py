"""The real side of an image evaluation: held-out images in a feature space, kept with the run.

Each evaluation of an image run measures generated images against real
held-out ones (the test split, or the per-class holdout) in a feature space.
The features of that reference, their labels and, for the domain space, the
classifier itself are stored in ``RUN/eval/reference-<space>.safetensors``
whenever the data is at hand. When it is not (the data folder was moved, or
the run was copied to another machine), evaluation uses that file, so a run
can be measured again without its data.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..data.sources import load_images
from ..data.sources.arrays import holdout_split
from ..errors import WganError
from ..features import get_feature_extractor

FORMAT = 1


@dataclass
class ReferenceSet:
    extractor: object  # a feature extractor (see wgan.features)
    features: np.ndarray  # (N, D) float32
    labels: np.ndarray | None
    split: str  # "test", "holdout" or "train"

    def __len__(self) -> int:
        return len(self.features)


def reference_images(data_cfg):
    """The held-out real images and the name of their split.

    The source's test split where it has one; otherwise the last 20% of each class
    ("holdout"), which is also what the domain classifier holds out, so the reference
    is never data the feature space was trained on; unlabelled data without a split
    is compared against all of it ("train").
    """
    cfg = copy.deepcopy(data_cfg)
    cfg.split = "test"
    try:
        return load_images(cfg), "test"
    except WganError as e:
        if "no test split" not in str(e):
            raise
    cfg.split = "all"
    arrays = load_images(cfg)
    if arrays.labels is None:
        return arrays, "train"
    return arrays.subset(holdout_split(arrays.labels, "test")), "holdout"


def data_available(data_cfg) -> bool:
    """Whether the data a run names is on this machine (built-in sets: whether their package is installed)."""
    from ..data.sources import BUILTIN
    from ..data.sources.builtin import FASHION_DIR

    name = str(data_cfg.name)
    if name.lower() in BUILTIN:
        return name.lower() != "fashion-mnist" or FASHION_DIR.is_dir()
    return Path(name).expanduser().exists()


def bundle_path(run_dir: Path, space: str) -> Path:
    return Path(run_dir) / "eval" / f"reference-{space}.safetensors"


def reference_set(data_cfg, features: str = "domain", weights=None, device=None, run_dir: Path | None = None,
                  log=None) -> ReferenceSet:
    """The reference of ``data_cfg`` in the ``features`` space: from the data when it is here (and then
    stored in ``run_dir``), else from what ``run_dir`` stored."""
    stored = bundle_path(run_dir, features) if run_dir is not None else None
    if data_available(data_cfg):
        extractor = get_feature_extractor(features, data_cfg, device=device, weights=weights, log=log)
        real, split = reference_images(data_cfg)
        ref = ReferenceSet(extractor, extractor.features(real.images), real.labels, split)
        if stored is not None:
            save_reference(ref, stored)
        return ref
    if stored is not None and stored.is_file():
        return load_reference(stored, weights=weights, device=device)
    where = f"; nor does {stored} exist" if stored is not None else ""
    raise WganError(f"the data {data_cfg.name} is not on this machine{where}: evaluate the run once where its "
                    "data is (that stores the reference in the run folder), or compare with --real and --fake")


def save_reference(ref: ReferenceSet, path: Path) -> Path:
    from safetensors.torch import save_file

    from ..files import atomic_write

    ex = ref.extractor
    tensors = {"features": torch.from_numpy(np.ascontiguousarray(ref.features, dtype=np.float32))}
    if ref.labels is not None:
        tensors["labels"] = torch.from_numpy(np.asarray(ref.labels, dtype=np.int64))
    meta = {"format": FORMAT, "space": ex.name, "split": ref.split}
    if ex.name == "domain":  # the classifier too, so that generated images can be embedded without the data
        tensors.update({f"classifier.{k}": v.detach().cpu().contiguous() for k, v in ex.model.state_dict().items()})
        meta["domain"] = {"fingerprint": ex.fingerprint, "test_accuracy": ex.test_accuracy,
                          "image_shape": list(ex.image_shape), "class_names": list(ex.class_names),
                          "kept": ex.kept, "info": ex.info}
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"wgan": json.dumps(meta)}))


def load_reference(path: Path, weights=None, device=None) -> ReferenceSet:
    from ..features.classifier import DomainClassifier
    from ..features.domain import DomainFeatures
    from ..features._images import resolve_device
    from ..handle import read_safetensors

    meta, tensors = read_safetensors(path, "a stored evaluation reference")
    if meta.get("format") != FORMAT or "features" not in tensors:
        raise WganError(f"{path} is not an evaluation reference of this toolkit")
    labels = tensors["labels"].numpy() if "labels" in tensors else None
    if meta.get("space") == "domain":
        d, device = meta["domain"], resolve_device(device)
        info = d.get("info") or {}
        model = DomainClassifier(int(info.get("in_channels", d["image_shape"][0])), int(info["n_classes"]))
        model.load_state_dict({k[len("classifier."):]: v for k, v in tensors.items() if k.startswith("classifier.")})
        extractor = DomainFeatures(model.to(device).eval(), device, d["fingerprint"], float(d["test_accuracy"]),
                                   tuple(d["image_shape"]), list(d["class_names"]), d.get("kept"), info)
    else:
        extractor = get_feature_extractor(meta.get("space", "inception"), None, device=device, weights=weights)
    return ReferenceSet(extractor, tensors["features"].numpy(), labels, str(meta["split"]))


def data_config_of(info: dict):
    """The DataConfig recorded in a generator's description."""
    from ..config import DataConfig

    fields = {k: v for k, v in (info.get("data") or {}).items() if k in DataConfig.__dataclass_fields__}
    if "name" not in fields:
        raise WganError("this generator records no data set, so there is nothing to evaluate it against")
    return replace(DataConfig(), **fields)
