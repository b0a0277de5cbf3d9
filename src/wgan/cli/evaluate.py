"""``wgan eval`` (a run, or two sets of images) and ``wgan stats`` (a reference file to share)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import WganError
from ..evaluation import compare_sets, evaluate_run, format_table, get_protocol
from ..evaluation.reference import write_reference
from ..metrics import metrics_for
from . import shared_flags as flags
from .group import main


@main.command(name="eval")
@click.argument("run_dir", type=click.Path(path_type=Path), required=False)
@click.option("--protocol", cls=flags.LazyHelp,
              help=lambda: flags.protocol_help() + " Default: quick, or the --reference file's.")
@click.option("--n", "n", type=int, help="Generated samples (quick protocol; default 2000).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the samples drawn.")
@click.option("--metrics", cls=flags.LazyHelp, help=lambda: "Image metrics, comma-separated (default: the "
              f"protocol's, else all of {', '.join(metrics_for('image'))}).")
@flags.FEATURES
@flags.INCEPTION_WEIGHTS
@click.option("--reference", "reference_file", type=click.Path(path_type=Path),
              help="Measure against this reference file (from wgan stats) instead of the data set.")
@click.option("--real", type=click.Path(path_type=Path), help="Compare two sample sets without a run: real set "
              "(.npz or image folder, or a built-in name)...")
@click.option("--fake", type=click.Path(path_type=Path), help="...against this generated set (.npz or folder).")
@click.option("--features-data", help="With --real/--fake: the labelled data set whose train split defines the "
              "domain feature space (default: the --real set).")
@flags.CHECKPOINT
@flags.DEVICE
def evaluate(run_dir, protocol, n, seed, metrics, features, inception_weights, reference_file, real, fake,
             features_data, checkpoint, device):
    """Measure a trained run with the metrics that fit its data; writes RUN_DIR/eval/metrics.json
    (metrics-PROTOCOL.json for a protocol other than quick).

    Needs no training data: image runs are measured against the reference each evaluation stores in
    RUN_DIR/eval/, or against a reference file made with wgan stats.

    2-D runs: exact W1 (POT) to real data, the real-vs-real floor and their ratio; for the Gaussian
    mixtures the modes covered and the share of high-quality samples (within 3 sd of a mode).
    Image runs: FID, KID, precision/recall, density/coverage, Inception score and class statistics,
    named by how they were measured (e.g. fid_domain_2k_test_quick).
    """
    if protocol is not None:
        get_protocol(protocol)
    chosen = tuple(m.strip() for m in metrics.split(",")) if metrics else None  # None: the protocol's
    if real is not None or fake is not None:
        if run_dir is not None or real is None or fake is None or reference_file is not None:
            raise WganError("compare two sets with --real PATH --fake PATH (and no RUN_DIR or --reference)")
        results = compare_sets(real, fake, features, features_data, inception_weights, chosen,
                               log=lambda m: click.echo(m, err=True))
        click.echo(format_table(results))
        return
    if run_dir is None:
        raise WganError("eval needs RUN_DIR, or --real PATH --fake PATH")
    results, path = evaluate_run(run_dir, n=n, seed=seed, checkpoint=checkpoint, device=device, protocol=protocol,
                                 reference_file=reference_file, metrics=chosen, features=features,
                                 weights=inception_weights)
    click.echo(format_table(results))
    click.echo(f"wrote {path}")


@main.command()
@click.argument("data")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The reference file to write (.npz).")
@click.option("--protocol", default="quick", show_default=True, cls=flags.LazyHelp, help=flags.protocol_help)
@flags.FEATURES
@flags.INCEPTION_WEIGHTS
@click.option("--image-size", type=int, help="Resize and centre-crop to this size, as the runs it is for did.")
@click.option("--channels", type=click.IntRange(1, 3), help="Force 1 (grayscale) or 3 (RGB) channels.")
@click.option("--classes", help="Keep only these classes, comma-separated, as the runs it is for did.")
@flags.DEVICE
def stats(data, out, protocol, features, inception_weights, image_size, channels, classes, device):
    """Write the reference statistics of a data set's split as a file that wgan eval --reference reads.

    DATA is a built-in name, a data path, or a run folder (its data, size and classes). The file holds
    the feature mean and covariance (FID), a sample of up to 10,000 feature rows (KID, precision/recall,
    density/coverage), the labels, and how it was made: protocol, split, count, data and the feature
    extractor with its weights' hash (for the domain space the classifier itself). Anyone with the file
    can evaluate without the data set, and numbers made against the same file are comparable.
    """
    ref, path, name = write_reference(data, out, protocol, features, inception_weights, image_size, channels,
                                      classes, device, log=lambda m: click.echo(m, err=True))
    click.echo(f"{ref.protocol} reference of {name} ({ref.split} split, {ref.count} images, "
               f"{ref.extractor.name} features): wrote {path}")
