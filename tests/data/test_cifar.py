import os
import pickle
import tarfile

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import load_images, path_kind
from wgan.data.sources.cifar import load_cifar
from wgan.errors import WganError


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar10_splits_layout_and_names(tmp_path, make, protocol):
    want = make.cifar10(tmp_path, protocol=protocol)
    train = load_cifar(tmp_path, "train")
    assert train.images.shape == (20, 32, 32, 3) and train.images.dtype == np.uint8
    # Rows are channel-major: the first 1024 bytes are the red plane.
    np.testing.assert_array_equal(train.images[0, :, :, 0].ravel(), want["x_train"][0, :1024])
    np.testing.assert_array_equal(train.images[0, :, :, 2].ravel(), want["x_train"][0, 2048:])
    np.testing.assert_array_equal(train.labels, want["y_train"])
    assert train.class_names[:2] == ["airplane", "automobile"]
    assert len(load_cifar(tmp_path, "test")) == 3
    assert len(load_cifar(tmp_path, "all")) == 23


def test_cifar100_fine_labels(tmp_path):
    rng = np.random.default_rng(0)
    for name, n in (("train", 6), ("test", 2)):
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "fine_labels": list(range(n)),
                 "coarse_labels": [0] * n}
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [f"class{i}" for i in range(100)]
    (tmp_path / "meta").write_bytes(pickle.dumps({"fine_label_names": names, "coarse_label_names": []}))
    arrays = load_cifar(tmp_path, "train")
    assert arrays.images.shape == (6, 32, 32, 3) and arrays.labels.tolist() == list(range(6))
    assert arrays.class_names == names


def test_parent_folder_archive_and_classes(tmp_path, make):
    make.cifar10(tmp_path / "cifar-10-batches-py")
    assert path_kind(tmp_path) == "cifar"
    arrays = load_images(DataConfig(name=str(tmp_path), split="all", image_size=64))
    assert arrays.images.shape == (23, 64, 64, 3)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    from_archive = load_cifar(archive, "all")
    np.testing.assert_array_equal(from_archive.images, load_cifar(tmp_path, "all").images)
    with pytest.raises(WganError, match=r"class 42 not in .*classes present: 0 \(airplane\), 1 \(automobile\)"):
        load_images(DataConfig(name=str(tmp_path), classes=[42], split="all"))


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.mkdir, (self.target,)


def test_refuses_code_in_pickles(tmp_path, make):
    make.cifar10(tmp_path)
    target = str(tmp_path / "pwned")
    (tmp_path / "data_batch_3").write_bytes(pickle.dumps({"data": _Evil(target), "labels": []}))
    with pytest.raises(WganError, match=r"data_batch_3 is not a plain CIFAR batch \(refusing to load posix.mkdir"):
        load_cifar(tmp_path)
    assert not os.path.exists(target)


def test_truncated_and_incomplete(tmp_path, make):
    make.cifar10(tmp_path)
    batch = tmp_path / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:500])
    with pytest.raises(WganError, match="data_batch_2 is damaged or truncated"):
        load_cifar(tmp_path)
    (tmp_path / "test_batch").unlink()
    with pytest.raises(WganError, match="not a complete CIFAR python batches folder.*test_batch"):
        load_cifar(tmp_path)


def test_an_archive_member_larger_than_any_cifar_file_is_refused_unread(tmp_path, make):
    # A tar (named like CIFAR's) whose data_batch_1 says it holds 3 GiB: sparse on disk, never read.
    make.cifar10(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w") as tar:
        for name in ["data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
            tar.add(tmp_path / "src" / name, arcname=name)
        end = tar.offset  # where the end-of-archive blocks begin
    big = tarfile.TarInfo("data_batch_1")
    big.size = 3 * 2**30
    with open(archive, "r+b") as f:
        f.seek(end)
        f.write(big.tobuf())
        f.truncate(f.tell() + big.size + 1024)  # a hole of zeros, then the end-of-archive blocks
    with pytest.raises(WganError, match=r"data_batch_1 is 3072 MiB, larger than any CIFAR batch"):
        load_cifar(archive)
