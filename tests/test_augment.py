import pytest
import torch

import wgan.training.algorithm
from wgan.config import Config
from wgan.errors import WganError
from wgan.methods.augment import augment, color, cutout, translation
from wgan.presets import preset_config
from wgan.training.trainer import Trainer
from wgan.validation import validate


def one_bright_pixel(n: int, size: int = 16) -> torch.Tensor:
    x = torch.full((n, 1, size, size), -1.0)
    x[:, :, size // 2, size // 2] = 1.0
    return x


def test_translation_moves_whole_images_by_at_most_an_eighth_and_fills_black():
    torch.manual_seed(0)
    moved = translation(one_bright_pixel(200))
    assert moved.shape == (200, 1, 16, 16)
    assert set(moved.unique().tolist()) == {-1.0, 1.0}
    bright = (moved == 1).nonzero()[:, 2:]
    assert len(bright) == 200  # a 2-pixel shift cannot push the centre pixel out
    offsets = bright - 8
    assert offsets.abs().max() == 2 and (offsets != 0).any(dim=1).float().mean() > 0.5


def test_cutout_blanks_one_square_of_half_the_side_and_leaves_the_rest():
    torch.manual_seed(0)
    x = torch.rand(300, 3, 12, 12) * 0.5  # never -1 before the cut
    cut = cutout(x)
    blank = (cut == -1).all(dim=1)  # every channel together
    kept = ~blank.unsqueeze(1).expand_as(x)
    assert torch.equal(cut[kept], x[kept])
    counts = blank.flatten(1).sum(1)
    assert counts.max() == 36 and counts.min() > 0  # 6x6, less where it overhangs a border
    rows, cols = blank.any(2), blank.any(1)
    assert (rows.sum(1) <= 6).all() and (cols.sum(1) <= 6).all()


def test_augmentation_passes_gradients_to_the_pixels_it_keeps():
    x = torch.rand(4, 1, 16, 16, requires_grad=True)
    augment(x, ("translation", "cutout")).sum().backward()
    assert x.grad is not None and x.grad.sum() > 0 and set(x.grad.unique().tolist()) <= {0.0, 1.0}


def test_no_operations_is_the_identity():
    x = torch.rand(2, 1, 8, 8)
    assert augment(x, ()) is x


def test_unknown_operation_is_refused_with_the_accepted_names():
    cfg = Config()
    cfg.train.augment = "translation,flip"
    with pytest.raises(WganError, match="augmentation .flip. in train.augment.*color, cutout, translation, none, or several joined by ,"):
        validate(cfg)


def test_augmentation_is_refused_for_2d_points():
    cfg = preset_config("wgan-gp-8gaussians")
    cfg.train.augment = "translation"
    with pytest.raises(WganError, match="train.augment.*2-D"):
        Trainer(cfg, progress=False)


def test_every_critic_input_is_augmented_and_the_generator_still_learns(tiny_image_config, monkeypatch):
    cfg = tiny_image_config
    cfg.train.augment = "translation,cutout"
    cfg.train.n_critic = 2
    shown = []

    def spy(x, ops, random=None):
        shown.append((tuple(x.shape), ops))
        return augment(x, ops, random)

    monkeypatch.setattr(wgan.training.algorithm, "augment", spy)
    trainer = Trainer(cfg, progress=False)
    before = [p.detach().clone() for p in trainer.algorithm.generator.parameters()]
    trainer.train_step()
    # Two critic iterations (real and fake each), then the generator's batch.
    assert len(shown) == 5 and all(ops == ("translation", "cutout") for _, ops in shown)
    after = list(trainer.algorithm.generator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))


def test_color_shifts_brightness_saturation_and_contrast_per_image():
    torch.manual_seed(0)
    x = torch.rand(500, 3, 8, 8) * 0.5 - 0.25
    out = color(x)
    assert out.shape == x.shape
    # Each image's mean moves by its brightness shift alone (saturation and contrast keep the mean).
    shift = (out - x).mean(dim=(1, 2, 3))
    assert shift.abs().max() <= 0.5 and shift.std() > 0.2
    # Contrast and saturation scale each image's spread by 0 to 3 (saturation 0..2 times contrast 0.5..1.5).
    ratio = out.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))
    assert ratio.min() >= 0 and ratio.max() <= 3 and ratio.std() > 0.1
    grey = torch.rand(4, 1, 8, 8)
    assert not torch.equal(color(grey), grey)  # brightness and contrast still apply to one channel


def test_color_passes_gradients():
    x = torch.rand(4, 3, 8, 8, requires_grad=True)
    color(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
