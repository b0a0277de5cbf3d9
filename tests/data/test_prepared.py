"""A folder decoded once and kept: read back by mapping, the same pixels from the folder, a zip of it
and a prepared file; any change to the files decodes again; a cache that cannot be written warns."""

from __future__ import annotations

import os
import warnings
import zipfile

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data import progress
from wgan.data.images import InMemoryImageDataset, load_image_dataset
from wgan.data.sources import folder as folder_module
from wgan.data.sources import load_images, path_kind
from wgan.data.sources.prepared import cache_folder, description_of, kept_files
from wgan.errors import WganError

from cli_helpers import run


def _classes(root, make, n=6, size=(20, 26)):
    """Two classes of images of mixed formats and a non-square size (so resizing crops)."""
    for i in range(n):
        value = (30 * i, 255 - 30 * i, 90)
        fmt = "jpg" if i % 2 else "png"
        make.image(root / ("cats" if i % 3 else "dogs") / f"{i}.{fmt}", "RGB", size=size, value=value)
    return root


@pytest.fixture
def decodes(monkeypatch):
    """One entry per folder decoded (the real decoding still runs)."""
    calls = []
    real = folder_module._decode

    def counting(index, *args, **kwargs):
        calls.append(len(index.files))
        return real(index, *args, **kwargs)

    monkeypatch.setattr(folder_module, "_decode", counting)
    return calls


def _zip_of(folder, path, wrapper="photos"):
    """The folder zipped as zip tools do it: everything inside one top folder."""
    with zipfile.ZipFile(path, "w") as z:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                z.write(file, f"{wrapper}/{file.relative_to(folder)}")
    return path


def test_the_folder_its_zip_and_its_prepared_file_give_the_same_pixels(tmp_path, make):
    root = _classes(tmp_path / "pets", make)
    cfg = DataConfig(name=str(root), image_size=16, split="all", cache="off")
    from_folder = load_images(cfg)
    archive = _zip_of(root, tmp_path / "pets.zip")
    assert path_kind(archive) == "zip"
    from_zip = load_images(DataConfig(name=str(archive), image_size=16, split="all", cache="off"))
    code, output = run("data", "prepare", root, "--image-size", 16, "--out", tmp_path / "pets.npz", "--no-progress")
    assert code == 0 and "wrote" in output and "6 images of 16x16x3, 2 classes" in output, output
    from_file = load_images(DataConfig(name=str(tmp_path / "pets.npz"), split="all"))
    for other in (from_zip, from_file):
        assert np.array_equal(other.images, from_folder.images)
        assert np.array_equal(other.labels, from_folder.labels) and other.class_names == ["cats", "dogs"]
    assert isinstance(from_file.images.base, np.memmap) or isinstance(from_file.images, np.memmap)  # mapped
    assert description_of(tmp_path / "pets.npz")["image_size"] == 16


def test_a_second_load_reads_the_kept_pixels_back(tmp_path, make, decodes):
    cfg = DataConfig(name=str(_classes(tmp_path / "pets", make)), image_size=16, split="all",
                     cache=str(tmp_path / "kept"))
    first = load_image_dataset(cfg)
    second = load_image_dataset(cfg)
    assert decodes == [6]  # the second start decoded nothing
    assert isinstance(second, InMemoryImageDataset) and torch_equal(first.images, second.images)
    assert torch_equal(first.labels, second.labels) and second.class_names == first.class_names
    (kept, description), = kept_files(tmp_path / "kept")
    assert description["count"] == 6 and description["classes"] is None and description["skipped"] == []


def torch_equal(a, b) -> bool:
    import torch

    return torch.equal(a, b)


def test_a_changed_file_or_other_settings_decode_again(tmp_path, make, decodes):
    root = _classes(tmp_path / "pets", make)
    cfg = DataConfig(name=str(root), image_size=16, split="all", cache=str(tmp_path / "kept"))
    load_images(cfg)
    make.image(root / "cats" / "1.jpg", "RGB", size=(20, 26), value=(0, 0, 0))  # rewritten in place
    stat = os.stat(root / "cats" / "1.jpg")
    os.utime(root / "cats" / "1.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed = load_images(cfg)
    assert decodes == [6, 6] and changed.images[0].max() < 30  # the new, black image (cats come first)
    load_images(DataConfig(name=str(root), image_size=8, split="all", cache=str(tmp_path / "kept")))
    load_images(DataConfig(name=str(root), image_size=16, classes=[0], split="all", cache=str(tmp_path / "kept")))
    assert decodes == [6, 6, 6, 4]
    assert len(kept_files(tmp_path / "kept")) == 4


def test_a_cache_that_cannot_be_written_warns_and_the_data_still_loads(tmp_path, make):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cfg = DataConfig(name=str(_classes(tmp_path / "pets", make)), image_size=16, split="all",
                     cache=str(blocker / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arrays = load_images(cfg)
    assert len(arrays) == 6
    assert any("could not keep the decoded images" in str(w.message) for w in caught)


def test_with_the_cache_off_nothing_is_kept(tmp_path, make, decodes, monkeypatch):
    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    cfg = DataConfig(name=str(_classes(tmp_path / "pets", make)), image_size=16, split="all", cache="off")
    load_images(cfg)
    load_images(cfg)
    assert decodes == [6, 6] and not (tmp_path / "cache").exists()
    assert cache_folder("auto") == tmp_path / "cache" / "data"


def test_files_skipped_at_decoding_are_reported_again_when_read_back(tmp_path, make):
    root = _classes(tmp_path / "pets", make)
    (root / "cats" / "broken.png").write_bytes(b"not an image")
    kept = str(tmp_path / "kept")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        assert len(load_images(DataConfig(name=str(root), image_size=16, split="all", cache=kept, skip_bad=True))) == 6
    with pytest.raises(WganError, match=r"1 unreadable image file\(s\).*broken.png"):
        load_images(DataConfig(name=str(root), image_size=16, split="all", cache=kept))


def test_an_archive_without_a_wrapper_folder_and_loose_images_has_no_classes(tmp_path, make):
    root = _classes(tmp_path / "pets", make)
    make.image(root / "loose.png", "RGB", size=(20, 26))
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        for file in sorted(root.rglob("*.*")):
            z.write(file, str(file.relative_to(root)))
        z.writestr("__MACOSX/._loose.png", b"junk")
    arrays = load_images(DataConfig(name=str(tmp_path / "a.zip"), image_size=8, split="all", cache="off"))
    assert len(arrays) == 7 and arrays.labels is None


def test_the_bars_and_summary_show_for_large_work_and_hide_when_asked(tmp_path, make, monkeypatch, capsys):
    monkeypatch.setattr(progress, "AT_LEAST", 3)
    cfg = DataConfig(name=str(_classes(tmp_path / "pets", make)), image_size=16, split="all",
                     cache=str(tmp_path / "kept"))
    load_images(cfg)
    err = capsys.readouterr().err
    assert "found 6 images" in err and "decoded 6 images" in err and "files/s; 0 skipped" in err
    assert "kept the decoded images in" in err
    with progress.shown(False):
        load_images(cfg)
    assert capsys.readouterr().err == ""


def test_the_data_commands_list_remove_and_refuse_bad_input(tmp_path, make, monkeypatch):
    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    load_images(DataConfig(name=str(_classes(tmp_path / "pets", make)), image_size=16, split="all"))
    code, output = run("data", "list")
    assert code == 0 and "pets-16-" in output and "6 images" in output and "1 file(s)" in output, output
    name = output.split()[0]
    assert run("data", "remove", "nothing.npz")[0] == 2
    assert run("data", "remove")[0] == 2
    code, output = run("data", "remove", name)
    assert code == 0 and "removed 1 file(s)" in output
    assert "no decoded images kept" in run("data", "list")[1]
    code, output = run("data", "prepare", tmp_path / "pets", "--out", tmp_path / "x.zip")
    assert code == 2 and "a prepared file ends in .npz" in output
    code, output = run("data", "prepare", tmp_path / "missing", "--out", tmp_path / "x.npz")
    assert code == 2 and "no folder or archive" in output


def test_an_added_or_removed_file_is_listed_again_in_the_same_process(tmp_path, make, decodes):
    root = _classes(tmp_path / "pets", make)
    cfg = DataConfig(name=str(root), image_size=16, split="all", cache=str(tmp_path / "kept"))
    assert len(load_images(cfg)) == 6
    make.image(root / "dogs" / "new.png", "RGB", size=(20, 26), value=(1, 2, 3))
    assert len(load_images(cfg)) == 7
    (root / "cats" / "1.jpg").unlink()
    assert len(load_images(cfg)) == 6 and decodes == [6, 7, 6]
