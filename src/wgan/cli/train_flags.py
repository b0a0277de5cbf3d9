"""``wgan train``'s flags that set config keys: one table, whose help texts read the registries
when ``--help`` is shown (a newly registered choice is offered at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..config_layers import Setting, overrides_as_settings


@dataclass(frozen=True)
class Flag:
    """A ``wgan train`` flag: the config keys it sets, and what ``--help`` says of it."""

    name: str  # "--image-size"
    keys: tuple[str, ...]
    help: str | Callable[[], str]  # a function: made when --help is shown, from the registries as they are then
    type: type | None = None  # click's type for the value (None: text)
    is_flag: bool = False  # a switch that takes no value

    @property
    def param(self) -> str:
        """The Python name click gives the flag's value: ``--image-size`` -> ``image_size``."""
        return self.name.lstrip("-").replace("-", "_")


def train_flags() -> tuple[Flag, ...]:
    """Every flag of ``wgan train`` that sets config keys: adding one is one entry here.

    The lists of choices in the help come from the registries (objectives, Lipschitz methods,
    networks), so a newly registered one is offered at once.
    """
    from ..config import DEVICE_HELP
    from ..data.sources import builtin_names, describe_paths
    from ..data.toy import TOY_SETS
    from ..methods.lipschitz import LIPSCHITZ_METHODS
    from ..methods.objectives import OBJECTIVES
    from ..models import GENERATORS

    return (
        Flag("--data", ("data.name",), lambda: f"Built-in data set name ({', '.join([*TOY_SETS, *builtin_names()])}) "
             f"or a path: {describe_paths()}."),
        Flag("--image-size", ("data.image_size",), "Images: resize and centre-crop to this size.", int),
        Flag("--classes", ("data.classes",), "Keep only these classes, comma-separated (e.g. 7 or 0,1,2)."),
        Flag("--skip-bad", ("data.skip_bad",), "Image folders: skip unreadable files instead of failing.",
             is_flag=True),
        Flag("--objective", ("loss.objective",), lambda: f"The loss: {OBJECTIVES.help(lambda c: c.summary)}."),
        Flag("--lipschitz", ("loss.lipschitz",),
             lambda: f"How the critic is kept Lipschitz: {LIPSCHITZ_METHODS.help()}; combine with + (sn+gp)."),
        Flag("--model", ("model.generator", "model.critic"), lambda: "Network family for both generator and "
             f"critic: {GENERATORS.help()}."),
        Flag("--steps", ("train.steps",), "Generator iterations to train for (with --resume: the new total).", int),
        Flag("--batch-size", ("train.batch_size",), "Batch size (the global batch under torchrun).", int),
        Flag("--n-critic", ("train.n_critic",), "Critic iterations per generator iteration.", int),
        Flag("--lr", ("optim.lr_g", "optim.lr_c"), "Learning rate of both generator and critic.", float),
        Flag("--seed", ("train.seed",), "Random seed (0 to 2**63-1).", int),
        Flag("--device", ("train.device",), f"{DEVICE_HELP}."),
        Flag("--name", ("name",), "Suffix for the run folder name."),
        Flag("--wandb", ("train.wandb",), "Also log to Weights & Biases: off, offline (works without network) or "
             "online (needs `pip install wandb`)."),
    )


def settings_from(flags: dict[str, object], overrides=()) -> list[Setting]:
    """The flags that were given (``{"--steps": 9}``, value not None), then each ``--set KEY=VALUE``, as
    settings in order."""
    keys = {flag.name: flag.keys for flag in train_flags()}
    out = []
    for flag, value in flags.items():
        if value is None:
            continue
        if flag == "--classes":
            value = f"[{value}]"
        out += [Setting(flag, key, value) for key in keys[flag]]
    return out + overrides_as_settings(overrides)
