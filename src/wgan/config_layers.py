"""Putting a run's config together from its sources, and what a resumed run may change.

A new run's config is built in layers, each over the one before:

1. the defaults of :class:`~wgan.config.Config`;
2. ``--config FILE`` (a run's ``config.yaml`` or a hand-written partial one);
3. ``--preset NAME`` (``wgan-gp-mnist`` when neither a file nor a preset is given);
4. the flags (``--data``, ``--lr``, ...);
5. ``--set KEY=VALUE``, in the order given.

A resumed run starts from its own ``config.yaml``; flags and ``--set`` may then
change only what does not change what is being trained (:data:`RESUMABLE`),
and every change is recorded in the run's config with the step it took effect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config, read_record
from .errors import WganError
from .presets import PRESETS, preset_config
from .validation import validate

DEFAULT_PRESET = "wgan-gp-mnist"

# What a resumed run may change: when and where it trains and what it writes, never what it learns.
RESUMABLE = (
    "train.steps", "train.device", "train.threads", "train.precision", "train.cuda_graph", "train.channels_last",
    "train.matmul_conv", "train.max_minutes", "train.log_every", "train.sample_every", "train.checkpoint_every",
    "train.keep_checkpoints", "train.eval_every", "train.eval_n", "train.best_metric", "train.wandb",
    "train.check_finite", "train.ema_standing_batches", "train.fused_resample", "train.stop_signals",
)


@dataclass(frozen=True)
class Setting:
    source: str  # the flag or "--set KEY=VALUE" that asked for it, for messages
    key: str
    value: object


def overrides_as_settings(overrides=()) -> list[Setting]:
    """Each ``--set KEY=VALUE`` as a setting, in order."""
    out = []
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise WganError(f"--set expects KEY=VALUE, got {item!r}")
        out.append(Setting(f"--set {item}", key.strip(), value))
    return out


def recipe_for(settings: list[Setting]) -> str | None:
    """The colour recipe for the data the settings name (``--data PATH`` of colour images at 32x32 or
    64x64, as the images or ``--image-size`` make them); None for anything else."""
    from .data.sources import peek
    from .presets import COLOR_RECIPES

    given = {s.key: s.value for s in settings}
    if "data.name" not in given:
        return None
    size = given.get("data.image_size")
    found = peek(str(given["data.name"]), int(size) if size not in (None, "", "None", "null") else None)
    channels = given.get("data.channels")
    if found is None or (channels is not None and str(channels) == "1") or found[0] != 3:
        return None
    return COLOR_RECIPES.get(found[1])


def build_config(config_file: str | Path | None, preset: str | None, settings: list[Setting]) -> Config:
    """A new run's config, layered as the module says; validated. With neither a file nor a preset,
    colour images of the user's own get the colour recipe for their size (:func:`recipe_for`)."""
    if config_file is None:
        cfg = preset_config(preset or recipe_for(settings) or DEFAULT_PRESET)
    else:
        cfg = Config.load(_existing(config_file))
        if preset is not None:
            preset_config(preset)  # the standard error for an unknown name
            cfg.update(PRESETS[preset].settings)
            cfg.preset = preset
    keys = {s.key for s in settings}
    for s in settings:
        cfg.set(s.key, s.value)
    if "loss.lipschitz" in keys and not keys & {"optim.lr_g", "optim.lr_c", "optim.name"}:
        # A new method brings its own paper's optimiser unless one was asked for explicitly.
        cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_c, cfg.optim.beta1, cfg.optim.beta2 = "auto", None, None, None, None
    return validate(cfg)


def _existing(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise WganError(f"--config {path}: no such file; give a run's config.yaml or a YAML file of config sections")
    return path


def resume_changes(saved: Config, settings: list[Setting], allow_batch_change: bool = False
                   ) -> dict[str, tuple[object, object]]:
    """``{key: (old, new)}`` of what ``settings`` change in a resumed run's ``saved`` config.

    Anything outside :data:`RESUMABLE` is refused with one line naming the flag that asked
    for it; ``train.batch_size`` only with ``allow_batch_change``.
    """
    before = validate(Config.from_dict(saved.to_dict()))  # its components' options all filled in
    trial = Config.from_dict(before.to_dict())
    for s in settings:
        trial.set(s.key, s.value)
    validate(trial)
    keys = dict.fromkeys(before.keys() + trial.keys())
    changes = {key: (before.get(key), trial.get(key)) for key in keys if before.get(key) != trial.get(key)}
    for key in changes:
        if key in RESUMABLE or (key == "train.batch_size" and allow_batch_change):
            continue
        source = next((s.source for s in reversed(settings) if s.key == key), key)
        old, new = changes[key]
        hint = (" (pass --allow-batch-change to change the global batch anyway)" if key == "train.batch_size"
                else "")
        raise WganError(f"{source} would change {key} from {old!r} to {new!r}, which a resumed run cannot "
                        f"change{hint}; on --resume only these may change: {', '.join(RESUMABLE)}. For a new "
                        "run from this one, use --config RUN/config.yaml")
    return changes


def record_changes(cfg: Config, path: Path, changes: dict, step: int) -> None:
    """Apply ``changes`` to ``cfg`` and rewrite ``config.yaml`` with them added to its ``history``."""
    for key, (_, new) in changes.items():
        cfg.set(key, new)
    record = read_record(path)
    history = list(record.get("history") or [])
    history.append({"step": int(step), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "changes": {k: [_plain(old), _plain(new)] for k, (old, new) in changes.items()}})
    record["history"] = history
    cfg.save(path, record)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def preset_notes(cfg: Config, preset_given: bool, config_given: bool, data_given: bool) -> tuple[str | None, tuple]:
    """What a new run says before it starts: the recipe picked for the user's data when they chose none
    (a line, or None) and the preset's warnings; a preset whose data this machine cannot ship, given
    no ``--data`` and not found, stops here with its hint (one line)."""
    recipe = None
    if not preset_given and not config_given and cfg.preset != DEFAULT_PRESET:
        recipe = f"recipe: {cfg.preset} ({PRESETS.get(cfg.preset).description}); --preset NAME picks another"
    if cfg.preset not in PRESETS or (config_given and not preset_given):
        return recipe, ()
    preset = PRESETS.get(cfg.preset)
    if preset.data_hint and not data_given and not Path(cfg.data.name).exists():
        raise WganError(preset.data_hint)
    return recipe, preset.warnings
