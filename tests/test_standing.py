"""Standing statistics: the averaged generator's BatchNorm statistics are its own."""

import torch
from torch import nn

from wgan.training.standing import recompute_batchnorm
from wgan.training.trainer import Trainer


def ema_trainer(cfg, batches=3):
    cfg.update({"train": {"ema": 0.9, "ema_standing_batches": batches}})
    trainer = Trainer(cfg, progress=False)
    for _ in range(3):
        trainer.train_step()
    return trainer


def batch_statistics(generator, inputs):
    """Mean and unbiased variance of every BatchNorm layer's input, per batch, in training mode."""
    stats = {}

    def hook(module, args):
        x = args[0]
        stats.setdefault(module, []).append((x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=True)))

    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    handles = [m.register_forward_pre_hook(hook) for m in norms]
    generator.train()
    with torch.no_grad():
        for z, labels in inputs:
            generator(z, labels)
    for h in handles:
        h.remove()
    return norms, stats


def test_recomputed_buffers_equal_the_batch_statistics_of_its_own_layers(tiny_image_config):
    trainer = ema_trainer(tiny_image_config)
    ema = trainer.algorithm.generator_ema
    step = trainer.algorithm
    inputs = step.standing.inputs(trainer.state.step)
    assert len(inputs) == 3
    # Before: the trained generator's statistics, copied with each average update.
    live_means = [m.running_mean.clone() for m in trainer.algorithm.generator.modules() if isinstance(m, nn.BatchNorm2d)]
    ema_means = [m.running_mean.clone() for m in ema.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(torch.equal(a, b) for a, b in zip(live_means, ema_means))

    trainer.handle()  # sampling refreshes the statistics
    assert not ema.training  # and leaves the average in eval mode, as it was
    recomputed = {m: (m.running_mean.clone(), m.running_var.clone()) for m in ema.modules()
                  if isinstance(m, nn.BatchNorm2d)}
    norms, stats = batch_statistics(ema, inputs)
    assert len(norms) == len(recomputed) > 0
    for m in norms:
        means, variances = zip(*stats[m])
        torch.testing.assert_close(recomputed[m][0], torch.stack(means).mean(0))
        torch.testing.assert_close(recomputed[m][1], torch.stack(variances).mean(0))
    assert not torch.equal(recomputed[norms[0]][0], live_means[0])


def test_refresh_leaves_training_untouched(tiny_image_config):
    """Recomputing at every step changes no trained weight: the same run without it ends equal."""
    import copy

    cfg_a = copy.deepcopy(tiny_image_config)
    plain, refreshed = ema_trainer(cfg_a, batches=0), ema_trainer(tiny_image_config, batches=2)
    for trainer in (plain, refreshed):
        for _ in range(2):
            trainer.handle()
            trainer.train_step()
    for a, b in zip(plain.algorithm.state_dict()["generator_ema"].values(),
                    refreshed.algorithm.state_dict()["generator_ema"].values()):
        if a.is_floating_point() and a.dim() > 1:  # weights (buffers differ by design)
            assert torch.equal(a, b)
    for a, b in zip(plain.algorithm.generator.parameters(), refreshed.algorithm.generator.parameters()):
        assert torch.equal(a, b)


def test_nothing_to_recompute_without_batchnorm():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    before = [p.clone() for p in net.parameters()]
    assert recompute_batchnorm(net, [(torch.randn(4, 2), None)]) is False
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_sync_batchnorm_is_left_alone():
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.SyncBatchNorm(2))
    assert recompute_batchnorm(net, []) is False


def test_resume_with_standing_statistics_continues_as_if_never_stopped(tiny_image_config, tmp_path):
    cfg = tiny_image_config.update({"train": {"ema": 0.9, "ema_standing_batches": 2}})
    straight = Trainer(type(cfg).from_dict(cfg.to_dict()), tmp_path / "a", progress=False)
    straight.fit()
    first = Trainer(type(cfg).from_dict(cfg.to_dict()), tmp_path / "b", progress=False)
    first.fit(3)
    resumed = Trainer.resume(tmp_path / "b", progress=False)
    resumed.fit(6)
    a, b = straight.algorithm.state_dict(), resumed.algorithm.state_dict()
    for part in ("generator", "generator_ema", "critic"):
        for key in a[part]:
            assert torch.equal(a[part][key], b[part][key]), (part, key)
