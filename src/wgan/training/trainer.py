"""A training run put together from its config: the pieces, their state, and the run folder.

:class:`Trainer` builds what a :class:`~wgan.config.Config` describes -- the
runtime (device, threads, process group), the data, the networks, the
objective, the Lipschitz method and the optimisers -- hands them to an
:class:`~wgan.training.algorithm.Algorithm` (the update), and runs it in a
:class:`~wgan.training.loop.TrainingLoop` with the callbacks that write the run
folder. The loop owns the run's :class:`~wgan.training.loop.TrainState` (step, training
time, best evaluation, last checkpoint); the Trainer assembles the pieces,
saves and restores them, and does no training arithmetic itself.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import warnings
from pathlib import Path

import torch

from .._version import __version__
from ..checkpoint import load_checkpoint
from ..config import Config
from ..data import build_dataset
from ..data.progress import shown as data_progress
from ..data.images import mean_colour
from ..errors import WganError, first_line
from ..handle import GeneratorHandle, generator_info
from ..latent import Latent
from ..methods.augment import augmentation_ops
from ..methods.lipschitz import build_lipschitz, penalises_inputs
from ..methods.objectives import build_objective
from ..models import build_critic, build_generator
from ..models.layers import OUTPUT_BIASES, has_batchnorm
from ..models.matmul_conv import use_matmul_convs
from ..models.resblocks import fuse_resampling
from ..precision import PRECISIONS, resolve_precision
from ..rng import SharedRandom, seeded
from ..run_folder import RunFolder, check_run_dir
from ..run_lock import RunLock
from ..validation import resolved
from .algorithm import Algorithm, Batches, ClassWeights, Losses, Networks, Optimisers
from .artifacts import build_artifacts
from .callbacks import Checkpoints, MetricsLog, SampleGrids
from .runner import IterationRunner
from .loop import Intervals, LoopParts, TrainerView, TrainingDiverged, TrainingLoop, TrainState
from .monitor import Monitor
from .optim import build_optimizers, build_schedulers
from .runtime import Runtime, local_batch, on_for_cpu
from .schedule import critic_iterations

N_FIXED_NOISE = {"toy": 2000, "image": 100}

__all__ = ["Trainer", "TrainingDiverged"]


def sync_batchnorm(generator, critic, runtime: Runtime):
    """``model.sync_bn``: BatchNorm over the global batch, which torch supports with nccl only."""
    if runtime.backend != "nccl":
        where = f"{runtime.world_size} process(es) on {runtime.device.type}" + (
            f" ({runtime.backend})" if runtime.backend else "")
        raise WganError(f"model.sync_bn=true synchronises BatchNorm between CUDA processes (nccl, under torchrun); "
                        f"this run is {where}: set model.sync_bn=false")
    convert = torch.nn.SyncBatchNorm.convert_sync_batchnorm
    return convert(generator), convert(critic)


def versions() -> dict[str, str]:
    """The versions a run was made with (recorded in its config.yaml)."""
    import platform

    return {"wgan": str(__version__), "torch": str(torch.__version__), "python": platform.python_version()}


class Trainer:
    def __init__(self, cfg: Config, run_dir: Path | None = None, progress: bool = True,
                 runtime: Runtime | None = None):
        cfg = resolved(cfg)  # a new config: the caller's is left as it was
        self.cfg, self.progress = cfg, progress
        t = cfg.train
        self.runtime = runtime or Runtime.start(t.device, t.threads)
        device = self.runtime.device
        torch.manual_seed(t.seed)  # the networks' initial weights (the same on every process)

        with data_progress(progress and self.runtime.main):  # listing, decoding: the bars of a large folder
            self.data = build_dataset(cfg.data, seed=t.seed).to(device)
        # Classes matter only when the generator is conditioned or the critic has a class head.
        self.num_classes = self.data.num_classes if cfg.model.conditional != "none" else 0
        augment_ops = augmentation_ops(t.augment)
        if augment_ops and self.data.kind != "image":
            raise WganError(f"train.augment={t.augment} transforms images; {cfg.data.name} is 2-D "
                            "points: use train.augment=none")
        lipschitz = build_lipschitz(cfg.loss)
        self.precision = resolve_precision(t.precision, device)
        self.channels_last = self.data.kind == "image" and on_for_cpu(t.channels_last, device)
        networks = self._networks(lipschitz)
        generator, critic = networks.generator, networks.critic
        opt_g, opt_c = build_optimizers(cfg, generator, critic, device)
        self.schedulers = build_schedulers(cfg, opt_g, opt_c)
        rt = self.runtime
        generator_batch = (local_batch(t.generator_batch_size, rt.world_size, "train.generator_batch_size")
                           if t.generator_batch_size else 0)
        self.algorithm = Algorithm(
            networks, Optimisers(opt_g, opt_c),
            Losses(build_objective(cfg.loss.objective), lipschitz,
                   ClassWeights(cfg.loss.class_weight_critic, cfg.loss.class_weight_critic_fake,
                                cfg.loss.class_weight_generator), t.critic_split, augment_ops),
            self.data, Latent(cfg.model.latent_dim, cfg.model.latent),
            SharedRandom(t.seed, device, rt.rank, rt.world_size), rt,
            Batches(local_batch(t.batch_size, rt.world_size), generator_batch, self.num_classes,
                    t.ema_standing_batches),
            precision=self.precision, channels_last=self.channels_last)
        self.runtime.broadcast_modules(self.algorithm.modules())
        if rt.distributed:  # dropout and the like: each process its own stream
            torch.manual_seed(t.seed + rt.rank)
        self._warn_about_choices()
        self.runner = IterationRunner(self.algorithm, t.cuda_graph, cfg.optim.decay)

        # The noise of the run's sample grids, drawn once and kept (a checkpoint holds it).
        self.fixed_z = self.algorithm.latent.draw(N_FIXED_NOISE[self.data.kind], generator=seeded(t.seed + 1),
                                                  device=device, dtype=self.algorithm.dtype).to(device)
        self.run_dir, self.artifacts = None, None
        self.state = TrainState()
        self.loop = TrainingLoop(LoopParts(
            rt, self.algorithm, self.runner, lambda step: critic_iterations(step, t), self.schedulers,
            Intervals(t.log_every, t.sample_every, t.checkpoint_every, t.eval_every), t.batch_size,
            max_minutes=t.max_minutes, check_finite=t.check_finite, stop_signals=tuple(t.stop_signals),
            evaluate=lambda: self.evaluate(t.eval_n), diverged=self.diverged), self.state)
        if run_dir is not None:
            self.attach_run_dir(run_dir)

    def _networks(self, lipschitz) -> Networks:
        """The generator, the critic (prepared for the Lipschitz method) and the weight average, built from
        the model config in this order (the seed fixes their initial weights), with the speed options
        applied, on the run's device and in its precision."""
        cfg, t, device = self.cfg, self.cfg.train, self.runtime.device
        generator = build_generator(cfg.model, self.data.shape, self.num_classes)
        OUTPUT_BIASES.get(cfg.model.output_bias)(generator, lambda: mean_colour(self.data))
        critic = build_critic(cfg.model, self.data.shape, self.num_classes)
        if on_for_cpu(t.matmul_conv, device):  # before anything holds the weights
            use_matmul_convs(generator)
            use_matmul_convs(critic)
        if on_for_cpu(t.fused_resample, device):
            fuse_resampling(generator)
            fuse_resampling(critic)
        if cfg.model.sync_bn:
            generator, critic = sync_batchnorm(generator, critic, self.runtime)
        dtype = PRECISIONS.get(self.precision).weights
        generator = generator.to(device, dtype)
        critic = lipschitz.prepare(critic).to(device, dtype)
        generator_ema = copy.deepcopy(generator).eval() if t.ema else None
        if self.channels_last:
            for net in (generator, critic, generator_ema):
                if net is not None:
                    net.to(memory_format=torch.channels_last)
        return Networks(generator, critic, generator_ema, t.ema)

    # ---- the pieces, by name ------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.runtime.device

    def attach_run_dir(self, run_dir: Path, write_config: bool = True) -> None:
        """Write into ``run_dir`` from now on (its resolved config.yaml first, on the main process)."""
        self.run_dir = Path(run_dir)
        if not self.runtime.main:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        folder = RunFolder(self.run_dir).make()
        if write_config:
            self.cfg.save(folder.config, {"versions": versions()})
        self.artifacts = build_artifacts(self.data.kind, self.run_dir)

    # ---- sampling -------------------------------------------------------------------------
    def handle(self, refresh: bool = True) -> GeneratorHandle:
        """The live generator as a :class:`~wgan.handle.GeneratorHandle`: its weight average when on,
        with BatchNorm statistics of its own (``refresh=False``: as they are now, for a quick look)."""
        if refresh:
            self.algorithm.refresh_average(self.state.step)
        return GeneratorHandle(self.algorithm.sampling_generator(), self.data.space, self.algorithm.latent,
                               self.num_classes, self.fixed_z, self.state.step, self.generator_info())

    def generator_info(self) -> dict:
        return generator_info(self.cfg.model, self.data.space, self.num_classes, self.state.step,
                              self.algorithm.generator_ema is not None, dataclasses.asdict(self.cfg.data))

    # ---- training -------------------------------------------------------------------------
    def train_step(self) -> None:
        """One generator iteration outside :meth:`fit`; :meth:`gather` reads its numbers."""
        self.loop.train_step()

    def gather(self) -> dict[str, float]:
        """Means of the logged numbers since the last log step (or gather), over all processes."""
        return self.loop.gather()

    def callbacks(self, total_steps: int) -> list:
        """The writing callbacks: the main process's only."""
        if not self.runtime.main:
            return []
        monitor = Monitor(self.run_dir, total_steps, self.state.step, progress=self.progress, sinks=self._extra_sinks(),
                          time_limit_s=60 * self.cfg.train.max_minutes)
        return [MetricsLog(monitor), Checkpoints(self.cfg.train.keep_checkpoints), SampleGrids(self.artifacts, monitor)]

    def fit(self, steps: int | None = None, also: list | tuple = ()) -> None:
        """Train until ``steps`` generator iterations (default ``train.steps``) or ``train.max_minutes``;
        ``also``: callbacks called after the writing ones (on the main process)."""
        if self.run_dir is None:
            raise WganError("Trainer.fit needs a run folder (Trainer(cfg, run_dir))")
        steps = steps or self.cfg.train.steps
        callbacks = self.callbacks(steps) + (list(also) if self.runtime.main else [])
        with RunLock(self.run_dir) if self.runtime.main else contextlib.nullcontext():
            self.loop.run_until(steps, callbacks, self.view())

    def view(self) -> TrainerView:
        """What the callbacks read of this run (its folder as it is now)."""
        return TrainerView(self.cfg, self.state, self.algorithm, self.run_dir, self.fixed_z, self.handle,
                           self.checkpoint, self.diverged)

    def _extra_sinks(self) -> list:
        if self.cfg.train.wandb == "off":
            return []
        from .wandb_log import WandbLogger  # optional dependency

        logger = WandbLogger(self.run_dir, self.cfg.to_dict(), mode=self.cfg.train.wandb)
        logger.watch(self.algorithm.generator, self.algorithm.critic)
        return [logger]

    def evaluate(self, n: int) -> dict | None:
        """Evaluation during training (train.eval_every), shared by all processes: the results on the
        main one (None on the others)."""
        from ..evaluation import evaluate  # heavy imports only when evaluation is asked for

        self.runtime.broadcast_modules(self.algorithm.modules(), buffers_only=True)
        return evaluate(self.handle(), n=n, runtime=self.runtime, run_dir=self.run_dir)

    # ---- divergence -----------------------------------------------------------------------
    def diverged(self, what: str) -> TrainingDiverged:
        if self.state.last_checkpoint is not None:
            path, step = self.state.last_checkpoint
            kept = f"the last good checkpoint, {path} (step {step}), is kept"
        else:
            kept = "no checkpoint had been written yet"
        return TrainingDiverged(f"training diverged at step {self.state.step}: {what}; {kept} (try a lower --lr)")

    # ---- state ----------------------------------------------------------------------------
    def checkpoint(self) -> dict:
        """Everything a checkpoint holds: the step's networks and optimisers, the state, the config."""
        self.algorithm.refresh_average(self.state.step)  # the saved average samples as the live one does
        return {
            **self.algorithm.state_dict(),
            **self.state.to_checkpoint(self.device),
            "schedulers": [s.state_dict() for s in self.schedulers],
            "config": self.cfg.to_dict(),
            "generator_info": self.generator_info(),
            "fixed_z": self.fixed_z.cpu(),
            "world_size": self.runtime.world_size,
            "batch_size": self.cfg.train.batch_size,
        }

    def load_checkpoint(self, state: dict, source: Path | None = None) -> None:
        """Continue from :meth:`checkpoint`'s record (read from ``source``, which becomes the last checkpoint)."""
        self.algorithm.load_state_dict(state)
        for scheduler, saved in zip(self.schedulers, state.get("schedulers", [])):
            scheduler.load_state_dict(saved)
        self.loop.restore(state, source)
        self.runner.reset()  # the optimisers hold new state tensors: capture again
        self.fixed_z = state["fixed_z"].to(self.device, self.algorithm.dtype)

    def save(self) -> None:
        """Write checkpoints/last.pt and its generator file now; refuse (as divergence) a non-finite state."""
        self.loop.save(lambda: Checkpoints.save(self.view()))

    def _warn_about_choices(self) -> None:
        if penalises_inputs(self.cfg.loss.lipschitz) and has_batchnorm(self.algorithm.critic) and self.runtime.main:
            warnings.warn(
                "the critic uses BatchNorm with a gradient penalty: the penalty is defined per sample, "
                "and BatchNorm couples the samples of a batch (Gulrajani et al. 2017, section 4); "
                "set model.critic_norm=layer or none", stacklevel=3)

    @classmethod
    def resume(cls, run_dir: Path, progress: bool = True, runtime: Runtime | None = None,
               checkpoint: str | int = "last", cfg: Config | None = None) -> "Trainer":
        """Rebuild a trainer from a run folder's config (or ``cfg``) and a checkpoint (last, best or a step)."""
        run_dir = check_run_dir(run_dir)
        pt, _ = RunFolder(run_dir).checkpoint_files(checkpoint)
        state = load_checkpoint(pt)
        cfg = cfg if cfg is not None else Config.load(RunFolder(run_dir).config)
        trainer = cls(cfg, progress=progress, runtime=runtime)
        trainer.attach_run_dir(run_dir, write_config=False)
        try:
            trainer.load_checkpoint(state, pt)
        except (RuntimeError, KeyError, ValueError) as e:
            raise WganError(f"checkpoint {pt} does not match its run's config.yaml ({first_line(e)})") from None
        saved_batch = state.get("batch_size", cfg.train.batch_size)
        if saved_batch != cfg.train.batch_size and trainer.runtime.main:
            warnings.warn(f"the global batch changes from {saved_batch} to {cfg.train.batch_size}: learning rates "
                          "and the critic schedule were tuned for the old one", stacklevel=2)
        return trainer
