"""One generator iteration: the algorithm box of the WGAN papers, in code.

    repeat n_critic times:                                    critic_update
        x ~ data, z ~ p(z)
        L_C = objective(C(x), C(G(z))) + Lipschitz penalty    (+ AC-WGAN class terms)
        C <- optimiser step on L_C, then the Lipschitz constraint (weight clipping)
    z ~ p(z)                                                  generator_update
    L_G = objective_G(C(G(z)))                                (+ class term)
    G <- optimiser step on L_G, then the weight average (EMA)

With ``precision="fp16"`` (GPUs without bfloat16) each network's loss is scaled
before its backward and its gradients unscaled before the optimiser step
(``torch.amp.GradScaler``, one per network); an update whose gradients
overflow is skipped and the scale lowered. The gradient penalty differentiates
the scaled score and unscales that gradient before taking its norm, as
PyTorch's automatic-mixed-precision notes prescribe for gradient penalties.

Everything comes in already built: networks, optimisers, objective, Lipschitz
method, data, the noise and the random numbers. Nothing here parses a config
or touches a file. After each backward the gradients are averaged over the
processes (one all-reduce; nothing in one process), which is what keeps
data-parallel training identical to one process with the same global batch.
A CUDA graph (``runner.py``) captures :meth:`Algorithm.iteration` whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..latent import Latent
from ..methods.augment import augment
from ..precision import PRECISIONS
from ..rng import SharedRandom
from .runtime import Runtime
from .standing import StandingStatistics


@dataclass(frozen=True)
class ClassWeights:
    """AC-WGAN: weights of the class head's cross-entropy on real and generated images, and for G."""

    critic_real: float = 1.0
    critic_fake: float = 1.0
    generator: float = 1.0


@torch.no_grad()
def update_average(average: nn.Module, live: nn.Module, decay: float) -> None:
    """One step of an exponential moving average of ``live``'s weights into ``average``; buffers
    (BatchNorm statistics) are copied, as they are statistics of the live weights."""
    torch._foreach_lerp_(list(average.parameters()), list(live.parameters()), 1.0 - decay)
    for b_avg, b in zip(average.buffers(), live.buffers()):
        b_avg.copy_(b)


@dataclass
class Networks:
    """What the update trains: the generator and the critic, and the generator's weight average
    (``train.ema``: None when off) with its decay."""

    generator: nn.Module
    critic: nn.Module
    generator_ema: nn.Module | None = None
    ema_decay: float = 0.0


@dataclass
class Optimisers:
    generator: torch.optim.Optimizer
    critic: torch.optim.Optimizer


@dataclass(frozen=True)
class Losses:
    """What the critic and the generator minimise: the adversarial objective, the Lipschitz method, the
    class terms of a conditional run, and the variants (a split critic update, augmentation)."""

    objective: object
    lipschitz: object
    class_weights: ClassWeights = ClassWeights()
    critic_split: str = "none"
    augment_ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class Batches:
    """This process's batch sizes, the classes it conditions on, and the noise batches that give the
    averaged generator BatchNorm statistics of its own (standing.py; 0: the trained generator's)."""

    size: int  # this process's share of the global batch
    generator_size: int = 0  # ... and of the generator's batch (0: the same)
    num_classes: int = 0
    standing: int = 0


class Algorithm:
    """The algorithm box above, with its pieces: :meth:`iteration` is one generator iteration. (The
    int ``step`` elsewhere counts these iterations; this module and class are the update itself.)"""

    def __init__(self, networks: Networks, optimisers: Optimisers, losses: Losses, data, latent: Latent,
                 random: SharedRandom, runtime: Runtime, batches: Batches, precision: str = "fp32",
                 channels_last: bool = False):
        self.generator, self.critic = networks.generator, networks.critic
        self.generator_ema, self.ema_decay = networks.generator_ema, networks.ema_decay
        self.opt_g, self.opt_c = optimisers.generator, optimisers.critic
        self.objective, self.lipschitz = losses.objective, losses.lipschitz
        self.class_weights, self.critic_split, self.augment_ops = (losses.class_weights, losses.critic_split,
                                                                   losses.augment_ops)
        self.data, self.latent, self.random, self.runtime = data, latent, random, runtime
        self.batch_size = batches.size
        self.generator_batch_size = batches.generator_size or batches.size
        self.num_classes = batches.num_classes
        self.precision, self.dtype = precision, PRECISIONS.get(precision).weights
        self.autocast = PRECISIONS.get(precision).compute  # None: no autocast
        # The average's own BatchNorm statistics (standing.py); None without an average.
        self.standing = (StandingStatistics(self.generator_ema, latent, random.seed, runtime.device, self.dtype,
                                            self.batch_size, self.num_classes, batches.standing, self.autocast)
                         if self.generator_ema is not None else None)
        self.channels_last = channels_last
        self.sum_dtype = sum_dtype(runtime.device)
        # fp16: a loss scaler per network, and how many updates each has skipped over the run.
        self.scalers = ({name: torch.amp.GradScaler(runtime.device.type) for name in ("critic", "generator")}
                        if precision == "fp16" else {})
        self.skipped = {name: 0 for name in self.scalers}
        self.last_real: tuple[torch.Tensor, torch.Tensor | None] | None = None  # for the diagnostics

    # ---- the algorithm --------------------------------------------------------------------
    def iteration(self, n_critic: int) -> "Totals":
        """``n_critic`` critic updates, then one generator update; their numbers summed (device tensors)."""
        totals = Totals(self.sum_dtype)
        autocast = self.autocast
        # No autocast weight cache: a captured graph must recompute the casts on every replay.
        with torch.autocast(self.runtime.device.type, dtype=autocast or torch.bfloat16, enabled=autocast is not None,
                            cache_enabled=False):
            for _ in range(n_critic):
                real, labels = self.real_batch()
                totals.add(self.critic_update(real, labels))
            totals.add(self.generator_update())
        return totals

    def real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        real, labels = self.data.sample(self.batch_size, self.random)
        real = real.to(self.dtype)
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        self.last_real = (real, labels)
        return real, labels

    def critic_update(self, real: torch.Tensor, real_labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One critic iteration, as the box writes it: fakes from the generator, the critic loss on real
        and fake together plus the Lipschitz penalty (and, for a class head, its terms), one optimiser
        step, then the constraint. ``train.critic_split`` takes :meth:`split_critic_update` instead."""
        if self.critic_split != "none":
            return self.split_critic_update(real, real_labels)
        self.lipschitz.before_update(self.critic)
        fake, fake_labels = self.fake_batch(real.shape[0])
        real, fake = self.critic_input(real), self.critic_input(fake)
        score_real, logits_real = self.critic(real, real_labels, return_logits=True)
        score_fake, logits_fake = self.critic(fake, fake_labels, return_logits=True)
        eps = self.random.uniform(real.shape[0], dtype=real.dtype)  # one interpolation weight per pair
        w = self.class_weights
        terms = {"critic_real": self.objective.critic_loss_real(score_real),
                 "class_loss_real": class_loss(logits_real, real_labels, w.critic_real),
                 "critic_fake": self.objective.critic_loss_fake(score_fake),
                 "class_loss_fake": class_loss(logits_fake, fake_labels, w.critic_fake),
                 "penalty": self.lipschitz.penalty(self.critic, real, fake, eps, real_labels, self.loss_scale("critic"))}
        out = self.step_critic(terms, {"real": score_real, "fake": score_fake})
        out["wasserstein"] = out.pop("score_real") - out.pop("score_fake")
        return out

    def split_critic_update(self, real: torch.Tensor, real_labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """``train.critic_split``: the Keras tutorials' critic iteration, one update on real images and
        then one on fakes (``half``: half a batch of each, ``full``: a whole batch of each). There are
        no real-fake pairs, so no penalty."""
        self.lipschitz.before_update(self.critic)
        if self.critic_split == "half":
            half = real.shape[0] // 2
            real, real_labels = real[:half], None if real_labels is None else real_labels[:half]
        fake, fake_labels = self.fake_batch(real.shape[0])
        w = self.class_weights
        score, logits = self.critic(self.critic_input(real), real_labels, return_logits=True)
        on_real = self.step_critic({"critic_real": self.objective.critic_loss_real(score),
                                    "class_loss_real": class_loss(logits, real_labels, w.critic_real)}, {"real": score})
        score, logits = self.critic(self.critic_input(fake), fake_labels, return_logits=True)
        on_fake = self.step_critic({"critic_fake": self.objective.critic_loss_fake(score),
                                    "class_loss_fake": class_loss(logits, fake_labels, w.critic_fake)}, {"fake": score})
        out = {**on_real, **on_fake}
        out["loss_critic"] = on_real["loss_critic"] + on_fake["loss_critic"]
        out["wasserstein"] = out.pop("score_real") - out.pop("score_fake")
        return out

    def step_critic(self, terms: dict[str, torch.Tensor | None], scores: dict[str, torch.Tensor]
                    ) -> dict[str, torch.Tensor]:
        """Minimise the sum of the critic's ``terms`` (None: a term that does not apply) by one step,
        then apply the constraint; returns each term, their sum as ``loss_critic`` and the mean
        ``scores`` (a conditional tutorial shows the adversarial and class terms on their own)."""
        terms = {k: v for k, v in terms.items() if v is not None}
        loss = sum(terms.values())
        amp = self._backward_and_step(loss, self.opt_c, self.critic, "critic")
        self.lipschitz.after_update(self.critic)
        out = {k: v.detach() for k, v in terms.items()}
        out.update({f"score_{k}": v.mean().detach() for k, v in scores.items()})
        out["loss_critic"] = loss.detach()
        return masked_if_skipped(out, amp, "amp_skipped_critic")

    def fake_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``n`` generated samples (and the classes they were asked for) to show the critic."""
        labels = self.fake_labels(n)
        with torch.no_grad():
            return self.generator(self.noise(n), labels), labels

    def loss_scale(self, name: str) -> float | None:
        """fp16: the current loss scale of network ``name`` (the penalty differentiates the scaled score)."""
        return self.scalers[name].get_scale() if self.scalers else None

    def generator_update(self) -> dict[str, torch.Tensor]:
        # The critic's own gradients are not needed here; freezing it skips computing them.
        self.critic.requires_grad_(False)
        labels = self.fake_labels(self.generator_batch_size)
        fake = self.critic_input(self.generator(self.noise(self.generator_batch_size), labels))
        scores, logits = self.critic(fake, labels, return_logits=True)
        loss = self.objective.generator_loss(scores)
        out: dict[str, torch.Tensor] = {"generator_adv": loss.detach()}
        class_term = class_loss(logits, labels, self.class_weights.generator)
        if class_term is not None:
            loss = loss + class_term
            out["class_loss_generator"] = class_term.detach()
        amp = self._backward_and_step(loss, self.opt_g, self.generator, "generator")
        self.critic.requires_grad_(True)
        if self.generator_ema is not None:
            self.update_ema()
        out["loss_generator"] = loss.detach()
        return masked_if_skipped(out, amp, "amp_skipped_generator")

    def _backward_and_step(self, loss: torch.Tensor, optimizer, network: nn.Module, name: str
                           ) -> dict[str, torch.Tensor]:
        """Gradients of ``loss``, averaged over the processes, and one optimiser step; under fp16
        through the network's scaler, returning whether it skipped the step and its scale."""
        optimizer.zero_grad(set_to_none=True)
        scaler = self.scalers.get(name)
        if scaler is None:
            loss.backward()
            self.runtime.average_gradients(network.parameters())
            optimizer.step()
            return {}
        scaler.scale(loss).backward()
        self.runtime.average_gradients(network.parameters())  # still scaled: an overflow reaches every process
        scaler.unscale_(optimizer)
        grads = [p.grad for p in network.parameters() if p.grad is not None]
        skipped = (~torch.isfinite(torch.nn.utils.get_total_norm(grads))).float()
        scaler.step(optimizer)  # skips the step when a gradient is not finite
        scaler.update()
        self.skipped[name] += int(skipped.item())
        # On the losses' device, as every logged number: the loop stacks them into one tensor to read back.
        scale = torch.full((), scaler.get_scale(), dtype=skipped.dtype, device=skipped.device)
        return {f"amp_skipped_{name}": skipped, f"amp_scale_{name}": scale}

    def update_ema(self) -> None:
        update_average(self.generator_ema, self.generator, self.ema_decay)
        self.standing.stale()

    def refresh_average(self, step: int) -> None:
        """Give the averaged generator its own BatchNorm statistics (once per step; standing.py)."""
        if self.standing is not None:
            self.standing.refresh(step)

    # ---- inputs -----------------------------------------------------------------------------
    def noise(self, n: int) -> torch.Tensor:
        return self.latent.shared(self.random, n, dtype=self.dtype)

    def fake_labels(self, n: int) -> torch.Tensor | None:
        return self.random.integers(0, self.num_classes, n) if self.num_classes else None

    def critic_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the critic is shown of ``x`` in training: ``x`` through the augmentation, if any."""
        if not self.augment_ops:
            return x
        x = augment(x, self.augment_ops, self.random)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    # ---- state ------------------------------------------------------------------------------
    def modules(self) -> list[nn.Module]:
        return [m for m in (self.generator, self.critic, self.generator_ema) if m is not None]

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.opt_g, self.opt_c]

    def sampling_generator(self) -> nn.Module:
        """The averaged generator when EMA is on, else the trained one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def state_dict(self) -> dict:
        state = {"generator": self.generator.state_dict(), "critic": self.critic.state_dict(),
                 "opt_g": self.opt_g.state_dict(), "opt_c": self.opt_c.state_dict()}
        if self.generator_ema is not None:
            state["generator_ema"] = self.generator_ema.state_dict()
        state["data"] = self.data.state_dict()
        if self.lipschitz.state_dict():  # a lazy penalty's count of critic updates
            state["lipschitz"] = self.lipschitz.state_dict()
        if self.scalers:
            state["amp"] = {name: {**scaler.state_dict(), "skipped": self.skipped[name]}
                            for name, scaler in self.scalers.items()}
        return state

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_c.load_state_dict(state["opt_c"])
        if self.generator_ema is not None and "generator_ema" in state:
            self.generator_ema.load_state_dict(state["generator_ema"])
        if "data" in state:
            self.data.load_state_dict(state["data"])
        self.lipschitz.load_state_dict(state.get("lipschitz", {}))
        for name, saved in state.get("amp", {}).items():  # none when the run was not fp16 before
            if name in self.scalers:
                saved = dict(saved)
                self.skipped[name] = int(saved.pop("skipped", 0))
                self.scalers[name].load_state_dict(saved)


def masked_if_skipped(out: dict[str, torch.Tensor], amp: dict[str, torch.Tensor], key: str) -> dict[str, torch.Tensor]:
    """``out`` and the fp16 scaler's numbers ``amp``; the numbers of an update the scaler skipped
    (often the overflow itself) count as zero, so that an overflow is not read as divergence."""
    if not amp:
        return out
    skipped = amp[key] > 0
    return {k: torch.where(skipped, torch.zeros_like(v), v) for k, v in out.items()} | amp


def class_loss(logits: torch.Tensor | None, labels: torch.Tensor | None, weight: float) -> torch.Tensor | None:
    """The class head's weighted cross-entropy, or None where it does not apply."""
    if logits is None or labels is None or weight == 0:
        return None
    return weight * F.cross_entropy(logits, labels)


def sum_dtype(device: torch.device) -> torch.dtype:
    """Losses are summed in float64 (MPS has none): a float32 sum of many large but finite
    losses can overflow to infinity, which must not read as divergence."""
    return torch.float32 if device.type == "mps" else torch.float64


class Totals:
    """Numbers summed on the device, and how many updates gave each (a count per name, as stylegan3's
    training_stats keeps): a critic number's mean is over critic updates and a generator number's
    over generator updates, with no list of which is which."""

    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, values: dict[str, torch.Tensor]) -> None:
        """``sums[k] = sums[k] + values[k]`` for every key (from the first value seen, in ``dtype``), and
        count it. Out of place: a CUDA graph records these operations, and its replay refreshes the
        final tensors."""
        for key, value in values.items():
            self.sums[key] = value.detach().to(self.dtype).clone() if key not in self.sums else self.sums[key] + value
            self.counts[key] = self.counts.get(key, 0) + 1

    def merge(self, other: "Totals") -> None:
        """Add another iteration's sums and counts, in place."""
        for key, value in other.sums.items():
            if key not in self.sums:
                self.sums[key] = value.detach().to(self.dtype).clone()
            else:
                self.sums[key] += value
            self.counts[key] = self.counts.get(key, 0) + other.counts[key]
