import torch

from wgan.features.classifier import random_affine, train_classifier


def test_random_affine_moves_each_image_on_its_own_and_keeps_the_range():
    x = torch.full((4, 1, 28, 28), -1.0)
    x[:, :, 10:18, 10:18] = 1.0  # a white square on black
    out = random_affine(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert out.min() >= -1 - 1e-5 and out.max() <= 1 + 1e-5
    assert not torch.allclose(out, x, atol=1e-3)  # moved
    assert not torch.allclose(out[0], out[1], atol=1e-3)  # each by its own transform
    assert torch.allclose(out[:, :, 0, 0], torch.tensor(-1.0))  # the border stays black


def test_augmented_training_is_seeded_and_uses_the_step_budget(monkeypatch):
    rng = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 12, 12), generator=rng, dtype=torch.uint8)
    labels = torch.arange(40) % 2
    calls = []
    import wgan.features.classifier as classifier

    real_affine = classifier.random_affine
    monkeypatch.setattr(classifier, "random_affine", lambda x, g: calls.append(len(x)) or real_affine(x, g))
    a = train_classifier(images, labels, 2, torch.device("cpu"), augmented=True, steps=7)
    b = train_classifier(images, labels, 2, torch.device("cpu"), augmented=True, steps=7)
    assert len(calls) == 14  # one augmented batch per step, two trainings
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
