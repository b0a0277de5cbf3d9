"""A user's large image folder: the first start (decoding it), every later start, a resume, the memory
of an in-memory run, and streaming against in-memory -- the CelebA case, on this machine.

CelebA is 202,599 JPEGs of 178x218 trained at 64x64. This script writes a stand-in (``--make``:
smooth random colour fields with noise, JPEG quality 90, about 16 KB each as CelebA's are) and
times ``wgan train`` on it as a new user would, each command a new process with a cache of its
own (``WGAN_CACHE``):

1. first start: ``wgan train --data FOLDER --image-size 64 --steps 1``: the seconds until everything
   is built ("run folder: ..."), until the first step is done (the bar's "1/N"), and to the end, the decoding rate the
   bar printed, the longest silence on stderr while loading, and peak memory (``/usr/bin/time``)
   beside the pixels' size;
2. a later start on the same folder (a new run) and a resume (``--resume RUN --steps 2``);
3. streaming at 128x128 (pixels above the 4 GiB limit: ``data.stream=auto`` streams) against
   in-memory (``data.stream=off``): generator steps per second over ``--stream-steps`` steps after
   the first, and a streamed resume's time.

    python benchmarks/bench_folder.py --folder /data/fake-celeba --make 200000
    python benchmarks/bench_folder.py --folder /tmp/small --make 5000 --stream-steps 20   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 178, 218  # CelebA's aligned crops
PER_FOLDER = 10_000  # files per sub-folder of the stand-in (no classes: one folder of folders is read whole)


def _write(start: int, count: int, folder: str) -> None:
    from PIL import Image

    rng = np.random.default_rng(start)
    for i in range(start, start + count):
        small = rng.integers(0, 256, (7, 6, 3), dtype=np.uint8)
        field = np.asarray(Image.fromarray(small).resize((WIDTH, HEIGHT), Image.BICUBIC), dtype=np.int16)
        noisy = (field + rng.integers(-12, 12, field.shape)).clip(0, 255).astype(np.uint8)
        path = Path(folder) / f"{i // PER_FOLDER:03d}" / f"{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(noisy).save(path, quality=90)


def make_folder(folder: Path, n: int) -> None:
    have = sum(1 for _ in folder.rglob("*.jpg")) if folder.is_dir() else 0
    if have == n:
        print(f"{folder}: {n:,} JPEGs already there", flush=True)
        return
    if have:
        raise SystemExit(f"{folder} holds {have:,} JPEGs, not {n:,}: remove it or name another folder")
    started = time.perf_counter()
    chunk = 2_000
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_write, range(0, n, chunk), [min(chunk, n - s) for s in range(0, n, chunk)],
                      [str(folder)] * len(range(0, n, chunk))))
    size = sum(p.stat().st_size for p in folder.rglob("*.jpg"))
    print(f"wrote {n:,} JPEGs of {WIDTH}x{HEIGHT} to {folder} ({size / 2**30:.2f} GiB) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


def wgan(args: list[str], env: dict) -> dict:
    """One ``wgan`` command, timed: wall seconds, seconds to the first training step (when the training
    bar appears), the longest silence on stderr between the first output and that step (the loading:
    listing, headers, decoding), peak memory (MiB). stdout and stderr are read together, as a terminal shows them."""
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", sys.executable, "-m", "wgan", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.STDOUT, stdout=subprocess.PIPE)
    chunks = []
    while True:  # stderr in chunks: a bar rewrites one line with carriage returns
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        chunks.append((time.perf_counter() - started, chunk))
    proc.wait()
    wall = time.perf_counter() - started
    err = b"".join(c for _, c in chunks).decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"wgan {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    seen, built, first_step = b"", None, None
    for t, c in chunks:  # said once everything is built; then the bar counts steps from where it starts
        seen += c
        marker = re.search(rb"run folder:|resuming ", seen)
        if marker is None:
            continue
        built = built if built is not None else t
        resumed_at = re.search(rb"resuming .* at step (\d+) of", seen)
        start = int(resumed_at.group(1)) if resumed_at else 0
        if any(int(m.group(1)) > start for m in re.finditer(rb"(\d+)/\d+", seen[marker.start():])):
            first_step = t
            break
    loading = [t for t, _ in chunks if built is None or t <= built]
    silence = max((b - a for a, b in zip(loading, loading[1:])), default=0.0)
    peak = re.search(r"PEAK_KB (\d+)", err)
    decoded = re.search(r"decoded ([\d,]+) images .* in (\d+) s \(([\d,]+) files/s; (\d+) skipped\)", err)
    return {"wall_s": wall, "built_s": built, "first_step_s": first_step, "first_output_s": chunks[0][0] if chunks else None,
            "peak_mib": int(peak.group(1)) / 1024 if peak else None, "longest_silence_s": silence,
            "decoded": decoded.group(0) if decoded else None}


def steps_per_second(run_dir: Path) -> float | None:
    """Generator steps per second after the first log step (metrics.jsonl's it_per_s, averaged)."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rates = [r["it_per_s"] for r in rows[1:] if "it_per_s" in r]
    return float(np.mean(rates)) if rates else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--make", type=int, default=0, help="write this many JPEGs into --folder first")
    parser.add_argument("--stream-steps", type=int, default=10, help="steps timed for streaming vs in-memory")
    parser.add_argument("--parts", default="start,stream", help="start (first and later starts, resume), "
                        "stream (streaming against in-memory at 128x128), or both")
    args = parser.parse_args()
    if args.make:
        make_folder(args.folder, args.make)
    work = Path(tempfile.mkdtemp(prefix="bench_folder_"))
    env = dict(os.environ, WGAN_CACHE=str(work / "cache"), PYTHONUNBUFFERED="1")
    n = sum(1 for _ in args.folder.rglob("*.jpg"))
    common = ["--data", str(args.folder), "--set", "train.log_every=1", "--set", "train.sample_every=1000000",
              "--set", "train.checkpoint_every=1000000", "--device", "cpu"]
    rows = []

    def report(label: str, result: dict, extra: str = "") -> None:
        rows.append((label, result, extra))
        print(f"{label}: first step done at {result['first_step_s']:.1f} s (built at {result['built_s']:.1f} s, first "
              f"output at {result['first_output_s']:.1f} "
              f"s), {result['wall_s']:.1f} s wall, peak {result['peak_mib']:,.0f} MiB, longest silence while loading "
              f"{result['longest_silence_s']:.1f} s{extra}" + (f"; {result['decoded']}" if result["decoded"] else ""),
              flush=True)

    parts = args.parts.split(",")
    if "start" in parts:
        pixels_64 = n * 64 * 64 * 3
        first = wgan(["train", *common, "--image-size", "64", "--steps", "1", "--out", str(work / "runs")], env)
        report("first start, 64x64 (decodes and keeps)", first, f" (pixels {pixels_64 / 2**20:,.0f} MiB)")
        again = wgan(["train", *common, "--image-size", "64", "--steps", "1", "--out", str(work / "runs")], env)
        report("later start, a new run", again)
        run_dir = sorted((work / "runs").iterdir())[-1]
        resumed = wgan(["train", "--resume", str(run_dir), "--steps", "2"], env)
        report("resume", resumed)

    if "stream" in parts:
        steps = str(args.stream_steps + 1)
        pixels_128 = n * 128 * 128 * 3
        for label, stream in (("in memory (data.stream=off)", "off"), ("streamed (data.stream=auto)", "auto")):
            out = work / f"runs-{stream}"
            result = wgan(["train", *common, "--image-size", "128", "--set", f"data.stream={stream}", "--steps", steps,
                           "--out", str(out)], env)
            rate = steps_per_second(sorted(out.iterdir())[-1])
            report(f"128x128, {label}", result, f", {rate:.2f} steps/s after the first (pixels "
                                                f"{pixels_128 / 2**20:,.0f} MiB)")
        stream_run = sorted((work / "runs-auto").iterdir())[-1]
        report("128x128 streamed, resume", wgan(["train", "--resume", str(stream_run), "--steps", str(int(steps) + 1)],
                                                env))
    print(f"\n{n:,} JPEGs of {WIDTH}x{HEIGHT}, {os.cpu_count()} CPUs. Seconds from the command until everything "
          "is built (\"run folder: ...\"), until the first training step is done, and to the end; the longest "
          "silence on stdout and stderr between the first output and the build:")
    print("| command | built (s) | first step done (s) | wall (s) | peak memory (MiB) | longest silence (s) | notes |\n"
          "|---|---|---|---|---|---|---|")
    for label, result, extra in rows:
        notes = "; ".join(x for x in (extra.strip(" ,;"), result["decoded"]) if x)
        print(f"| {label} | {result['built_s']:.1f} | {result['first_step_s']:.1f} | {result['wall_s']:.1f} | "
              f"{result['peak_mib']:,.0f} | {result['longest_silence_s']:.1f} | {notes} |")


if __name__ == "__main__":
    main()
