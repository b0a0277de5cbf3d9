"""What the critic is doing, measured at log steps: its input-gradient norm and the method's own numbers.

These never change the training trajectory: they use the last real batch the
step drew, noise of their own generator, and torch's global random state is
restored afterwards (``fork_rng``), so a resumed run replays exactly.
"""

from __future__ import annotations

import contextlib

import torch

from ..methods.lipschitz import input_gradient_norm, interpolates
from ..rng import seeded, stream_seed

MAX_BATCH = 256


def critic_diagnostics(algorithm, handle, seed: int, step: int) -> dict[str, float]:
    """Mean critic input-gradient norm on real/fake interpolates, clip fraction and the like, and
    for AC-WGAN the class head's accuracy on real and generated images. ``algorithm`` is the
    training step (its critic and last real batch), ``handle`` the generator to draw fakes from."""
    if algorithm.last_real is None:
        return {}
    real, labels = (x[:MAX_BATCH] if x is not None else None for x in algorithm.last_real)
    device = real.device
    n = real.shape[0]
    gen = seeded(stream_seed(seed, "diagnostics", step), device)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        requested = (torch.randint(0, handle.num_classes, (n,), generator=gen, device=device)
                     if handle.num_classes else None)
        fake = handle.generate(algorithm.latent.draw(n, generator=gen, dtype=real.dtype), requested)
        eps = torch.rand(n, generator=gen, device=device, dtype=real.dtype)
        with _without_sync_bn(algorithm.critic):
            norms = input_gradient_norm(algorithm.critic, interpolates(real, fake, eps), labels=labels)
            stats = {"grad_norm": norms.mean(), **algorithm.lipschitz.stats(algorithm.critic)}
            stats.update(_class_accuracies(algorithm.critic, real, labels, fake, requested))
    return dict(zip(stats, torch.stack([v.float() for v in stats.values()]).tolist()))


@contextlib.contextmanager
def _without_sync_bn(critic):
    """SyncBatchNorm in training mode is a collective, and diagnostics run on the main process alone:
    such a critic is measured in eval mode (its running statistics)."""
    synced = any(isinstance(m, torch.nn.SyncBatchNorm) for m in critic.modules())
    was_training = critic.training
    if synced:
        critic.eval()
    try:
        yield
    finally:
        critic.train(was_training)


@torch.no_grad()
def _class_accuracies(critic, real, labels, fake, requested) -> dict[str, torch.Tensor]:
    """AC-WGAN: how often the critic's class head names the label of real and generated images."""
    if not getattr(critic, "num_classes", 0):
        return {}
    out = {}
    for key, x, y in (("class_acc_real", real, labels), ("class_acc_fake", fake, requested)):
        if y is not None:
            logits = critic(x, y, return_logits=True)[1]
            if logits is None:  # a projection critic has no class head
                return {}
            out[key] = (logits.argmax(1) == y).float().mean()
    return out
