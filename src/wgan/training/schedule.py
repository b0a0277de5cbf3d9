"""How many critic iterations each generator iteration gets."""

from __future__ import annotations

from ..config import TrainConfig


def critic_iterations(step: int, cfg: TrainConfig) -> int:
    """Critic iterations for generator step ``step`` (0-based).

    With ``warmup`` this is the WGAN paper's schedule: ``warmup_n_critic``
    (100) for the first ``warmup_first`` (25) generator steps and on every
    ``warmup_every``-th (500th) step, so the critic is near-optimal early and
    periodically. With ``warmup_period`` > 0 the warm-up window repeats every
    that many steps, as the AC-WGAN MNIST tutorial does (``it % 1000 < 25 or it % 500 == 0``).
    """
    if not cfg.warmup:
        return cfg.n_critic
    position = step % cfg.warmup_period if cfg.warmup_period else step
    if position < cfg.warmup_first or step % cfg.warmup_every == 0:
        return cfg.warmup_n_critic
    return cfg.n_critic
