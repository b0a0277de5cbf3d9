"""2-D runs: generated point clouds over training, and the figures of the quadratic-curve GAN tutorial and WGAN-GP's Fig. 1."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from ...data.toy import reference_points
from ...errors import WganError, first_line
from ...files import write_npz
from ...plots.curves import plot_losses, plot_wasserstein
from ...plots.toy import plot_critic_landscape, plot_feature_space, plot_scatter_snapshots
from ...run_folder import RunFolder, read_metrics

N_PLOT = 2000  # points per cloud in the figures


class ToyArtifacts:
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.folder = RunFolder(run_dir)

    def snapshot(self, handle, monitor=None) -> None:
        """The fixed-noise generator output in data coordinates, ``samples/step_NNNNNNN.npz``."""
        points = handle.decode(handle.fixed_z).numpy()
        arrays = {"samples": points, "step": np.asarray(handle.step)}
        write_npz(self.folder.points(handle.step), arrays)

    def snapshots(self) -> list[tuple[int, np.ndarray]]:
        return [read_snapshot(path) for path in self.folder.point_snapshots()]

    def finish(self, handle, training=None) -> list[Path]:
        """The curves and point clouds; with ``training`` (the run's Algorithm) also the critic's views."""
        records = read_metrics(self.folder.metrics)
        real = reference_points(handle.space.name, N_PLOT, seed=0).numpy()
        fake = handle.decode(handle.fixed_z[:N_PLOT]).numpy()
        written = [
            plot_losses(records, self.folder.plot("losses")),
            plot_wasserstein(records, self.folder.plot("wasserstein")),
            plot_scatter_snapshots(real, self.snapshots(), self.folder.plot("scatter")),
        ]
        if training is None:
            return written
        critic, space = training.critic, handle.space
        written.append(plot_critic_landscape(_critic_in_data_space(critic, space), real, fake,
                                             self.folder.plot("critic"),
                                             grad_fn=_critic_grad_norm_in_data_space(critic, space)))
        if getattr(critic, "features", None) is not None and handle.info.get("model", {}).get("feature_dim") == 2:
            before, after = feature_views(training, handle)
            written.append(plot_feature_space(before, after, self.folder.plot("features")))
        return written


def read_snapshot(path: Path) -> tuple[int, np.ndarray]:
    """``(step, points)`` of a ``samples/step_*.npz``; anything else there is a clear error."""
    try:
        with np.load(path, allow_pickle=False) as f:
            step, points = int(f["step"]), np.asarray(f["samples"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        raise WganError(f"{path} is not a sample snapshot of this toolkit (an .npz with 'step' and 'samples' "
                        f"(N, 2) numbers): {first_line(e, 120)}; remove it to redraw the plots") from None
    if points.ndim != 2 or points.shape[1] != 2:
        raise WganError(f"{path}: 'samples' should be (N, 2) points, got shape {points.shape}; remove it")
    return step, points


def _critic_in_data_space(critic, space):
    """Critic value at points given in data coordinates (what the figure's axes show)."""

    @torch.no_grad()
    def fn(points: np.ndarray) -> np.ndarray:
        x = space.from_data(torch.as_tensor(points, dtype=_dtype(critic), device=_device(critic)))
        return critic(x).float().cpu().numpy()

    return fn


def _critic_grad_norm_in_data_space(critic, space):
    """|grad_x C| with respect to data coordinates, by autograd (exact, unlike finite differences)."""

    def fn(points: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(points, dtype=_dtype(critic), device=_device(critic)).requires_grad_(True)
        scores = critic(space.from_data(x))
        (grad,) = torch.autograd.grad(scores.sum(), x)
        return grad.norm(dim=1).detach().float().cpu().numpy()

    return fn


def _device(module) -> torch.device:
    return next(module.parameters()).device


def _dtype(module) -> torch.dtype:
    return next(module.parameters()).dtype


def feature_views(training, handle, n: int = 1000) -> tuple[dict, dict]:
    """The quadratic tutorial's view: the critic's feature layer on real and generated points, before
    and after one generator update. The update is made on a copy, so the run itself is not changed."""
    generator = copy.deepcopy(training.generator)
    optimizer = type(training.opt_g)(generator.parameters(), **training.opt_g.defaults)
    optimizer.load_state_dict(training.opt_g.state_dict())
    critic, space = training.critic, handle.space
    z = handle.latent(n, generator=torch.Generator(device="cpu").manual_seed(0))
    real = space.from_data(reference_points(space.name, n, seed=1).to(_device(critic), _dtype(critic)))

    def view() -> dict:
        with torch.no_grad():
            return {"real": critic.features(real).float().cpu().numpy(),
                    "fake": critic.features(generator(z)).float().cpu().numpy()}

    before = view()
    critic.requires_grad_(False)
    loss = training.objective.generator_loss(critic(generator(z)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    critic.requires_grad_(True)
    return before, view()
