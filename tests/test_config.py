import pytest
import torch

from wgan.config import Config, all_keys
from wgan.errors import WganError
from wgan.presets import PRESETS, preset_config
from wgan.registry import registry_called
from wgan.validation import validate


def test_set_parses_command_line_strings():
    cfg = Config()
    cfg.set("train.steps", "500")
    cfg.set("optim.lr_g", "2e-4")
    cfg.set("data.classes", "7")
    cfg.set("train.warmup", "true")
    assert (cfg.train.steps, cfg.optim.lr_g, cfg.data.classes, cfg.train.warmup) == (500, 2e-4, [7], True)


@pytest.mark.parametrize("key,value,message", [
    ("train.steps", "many", "train.steps expects int"),
    ("train.stepz", "5", "unknown config key 'train.stepz'"),
    ("model.width", "1.5", "model.width expects int"),
])
def test_set_rejects_bad_values(key, value, message):
    with pytest.raises(WganError, match=message):
        Config().set(key, value)


@pytest.mark.parametrize("key,value,message", [
    ("train.steps", 0, "train.steps must be positive"),
    ("train.batch_size", -4, "train.batch_size must be positive"),
    ("optim.lr_c", -1.0, "optim.lr_c must be positive"),
    ("loss.objective", "lsgan", "unknown objective 'lsgan'"),
    ("loss.lipschitz", "gp+foo", "unknown Lipschitz method"),
    ("train.best_metric", "fdi", "unknown train.best_metric 'fdi'; accepted: auto, or a result of an evaluation: fid"),
    ("model.generator", "dcgan32", "unknown generator 'dcgan32'"),
    ("model.activation", "gelu", "unknown activation 'gelu'"),
    ("model.critic_norm", "group", "unknown critic normalisation 'group'"),
    ("train.device", "tpu", "unknown device"),
    ("train.matmul_conv", "yes", "unknown train.matmul_conv 'yes'; accepted: auto, off, on"),
    ("train.threads", -1, "train.threads must be >= 0, got -1"),
    ("model.conditional", "film", "unknown model.conditional 'film'; accepted: cbn, concat, embed_mul, none"),
    ("model.critic_conditional", "both", "unknown model.critic_conditional 'both'; accepted: ac, projection"),
    ("model.critic_conditional", "projection", "projection scores images against their classes.*set "
                                               "model.conditional"),
    ("train.precision", "fp8", "accepted: auto, bf16, fp16, fp32, fp64"),
    ("train.generator_batch_size", -1, "train.generator_batch_size must be >= 0"),
    ("train.ema_standing_batches", -2, "train.ema_standing_batches must be >= 0"),
])
def test_validate_names_the_problem(key, value, message):
    cfg = Config()
    cfg.set(key, value)
    with pytest.raises(WganError, match=message):
        validate(cfg)


def declared_fields():
    """(key, check) of every config field that declares its check (config.one_of, positive, ...)."""
    import dataclasses

    cfg = Config()
    return [(f"{part.name}.{f.name}", f.metadata) for part in dataclasses.fields(cfg)
            if dataclasses.is_dataclass(getattr(cfg, part.name))
            for f in dataclasses.fields(getattr(cfg, part.name)) if f.metadata]


@pytest.mark.parametrize("key,declared", declared_fields(), ids=[key for key, _ in declared_fields()])
def test_every_declared_field_is_checked_by_the_one_validator(key, declared):
    """A field that declares choices or a bound is refused outside them in one line naming the field;
    adding a field with a declaration is all it takes to have it checked."""
    cfg = Config()
    bounds = declared.get("bounds", {})
    named = "choices" in declared or "registry" in declared
    bad = "nonsense" if named else 0 if bounds.get("positive") else 1.5 if "below" in bounds else -1
    cfg.set(key, bad)
    with pytest.raises(WganError) as refused:
        # a field naming registered components is checked where the registries are seen (validate)
        validate(cfg) if "registry" in declared else cfg.check_values()
    message = str(refused.value)
    what = declared.get("registry") or declared.get("what") or key
    assert "\n" not in message and (key in message or what in message)
    accepted = registry_called(declared["registry"]).names() if "registry" in declared else declared.get("choices", ())
    assert all(choice in message for choice in accepted)


def test_a_newly_registered_name_is_accepted_by_its_config_field():
    from wgan.models.layers import ACTIVATIONS

    cfg = Config().update({"model": {"activation": "softplus"}})
    with pytest.raises(WganError, match="unknown activation 'softplus'"):
        validate(cfg)
    with ACTIVATIONS.override("softplus", lambda: torch.nn.Softplus()):
        validate(cfg)


def test_save_load_round_trip(tmp_path):
    cfg = preset_config("gan-quadratic")
    cfg.save(tmp_path / "c.yaml")
    assert Config.load(tmp_path / "c.yaml").to_dict() == cfg.to_dict()


def test_every_preset_is_valid():
    for name in PRESETS:
        validate(preset_config(name))


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(WganError, match="unknown preset 'nope'.*gan-quadratic"):
        preset_config("nope")


def test_all_keys_are_settable():
    cfg = Config()
    for key in all_keys():
        cfg.get(key)


def test_cbn_with_sync_bn_is_refused():
    cfg = Config()
    cfg.update({"model": {"conditional": "cbn", "sync_bn": True}})
    with pytest.raises(WganError, match="cbn and model.sync_bn=true cannot be combined"):
        validate(cfg)
