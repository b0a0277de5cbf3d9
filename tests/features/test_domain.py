"""The domain feature space: a classifier trained on the data's train split, cached by fingerprint."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wgan.config import DataConfig
from wgan.data.sources import load_images
from wgan.errors import WganError
from wgan.features import DomainFeatures, get_feature_extractor
from wgan.metrics import fid


@pytest.fixture(scope="module")
def digits_features(tmp_path_factory):
    """The digits classifier, trained once for this module with the real recipe."""
    folder = tmp_path_factory.mktemp("cache")
    return DomainFeatures.for_data(DataConfig(name="digits"), device="cpu", cache_dir=folder), folder


@pytest.fixture(scope="module")
def digits_test():
    return load_images(DataConfig(name="digits", split="test"))


def write_digits_npz(path, labels=True, tweak=False):
    data = load_images(DataConfig(name="digits", split="all"))
    images = data.images.copy()
    if tweak:
        images[0, 0, 0, 0] ^= 1  # one pixel, one bit: still a different data set
    arrays = {"images": images, "labels": data.labels} if labels else {"images": images}
    np.savez(path, **arrays)
    return path


def test_digits_classifier_is_accurate_and_gives_128_features(digits_features, digits_test):
    fx, folder = digits_features
    assert fx.test_accuracy > 0.8
    feats = fx.features(digits_test.images)
    assert feats.shape == (len(digits_test), 128) and feats.dtype == np.float32
    pred = fx.predict(digits_test.images)
    assert pred.dtype == np.int64 and pred.shape == (len(digits_test),)
    assert np.mean(pred == digits_test.labels) == pytest.approx(fx.test_accuracy, abs=1e-6)
    assert fx.name == "domain" and fx.n_classes == 10 and fx.split_scheme == "source"


def test_cache_entry_records_accuracy_and_fingerprint(digits_features):
    fx, folder = digits_features
    (meta_path,) = (folder / "features").glob("domain-*.json")
    meta = json.loads(meta_path.read_text())
    assert meta["fingerprint"] == fx.fingerprint
    assert meta["test_accuracy"] == pytest.approx(fx.test_accuracy)
    assert meta["n_classes"] == 10 and meta["data"]["n_train"] == 1438
    assert meta_path.with_suffix(".safetensors").is_file()


def test_float_and_uint8_inputs_agree(digits_features, digits_test):
    fx, _ = digits_features
    as_float = digits_test.images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(fx.features(as_float), fx.features(digits_test.images), atol=1e-4)


def test_fid_of_test_features_with_themselves_is_zero(digits_features, digits_test):
    fx, _ = digits_features
    feats = fx.features(digits_test.images)
    assert fid(feats, feats) == pytest.approx(0.0, abs=1e-6)
    noisy = np.clip(digits_test.images.astype(np.int16) + np.random.default_rng(0).integers(-80, 81,
                    digits_test.images.shape), 0, 255).astype(np.uint8)
    assert fid(feats, fx.features(noisy)) > 1.0


def test_wrong_image_shape_is_a_clear_error(digits_features):
    fx, _ = digits_features
    with pytest.raises(WganError, match="8x8"):
        fx.features(np.zeros((2, 1, 28, 28), np.float32))
    with pytest.raises(WganError, match="channels"):
        fx.features(np.zeros((2, 3, 8, 8), np.float32))


def test_second_call_reuses_the_cache(cache, train_calls):
    first = get_feature_extractor("domain", DataConfig(name="digits"), device="cpu")
    second = get_feature_extractor("domain", DataConfig(name="digits"), device="cpu")
    assert len(train_calls) == 1
    assert second.fingerprint == first.fingerprint and second.test_accuracy == first.test_accuracy
    x = load_images(DataConfig(name="digits", split="test")).images[:20]
    np.testing.assert_allclose(first.features(x), second.features(x), atol=1e-5)
    assert list((cache / "features").glob("domain-*.safetensors"))


def test_class_subset_shares_the_classifier_and_predicts_in_its_numbering(cache, train_calls, quick_training):
    full = get_feature_extractor("domain", DataConfig(name="digits"), device="cpu")
    sub = get_feature_extractor("domain", DataConfig(name="digits", classes=[3, 7]), device="cpu")
    assert len(train_calls) == 1  # one classifier of all ten digits serves every subset
    assert sub.fingerprint == full.fingerprint
    assert sub.class_names == ["3", "7"] and sub.n_classes == 2
    x = load_images(DataConfig(name="digits", classes=[3, 7], split="test")).images
    assert set(np.unique(sub.predict(x))) <= {0, 1}


def test_changed_data_set_retrains(cache, train_calls, quick_training, tmp_path):
    path = write_digits_npz(tmp_path / "digits.npz")
    a = DomainFeatures.for_data(DataConfig(name=str(path)), device="cpu")
    DomainFeatures.for_data(DataConfig(name=str(path)), device="cpu")
    assert len(train_calls) == 1 and a.split_scheme == "holdout"
    write_digits_npz(path, tweak=True)
    b = DomainFeatures.for_data(DataConfig(name=str(path)), device="cpu")
    assert len(train_calls) == 2 and b.fingerprint != a.fingerprint
    c = DomainFeatures.for_data(DataConfig(name=str(path), image_size=12), device="cpu")
    assert len(train_calls) == 3 and c.image_shape == (1, 12, 12)


def test_holdout_split_never_trains_on_the_held_out_images(cache, train_calls, quick_training, tmp_path):
    path = write_digits_npz(tmp_path / "digits.npz")
    fx = DomainFeatures.for_data(DataConfig(name=str(path)), device="cpu")
    assert train_calls == [1438]  # 80% of 1,797: the last fifth of each class is held out
    assert fx.info["data"]["n_test"] == 1797 - 1438


def test_damaged_cache_entry_is_rebuilt(cache, train_calls, quick_training):
    get_feature_extractor("domain", DataConfig(name="digits"), device="cpu")
    (weights,) = (cache / "features").glob("*.safetensors")
    weights.write_bytes(b"not a safetensors file")
    with pytest.warns(UserWarning, match="damaged"):
        fx = get_feature_extractor("domain", DataConfig(name="digits"), device="cpu")
    assert len(train_calls) == 2 and fx.features(np.zeros((1, 8, 8, 1), np.uint8)).shape == (1, 128)


def test_unlabelled_data_gets_a_classifier_of_rotations(cache, train_calls, tmp_path, monkeypatch):
    from wgan.features import classifier

    monkeypatch.setattr(classifier, "MAX_STEPS", 80)  # a short training still tells up from down
    path = write_digits_npz(tmp_path / "unlabelled.npz", labels=False)
    fx = get_feature_extractor("domain", DataConfig(name=str(path)))
    assert fx.split_scheme == "rotation" and fx.predict is None and fx.class_names == []
    assert train_calls == [4 * 1438]  # the first 80% of the images, each in four rotations
    assert fx.test_accuracy > 0.8  # which way up a held-out digit is: learnt without a single label
    real = load_images(DataConfig(name=str(path), split="all")).images
    features, logits = fx.embed(real[:10], features=True, logits=True)
    assert features.shape == (10, 128) and logits is None  # no classes of the data's: no class metrics, no IS
    # The features see what the images look like: the digits against themselves are far closer
    # than the digits against the same pixels shuffled.
    shuffled = np.random.default_rng(0).permuted(real.reshape(len(real), -1), axis=1).reshape(real.shape)
    first, second = fx.features(real[::2]), fx.features(real[1::2])
    assert fid(first, second) * 20 < fid(first, fx.features(shuffled[1::2]))


def test_unknown_feature_space_lists_the_known_ones():
    with pytest.raises(WganError, match="domain, inception"):
        get_feature_extractor("vgg", DataConfig(name="digits"))
