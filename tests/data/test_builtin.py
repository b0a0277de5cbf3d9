import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import builtin, load_images
from wgan.errors import WganError


def test_mnist_split_is_per_class_and_disjoint():
    train, test, everything = (builtin.load_mnist(s) for s in ("train", "test", "all"))
    assert (len(train), len(test), len(everything)) == (4000, 1000, 5000)
    assert np.bincount(test.labels).tolist() == [100] * 10
    assert train.images.shape[1:] == (28, 28, 1) and train.images.dtype == np.uint8
    assert train.images.max() == 255
    together = {x.tobytes() for x in np.concatenate([train.images, test.images])}
    assert len(together) == len({x.tobytes() for x in everything.images})


def test_mnist_sevens_at_32_rgb():
    arrays = load_images(DataConfig(name="mnist", classes=[7], image_size=32, channels=3))
    assert arrays.images.shape == (400, 32, 32, 3) and arrays.class_names == ["7"]
    assert set(arrays.labels.tolist()) == {0}


def test_digits():
    arrays = load_images(DataConfig(name="digits", split="all"))
    assert arrays.images.shape == (1797, 8, 8, 1) and arrays.images.max() == 255
    assert arrays.class_names == [str(i) for i in range(10)]


@pytest.mark.skipif(not builtin.FASHION_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_installed():
    arrays = load_images(DataConfig(name="fashion-mnist", split="test"))
    assert arrays.images.shape == (10000, 28, 28, 1)
    assert arrays.class_names[9] == "Ankle boot"


def test_fashion_mnist_missing_says_how_to_get_it(tmp_path, monkeypatch):
    with pytest.raises(WganError, match="apt-get install dataset-fashion-mnist`, or pass the folder"):
        builtin.load_fashion_mnist(root=tmp_path)
    monkeypatch.setattr(builtin, "FASHION_DIR", tmp_path / "absent")
    with pytest.raises(WganError, match="Fashion-MNIST is not installed"):
        load_images(DataConfig(name="fashion-mnist"))


def test_unknown_name_and_bad_split():
    with pytest.raises(WganError, match="no data set named 'mnsit'.*built-in: digits, fashion-mnist, mnist"):
        load_images(DataConfig(name="mnsit"))
    with pytest.raises(WganError, match="unknown split 'val'; accepted: all, test, train"):
        load_images(DataConfig(name="digits", split="val"))
    with pytest.raises(WganError, match=r"class 11 not in digits.*classes present: 0, 1, 2"):
        load_images(DataConfig(name="digits", classes=[3, 11]))
