"""The training loop: critic iterations, a generator iteration, repeat.

The trainer owns the pieces (data, networks, objective, Lipschitz method,
optimisers) and calls each through its small interface; nothing here knows
which objective or Lipschitz method is in use. The hot path never waits on
the device: per-step numbers stay on the device as running sums and are
gathered to the host every ``log_every`` steps.
"""

from __future__ import annotations

import copy
import json
import math
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

from .artifacts import build_artifacts
from .checkpoint import load_checkpoint, save_checkpoint
from .augment import augment
from .config import Config, augmentation_ops
from .data import build_dataset
from .errors import WganError
from .graph import CapturedIteration, CaptureFailed, TrainingState, capture_blockers, make_capturable
from .lipschitz import build_lipschitz, input_gradient_norm, interpolates
from .models import build_critic, build_generator
from .models.layers import has_batchnorm
from .models.matmul_conv import use_matmul_convs
from .monitor import Monitor, finite
from .objectives import build_objective
from .optim import build_optimizers, build_schedulers, resolve_optim
from .runs import CONFIG_FILE, LAST_CHECKPOINT, SUBDIRS, check_run_dir
from .schedule import critic_iterations
from .threads import set_threads

N_FIXED_NOISE = {"toy": 2000, "image": 100}


# Results where larger is better; every other metric (FID, KID, W1, KL) is better when smaller.
HIGHER_IS_BETTER = ("precision", "recall", "density", "coverage", "accuracy", "modes_covered", "high_quality")


def best_metric_key(name: str, results: dict) -> tuple[str | None, bool]:
    """The result key ``name`` selects (exact, or the first key starting with it) and its direction."""
    if name == "auto":
        name = "w1_ratio" if "w1_ratio" in results else "fid"
    key = name if name in results else next((k for k in results if k.startswith(name + "_")), None)
    return key, not (key or "").startswith(HIGHER_IS_BETTER)


class TrainingDiverged(WganError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise WganError("--device cuda was asked for but PyTorch sees no CUDA device; use --device auto or cpu")
    return torch.device(name)


class Trainer:
    def __init__(self, cfg: Config, run_dir: Path | None = None, progress: bool = True):
        cfg.validate()
        resolve_optim(cfg)
        self.cfg, self.progress = cfg, progress
        self.device = pick_device(cfg.train.device)
        set_threads(cfg.train.threads)
        torch.manual_seed(cfg.train.seed)

        self.data = build_dataset(cfg.data, seed=cfg.train.seed).to(self.device)
        # Classes matter only when the generator is conditioned or the critic has a class head.
        self.num_classes = self.data.num_classes if cfg.model.conditional != "none" else 0
        self.generator = build_generator(cfg.model, self.data.shape, self.num_classes).to(self.device)
        self.lipschitz = build_lipschitz(cfg.loss)
        critic = build_critic(cfg.model, self.data.shape, self.num_classes)
        if _on_for_cpu(cfg.train.matmul_conv, self.device):  # before anything holds the weights
            use_matmul_convs(self.generator)
            use_matmul_convs(critic)
        self.critic = self.lipschitz.prepare(critic).to(self.device)
        self.objective = build_objective(cfg.loss.objective)
        self.opt_g, self.opt_c = build_optimizers(cfg, self.generator, self.critic, self.device)
        self.schedulers = build_schedulers(cfg, self.opt_g, self.opt_c)
        self.generator_ema = copy.deepcopy(self.generator).eval() if cfg.train.ema else None
        self._augment_ops = augmentation_ops(cfg.train.augment)
        if self._augment_ops and self.data.kind != "image":
            raise WganError(f"train.augment={cfg.train.augment} transforms images; {cfg.data.name} is 2-D "
                            "points: use train.augment=none")
        self.channels_last = _use_channels_last(cfg.train.channels_last, self.device, self.data)
        if self.channels_last:
            for net in (self.generator, self.critic, self.generator_ema):
                if net is not None:
                    net.to(memory_format=torch.channels_last)
        self._warn_about_choices()
        self._graph_wanted = self._plan_cuda_graph()
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # shapes never change within a run
        self._captured: CapturedIteration | None = None

        self.step = 0
        self.elapsed = 0.0  # training seconds over all sessions of this run
        fixed = torch.Generator().manual_seed(cfg.train.seed + 1)
        self.fixed_z = self.latent(N_FIXED_NOISE[self.data.kind], generator=fixed).to(self.device)
        self._best: dict | None = None  # the best evaluation so far (train.eval_every)
        self._sums: dict[str, torch.Tensor] = {}
        self._count = 0
        self.run_dir, self.artifacts = None, None
        if run_dir is not None:
            self.attach_run_dir(run_dir)

    def attach_run_dir(self, run_dir: Path, write_config: bool = True) -> None:
        """Write into ``run_dir`` from now on (its resolved config.yaml first)."""
        self.run_dir = Path(run_dir)
        for sub in SUBDIRS:
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        if write_config:
            self.cfg.save(self.run_dir / CONFIG_FILE)
        self.artifacts = build_artifacts(self)

    # ---- sampling -------------------------------------------------------------
    def latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = "cpu" if generator is not None else self.device
        shape = (n, self.cfg.model.latent_dim)
        if self.cfg.model.latent == "uniform":  # U(-1, 1), seed S2
            return torch.rand(shape, generator=generator, device=device) * 2 - 1
        return torch.randn(shape, generator=generator, device=device)

    def _fake_labels(self, n: int) -> torch.Tensor | None:
        if not self.num_classes:
            return None
        return torch.randint(0, self.num_classes, (n,), device=self.device)

    def sampling_generator(self) -> torch.nn.Module:
        """The averaged generator when EMA is on, else the trained one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples in network space, generator in eval mode (BatchNorm uses running statistics)."""
        g = self.sampling_generator()
        was_training = g.training
        g.eval()
        try:
            return g(z.to(self.device), None if labels is None else labels.to(self.device))
        finally:
            g.train(was_training)

    # ---- one update each --------------------------------------------------------
    def _class_loss(self, logits: torch.Tensor | None, labels: torch.Tensor | None, weight: float):
        if logits is None or labels is None or weight == 0:
            return None
        return weight * F.cross_entropy(logits, labels)

    def critic_step(self, real: torch.Tensor, real_labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One critic iteration: one update on real and fake together, or two (``critic_split``)."""
        self.lipschitz.before_update(self.critic)
        split = self.cfg.train.critic_split
        if split == "half":
            half = real.shape[0] // 2
            real, real_labels = real[:half], None if real_labels is None else real_labels[:half]
        fake_labels = self._fake_labels(real.shape[0])
        with torch.no_grad():
            fake = self.generator(self.latent(real.shape[0]), fake_labels)
        if split == "none":
            return self._critic_update(real, real_labels, fake, fake_labels)
        out = self._critic_update(real, real_labels, None, None)
        out.update(self._critic_update(None, None, fake, fake_labels))
        out["loss_critic"] = out.pop("loss_critic_real") + out.pop("loss_critic_fake")
        out["wasserstein"] = out.pop("score_real") - out.pop("score_fake")
        return out

    def _critic_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the critic is shown of ``x`` in training: ``x`` through train.augment, if any."""
        if not self._augment_ops:
            return x
        x = augment(x, self._augment_ops)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _critic_update(self, real, real_labels, fake, fake_labels) -> dict[str, torch.Tensor]:
        """Minimise the critic loss on whichever of real and fake are given, then constrain.

        Records each term on its own (S1 shows the adversarial and class terms for real and
        fake separately) and their sum as ``loss_critic`` (or ``_real``/``_fake`` part sums).
        """
        w_real, w_fake = self.cfg.loss.class_weight_critic, self.cfg.loss.class_weight_critic_fake
        terms: dict[str, torch.Tensor] = {}
        scores = {}
        if real is not None:
            real = self._critic_input(real)
            scores["real"], logits = self.critic.score_and_logits(real)
            terms["critic_real"] = self.objective.critic_loss_real(scores["real"])
            terms["class_loss_real"] = self._class_loss(logits, real_labels, w_real)
        if fake is not None:
            fake = self._critic_input(fake)
            scores["fake"], logits = self.critic.score_and_logits(fake)
            terms["critic_fake"] = self.objective.critic_loss_fake(scores["fake"])
            terms["class_loss_fake"] = self._class_loss(logits, fake_labels, w_fake)
        if real is not None and fake is not None:
            terms["penalty"] = self.lipschitz.penalty(self.critic, real, fake)
        terms = {k: v for k, v in terms.items() if v is not None}
        loss = sum(terms.values())
        self.opt_c.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_c.step()
        self.lipschitz.after_update(self.critic)

        out = {k: v.detach() for k, v in terms.items()}
        out.update({f"score_{k}": v.mean().detach() for k, v in scores.items()})
        if len(scores) == 2:
            out["wasserstein"] = out.pop("score_real") - out.pop("score_fake")
            out["loss_critic"] = loss.detach()
        else:
            out[f"loss_critic_{next(iter(scores))}"] = loss.detach()
        return out

    def generator_step(self, batch_size: int) -> dict[str, torch.Tensor]:
        # The critic's own gradients are not needed here; freezing it skips computing them.
        self.critic.requires_grad_(False)
        labels = self._fake_labels(batch_size)
        fake = self._critic_input(self.generator(self.latent(batch_size), labels))
        scores, logits = self.critic.score_and_logits(fake)
        loss = self.objective.generator_loss(scores)
        out: dict[str, torch.Tensor] = {"generator_adv": loss.detach()}
        class_term = self._class_loss(logits, labels, self.cfg.loss.class_weight_generator)
        if class_term is not None:
            loss = loss + class_term
            out["class_loss_generator"] = class_term.detach()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.critic.requires_grad_(True)
        if self.generator_ema is not None:
            self._update_ema()
        out["loss_generator"] = loss.detach()
        return out

    @torch.no_grad()
    def _update_ema(self) -> None:
        ema, live = list(self.generator_ema.parameters()), list(self.generator.parameters())
        torch._foreach_lerp_(ema, live, 1.0 - self.cfg.train.ema)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)

    def train_step(self) -> None:
        """One generator iteration: its critic iterations, then the generator update.

        Replayed from a CUDA graph when one could be captured (:mod:`wgan.graph`),
        else run eagerly; both run the same code, :meth:`_iteration`.
        """
        n_critic = critic_iterations(self.step, self.cfg.train)
        values = self._replayed_iteration(n_critic) if self._graph_wanted else None
        if values is None:
            values = self._iteration(n_critic)
        self._accumulate(values, critic_updates=n_critic)
        for scheduler in self.schedulers:
            scheduler.step()
        self._count += 1
        self.step += 1

    def _replayed_iteration(self, n_critic: int) -> dict[str, torch.Tensor] | None:
        """The iteration replayed from its CUDA graph, or None (from now on) if it cannot be recorded."""
        if self._captured is None:
            self._captured = CapturedIteration(self._iteration, self._training_state, self.device)
        try:
            return self._captured(n_critic)
        except CaptureFailed as error:
            if self.cfg.train.cuda_graph == "on":
                raise WganError(f"train.cuda_graph=on, but the iteration cannot be recorded in a CUDA graph "
                                f"({error}); use train.cuda_graph=auto or off") from None
            warnings.warn(f"training without CUDA graphs: recording the iteration failed ({error})", stacklevel=3)
            self._graph_wanted, self._captured = False, None
            return None

    def _iteration(self, n_critic: int) -> dict[str, torch.Tensor]:
        """``n_critic`` critic iterations and a generator update; returns the losses summed over them."""
        batch = self.cfg.train.batch_size
        totals: dict[str, torch.Tensor] = {}
        bf16 = self.cfg.train.precision == "bf16"
        # No autocast weight cache: a captured graph must recompute the casts on every replay.
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16, cache_enabled=False):
            for _ in range(n_critic):
                real, labels = self.data.sample(batch, None)
                if self.channels_last:
                    real = real.contiguous(memory_format=torch.channels_last)
                _add_into(totals, self.critic_step(real, labels))
            _add_into(totals, self.generator_step(batch))
        return totals

    def _plan_cuda_graph(self) -> bool:
        """Whether train_step replays a CUDA graph (train.cuda_graph, and what the run allows)."""
        mode = self.cfg.train.cuda_graph
        if mode == "off":
            return False
        blockers = capture_blockers(self.device, self.data, self.cfg.optim.decay)
        if blockers and mode == "on":
            raise WganError("train.cuda_graph=on, but this run cannot be captured: " + "; ".join(blockers)
                            + " (use train.cuda_graph=auto or off)")
        if blockers and self.device.type == "cuda":
            warnings.warn("training without CUDA graphs: " + "; ".join(blockers), stacklevel=3)
        return not blockers

    def _training_state(self) -> TrainingState:
        """What capture snapshots and restores around its warm-up (step counters moved to the GPU first)."""
        if self.device.type == "cuda":
            for opt in (self.opt_g, self.opt_c):
                make_capturable(opt)
        modules = [m for m in (self.generator, self.critic, self.generator_ema) if m is not None]
        return TrainingState(modules, [self.opt_g, self.opt_c], self.device)

    def _accumulate(self, values: dict[str, torch.Tensor], critic_updates: int = 0) -> None:
        # Running sums on the device: no host synchronisation until the next log step.
        _add_into(self._sums, values, in_place=True)
        self._sums.setdefault("_critic_updates", torch.zeros((), device=self.device))
        self._sums["_critic_updates"] += critic_updates

    def _gather(self) -> dict[str, float]:
        """Means since the last log step (critic numbers per critic update, generator per step)."""
        keys = list(self._sums)
        host = torch.stack([self._sums[k].float() for k in keys]).tolist()
        sums = dict(zip(keys, host))
        n_critic = max(sums.pop("_critic_updates", 1.0), 1.0)
        generator_keys = ("loss_generator", "generator_adv", "class_loss_generator")
        values = {k: v / (self._count if k in generator_keys else n_critic) for k, v in sums.items()}
        self._sums, self._count = {}, 0
        return values

    def diagnostics(self) -> dict[str, float]:
        """Mean critic input-gradient norm on interpolates and the method's own stats.

        Runs on its own random stream (fork_rng) so that logging never changes
        the training trajectory: a resumed run replays exactly.
        """
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            real, _ = self.data.sample(min(self.cfg.train.batch_size, 256), None)
            fake = self.generate(self.latent(real.shape[0]), self._fake_labels(real.shape[0]))
            norms = input_gradient_norm(self.critic, interpolates(real, fake))
            stats = {"grad_norm": norms.mean(), **self.lipschitz.stats(self.critic)}
            stats.update(self._class_accuracies())
        return dict(zip(stats, torch.stack([v.float() for v in stats.values()]).tolist()))

    @torch.no_grad()
    def _class_accuracies(self) -> dict[str, torch.Tensor]:
        """AC-WGAN: how often the critic's class head names the label of real and generated images."""
        if not getattr(self.critic, "num_classes", 0):
            return {}
        n = min(self.cfg.train.batch_size, 256)
        real, labels = self.data.sample(n, None)
        requested = self._fake_labels(n)
        fake = self.generate(self.latent(n), requested)
        out = {}
        for key, x, y in (("class_acc_real", real, labels), ("class_acc_fake", fake, requested)):
            if y is not None:
                out[key] = (self.critic.score_and_logits(x)[1].argmax(1) == y).float().mean()
        return out

    # ---- the loop -----------------------------------------------------------------
    def fit(self, steps: int | None = None) -> None:
        """Train until ``steps`` generator iterations (default ``train.steps``) or ``train.max_minutes``."""
        if self.run_dir is None:
            raise WganError("Trainer.fit needs a run folder (Trainer(cfg, run_dir))")
        steps = steps or self.cfg.train.steps
        t = self.cfg.train
        monitor = Monitor(self.run_dir, steps, self.step, progress=self.progress, sinks=self._extra_sinks())
        self._last_log = (time.time(), self.step)
        # max_minutes counts training time in this session: evaluations and start-up do not count.
        limit = self.elapsed + 60 * t.max_minutes if t.max_minutes else float("inf")
        try:
            if self.step == 0:
                self.artifacts.snapshot(self, monitor)
            while self.step < steps and self._training_seconds() < limit:
                self.train_step()
                monitor.advance()
                if self.step % t.log_every == 0:
                    self._log(monitor)
                if self.step % t.sample_every == 0:
                    self.artifacts.snapshot(self, monitor)
                if self.step % t.checkpoint_every == 0:
                    self.save()
                if t.eval_every and self.step % t.eval_every == 0:
                    self._evaluate(monitor)
            if self._count:  # the last steps since the previous log step
                self._log(monitor)
                self.artifacts.snapshot(self, monitor)
            self.save()
            self.artifacts.finish(self)
        except KeyboardInterrupt:
            self.save()
            raise
        finally:
            monitor.close()

    def _evaluate(self, monitor: Monitor) -> dict:
        """Measure the run now (outside the hot loop), log it, and keep the best checkpoint."""
        from .evaluation import evaluate  # heavy imports only when evaluation is asked for

        started = time.time()
        results = evaluate(self, n=self.cfg.train.eval_n)
        # Evaluation time is not training time: move the clock of the current log interval on.
        self._last_log = (self._last_log[0] + time.time() - started, self._last_log[1])
        scalars = {f"eval/{k}": float(v) for k, v in results.items()
                   if isinstance(v, (int, float)) and k not in ("step", "n", "n_reference")}
        monitor.log(self.step, scalars)
        key, lower_is_better = best_metric_key(self.cfg.train.best_metric, results)
        if key is not None:
            value = float(results[key])
            best = self._best
            if best is None or (value < best["value"] if lower_is_better else value > best["value"]):
                self._best = {"metric": key, "value": value, "step": self.step}
                save_checkpoint(self.state_dict(), self.run_dir / "checkpoints" / "best.pt")
                (self.run_dir / "checkpoints" / "best.json").write_text(json.dumps(self._best) + "\n")
        return results

    def _training_seconds(self) -> float:
        return self.elapsed + time.time() - self._last_log[0]

    def _extra_sinks(self) -> list:
        if self.cfg.train.wandb == "off":
            return []
        from .wandb_log import WandbLogger  # optional dependency

        logger = WandbLogger(self.run_dir, self.cfg.to_dict(), mode=self.cfg.train.wandb)
        logger.watch(self.generator, self.critic)
        return [logger]

    def _log(self, monitor: Monitor) -> None:
        """Gather the running sums (the one host synchronisation), check them, and record them."""
        values = self._gather()
        if not finite(values):
            bad = ", ".join(k for k, v in values.items() if not math.isfinite(v))
            raise TrainingDiverged(
                f"training diverged at step {self.step}: non-finite {bad}; the last good checkpoint "
                f"is kept in {self.run_dir / 'checkpoints'} (try a lower --lr)")
        now, (last_time, last_step) = time.time(), self._last_log
        rate = (self.step - last_step) / max(now - last_time, 1e-9)
        self.elapsed += now - last_time
        self._last_log = (now, self.step)
        values.update(self.diagnostics())
        values.update(it_per_s=rate, img_per_s=rate * self.cfg.train.batch_size, train_seconds=self.elapsed)
        if hasattr(self.data, "__len__"):  # an epoch as the seeds count it: len(data) / batch generator steps
            values["epoch_seconds"] = len(self.data) / max(values["img_per_s"], 1e-9)
        monitor.log(self.step, values)

    # ---- state ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        state = {
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_c": self.opt_c.state_dict(),
            "schedulers": [s.state_dict() for s in self.schedulers],
            "step": self.step,
            "elapsed": self.elapsed,
            "config": self.cfg.to_dict(),
            "fixed_z": self.fixed_z.cpu(),
            "rng_cpu": torch.get_rng_state(),
        }
        if self.generator_ema is not None:
            state["generator_ema"] = self.generator_ema.state_dict()
        if self.device.type == "cuda":
            state["rng_cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_c.load_state_dict(state["opt_c"])
        for scheduler, saved in zip(self.schedulers, state.get("schedulers", [])):
            scheduler.load_state_dict(saved)
        if self.generator_ema is not None and "generator_ema" in state:
            self.generator_ema.load_state_dict(state["generator_ema"])
        self.step, self.elapsed = int(state["step"]), float(state.get("elapsed", 0.0))
        self._captured = None  # the optimisers hold new state tensors: capture again
        self.fixed_z = state["fixed_z"].to(self.device)
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and "rng_cuda" in state:
            torch.cuda.set_rng_state(state["rng_cuda"], self.device)

    def save(self) -> None:
        """Write checkpoints/last.pt atomically, unless the weights are no longer finite."""
        params = [p.detach().float().sum() for p in self.generator.parameters()]
        if not torch.isfinite(torch.stack(params).sum()):
            warnings.warn("generator weights are not finite: checkpoint not written", stacklevel=2)
            return
        save_checkpoint(self.state_dict(), self.run_dir / LAST_CHECKPOINT)

    def _warn_about_choices(self) -> None:
        penalised = any(m in ("gp", "lp") for m in self.cfg.loss.lipschitz.split("+"))
        if penalised and has_batchnorm(self.critic):
            warnings.warn(
                "the critic uses BatchNorm with a gradient penalty: the penalty is defined per sample, "
                "and BatchNorm couples the samples of a batch (Gulrajani et al. 2017, section 4); "
                "set model.critic_norm=layer or none", stacklevel=3)

    @classmethod
    def resume(cls, run_dir: Path, progress: bool = True) -> "Trainer":
        """Rebuild a trainer from a run folder's config and last checkpoint."""
        run_dir = check_run_dir(run_dir)
        state = load_checkpoint(run_dir / LAST_CHECKPOINT)
        cfg = Config.load(run_dir / CONFIG_FILE)
        trainer = cls(cfg, progress=progress)
        trainer.attach_run_dir(run_dir, write_config=False)
        try:
            trainer.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError) as e:
            first = str(e).strip().splitlines()[0]
            raise WganError(f"checkpoint in {run_dir} does not match its config.yaml ({first})") from None
        return trainer


def _on_for_cpu(mode: str, device: torch.device) -> bool:
    """An ``auto|on|off`` speed option whose ``auto`` means: on a CPU only."""
    return mode == "on" or (mode == "auto" and device.type == "cpu")


def _use_channels_last(mode: str, device: torch.device, data) -> bool:
    return data.kind == "image" and _on_for_cpu(mode, device)


def _add_into(totals: dict[str, torch.Tensor], values: dict[str, torch.Tensor], in_place: bool = False) -> None:
    """``totals[k] += values[k]`` for every key, starting from a copy of the first value seen."""
    for key, value in values.items():
        if key not in totals:
            totals[key] = value.detach().clone().float()
        elif in_place:
            totals[key] += value
        else:
            totals[key] = totals[key] + value
