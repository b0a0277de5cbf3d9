import numpy as np
import pytest
import torch

from wgan.config import DataConfig
from wgan.data.images import InMemoryImageDataset, StreamingImageDataset, load_image_dataset
from wgan.data.sources import ImageArrays
from wgan.errors import WganError
from wgan.rng import SharedRandom


def _arrays(n=10, labels=True):
    # Image i is filled with the value 25 * i, so a batch tells which images it holds.
    images = np.broadcast_to((25 * np.arange(n, dtype=np.uint8))[:, None, None, None], (n, 4, 4, 3)).copy()
    return ImageArrays(images, np.arange(n) % 3 + 4 if labels else None, None, "test")


def test_batch_shape_dtype_range_and_labels():
    ds = InMemoryImageDataset(_arrays())
    assert (ds.kind, ds.shape, ds.num_classes, ds.labels_available) == ("image", (3, 4, 4), 3, True)
    assert ds.class_names == ["4", "5", "6"]  # labels renumbered 0..2, names kept
    x, y = ds.sample(64, SharedRandom(0, "cpu"))
    assert x.shape == (64, 3, 4, 4) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= -1 and x.max() <= 1
    index = torch.round((x[:, 0, 0, 0] + 1) * 127.5 / 25).long()
    assert torch.equal(y, index % 3)  # each image kept its own label


def test_the_same_random_numbers_give_the_same_batch():
    ds = InMemoryImageDataset(_arrays())
    a = ds.sample(8, SharedRandom(3, "cpu"))[0]
    b = ds.sample(8, SharedRandom(3, "cpu"))[0]
    c = ds.sample(8, SharedRandom(4, "cpu"))[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_reference_and_to_data():
    ds = InMemoryImageDataset(_arrays(labels=False))
    assert ds.num_classes == 0 and not ds.labels_available and ds.sample(2, SharedRandom(0, "cpu"))[1] is None
    x, y = ds.reference(10, seed=1)
    assert y is None and x.device.type == "cpu" and x.dtype == torch.float32
    assert sorted(x[:, 0, 0, 0].tolist()) == [25.0 * i for i in range(10)]  # without replacement
    assert torch.equal(x, ds.reference(10, seed=1)[0])
    assert ds.reference(25, seed=0)[0].shape == (25, 3, 4, 4)
    out = ds.to_data(torch.tensor([-2.0, -1.0, 0.0, 1.0, 3.0]))
    assert out.tolist() == [0.0, 0.0, 127.5, 255.0, 255.0]
    assert ds.to("cpu") is ds


@pytest.mark.gpu
def test_on_cuda_with_a_cuda_generator():
    ds = InMemoryImageDataset(_arrays()).to("cuda")
    x, y = ds.sample(16, SharedRandom(0, "cuda"))
    assert x.is_cuda and y.is_cuda and x.dtype == torch.float32
    assert ds.reference(4, seed=0)[0].device.type == "cpu"


def test_load_builtin():
    ds = load_image_dataset(DataConfig(name="digits", image_size=16))
    assert isinstance(ds, InMemoryImageDataset) and ds.shape == (1, 16, 16) and ds.num_classes == 10


def _folder(root, make, n=7):
    for i in range(n):
        make.image(root / ("a" if i % 2 else "b") / f"{i}.png", "RGB", size=(10, 12), value=(20 * i, 0, 0))
    return root


def test_large_folder_streams(tmp_path, make):
    cfg = DataConfig(name=str(_folder(tmp_path, make)), image_size=8)
    assert isinstance(load_image_dataset(cfg), InMemoryImageDataset)
    ds = load_image_dataset(cfg, memory_limit=100, num_workers=0)
    assert isinstance(ds, StreamingImageDataset) and ds.shape == (3, 8, 8) and ds.num_classes == 2
    g = SharedRandom(0, "cpu")
    x, y = ds.sample(3, g)
    assert x.shape == (3, 3, 8, 8) and x.dtype == torch.float32 and y.tolist() == [
        int(v) for v in (torch.round((x[:, 0, 0, 0] + 1) * 127.5 / 20).long() % 2 == 0)]
    for n in (5, 2, 9):  # sizes other than the first mix batches through the buffer
        assert ds.sample(n, g)[0].shape == (n, 3, 8, 8)
    again = load_image_dataset(cfg, memory_limit=100, num_workers=0)
    assert torch.equal(again.sample(3, SharedRandom(0, "cpu"))[0], x)
    ref, labels = ds.reference(7, seed=0)
    assert ref.shape == (7, 3, 8, 8) and ref.max() <= 255 and len(labels) == 7


def test_streaming_with_workers_and_a_truncated_file(tmp_path, make):
    root = _folder(tmp_path, make)
    full = make.image(root / "a" / "1.png", "RGB", size=(10, 12)).read_bytes()
    (root / "a" / "1.png").write_bytes(full[:60])  # the header reads, decoding fails
    cfg = DataConfig(name=str(root), image_size=8)
    ds = load_image_dataset(cfg, memory_limit=100, num_workers=1)
    with pytest.raises(WganError, match=r"1 unreadable image file\(s\).*1.png.*--skip-bad"):
        for _ in range(4):
            ds.sample(6, SharedRandom(0, "cpu"))
    cfg.skip_bad = True
    ds = load_image_dataset(cfg, memory_limit=100, num_workers=1)
    g = SharedRandom(0, "cpu")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        for _ in range(4):
            assert ds.sample(6, g)[0].shape == (6, 3, 8, 8)


def test_folder_has_no_test_split(tmp_path, make):
    with pytest.raises(WganError, match="has no test split"):
        load_image_dataset(DataConfig(name=str(_folder(tmp_path, make)), split="test"))


def test_streamed_batches_shard_the_global_batch_and_resume(tmp_path, make):
    from wgan.data.images import ShardedBatches

    # Two processes' slices of each global batch are disjoint and together the batch one process draws.
    one = iter(ShardedBatches(20, 6, seed=1))
    halves = [iter(ShardedBatches(20, 3, seed=1, rank=r, world_size=2)) for r in (0, 1)]
    for _ in range(5):  # past the end of a pass (3 global batches of 6 per pass of 20)
        a, b = next(halves[0]), next(halves[1])
        assert a + b == next(one) and not set(a) & set(b)
    assert next(iter(ShardedBatches(20, 6, seed=1, start=4))) == list(ShardedBatches(20, 6, seed=1).global_batch(4))

    cfg = DataConfig(name=str(_folder(tmp_path, make)), image_size=8)
    ds = load_image_dataset(cfg, memory_limit=100, num_workers=0)
    random = SharedRandom(0, "cpu")
    ds.sample(3, random)
    state = ds.state_dict()
    expected = ds.sample(3, random)[0]
    again = load_image_dataset(cfg, memory_limit=100, num_workers=0)
    again.load_state_dict(state)
    assert torch.equal(again.sample(3, random)[0], expected)  # a resumed run continues the order
