import warnings

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import load_images, path_kind
from wgan.data.sources.folder import load_folder, scan_folder
from wgan.errors import WganError


def _mixed_modes(folder, make):
    """Four 8x8 images: one grayscale, two RGB, one RGBA that is fully transparent."""
    make.image(folder / "a_gray.png", "L", value=10)
    make.image(folder / "b_rgb.jpg", "RGB", value=(200, 0, 0))
    make.image(folder / "sub" / "c_rgb.bmp", "RGB", value=(0, 200, 0))
    make.image(folder / "sub" / "deeper" / "d_rgba.webp", "RGBA", value=(0, 0, 0, 0), fmt="PNG")
    return folder


def test_mixed_modes_go_to_the_majority(tmp_path, make):
    arrays = load_folder(_mixed_modes(tmp_path, make))
    assert arrays.images.shape == (4, 8, 8, 3) and arrays.labels is None
    gray, red, green, clear = arrays.images[:, 0, 0]
    assert gray.tolist() == [10, 10, 10]
    assert red[0] > 150 and red[1] < 60  # a JPEG: close, not exact
    assert green.tolist() == [0, 200, 0]
    assert clear.tolist() == [255, 255, 255]  # transparency composited on white, not black


def test_channels_forced_to_grayscale(tmp_path, make):
    arrays = load_folder(_mixed_modes(tmp_path, make), channels=1)
    assert arrays.images.shape == (4, 8, 8, 1)
    assert arrays.images[0, 0, 0, 0] == 10 and arrays.images[2, 0, 0, 0] == round(0.587 * 200)


def test_grayscale_majority_stays_one_channel(tmp_path, make):
    for i in range(3):
        make.image(tmp_path / f"{i}.png", "L")
    make.image(tmp_path / "c.png", "RGB")
    assert load_folder(tmp_path).images.shape == (4, 8, 8, 1)


def test_mixed_sizes_need_image_size(tmp_path, make):
    make.image(tmp_path / "small.png", "RGB", size=(8, 8))
    make.image(tmp_path / "wide.png", "RGB", size=(24, 12))  # a left-to-right ramp, 12 high
    with pytest.raises(WganError, match="mixed sizes.*pass --image-size N"):
        load_folder(tmp_path)
    arrays = load_images(DataConfig(name=str(tmp_path), image_size=6))
    assert arrays.images.shape == (2, 6, 6, 3)
    wide = arrays.images[1, 3, :, 0].astype(int)
    # Shorter side 12 -> 6, so 24 -> 12 wide, then the middle 6 columns: the centre of the ramp.
    assert 60 < wide.min() and wide.max() < 200 and (np.diff(wide) > 0).all()


def test_corrupt_and_truncated_files_are_named(tmp_path, make):
    for i in range(3):
        make.image(tmp_path / f"ok{i}.png", "RGB", size=(16, 16))
    (tmp_path / "garbage.png").write_bytes(b"definitely not a png")
    full = make.image(tmp_path / "cut.jpg", "RGB", size=(16, 16)).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(full[: len(full) // 2])
    with pytest.raises(WganError, match=r"2 unreadable image file\(s\) in .*garbage.png.*--skip-bad"):
        load_folder(tmp_path)
    with pytest.warns(UserWarning, match=r"skipped 2 unreadable image file\(s\)"):
        arrays = load_folder(tmp_path, skip_bad=True)
    assert len(arrays) == 3


def test_only_the_truncated_file(tmp_path, make):
    make.image(tmp_path / "ok.png", "RGB", size=(16, 16))
    full = make.image(tmp_path / "cut.png", "RGB", size=(16, 16)).read_bytes()
    (tmp_path / "cut.png").write_bytes(full[:40])  # the header (33 bytes) reads, decoding fails
    with pytest.raises(WganError, match=r"1 unreadable image file\(s\) in .*: cut.png \("):
        load_folder(tmp_path)


def test_class_subfolders_are_labels(tmp_path, make):
    for name, n in (("cat", 2), ("dog", 3)):
        for i in range(n):
            make.image(tmp_path / name / f"{i}.png", "RGB")
    make.image(tmp_path / "dog" / "more" / "x.png", "RGB")
    index = scan_folder(tmp_path)
    assert index.class_names == ["cat", "dog"] and index.labels.tolist() == [0, 0, 1, 1, 1, 1]
    arrays = load_images(DataConfig(name=str(tmp_path), classes=[1]))
    assert len(arrays) == 4 and arrays.class_names == ["dog"] and set(arrays.labels.tolist()) == {0}
    with pytest.raises(WganError, match=r"class 5 not in .*classes present: 0 \(cat\), 1 \(dog\)"):
        load_images(DataConfig(name=str(tmp_path), classes=[5]))


def test_integer_class_folders_keep_their_numbers(tmp_path, make):
    for name in ("2", "10", "7"):
        make.image(tmp_path / name / "a.png", "L")
    index = scan_folder(tmp_path)
    assert sorted(index.labels.tolist()) == [2, 7, 10]
    assert len(load_images(DataConfig(name=str(tmp_path), classes=[7]))) == 1


def test_one_subfolder_is_not_a_class_and_junk_is_ignored(tmp_path, make):
    make.image(tmp_path / "img_align_celeba" / "000001.jpg", "RGB")
    (tmp_path / "img_align_celeba" / "._000001.jpg").write_bytes(b"macOS resource fork")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "x.png").write_bytes(b"junk")
    (tmp_path / "notes.txt").write_text("not an image")
    arrays = load_folder(tmp_path)
    assert len(arrays) == 1 and arrays.labels is None
    with pytest.raises(WganError, match="--classes needs labelled data"):
        load_images(DataConfig(name=str(tmp_path), classes=[0]))


def test_empty_folder_and_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(WganError, match="no images in .*empty.*accepted data paths"):
        load_images(DataConfig(name=str(tmp_path / "empty")))
    with pytest.raises(WganError, match="no data set named .*built-in: digits, fashion-mnist, mnist, 25gaussians, .*; or a path"):
        load_images(DataConfig(name=str(tmp_path / "nowhere")))
    assert path_kind(tmp_path / "empty") == "folder"


def test_worker_processes_decode_the_same(tmp_path, make):
    for i in range(6):
        make.image(tmp_path / f"{i}.png", "RGB", value=(i, 2 * i, 3 * i))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = load_folder(tmp_path, num_workers=0).images
        two = load_folder(tmp_path, num_workers=2).images
    np.testing.assert_array_equal(one, two)


def test_the_listed_extensions_are_torchvisions():
    from torchvision.datasets.folder import IMG_EXTENSIONS

    from wgan.data.sources.entries import IMG_EXTENSIONS as ours

    assert sorted(ours) == sorted(IMG_EXTENSIONS)
