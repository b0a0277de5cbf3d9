"""Matplotlib figures (PNG) for training runs: loss and Wasserstein curves,
2-D scatter snapshots, the critic landscape and the discriminator feature
space. Each function takes plain data (records, arrays, callables), writes a
PNG at the path it is given and returns that path."""

from .curves import plot_losses, plot_wasserstein
from .toy import plot_critic_landscape, plot_feature_space, plot_scatter_snapshots

__all__ = [
    "plot_losses",
    "plot_wasserstein",
    "plot_scatter_snapshots",
    "plot_critic_landscape",
    "plot_feature_space",
]
