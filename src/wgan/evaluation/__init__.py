"""``wgan eval``: the metrics that fit a run's data, written to ``eval/metrics.json``.

2-D runs are measured against fresh samples of their distribution (``toy.py``);
image runs in a feature space against real images, as a named protocol says
(``images.py``, ``protocols.py``). Result names record how they were measured,
e.g. ``fid_domain_2k_test_quick``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import WganError
from ..files import write_text
from ..run_folder import RunFolder, check_run_dir
from .images import compare_image_sets, compare_to_reference, evaluate_images, image_metrics
from .protocols import DEFAULT_PROTOCOL, PROTOCOLS, get_protocol
from .toy import evaluate_toy

__all__ = ["DEFAULT_PROTOCOL", "PROTOCOLS", "compare_image_sets", "compare_sets", "compare_to_reference",
           "evaluate", "get_protocol", "evaluate_images", "image_metrics", "evaluate_run", "evaluate_toy", "format_table", "write_results"]


def evaluate(handle, n: int | None = None, seed: int = 0, runtime=None, run_dir=None,
             protocol: str = DEFAULT_PROTOCOL, **image_options) -> dict | None:
    """Every metric that fits the generator's data, as a flat dict of numbers (plus lists for details).

    ``handle`` is a :class:`~wgan.handle.GeneratorHandle`. With a ``runtime`` of several processes
    they share the sampling and the main process gets the results (the others None).
    """
    if handle.kind == "toy":
        if protocol != DEFAULT_PROTOCOL:
            raise WganError(f"2-D runs have one protocol (exact W1 to fresh samples of the distribution): "
                            f"--protocol {protocol} is for image runs")
        return evaluate_toy(handle, n=n or 2000, seed=seed, runtime=runtime)
    return evaluate_images(handle, n=n, seed=seed, run_dir=run_dir, runtime=runtime, protocol=protocol,
                           **image_options)


def evaluate_run(run_dir: Path, n: int | None = None, seed: int = 0, checkpoint: str = "last", device="auto",
                 protocol: str | None = None, reference_file: Path | None = None, **image_options
                 ) -> tuple[dict, Path]:
    """Evaluate a run folder's generator (no training data needed) and write ``eval/metrics.json``
    (``eval/metrics-<checkpoint>.json`` for a checkpoint other than the last).

    ``reference_file``: a reference made with ``wgan stats``; its protocol is the evaluation's
    (``protocol``, when given, must be the same).
    """
    from ..devices import pick_device
    from ..handle import load_generator
    from .reference import check_reference_fits, check_reference_matches_run, load_reference

    run_dir = check_run_dir(run_dir)
    reference = None
    if reference_file is not None:
        reference = load_reference(reference_file, weights=image_options.get("weights"),
                                   device=pick_device(device))
        protocol = check_reference_fits(reference, reference_file, protocol, image_options.get("features"))
    protocol = protocol or DEFAULT_PROTOCOL
    get_protocol(protocol).sample_count(n)  # a count the protocol refuses is refused before any work
    handle = load_generator(run_dir, checkpoint, device=pick_device(device))
    if reference is not None:
        if handle.kind == "toy":
            raise WganError("a reference file is for image runs; 2-D runs are measured against fresh samples")
        check_reference_matches_run(reference, handle, reference_file)
        image_options["reference"] = reference
    image_options = {k: v for k, v in image_options.items() if v is not None}
    results = evaluate(handle, n=n, seed=seed, run_dir=run_dir, protocol=protocol, **image_options)
    return results, write_results(results, RunFolder(run_dir).results(protocol, checkpoint))


def write_results(results: dict, path: Path) -> Path:
    return write_text(path, json.dumps(results, indent=2) + "\n")


def format_table(results: dict) -> str:
    rows = [(k, v) for k, v in results.items() if not isinstance(v, (list, dict))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}" for k, v in rows)


def compare_sets(real: Path, fake: Path, features: str | None = None, features_data: str | None = None,
                 weights=None, metrics=None, log=None) -> dict:
    """Metrics of a set of generated images against a set of real ones, without a run (``wgan eval
    --real --fake``): each a built-in name, an ``.npz`` or an image folder. The domain space is the
    classifier of ``features_data``'s train split (default: the real set)."""
    from ..config import DataConfig
    from ..data.sources import load_images
    from ..features import get_feature_extractor

    real_arrays = load_images(DataConfig(name=str(real), split="all"))
    fake_arrays = load_images(DataConfig(name=str(fake), split="all"))
    space_data = DataConfig(name=features_data or str(real), split="train")
    extractor = get_feature_extractor(features or "domain", space_data, weights=weights, log=log)
    return compare_image_sets(real_arrays.images, fake_arrays.images, extractor, metrics,
                              real_labels=real_arrays.labels, reference_split=None)
