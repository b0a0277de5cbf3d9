import numpy as np
import pytest
from PIL import Image

from wgan.errors import WganError
from wgan.plots.images import write_png
from wgan.run_folder import RunFolder
from wgan.tools import video
from wgan.tools.video import MACRO_BLOCK, grid_durations, make_video


def write_grids(run_dir, steps, size=(62, 62), channels=1):
    rng = np.random.default_rng(0)
    for step in steps:
        picture = rng.integers(0, 256, (*size, channels), dtype=np.uint8)
        write_png(picture, run_dir / "samples" / f"step_{step:07d}.png")
    (run_dir / "samples" / "final.png").write_bytes(b"not a grid of the video")
    return run_dir


def gif_frames(path):
    """(frames as RGB arrays, delays in ms) of a GIF, read back with Pillow."""
    frames, delays = [], []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")))
            delays.append(im.info["duration"])
    return frames, delays


@pytest.fixture
def no_ffmpeg(monkeypatch):
    monkeypatch.setattr(video, "ffmpeg_available", lambda: False)


def test_find_grids_orders_by_step_and_skips_other_files(tmp_path):
    write_grids(tmp_path, [1000, 0, 250])
    assert [s for s, _ in RunFolder(tmp_path).grids()] == [0, 250, 1000]


def test_durations_follow_the_training_clock():
    assert grid_durations([0, 250, 500, 1000]) == [1.0, 1.0, 2.0, video.LAST_HOLD_S]
    assert grid_durations([0, 250], iterations_per_second=500) == [0.5, video.LAST_HOLD_S]


def test_gif_has_one_frame_per_grid_with_its_duration(tmp_path, no_ffmpeg):
    write_grids(tmp_path, [0, 250, 500, 1000])
    out = make_video(tmp_path)
    assert out == tmp_path / "plots" / "progress.gif"
    frames, delays = gif_frames(out)
    assert len(frames) == 4
    assert delays == [1000, 1000, 2000, 1000]
    height, width, _ = frames[0].shape
    assert width % MACRO_BLOCK == 0 and height % MACRO_BLOCK == 0
    assert width >= video.MIN_WIDTH
    assert [p.name for p in out.parent.iterdir()] == ["progress.gif"]  # no temporary file left


def test_frame_shows_the_grid_and_the_step_number(tmp_path, no_ffmpeg):
    write_grids(tmp_path, [0, 250])
    frames, _ = gif_frames(make_video(tmp_path, tmp_path / "v.gif"))
    with Image.open(tmp_path / "samples" / "step_0000000.png") as im:
        grid = np.asarray(im)
    scale = -(-video.MIN_WIDTH // grid.shape[1])
    big = grid.repeat(scale, 0).repeat(scale, 1)
    left = (frames[0].shape[1] - big.shape[1]) // 2
    np.testing.assert_array_equal(frames[0][:big.shape[0], left:left + big.shape[1], 0], big)
    band = frames[0][big.shape[0]:]
    assert band.max() == 255 and band.mean() < 60  # white text on black, beside the samples
    assert not np.array_equal(frames[0][big.shape[0]:], frames[1][big.shape[0]:])  # the label changes


def test_gif_with_fps_samples_the_clock(tmp_path):
    write_grids(tmp_path, [0, 250, 750])
    _, delays = gif_frames(make_video(tmp_path, tmp_path / "v.gif", fps=4))
    # Repeated frames are merged by the GIF writer: the times add up to 1 s, 2 s, and the 1 s hold.
    assert delays == [1000, 2000, 1000]


def test_rgb_grids(tmp_path, no_ffmpeg):
    write_grids(tmp_path, [0, 100], channels=3)
    frames, delays = gif_frames(make_video(tmp_path, iterations_per_second=100))
    assert len(frames) == 2 and delays == [1000, 1000]


def test_mp4_needs_ffmpeg(tmp_path, no_ffmpeg):
    write_grids(tmp_path, [0, 250])
    with pytest.raises(WganError, match="pip install imageio-ffmpeg"):
        make_video(tmp_path, tmp_path / "v.mp4")
    assert not (tmp_path / "v.mp4").exists()


def test_mp4_frames_follow_the_clock(tmp_path):
    if not video.ffmpeg_available():
        pytest.skip("imageio-ffmpeg is not installed")
    import imageio.v2 as imageio

    write_grids(tmp_path, [0, 250, 500])
    out = make_video(tmp_path, fps=10)
    assert out == tmp_path / "plots" / "progress.mp4"
    with imageio.get_reader(out) as reader:
        assert reader.count_frames() == 30  # 1 s + 1 s + the 1 s hold, at 10 fps
        assert reader.get_meta_data()["fps"] == 10
        assert reader.get_data(0).shape[1] % MACRO_BLOCK == 0


def test_errors(tmp_path):
    with pytest.raises(WganError, match="not a run folder"):
        make_video(tmp_path / "missing")
    write_grids(tmp_path, [0])
    with pytest.raises(WganError, match="at least 2"):
        make_video(tmp_path)
    write_grids(tmp_path, [250])
    with pytest.raises(WganError, match=r"\.gif or \.mp4"):
        make_video(tmp_path, tmp_path / "v.avi")
    with pytest.raises(WganError, match="positive"):
        make_video(tmp_path, tmp_path / "v.gif", iterations_per_second=0)
    write_grids(tmp_path, [500], size=(30, 30))
    with pytest.raises(WganError, match="must match"):
        make_video(tmp_path, tmp_path / "v.gif")
    assert not (tmp_path / "v.gif").exists()
