"""``wgan data``: image folders decoded once, on purpose (``prepare``) or as training keeps them
(``list``, ``remove``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..config import DataConfig
from ..data.progress import shown
from ..data.sources.folder import prepare_file
from ..data.sources.kinds import SOURCES
from ..data.sources.prepared import cache_folder, kept_files
from ..errors import WganError
from .group import main


@main.group()
def data():
    """Decode an image folder or zip archive once into a file that --data takes, and see or remove
    the decoded images that training keeps (data.cache)."""


@data.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The prepared file to write (.npz).")
@click.option("--image-size", type=click.IntRange(1), help="Resize (shorter side) and centre-crop to this size.")
@click.option("--channels", type=click.IntRange(1, 3), help="Force 1 (grayscale) or 3 (RGB) channels.")
@click.option("--classes", help="Keep only these classes, comma-separated.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable files (with a count) instead of stopping.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bars and the summary.")
def prepare(folder, out, image_size, channels, classes, skip_bad, no_progress):
    """Decode FOLDER (an image folder or a zip archive of images) into one file, OUT.

    The file holds the decoded pixels, the labels and class names, and how they were made; --data
    takes it on any machine (copy it to a cluster and train from it: nothing is decoded there), and
    it is read by mapping it, not by loading it. Training keeps such a file on its own (data.cache).
    """
    if not folder.exists():
        raise WganError(f"no folder or archive at {folder}")
    if not (folder.is_dir() or SOURCES.get("zip").recognises(folder)):
        raise WganError(f"{folder} is neither an image folder nor a zip archive of images")
    try:
        kept = [int(c) for c in classes.split(",")] if classes else None
    except ValueError:
        raise WganError(f"--classes expects class numbers separated by commas (e.g. 7 or 0,1,2), got {classes!r}"
                        ) from None
    cfg = DataConfig(name=str(folder), image_size=image_size, channels=channels, classes=kept, skip_bad=skip_bad,
                     split="all", cache="off")
    started = time.perf_counter()
    with shown(not no_progress):
        path, arrays = prepare_file(folder, out, cfg)
    n, h, w, c = arrays.images.shape
    click.echo(f"wrote {path}: {n:,} images of {h}x{w}x{c}"
               + (f", {len(arrays.class_names)} classes" if arrays.class_names else "")
               + f", {path.stat().st_size / 2**20:,.0f} MiB, in {time.perf_counter() - started:.0f} s")


def _listed(folder: Path) -> list[tuple[Path, dict]]:
    return kept_files(folder) if folder is not None else []


@data.command("list")
@click.option("--cache", "where", default="auto", show_default=True,
              help="The folder of kept images: auto (the cache folder) or a folder (as data.cache).")
def list_kept(where):
    """List the decoded images training has kept: file, source, images, size, settings."""
    folder = cache_folder(where)
    found = _listed(folder)
    if not found:
        click.echo(f"no decoded images kept in {folder}")
        return
    total = 0
    for path, d in found:
        size = path.stat().st_size
        total += size
        click.echo(f"{path.name}  {d.get('source')}  {d.get('count', '?'):,} images  "
                   f"size {d.get('image_size') or 'native'}  {size / 2**20:,.0f} MiB")
    click.echo(f"{len(found)} file(s), {total / 2**20:,.0f} MiB in {folder}")


@data.command()
@click.argument("names", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Remove every kept file.")
@click.option("--cache", "where", default="auto", show_default=True, help="The folder of kept images (as data.cache).")
def remove(names, everything, where):
    """Remove kept decoded images, by file name (as wgan data list shows it) or --all."""
    folder = cache_folder(where)
    found = {path.name: path for path, _ in _listed(folder)}
    if everything == bool(names):
        raise WganError("name the files to remove (as wgan data list shows them), or pass --all")
    chosen = list(found) if everything else list(names)
    unknown = [n for n in chosen if n not in found]
    if unknown:
        raise WganError(f"no kept file {unknown[0]!r} in {folder}; kept: {', '.join(found) or 'none'}")
    for name in chosen:
        found[name].unlink()
    click.echo(f"removed {len(chosen)} file(s) from {folder}")
