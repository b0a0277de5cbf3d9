"""A labelled colour data set for the benchmarks: the emoji of npm's ``emoji-datasource-google``.

The package (about 74 MB, from the npm registry) holds 3,786 RGBA emoji at 64x64 -- 1,911
base emoji and their skin-tone variations -- and ``emoji.json``, which names each one's
category (Smileys & Emotion, People & Body, Animals & Nature, ...). This script downloads the
package once, checks it against the registry's published SHA-512, and writes the images and
their categories as an ``.npz`` that ``wgan train --data`` reads::

    python benchmarks/emoji_data.py --out data/emoji64.npz            # 64x64, 9 categories
    python benchmarks/emoji_data.py --out data/emoji32.npz --size 32  # the same at 32x32
    python benchmarks/emoji_data.py --out data/emoji64                # a folder: CATEGORY/NNNN.png
    python benchmarks/emoji_data.py --out .gpu/emoji64.npz --compressed   # deflated (about a fifth)

A folder (``--out`` without ``.npz``) holds one sub-folder of RGB PNGs per category, the layout of
torchvision's ``ImageFolder``: what a user's own folder looks like, and what a tutorial's loop reads.

RGBA is composited on white (as ``wgan`` does for image folders). The "Component" category
(five swatches of skin tones and hair styles, not emoji) is left out. The images are Google's
Noto Emoji, under the Apache License 2.0 (the package's LICENSE file).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wgan.data.sources.arrays import composite_on_white, resize_images  # noqa: E402
from wgan.files import write_npz  # noqa: E402

PACKAGE, VERSION = "emoji-datasource-google", "16.0.0"
LEFT_OUT = ("Component",)
CACHE = Path.home() / ".cache" / "wgan" / "npm"


def fetch_package(cache: Path = CACHE) -> Path:
    """The package's tarball, downloaded once into ``cache`` and checked against the registry's SHA-512."""
    with urllib.request.urlopen(f"https://registry.npmjs.org/{PACKAGE}/{VERSION}", timeout=60) as response:
        dist = json.load(response)["dist"]
    algorithm, digest = dist["integrity"].split("-", 1)
    if algorithm != "sha512":
        raise SystemExit(f"{PACKAGE}: the registry gives a {algorithm} integrity; expected sha512")
    path = cache / f"{PACKAGE}-{VERSION}.tgz"
    if not path.is_file() or _sha512(path.read_bytes()) != digest:
        cache.mkdir(parents=True, exist_ok=True)
        print(f"downloading {dist['tarball']}", file=sys.stderr)
        with urllib.request.urlopen(dist["tarball"], timeout=600) as response:
            data = response.read()
        if _sha512(data) != digest:
            raise SystemExit(f"{dist['tarball']}: SHA-512 does not match the registry's; nothing written")
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def _sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def read_emoji(tarball: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(images (N, 64, 64, 3) uint8, labels (N,), category names) of every emoji with a Google image."""
    with tarfile.open(tarball) as tar:
        entries = json.load(tar.extractfile("package/emoji.json"))
        category_of = {}
        for entry in entries:
            if entry["category"] in LEFT_OUT:
                continue
            for variant in [entry, *entry.get("skin_variations", {}).values()]:
                if variant.get("has_img_google"):
                    category_of[variant["image"]] = entry["category"]
        names = sorted(set(category_of.values()))
        images, labels = [], []
        for member in tar.getmembers():
            parts = member.name.split("/")
            if parts[1:4] != ["img", "google", "64"] or parts[-1] not in category_of:
                continue
            with Image.open(io.BytesIO(tar.extractfile(member).read())) as picture:
                rgba = np.asarray(picture.convert("RGBA"))
            images.append(composite_on_white(rgba))
            labels.append(names.index(category_of[parts[-1]]))
    return np.stack(images), np.asarray(labels, dtype=np.int64), names


def write_folder(out: Path, images: np.ndarray, labels: np.ndarray, names: list[str]) -> None:
    """``out/<category>/<NNNN>.png``, numbered in the package's order within each category."""
    for i, name in enumerate(names):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for k, image in enumerate(images[labels == i]):
            Image.fromarray(image).save(folder / f"{k:04d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write, or a folder (no .npz suffix)")
    parser.add_argument("--size", type=int, default=64, help="image side (64 is the package's own)")
    parser.add_argument("--compressed", action="store_true", help="deflate the .npz (smaller, slower to read)")
    args = parser.parse_args()
    images, labels, names = read_emoji(fetch_package())
    if args.size != images.shape[1]:
        images = resize_images(images, args.size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".npz":
        write_npz(args.out, {"images": images, "labels": labels, "class_names": np.asarray(names)},
                  compressed=args.compressed)
    else:
        write_folder(args.out, images, labels, names)
    counts = ", ".join(f"{n} {int((labels == i).sum())}" for i, n in enumerate(names))
    print(f"wrote {args.out}: {len(images)} emoji at {args.size}x{args.size} in {len(names)} categories ({counts})")


if __name__ == "__main__":
    main()
