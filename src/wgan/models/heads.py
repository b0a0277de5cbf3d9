"""Class conditioning, written once for every image family.

A generator is a label input followed by a network: :class:`LabelInput` turns
``(z, labels)`` into the vector the network starts from, or (``cbn``) the
network's BatchNorm layers take the labels (conditional BatchNorm, as the
WGAN-GP paper's conditional CIFAR-10 ResNet and cGAN-PD). A critic is a body
whose features feed a linear score head and either a class head on the same
features (AC-WGAN, ``model.critic_conditional=ac``) or a class projection
(Miyato and Koyama 2018, ``projection``) (:class:`Critic`).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WganError
from ..registry import Registry


class ConditionalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm whose scale and shift are chosen by the class: gamma[y] * x_hat + beta[y].

    The statistics are shared by all classes (one BatchNorm without its own affine); each class
    has a row of scales (starting at 1) and shifts (starting at 0), as in de Vries et al. 2017 and
    the WGAN-GP paper's conditional generator (tflib's cond_batchnorm).
    """

    takes_labels = True

    def __init__(self, channels: int, num_classes: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__(channels, eps=eps, momentum=momentum, affine=False)
        self.num_classes = num_classes
        self.class_weight = nn.Parameter(torch.ones(num_classes, channels))
        self.class_bias = nn.Parameter(torch.zeros(num_classes, channels))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise WganError(f"this generator is class-conditional: pass labels in 0..{self.num_classes - 1}")
        h = super().forward(x)
        shape = (x.shape[0], -1, 1, 1)
        return h * self.class_weight[labels].view(shape).to(h.dtype) + self.class_bias[labels].view(shape).to(h.dtype)


class LabelledSequential(nn.Sequential):
    """``nn.Sequential`` that hands the labels to the layers that take them (``takes_labels``)."""

    takes_labels = True

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        for module in self:
            x = with_labels(module, x, labels)
        return x


def with_labels(module: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """``module(x, labels)`` for a layer that takes labels, ``module(x)`` for any other."""
    return module(x, labels) if getattr(module, "takes_labels", False) else module(x)


def conditional_batchnorm(net: nn.Module, num_classes: int) -> tuple[nn.Module, int]:
    """``net`` with every BatchNorm2d replaced by a :class:`ConditionalBatchNorm2d` (same statistics
    settings) and every ``nn.Sequential`` by a :class:`LabelledSequential`, and the number replaced.
    Blocks of other types pass labels to their own norms (``with_labels``)."""
    count = 0

    def convert(module: nn.Module) -> nn.Module:
        nonlocal count
        if isinstance(module, nn.BatchNorm2d) and not isinstance(module, ConditionalBatchNorm2d):
            count += 1
            return ConditionalBatchNorm2d(module.num_features, num_classes, module.eps, module.momentum)
        for name, child in module.named_children():
            setattr(module, name, convert(child))
        if type(module) is nn.Sequential:
            return LabelledSequential(*module)
        return module

    net = convert(net)
    return net, count


# How the generator takes a class (model.conditional): each name is a LabelInput subclass; and how the
# critic of a conditional run uses it (model.critic_conditional): each name adds its part to the critic.
CONDITIONING: Registry[type["LabelInput"]] = Registry("model.conditional")
CRITIC_CONDITIONING: Registry[Callable[["Critic", Callable[[int], nn.Module], int], None]] = Registry(
    "model.critic_conditional")


class LabelInput(nn.Module):
    """``(z, labels) -> h``, the generator's input vector; one subclass per ``model.conditional``."""

    labels_to_net = False  # the labels go to the network's conditional layers instead (cbn)

    def __init__(self, latent_dim: int, num_classes: int):
        super().__init__()
        self.num_classes, self.out_dim = num_classes, latent_dim

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, out_dim={self.out_dim}"

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.flatten(1)  # (B, nz) or DCGAN-style (B, nz, 1, 1)
        if not self.num_classes:
            return z
        if labels is None:
            raise WganError(f"this generator is class-conditional: pass labels in 0..{self.num_classes - 1}")
        return self.combine(z, labels.reshape(-1).long())  # (B,) or Keras-style (B, 1)

    def combine(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return z


@CONDITIONING.register("none")
class NoLabels(LabelInput):
    """unconditional: ``h = z``, labels ignored"""

    def __init__(self, latent_dim: int, num_classes: int = 0):
        super().__init__(latent_dim, 0)


@CONDITIONING.register("embed_mul")
class EmbeddingTimesNoise(LabelInput):
    """the noise times a class embedding (the AC-WGAN MNIST tutorial): ``h = z * E[label]``"""

    def __init__(self, latent_dim: int, num_classes: int):
        super().__init__(latent_dim, num_classes)
        self.embed = nn.Embedding(num_classes, latent_dim)

    def combine(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return z * self.embed(labels)


@CONDITIONING.register("concat")
class OneHotBesideNoise(LabelInput):
    """the noise next to a one-hot class: ``h = [z, one_hot(label)]``"""

    def __init__(self, latent_dim: int, num_classes: int):
        super().__init__(latent_dim, num_classes)
        self.out_dim = latent_dim + num_classes

    def combine(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)


@CONDITIONING.register("cbn")
class ClassBatchNorm(LabelInput):
    """class-conditional BatchNorm layers: ``h = z``, the labels go to the network's BatchNorm layers"""

    labels_to_net = True


def build_label_input(mode: str, latent_dim: int, num_classes: int) -> LabelInput:
    """The generator's label input for ``model.conditional=mode``; without classes there is nothing to
    condition on, and the generator is unconditional."""
    return CONDITIONING.get(mode if num_classes > 0 else "none")(latent_dim, num_classes)


class Generator(nn.Module):
    """``(z, labels=None) -> x``: a :class:`LabelInput` then ``net`` (which takes the labels too
    when its BatchNorm layers are conditional, ``cbn``)."""

    def __init__(self, label_input: LabelInput, net: nn.Module):
        super().__init__()
        self.label_input = label_input
        if label_input.labels_to_net:
            net, count = conditional_batchnorm(net, label_input.num_classes)
            if count == 0:
                raise WganError("model.conditional=cbn makes the generator's BatchNorm layers class-conditional, "
                                "and this generator has none; use concat or embed_mul")
        self.net = net

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on; 0 when it ignores labels."""
        return self.label_input.num_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.label_input(z, labels)
        if not self.label_input.labels_to_net:
            return self.net(h)
        return with_labels(self.net, h, labels.reshape(-1).long())


class Critic(nn.Module):
    """A critic body whose features feed a score head and, with classes, a class term.

    ``head(n)`` builds a layer mapping the body's features to ``n`` outputs (a
    Linear on flattened features, or a convolution over the whole last map); it is
    called once for the score and, for AC-WGAN (``conditional="ac"``), once for the
    class logits. With ``conditional="projection"`` (Miyato and Koyama 2018) the
    score of ``(x, y)`` is ``head(h) + <E[y], h>``: an inner product of the
    flattened features with a learned class embedding, so the critic judges
    whether ``x`` is a good image *of class y*.
    """

    def __init__(self, body: nn.Module, head: Callable[[int], nn.Module], num_classes: int = 0,
                 conditional: str = "ac"):
        super().__init__()
        add_class_part = CRITIC_CONDITIONING.get(conditional)
        self.body = body
        self.score_head = head(1)
        self.num_classes = num_classes
        self.conditional = conditional if num_classes > 0 else "none"
        self.class_head: nn.Module | None = None  # ac
        self.embed: nn.Module | None = None  # projection
        if num_classes > 0:
            add_class_part(self, head, num_classes)

    def extra_repr(self) -> str:
        return f"conditional={self.conditional}, num_classes={self.num_classes}"

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def score_and_logits(self, x: torch.Tensor, labels: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(score (B,), logits (B, K))`` from one pass of the body; logits None without a class head."""
        h = self.body(x)
        score = self._score(h, labels)
        if self.class_head is None:
            return score, None
        return score, _at_least_fp32(self.class_head(h).reshape(h.shape[0], self.num_classes))

    def _score(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        score = _at_least_fp32(self.score_head(h).reshape(h.shape[0]))
        if self.embed is None:
            return score
        if labels is None:
            raise WganError("this critic projects class labels (model.critic_conditional=projection): "
                            f"pass labels in 0..{self.num_classes - 1}")
        projection = (self.embed(labels.reshape(-1).long()) * h.flatten(1)).sum(1)
        return score + _at_least_fp32(projection)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None, return_logits: bool = False):
        """The score ``(B,)``; with ``return_logits`` the pair of :meth:`score_and_logits`.

        ``return_logits`` exists for wrappers such as DistributedDataParallel,
        which only synchronise gradients through ``forward``. An AC-WGAN critic
        predicts the labels, so it ignores them here; a projection critic needs them.
        """
        if return_logits:
            return self.score_and_logits(x, labels)
        return self._score(self.body(x), labels)


@CRITIC_CONDITIONING.register("ac")
def class_head(critic: Critic, head: Callable[[int], nn.Module], num_classes: int) -> None:
    """a class head (AC-WGAN)"""
    critic.class_head = head(num_classes)


@CRITIC_CONDITIONING.register("projection")
def class_projection(critic: Critic, head: Callable[[int], nn.Module], num_classes: int) -> None:
    """a projection of the features on a class embedding (Miyato and Koyama 2018)"""
    critic.embed = nn.Embedding(num_classes, _feature_count(critic.score_head))
    nn.init.xavier_uniform_(critic.embed.weight)  # as the projection discriminator's code


def _feature_count(head: nn.Module) -> int:
    """The number of features a score head reads: a Linear's inputs, or a convolution's whole window."""
    if isinstance(head, nn.Linear):
        return head.in_features
    if isinstance(head, nn.Conv2d):
        return head.in_channels * head.kernel_size[0] * head.kernel_size[1]
    raise WganError(f"a projection critic needs a Linear or Conv2d score head, not {type(head).__name__}")


def _at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """Under bf16 autocast the heads give bfloat16, too coarse to sum losses in; float64 stays float64."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()
