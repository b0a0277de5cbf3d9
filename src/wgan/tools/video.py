"""A video of training progress (the AC-WGAN MNIST tutorial): the fixed-noise grids, in step order.

Each grid ``samples/step_NNNNNNN.png`` stays on screen for its step gap
divided by ``iterations_per_second`` (the AC-WGAN MNIST tutorial: 250 generator iterations per second
of video), so the video's clock runs with training even when grids were
written at uneven steps (a resumed run, the extra grid at the last step).
Works on a finished run and on one still training: grids are written
atomically, so every file found is complete.

MP4 needs an ffmpeg binary, which imageio finds through the optional package
``imageio-ffmpeg``; without it the video is a GIF, which Pillow writes alone.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Iterator

from PIL import Image, ImageDraw, ImageFont

from ..errors import WganError
from ..files import atomic_write
from ..run_folder import RunFolder

ITERATIONS_PER_SECOND = 250  # the AC-WGAN MNIST tutorial
LAST_HOLD_S = 1.0  # the final grid stays up this long: the result deserves a look
MP4_FPS = 25
GIF_MIN_DELAY_MS = 20  # browsers slow shorter GIF delays down to 100 ms
# Bounds on what a command line may ask for: past them a typo renders for hours or fills the disk.
MAX_FPS = 120
MAX_SECONDS = 3600
MAX_FRAMES = 100_000
MIN_WIDTH = 512  # small grids (28x28 digits) are enlarged, pixel for pixel, to at least this
MACRO_BLOCK = 16  # H.264 codes 16x16 blocks; frames are padded to that instead of rescaled

def grid_durations(steps: list[int], iterations_per_second: float = ITERATIONS_PER_SECOND) -> list[float]:
    """Seconds each grid is shown: the step gap to the next grid, and ``LAST_HOLD_S`` for the last."""
    gaps = [(b - a) / iterations_per_second for a, b in zip(steps, steps[1:])]
    return gaps + [LAST_HOLD_S]


def ffmpeg_available() -> bool:
    """Whether imageio can write MP4 here (the optional ``imageio-ffmpeg`` finds a binary)."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # not installed, or installed without a usable binary
        return False
    return True


def make_video(run_dir: str | os.PathLike, out: str | os.PathLike | None = None, fps: float | None = None,
               iterations_per_second: float = ITERATIONS_PER_SECOND, until_step: int | None = None) -> Path:
    """Render the run's grids to ``out`` (default ``plots/progress.mp4``, or ``.gif``
    without ffmpeg) and return its path.

    ``fps`` is the frame rate: an MP4 defaults to 25 and repeats a grid for as
    many frames as its time on screen needs; a GIF by default holds one frame
    per grid with that grid's own delay, and with ``fps`` is sampled like an MP4.
    ``until_step`` ends the video at that step (a checkpoint's).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise WganError(f"{run_dir} is not a run folder")
    if not iterations_per_second > 0:
        raise WganError(f"--iterations-per-second must be positive, got {iterations_per_second}")
    if fps is not None:
        check_fps(fps)
    folder = RunFolder(run_dir)
    grids = [(step, path) for step, path in folder.grids() if until_step is None or step <= until_step]
    if len(grids) < 2:
        raise WganError(f"{folder.samples} holds {len(grids)} sample grid(s); a video needs at least 2 "
                        f"(train longer or lower train.sample_every)")
    out = _output_path(run_dir, out)

    steps = [step for step, _ in grids]
    durations = grid_durations(steps, iterations_per_second)
    if sum(durations) > MAX_SECONDS:
        raise WganError(f"the video would last {sum(durations) / 3600:.1f} h ({steps[-1] - steps[0]} steps at "
                        f"{iterations_per_second:g} per second); accepted: at most {MAX_SECONDS // 60} min: raise "
                        "--iterations-per-second")
    if out.suffix == ".mp4" or fps is not None:
        counts = _frames_per_grid(durations, fps or MP4_FPS)
        check_frame_count(sum(counts), "lower --fps")
        shown = [(step, path, n) for (step, path), n in zip(grids, counts) if n]
    else:
        shown = [(step, path, 1) for step, path in grids]
    layout = _Layout.for_grid(shown[0][1])

    def frames() -> Iterator[Image.Image]:
        for step, path, n in shown:
            frame = layout.frame(path, step)
            for _ in range(n):
                yield frame

    def write(tmp: str) -> None:
        if out.suffix == ".mp4":
            _write_mp4(Path(tmp), frames(), fps or MP4_FPS)
        else:
            delays = ([round(1000 / fps)] * sum(n for *_, n in shown) if fps is not None
                      else [max(GIF_MIN_DELAY_MS, round(1000 * d)) for d in durations])
            _write_gif(Path(tmp), frames(), delays)

    # Written beside the target and renamed: a viewer never sees half a video,
    # and an interrupted render leaves the previous one in place.
    return atomic_write(out, write, keep_suffix=True)


def check_fps(fps: float) -> None:
    if not 0 < fps <= MAX_FPS:
        raise WganError(f"--fps must be in (0, {MAX_FPS}], got {fps:g}")


def check_frame_count(count: int, advice: str) -> None:
    if count > MAX_FRAMES:
        raise WganError(f"the video would have {count:,} frames; accepted: at most {MAX_FRAMES:,}: {advice}")


def write_animation(out: str | os.PathLike, frames: Iterable[Image.Image], count: int, fps: float) -> Path:
    """``count`` ``frames`` (drawn one at a time from the iterable) as a GIF or MP4 (by ``out``'s
    suffix) at ``fps`` frames per second, atomically."""
    out = _checked_suffix(Path(out))
    check_fps(fps)
    check_frame_count(count, "use fewer --seeds or --frames")

    def write(tmp: str) -> None:
        if out.suffix == ".mp4":
            _write_mp4(Path(tmp), iter(frames), fps)
        else:
            _write_gif(Path(tmp), iter(frames), [max(GIF_MIN_DELAY_MS, round(1000 / fps))] * count)

    return atomic_write(out, write, keep_suffix=True)


def _output_path(run_dir: Path, out) -> Path:
    if out is None:
        return RunFolder(run_dir).video(".mp4" if ffmpeg_available() else ".gif")
    return _checked_suffix(Path(out))


def _checked_suffix(out: Path) -> Path:
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise WganError(f"video file {out}: unknown kind {out.suffix or '(none)'!r}; accepted: .gif or .mp4")
    out = out.with_suffix(out.suffix.lower())
    if out.suffix == ".mp4" and not ffmpeg_available():
        raise WganError("writing .mp4 needs ffmpeg for imageio: pip install imageio-ffmpeg, or write a .gif")
    return out


def _frames_per_grid(durations: list[float], fps: float) -> list[int]:
    """Frames for each grid at ``fps``, rounded on the running total so the
    video never drifts from the training clock; a grid shorter than a frame
    gets none, but the last grid always gets at least one."""
    ends = [0.0]
    for d in durations:
        ends.append(ends[-1] + d)
    counts = [round(b * fps) - round(a * fps) for a, b in zip(ends, ends[1:])]
    counts[-1] = max(counts[-1], 1)
    return counts


class _Layout:
    """How a grid becomes a frame: enlarged, with a band below for the step
    number (drawn beside the samples, never over them), padded to whole codec blocks."""

    def __init__(self, size: tuple[int, int], mode: str):
        self.size, self.mode = size, mode
        self.scale = max(1, math.ceil(MIN_WIDTH / size[0]))
        width, height = size[0] * self.scale, size[1] * self.scale
        self.font = _font(max(12, width // 32))
        band = int(self.font.size * 1.6) if hasattr(self.font, "size") else 18
        self.frame_size = (_round_up(width, MACRO_BLOCK), _round_up(height + band, MACRO_BLOCK))
        self.offset = ((self.frame_size[0] - width) // 2, 0)
        self.text_at = (max(6, self.offset[0] + 6), height + (self.frame_size[1] - height) // 2)

    @classmethod
    def for_grid(cls, path: Path) -> "_Layout":
        with Image.open(path) as image:
            # Grayscale stays grayscale (a third of the memory for a GIF); anything else becomes RGB.
            return cls(image.size, "L" if image.mode in ("L", "I;16", "1") else "RGB")

    def frame(self, path: Path, step: int) -> Image.Image:
        with Image.open(path) as image:
            grid = image.convert(self.mode)
        if grid.size != self.size:
            raise WganError(f"{path} is {grid.size[0]}x{grid.size[1]} pixels but the first grid is "
                            f"{self.size[0]}x{self.size[1]}; grids of one video must match")
        if self.scale > 1:
            grid = grid.resize((grid.width * self.scale, grid.height * self.scale), Image.NEAREST)
        frame = Image.new(self.mode, self.frame_size, 0)
        frame.paste(grid, self.offset)
        white = 255 if self.mode == "L" else (255, 255, 255)
        ImageDraw.Draw(frame).text(self.text_at, f"step {step:,}", fill=white, font=self.font, anchor="lm")
        return frame


def enlarge(image: Image.Image) -> Image.Image:
    """``image`` enlarged pixel for pixel to at least ``MIN_WIDTH`` wide, padded to whole codec blocks."""
    scale = max(1, math.ceil(MIN_WIDTH / image.width))
    image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    frame = Image.new(image.mode, (_round_up(image.width, MACRO_BLOCK), _round_up(image.height, MACRO_BLOCK)), 0)
    frame.paste(image, (0, 0))
    return frame


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)  # a scalable font, Pillow >= 10.1
    except TypeError:
        return ImageFont.load_default()


def _round_up(n: int, block: int) -> int:
    return -(-n // block) * block


def _write_gif(path: Path, frames: Iterator[Image.Image], delays_ms: list[int]) -> None:
    # Pillow directly rather than imageio's wrapper: it takes the frames as a
    # generator and keeps each only as a palette image, while imageio would
    # first stack every RGB frame of a long run in memory.
    first = next(frames)
    first.save(path, format="GIF", save_all=True, append_images=frames, duration=delays_ms, loop=0)


def _write_mp4(path: Path, frames: Iterator[Image.Image], fps: float) -> None:
    import imageio.v2 as imageio
    import numpy as np

    # quality 8 of 10: sample grids are sharp-edged, and the default blurs thin strokes.
    with imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, quality=8,
                            macro_block_size=MACRO_BLOCK) as writer:
        for frame in frames:
            writer.append_data(np.asarray(frame.convert("RGB")))
