"""The ``wgan`` command: flag parsing over the library, nothing more.

Every problem a user can fix ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import click

from .errors import WganError

DEFAULT_PRESET = "wgan-gp-mnist"


class WganGroup(click.Group):
    """Turns usage errors and WganError into one line and exit status 2 (no traceback)."""

    def main(self, args=None, prog_name=None, **extra):
        warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
        try:
            return super().main(args=args, prog_name=prog_name or "wgan", standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx else "wgan"
            click.echo(f"{where}: error: {e.format_message()}", err=True)
            sys.exit(2)
        except (WganError, click.ClickException) as e:
            message = e.format_message() if isinstance(e, click.ClickException) else str(e)
            click.echo(f"wgan: error: {message}", err=True)
            sys.exit(2)
        except OSError as e:  # a file the toolkit reads or writes outside its own checks (a full disk, ...)
            from .files import write_error

            click.echo(f"wgan: error: {write_error(Path(e.filename or '?'), e)}", err=True)
            sys.exit(2)


@click.group(cls=WganGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wgan")
def main():
    """Train, inspect and evaluate Wasserstein GANs.

    \b
    wgan presets                       list the ready-made configurations
    wgan train                         train WGAN-GP on the embedded MNIST digits
    wgan train --preset NAME           train a preset (2-D toys, seeds S0-S4, ...)
    wgan sample RUN_DIR --n N --out F  draw samples from a trained run
    wgan eval RUN_DIR                  measure it
    """


def _set_if(cfg, key: str, value) -> None:
    if value is not None:
        cfg.set(key, value)


@main.command()
@click.option("--preset", help=f"Start from a preset (see `wgan presets`); default {DEFAULT_PRESET}.")
@click.option("--data", help="Built-in data set name (8gaussians, 25gaussians, swissroll, quadratic, ...) or a path.")
@click.option("--image-size", type=int, help="Images: resize and centre-crop to this size.")
@click.option("--classes", help="Keep only these classes, comma-separated (e.g. 7 or 0,1,2).")
@click.option("--skip-bad", is_flag=True, default=None, help="Image folders: skip unreadable files instead of failing.")
@click.option("--objective", help="gan (sigmoid cross-entropy) or wgan.")
@click.option("--lipschitz", help="clip, gp, lp, sn or none; combine with + (sn+gp).")
@click.option("--model", help="Network family for both generator and critic (mlp, ...).")
@click.option("--steps", type=int, help="Generator iterations to train for (with --resume: the new total).")
@click.option("--batch-size", type=int, help="Batch size.")
@click.option("--n-critic", type=int, help="Critic iterations per generator iteration.")
@click.option("--lr", type=float, help="Learning rate of both generator and critic.")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--device", help="auto, cpu or cuda.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True,
              help="Folder that holds the run folders.")
@click.option("--name", help="Suffix for the run folder name.")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run in this run folder.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Set any config key, e.g. --set train.log_every=10 --set model.width=256 (repeatable).")
@click.option("--wandb", type=click.Choice(["off", "offline", "online"]), default=None,
              help="Also log to Weights & Biases (needs `pip install wandb`); offline works without network.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def train(preset, data, image_size, classes, skip_bad, objective, lipschitz, model, steps, batch_size, n_critic, lr, seed, device, out, name,
          resume, overrides, wandb, no_progress):
    """Train a GAN; writes a run folder runs/NNNN-<data>-<objective>[-<name>]/.

    Flags override the preset; --set overrides any config key (see config.yaml in a run folder for them all).
    """
    from .presets import PRESETS, preset_config
    from .runs import new_run_dir
    from .trainer import Trainer

    if resume is not None:
        from .config import read_record
        from .runs import CONFIG_FILE, RunLock, check_run_dir

        if steps is not None and steps <= 0:
            raise WganError(f"--steps is the new total of generator steps and must be positive, got {steps}")
        with RunLock(check_run_dir(resume)):  # before anything in the run folder is rewritten
            trainer = Trainer.resume(resume, progress=not no_progress)
            if steps is not None and steps < trainer.step:
                raise WganError(f"--steps {steps} is below the run's current step {trainer.step}; give a new "
                                f"total of at least {trainer.step} (nothing was changed)")
            if steps is not None and steps != trainer.cfg.train.steps:
                trainer.cfg.train.steps = steps
                trainer.cfg.save(resume / CONFIG_FILE, read_record(resume / CONFIG_FILE))
            target = trainer.cfg.train.steps
            click.echo(f"resuming {resume} at step {trainer.step} of {target}")
            trainer.fit(target)
        click.echo(f"run folder: {resume}")
        return

    cfg = preset_config(preset or DEFAULT_PRESET)
    for message in PRESETS[cfg.preset].warnings:
        warnings.warn(message)
    hint = PRESETS[cfg.preset].data_hint
    if hint and data is None and not Path(cfg.data.name).exists():
        raise WganError(hint)
    for key, value in (("data.name", data), ("data.image_size", image_size),
                       ("data.classes", f"[{classes}]" if classes else None), ("data.skip_bad", skip_bad),
                       ("loss.objective", objective), ("loss.lipschitz", lipschitz),
                       ("model.generator", model), ("model.critic", model), ("train.steps", steps),
                       ("train.batch_size", batch_size), ("train.n_critic", n_critic), ("optim.lr_g", lr),
                       ("optim.lr_c", lr), ("train.seed", seed), ("train.device", device), ("name", name),
                       ("train.wandb", wandb)):
        _set_if(cfg, key, value)
    cfg.apply_overrides(overrides)
    if lipschitz is not None and lr is None:
        # A new method brings its own paper defaults unless the preset's were asked for explicitly.
        cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_c, cfg.optim.beta1, cfg.optim.beta2 = "auto", None, None, None, None
    cfg.validate()
    # Build everything before creating the folder, so that bad data or models leave nothing behind.
    trainer = Trainer(cfg, run_dir=None, progress=not no_progress)
    run_dir = new_run_dir(out, cfg)
    try:
        trainer.attach_run_dir(run_dir)
    except BaseException:  # e.g. a full disk: leave no half-made run folder behind
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    click.echo(f"run folder: {trainer.run_dir}  (device {trainer.device})")
    trainer.fit()
    click.echo(f"done: {trainer.step} steps; run folder: {trainer.run_dir}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=1000, show_default=True, help="Number of samples.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="FILE.npz (arrays), FILE.png (a picture), or a folder (one PNG per image sample).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the latent noise.")
@click.option("--class", "class_", type=int, help="Class to generate (conditional runs).")
def sample(run_dir, n, out, seed, class_):
    """Draw samples from a trained run (its last checkpoint).

    For a class-conditional run, FILE.png without --class is a class grid: one column per class,
    the same noise along each row (about N / classes rows).
    """
    from .sampling import draw_class_grid, draw_samples, write_samples
    from .trainer import Trainer

    if n <= 0:
        raise WganError(f"--n must be positive, got {n}")
    trainer = Trainer.resume(run_dir, progress=False)
    if trainer.num_classes and class_ is None and out.suffix == ".png":
        from .plots.images import save_class_grid

        grid = draw_class_grid(trainer, per_class=max(1, n // trainer.num_classes), seed=seed)
        click.echo(f"wrote {save_class_grid(grid, out)}")
        return
    samples = draw_samples(trainer, n, seed=seed, class_=class_)
    click.echo(f"wrote {write_samples(samples, out)}")


@main.command(name="eval")
@click.argument("run_dir", type=click.Path(path_type=Path), required=False)
@click.option("--n", "n", type=int, default=2000, show_default=True, help="Generated samples used.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the samples drawn.")
@click.option("--metrics", help="Image metrics, comma-separated (default: all of fid, kid, precision_recall, "
              "density_coverage, class_histogram, class_accuracy).")
@click.option("--features", type=click.Choice(["domain", "inception"]), default="domain", show_default=True,
              help="Feature space of the image metrics: a classifier trained on the data's train split "
              "(cached), or Inception-v3 (needs its weights file).")
@click.option("--inception-weights", type=click.Path(path_type=Path),
              help="Inception weights file for --features inception (or set WGAN_INCEPTION_WEIGHTS).")
@click.option("--real", type=click.Path(path_type=Path), help="Compare two sample sets without a run: real set "
              "(.npz or image folder, or a built-in name)...")
@click.option("--fake", type=click.Path(path_type=Path), help="...against this generated set (.npz or folder).")
@click.option("--features-data", help="With --real/--fake: the labelled data set whose train split defines the "
              "domain feature space (default: the --real set).")
def eval_(run_dir, n, seed, metrics, features, inception_weights, real, fake, features_data):
    """Measure a trained run with the metrics that fit its data; writes RUN_DIR/eval/metrics.json.

    2-D runs: exact W1 (POT) to real data, the real-vs-real floor and their ratio; for the Gaussian
    mixtures the modes covered and the share of high-quality samples (within 3 sd of a mode).
    Image runs: FID, KID, precision/recall, density/coverage and class statistics of N generated images
    against the held-out test split, named by protocol (e.g. fid_domain_2k_test).
    """
    from .evaluation import IMAGE_METRICS, evaluate_run, format_table, write_results

    if n <= 1:
        raise WganError(f"--n must be at least 2, got {n}")
    chosen = tuple(m.strip() for m in metrics.split(",")) if metrics else IMAGE_METRICS
    options = {"metrics": chosen, "features": features, "weights": inception_weights}
    if real is not None or fake is not None:
        if run_dir is not None or real is None or fake is None:
            raise WganError("compare two sets with --real PATH --fake PATH (and no RUN_DIR)")
        results = _compare_sets(real, fake, features_data, options)
        click.echo(format_table(results))
        return
    if run_dir is None:
        raise WganError("eval needs RUN_DIR, or --real PATH --fake PATH")
    results, path = evaluate_run(run_dir, n=n, seed=seed, **options)
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
    extractor = get_feature_extractor(options["features"], space_data, weights=options["weights"],
                                      log=lambda m: click.echo(m, err=True))
    return compare_image_sets(real_arrays.images, fake_arrays.images, extractor, options["metrics"],
                              real_labels=real_arrays.labels, reference_split=None)


@main.command()
def presets():
    """List every preset with a one-line description."""
    from .presets import PRESETS

    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        click.echo(f"{name:<{width}}  {preset.description}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
def plot(run_dir):
    """(Re)draw a run's figures into RUN_DIR/plots from its metrics and last checkpoint."""
    from .trainer import Trainer

    trainer = Trainer.resume(run_dir, progress=False)
    for path in trainer.artifacts.finish(trainer):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="FILE.mp4 or FILE.gif (default: plots/progress.mp4 "
              "when ffmpeg is available to imageio, else .gif).")
@click.option("--iterations-per-second", type=float, default=250, show_default=True,
              help="Training iterations per second of video (S1 uses 250).")
@click.option("--fps", type=float, help="Frame rate of an MP4.")
def video(run_dir, out, iterations_per_second, fps):
    """Render the fixed-noise sample grids of a finished or running image run into a video."""
    from .runs import check_run_dir
    from .video import make_video

    if iterations_per_second <= 0:
        raise WganError(f"--iterations-per-second must be positive, got {iterations_per_second}")
    path = make_video(check_run_dir(run_dir), out=out, fps=fps, iterations_per_second=iterations_per_second)
    click.echo(f"wrote {path}")


if __name__ == "__main__":
    main()
