"""Class conditioning, written once for every image family.

A generator is a label input followed by a network: :class:`LabelInput` turns
``(z, labels)`` into the vector the network starts from. A critic is a body
whose features feed a linear score head and, for AC-WGAN, a class head on the
same features (:class:`Critic`).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WganError, choice_error

CONDITIONING = ("none", "embed_mul", "concat")


class LabelInput(nn.Module):
    """``(z, labels) -> h``, the generator's input vector.

    - ``none`` (or no classes): ``h = z``; labels are ignored.
    - ``embed_mul`` (the AC-WGAN MNIST tutorial): ``h = z * E[label]`` with a learned ``Embedding(K, latent_dim)``.
    - ``concat``: ``h = [z, one_hot(label)]``.
    """

    def __init__(self, mode: str, latent_dim: int, num_classes: int):
        super().__init__()
        if mode not in CONDITIONING:
            raise choice_error("conditioning", mode, CONDITIONING)
        # Without classes there is nothing to condition on: the model is unconditional.
        self.mode = mode if num_classes > 0 else "none"
        self.num_classes = num_classes if self.mode != "none" else 0
        self.embed = nn.Embedding(num_classes, latent_dim) if self.mode == "embed_mul" else None
        self.out_dim = latent_dim + self.num_classes if self.mode == "concat" else latent_dim

    def extra_repr(self) -> str:
        return f"mode={self.mode}, num_classes={self.num_classes}, out_dim={self.out_dim}"

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.flatten(1)  # (B, nz) or DCGAN-style (B, nz, 1, 1)
        if self.mode == "none":
            return z
        if labels is None:
            raise WganError(f"this generator is class-conditional: pass labels in 0..{self.num_classes - 1}")
        labels = labels.reshape(-1).long()  # (B,) or Keras-style (B, 1)
        if self.mode == "embed_mul":
            return z * self.embed(labels)
        return torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)


class Generator(nn.Module):
    """``(z, labels=None) -> x``: a :class:`LabelInput` then ``net``."""

    def __init__(self, label_input: LabelInput, net: nn.Module):
        super().__init__()
        self.label_input = label_input
        self.net = net

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on; 0 when it ignores labels."""
        return self.label_input.num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label_input(z, labels))


class Critic(nn.Module):
    """A critic body shared by a score head and, with classes (AC-WGAN), a class head.

    ``head(n)`` builds a layer mapping the body's features to ``n`` outputs (a
    Linear on flattened features, or a convolution over the last map); it is
    called once for the score and once for the class logits.
    """

    def __init__(self, body: nn.Module, head: Callable[[int], nn.Module], num_classes: int = 0):
        super().__init__()
        self.body = body
        self.score_head = head(1)
        self.num_classes = num_classes
        self.class_head = head(num_classes) if num_classes > 0 else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def score_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(score (B,), logits (B, K))`` from one pass of the body; logits None without classes."""
        h = self.body(x)
        score = _at_least_fp32(self.score_head(h).reshape(h.shape[0]))
        if self.class_head is None:
            return score, None
        return score, _at_least_fp32(self.class_head(h).reshape(h.shape[0], self.num_classes))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, return_logits: bool = False):
        """The score ``(B,)``; with ``return_logits`` the pair of :meth:`score_and_logits`.

        ``return_logits`` exists for wrappers such as DistributedDataParallel,
        which only synchronise gradients through ``forward``. Labels are accepted
        for a uniform interface: an AC-WGAN critic predicts them, it is not fed them.
        """
        if return_logits:
            return self.score_and_logits(x)
        h = self.body(x)
        return _at_least_fp32(self.score_head(h).reshape(h.shape[0]))


def _at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """Under bf16 autocast the heads give bfloat16, too coarse to sum losses in; float64 stays float64."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()
