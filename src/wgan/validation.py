"""The one validation step of a config, above the config and the registries it names.

:func:`validate` checks everything before any work starts: the values the config owns
(:meth:`~wgan.config.Config.check_values`), every name against its registry (networks, Lipschitz
methods, objectives, augmentations, metrics), the settings components own (each
against its component's declaration, with the chosen components' defaults filled in), and the
rules that tie two choices together. :func:`check_model` is the part a generator file from someone
else goes through.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

# The modules whose registries hold the names config fields declare (config.registered); importing
# them fills the registries.
from . import latent, precision  # noqa: F401
from .config import Config, ModelConfig, all_keys, registered_fields
from .errors import WganError, choice_error
from .methods import augment, objectives, optimizers  # noqa: F401
from .methods.lipschitz import LIPSCHITZ_METHODS, method_names, paper_optimizer, penalises_inputs
from .metrics import METRICS, direction
from .models import CRITICS, GENERATORS
from .models.heads import CONDITIONING
from .options import Option, options_of
from .registry import registry_called


def validate(cfg: Config) -> Config:
    """``cfg`` checked and completed (its components' option defaults filled in), or the first
    problem as one WganError; returns ``cfg``."""
    cfg.check_values()
    for part in fields(cfg):
        if is_dataclass(section := getattr(cfg, part.name)):
            check_names(section, part.name)
    check_best_metric(cfg.train.best_metric)
    complete_model(cfg.model)
    resolve_options("loss", cfg.loss, loss_components(cfg.loss.lipschitz), every_loss_option())
    if cfg.train.critic_split != "none" and penalises_inputs(cfg.loss.lipschitz):
        raise WganError("train.critic_split updates the critic on real and fake separately, with no gradient "
                        "penalty; use it with clip, sn or none")
    return cfg


def resolved(cfg: Config) -> Config:
    """A new config: ``cfg`` validated, its components' option defaults and its optimiser settings filled
    in (``optim.name=auto`` and unset learning rates and betas take the Lipschitz method's paper's
    values). ``cfg`` is left as it was; resolving a resolved config changes nothing. The one place a
    config is completed: the Trainer trains with what this returns, and ``config.yaml`` records it."""
    out = validate(Config.from_dict(cfg.to_dict()))
    name, lr, betas = paper_optimizer(out.loss.lipschitz)  # "sn+gp" takes its first part's
    o = out.optim
    if o.name == "auto":
        o.name = name
    o.lr_g = lr if o.lr_g is None else o.lr_g
    o.lr_c = lr if o.lr_c is None else o.lr_c
    if o.name == "adam":
        default_betas = betas if name == "adam" else (0.5, 0.999)
        o.beta1 = default_betas[0] if o.beta1 is None else o.beta1
        o.beta2 = default_betas[1] if o.beta2 is None else o.beta2
    return out


def check_model(model: ModelConfig) -> ModelConfig:
    """The model section checked (sizes, names, the families' options, which are filled in)."""
    from .config import check_model_values

    check_model_values(model)
    check_names(model, "model")
    return complete_model(model)


def complete_model(model: ModelConfig) -> ModelConfig:
    """The model's family options checked and filled in, and the rules between its choices (its own
    values and names already checked)."""
    chosen = options_of(GENERATORS.get(model.generator)) + options_of(CRITICS.get(model.critic))
    resolve_options("model", model, chosen, every_model_option())
    if model.critic_conditional == "projection" and model.conditional == "none":
        raise WganError("model.critic_conditional=projection scores images against their classes, and "
                        "model.conditional=none trains an unconditional generator; set model.conditional "
                        f"to {', '.join(n for n in CONDITIONING.names() if n != 'none')}")
    if CONDITIONING.get(model.conditional).labels_to_net and model.sync_bn:
        raise WganError(f"model.conditional={model.conditional} and model.sync_bn=true cannot be combined: "
                        "SyncBatchNorm has no class-conditional form; set model.sync_bn=false")
    return model


def check_names(section, name: str) -> None:
    """Every field of the config section ``section`` (called ``name``) that names registered choices,
    against the registry it declares: one name, one of the field's other words (``auto``), or names
    joined by the field's separator (``sn+gp``)."""
    for key, value, declared in registered_fields(section, name):
        if value in declared["also"]:
            continue
        registry = registry_called(declared["registry"])
        joined_by = declared["joined_by"]
        parts = [p.strip() for p in str(value).split(joined_by)] if joined_by else [value]
        for part in parts:
            if part in registry:
                continue
            accepted = sorted(registry.names()) + [a for a in declared["also"] if a]
            if not joined_by:
                raise choice_error(registry.what, part, accepted)
            raise WganError(f"unknown {registry.what} {part!r} in {key}={value!r}; accepted: {', '.join(accepted)}, "
                            f"or several joined by {joined_by} ({joined_by.join(sorted(registry.names())[:2])})")


def loss_components(spec: str) -> tuple[Option, ...]:
    return tuple(option for name in method_names(spec) for option in options_of(LIPSCHITZ_METHODS.get(name)))


def every_loss_option() -> dict[str, Option]:
    """The options any registered Lipschitz method declares (a saved config may set another method's)."""
    return {o.key: o for method in LIPSCHITZ_METHODS.values() for o in options_of(method)}


def every_model_option() -> dict[str, Option]:
    return {o.key: o for registry in (GENERATORS, CRITICS) for builder in registry.values()
            for o in options_of(builder)}


def resolve_options(section_name: str, section, chosen: tuple[Option, ...], known: dict[str, Option]) -> None:
    """Check each option ``section`` holds against the declaration of whichever registered component
    declares it, and fill in the defaults of the ``chosen`` components' options."""
    for key, value in list(section.options.items()):
        if key not in known:
            raise WganError(f"unknown config key '{section_name}.{key}'; accepted: {', '.join(settable_keys())}")
        section.options[key] = known[key].value(value, f"{section_name}.{key}")
    for option in chosen:
        section.options.setdefault(option.key, option.default)


def settable_keys() -> list[str]:
    """Every key ``--set`` accepts: the config's own and every registered component's options."""
    return all_keys() + [f"loss.{k}" for k in every_loss_option()] + [f"model.{k}" for k in every_model_option()]


def check_best_metric(name: str) -> None:
    """``train.best_metric``: auto, or a result a registered metric reports (``fid``, ``recall``, or a
    full result name such as ``fid_domain_1k_test_quick``)."""
    if name == "auto" or direction(name) is not None:  # a result that is better one way
        return
    outputs = list(dict.fromkeys(o for m in METRICS.values() for o, d in m.outputs.items() if d is not None))
    raise WganError(f"unknown train.best_metric {name!r}; accepted: auto, or a result of an evaluation: "
                    f"{', '.join(outputs)} (or its full name, e.g. fid_domain_1k_test_quick)")
