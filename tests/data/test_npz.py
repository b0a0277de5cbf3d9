import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import load_images
from wgan.data.sources.npz import load_npz
from wgan.errors import WganError

PIXELS = np.array([0, 64, 128, 255], dtype=np.uint8)


def _images(shape=(4, 2, 2, 1)):
    return np.broadcast_to(PIXELS[:, None, None, None], shape).copy()


def test_uint8_nhwc_with_labels_and_names(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, images=_images((4, 5, 5, 3)), labels=np.array([0, 1, 1, 2]), class_names=np.array(["a", "b", "c"]))
    arrays = load_npz(path)
    assert arrays.images.shape == (4, 5, 5, 3) and arrays.labels.tolist() == [0, 1, 1, 2]
    assert arrays.class_names == ["a", "b", "c"]


@pytest.mark.parametrize("convert", [
    lambda x: x,  # uint8
    lambda x: x[..., 0],  # (N, H, W)
    lambda x: x.transpose(0, 3, 1, 2),  # NCHW
    lambda x: x.astype(np.float32) / 255,  # [0, 1]
    lambda x: x.astype(np.float64) / 127.5 - 1,  # [-1, 1]
    lambda x: x.astype(np.int64),  # integers in 0..255
])
def test_formats_are_detected(tmp_path, convert):
    path = tmp_path / "d.npz"
    np.savez(path, images=convert(_images((4, 6, 6, 1))))
    arrays = load_npz(path)
    assert arrays.images.shape == (4, 6, 6, 1) and arrays.images.dtype == np.uint8
    np.testing.assert_array_equal(arrays.images[:, 0, 0, 0], PIXELS)
    assert arrays.labels is None


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((1, 2, 2, 4), dtype=np.uint8)
    rgba[0, 0, 0] = [255, 0, 0, 255]  # opaque red; the rest fully transparent
    np.savez(tmp_path / "d.npz", images=rgba)
    images = load_npz(tmp_path / "d.npz").images
    assert images[0, 0, 0].tolist() == [255, 0, 0] and images[0, 1, 1].tolist() == [255, 255, 255]


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((2, 4, 4))}, r"has no 'images' array \(keys: x\)"),
    ({"images": np.zeros((4, 4))}, r"must be \(N, H, W\) or \(N, H, W, C\).*got shape \(4, 4\)"),
    ({"images": np.zeros((2, 5, 6, 7))}, r"got shape \(2, 5, 6, 7\)"),
    ({"images": np.full((2, 4, 4), 300.0)}, r"float images must lie in \[0, 1\], \[-1, 1\] or \[0, 255\]"),
    ({"images": np.full((2, 4, 4), np.nan)}, "NaN"),
    ({"images": np.zeros((2, 4, 4), np.uint8), "labels": np.zeros(3, int)}, "'labels' must be 2 integers"),
])
def test_bad_contents(tmp_path, arrays, message):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(WganError, match=message):
        load_npz(tmp_path / "d.npz")


def test_not_an_npz(tmp_path):
    (tmp_path / "d.npz").write_bytes(b"garbage")
    with pytest.raises(WganError, match="cannot read .*d.npz as an .npz file"):
        load_npz(tmp_path / "d.npz")


def test_through_load_images(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, images=_images((4, 7, 7, 1)), labels=np.array([5, 5, 9, 9]))
    arrays = load_images(DataConfig(name=str(path), image_size=14, channels=3, classes=[9]))
    assert arrays.images.shape == (2, 14, 14, 3) and arrays.labels.tolist() == [0, 0]
    assert arrays.class_names == ["9"]
    with pytest.raises(WganError, match="has no test split"):
        load_images(DataConfig(name=str(path), split="test"))


def test_a_declared_shape_larger_than_memory_is_refused_before_reading(tmp_path):
    # An .npz member whose header declares 3 TiB of images over a few bytes of data.
    import zipfile

    path = tmp_path / "bomb.npz"
    header = {"descr": "|u1", "fortran_order": False, "shape": (2**24, 256, 256, 3)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("images.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, header)
            member.write(bytes(1000))
    with pytest.raises(WganError, match=r"the arrays of .*bomb.npz would need 3072.0 GiB of memory"):
        load_npz(path)
