import gzip
import struct

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import load_images, path_kind
from wgan.data.sources.idx import load_idx, read_idx
from wgan.errors import WganError


@pytest.mark.parametrize("gz", [False, True])
def test_reads_train_test_and_all(tmp_path, make, gz):
    want = make.idx_set(tmp_path, gz=gz)
    train = load_idx(tmp_path, "train")
    assert train.images.shape == (12, 28, 28, 1) and train.images.dtype == np.uint8
    np.testing.assert_array_equal(train.images[..., 0], want["x_train"])
    np.testing.assert_array_equal(train.labels, want["y_train"])
    assert train.labels.dtype == np.int64
    test = load_idx(tmp_path, "test")
    np.testing.assert_array_equal(test.images[..., 0], want["x_test"])
    assert len(load_idx(tmp_path, "all")) == 18


def test_other_usual_names_and_nested_folder(tmp_path, make):
    # "train-images.idx3-ubyte" is how some unzip tools name MNIST; torchvision nests it in MNIST/raw.
    folder = tmp_path / "MNIST" / "raw"
    make.idx_set(folder, names=("train", "test"))
    (folder / "train-images-idx3-ubyte").rename(folder / "train-images.idx3-ubyte")
    assert path_kind(tmp_path) == "idx"
    arrays = load_images(DataConfig(name=str(tmp_path), split="test"))
    assert arrays.images.shape == (6, 28, 28, 1)


def test_class_subset_renumbers_labels(tmp_path, make):
    make.idx_set(tmp_path, n_train=30)
    arrays = load_images(DataConfig(name=str(tmp_path), classes=[3, 7]))
    assert len(arrays) == 6
    assert sorted(set(arrays.labels.tolist())) == [0, 1] and arrays.class_names == ["3", "7"]


def test_emnist_is_transposed_and_named(tmp_path, make):
    want = make.idx_set(tmp_path, prefix="emnist-letters-", names=("train", "test"))
    (tmp_path / "emnist-letters-mapping.txt").write_text("\n".join(f"{i} {64 + i} {96 + i}" for i in range(1, 27)))
    arrays = load_idx(tmp_path, "train")
    np.testing.assert_array_equal(arrays.images[..., 0], want["x_train"].transpose(0, 2, 1))
    assert arrays.class_names[1] == "A"


def test_several_sets_need_a_file_to_choose(tmp_path, make):
    make.idx_set(tmp_path, prefix="emnist-digits-", seed=1)
    make.idx_set(tmp_path, prefix="emnist-letters-", n_train=5, seed=2)
    with pytest.raises(WganError, match="several IDX sets.*pass one of the set's image files"):
        load_idx(tmp_path)
    chosen = load_idx(tmp_path / "emnist-letters-train-images-idx3-ubyte")
    assert len(chosen) == 5


def test_truncated_file_is_named(tmp_path, make):
    make.idx_set(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(WganError, match=r"train-images-idx3-ubyte is truncated.*needs 9408 bytes"):
        load_idx(tmp_path)


def test_truncated_gzip_is_named(tmp_path, make):
    make.idx_set(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(WganError, match=r"train-images-idx3-ubyte.gz is a damaged or truncated gzip"):
        load_idx(tmp_path)


def test_wrong_magic_is_named(tmp_path, make):
    make.idx_set(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte"
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels.read_bytes())  # a 1-D file where 3-D belongs
    with pytest.raises(WganError, match=r"train-images-idx3-ubyte is not an IDX file.*magic number 00 00 08 01"):
        load_idx(tmp_path)
    path = tmp_path / "x"
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(WganError, match="magic"):
        read_idx(path, 3)


def test_missing_labels_and_count_mismatch(tmp_path, make):
    make.idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(WganError, match="test labels file is missing"):
        load_idx(tmp_path, "test")
    make.idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(WganError, match="12 images but train-labels-idx1-ubyte has 5 labels"):
        load_idx(tmp_path, "train")


def test_gzip_detected_by_content_not_name(tmp_path, make):
    x = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    (tmp_path / "a").write_bytes(gzip.compress(make.idx_bytes(x)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a", 3), x)


def _peak_bytes(fn) -> int:
    """Peak memory Python and numpy allocate while ``fn`` runs (numpy reports its arrays to tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    except WganError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_a_gzip_bomb_is_refused_after_what_its_header_says(tmp_path, make):
    # 2 KB of gzip: a header for 10 images of 28x28, then 200 MB of zeros.
    header = make.idx_bytes(np.zeros((10, 28, 28), np.uint8))[:16]
    compressor = gzip.compress(header + bytes(200 * 2**20), compresslevel=9)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(compressor)
    assert len(compressor) < 300_000
    with pytest.raises(WganError, match=r"is longer than its header says: header 10x28x28 needs 7840 bytes"):
        read_idx(path, 3)
    assert _peak_bytes(lambda: read_idx(path, 3)) < 2 * 2**20


def test_a_header_larger_than_memory_is_refused_before_reading(tmp_path, make, monkeypatch):
    monkeypatch.setattr("wgan.memory.available_memory", lambda: 2**30)
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 4_000_000, 28, 28)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header))
    with pytest.raises(WganError, match=r"header 4000000x28x28\) would need 2.9 GiB of memory and 1.0 GiB"):
        read_idx(tmp_path / "train-images-idx3-ubyte.gz", 3)
    # Uncompressed, the file's own size tells first.
    (tmp_path / "train-images-idx3-ubyte").write_bytes(header)
    with pytest.raises(WganError, match=r"is truncated: header 4000000x28x28 needs 3136000000 bytes of data, found 0"):
        read_idx(tmp_path / "train-images-idx3-ubyte", 3)
