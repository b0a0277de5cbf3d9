"""What the evaluation protocol changes: one run measured under each protocol, with the time each took.

    python benchmarks/bench_protocols.py RUN_DIR [--protocols quick paper paper-test] [--device cpu]

Each protocol is timed from loading the generator to the written result (the
reference statistics are built from the data each time, as a first
evaluation of a run does; the domain classifier is cached beforehand). Prints
a Markdown table: FID, Inception score, KID, precision and recall under each
protocol, and the seconds it took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from wgan.evaluation import evaluate_run

COLUMNS = ("fid", "is", "kid", "precision", "recall")


def value(results: dict, name: str) -> str:
    """The result whose key starts with ``name`` and the feature space (there is one per protocol)."""
    prefix = f"{name}_{results['feature_space']}_"
    found = [v for k, v in results.items() if k.startswith(prefix)]
    return f"{found[0]:.4g}" if found else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--protocols", nargs="+", default=["quick", "paper", "paper-test"])
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    evaluate_run(args.run_dir, n=10, device=args.device, metrics=("fid",))  # caches the domain classifier
    print(f"| protocol | samples | reference | {' | '.join(COLUMNS)} | seconds |")
    print(f"|---|---|---|{'---|' * len(COLUMNS)}---|")
    for protocol in args.protocols:
        start = time.perf_counter()
        results, _ = evaluate_run(args.run_dir, device=args.device, protocol=protocol)
        seconds = time.perf_counter() - start
        reference = f"{results['n_reference']} ({next(k for k in results if k.startswith('fid_')).split('_')[-2]})"
        cells = " | ".join(value(results, c) for c in COLUMNS)
        print(f"| {protocol} | {results['n']} | {reference} | {cells} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
