"""Small pieces shared by the network files."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from ..errors import WganError
from ..registry import Registry

ACTIVATIONS: Registry = Registry("activation")
ACTIVATIONS.register("relu", lambda: nn.ReLU())
ACTIVATIONS.register("leaky_relu", lambda: nn.LeakyReLU(0.2))
ACTIVATIONS.register("tanh", lambda: nn.Tanh())
ACTIVATIONS.register("elu", lambda: nn.ELU())

# Normalisations a convolutional critic can put after each convolution (and, ``flat``, after a fully
# connected layer), as layers to splice in. ``layer`` normalises each sample over (C, H, W) with a
# per-channel scale and shift, as WGAN-GP's layer norm does; GroupNorm with one group is exactly that
# (and on (N, C) features, LayerNorm). Unlike ``batch``, neither ``layer`` nor ``instance`` mixes the
# samples of a batch, so both keep the gradient penalty per-sample.


def _instance_norm(channels: int, flat: bool) -> list[nn.Module]:
    if flat:
        raise WganError("model.critic_norm=instance normalises each channel over its pixels, and this critic has "
                        "a fully connected layer, which has none; use none, layer or batch")
    return [nn.InstanceNorm2d(channels, affine=True)]


CRITIC_NORMS: Registry = Registry("critic normalisation")
CRITIC_NORMS.register("none", lambda channels, flat: [])
CRITIC_NORMS.register("layer", lambda channels, flat: [nn.GroupNorm(1, channels)])
CRITIC_NORMS.register("batch", lambda channels, flat: [nn.BatchNorm1d(channels) if flat else nn.BatchNorm2d(channels)])
CRITIC_NORMS.register("instance", _instance_norm)

# How weights start (model.init): name -> init(module, keras_default), see init_weights.
INIT_SCHEMES: Registry = Registry("init")
# Where an image generator's output layer starts (model.output_bias): name -> rule(generator, mean_colour),
# ``mean_colour()`` giving the data's mean colour per channel in [-1, 1] (computed only when asked).
OUTPUT_BIASES: Registry = Registry("model.output_bias")


def activation(name: str) -> nn.Module:
    return ACTIVATIONS.get(name)()


def critic_norm(name: str, channels: int, flat: bool = False) -> list[nn.Module]:
    """The normalisation after a critic convolution (``flat``: a fully connected layer's ``channels``
    features), as a list to splice in (empty for ``none``)."""
    return CRITIC_NORMS.get(name)(channels, flat)


def keras_same_pad(kernel: int) -> nn.ZeroPad2d:
    """Keras ``padding='same'`` for a stride-1 convolution, made explicit.

    Keras (TensorFlow) pads ``(k - 1) // 2`` before and the rest after, so an
    even kernel gets one more row/column of zeros at the bottom/right: k=4 pads
    (1, 2), k=2 pads (0, 1). PyTorch's integer ``padding`` is symmetric and would
    change the output size, hence the explicit pad layer.
    """
    before = (kernel - 1) // 2
    after = kernel - 1 - before
    return nn.ZeroPad2d((before, after, before, after))


def has_batchnorm(module: nn.Module) -> bool:
    """True if any layer of ``module`` is a BatchNorm.

    BatchNorm makes each sample's output depend on the rest of the batch, so a
    gradient penalty computed on a batch of interpolates no longer penalises the
    gradient of the critic with respect to each input on its own (Gulrajani et
    al. 2017, section 4): the trainer warns when a penalised critic has one.
    """
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def init_weights(module: nn.Module, scheme: str, keras_default: Iterable[nn.Module] = ()) -> None:
    """Initialise ``module`` by the registered ``scheme`` (``model.init``). ``keras_default`` lists layers
    that a Keras tutorial leaves at Keras's own default (Glorot-uniform weights, zero biases) rather
    than giving them RandomNormal(0, 0.02), so a tutorial preset starts where the tutorial did."""
    INIT_SCHEMES.get(scheme)(module, keras_default)


@INIT_SCHEMES.register("default")
def pytorch_init(module: nn.Module, keras_default: Iterable[nn.Module] = ()) -> None:
    """PyTorch's initialisation, everywhere."""


@INIT_SCHEMES.register("normal")
def normal_init(module: nn.Module, keras_default: Iterable[nn.Module] = ()) -> None:
    """N(0, 0.02) weights and zero biases, as DCGAN and the Keras tutorials."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    for m in keras_default:
        nn.init.xavier_uniform_(m.weight)
        if getattr(m, "bias", None) is not None:
            nn.init.zeros_(m.bias)


@OUTPUT_BIASES.register("zero")
def grey_start(generator: nn.Module, mean_colour) -> None:
    """grey: the output layer's bias stays zero, tanh(0)."""


@OUTPUT_BIASES.register("data_mean")
def colour_start(generator: nn.Module, mean_colour) -> None:
    """the data's mean colour per channel (start_at_colour)."""
    start_at_colour(generator, mean_colour())


def start_at_colour(generator: nn.Module, mean: torch.Tensor) -> None:
    """Set the bias of an image generator's output layer to atanh(``mean``), the data's mean
    colour per channel in [-1, 1].

    With small initial weights (``init normal``) the generator then starts from flat images of
    that colour rather than grey. On colour images with light backgrounds (emoji at 64x64) a grey
    start is far from every real image, and the critic's first hundred steps go to that
    difference alone (docs/benchmarks.md has the measurements).
    """
    layers = [m for m in generator.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    last = layers[-1] if layers else None
    channels = len(mean)
    if isinstance(last, nn.Linear) and last.out_features % channels == 0:  # flattened (C, H, W) outputs
        bias = mean.repeat_interleave(last.out_features // channels)
    elif isinstance(last, (nn.Conv2d, nn.ConvTranspose2d)) and last.out_channels == channels:
        bias = mean
    else:
        raise WganError(f"model.output_bias=data_mean needs a generator whose last layer outputs the image's "
                        f"{channels} channels; this one ends in {type(last).__name__}: use model.output_bias=zero")
    if last.bias is None:
        raise WganError("model.output_bias=data_mean needs an output layer with a bias; use model.output_bias=zero")
    with torch.no_grad():
        # tanh never reaches +-1: clamp so that white or black backgrounds give a finite bias.
        last.bias.copy_(torch.atanh(bias.clamp(-0.95, 0.95)).to(last.bias.dtype))


def image_shape(shape: tuple, model: str, accepted: str) -> tuple[int, int]:
    """``(channels, size)`` of a square image shape ``(C, H, W)``, or a WganError."""
    if len(shape) != 3 or shape[0] < 1 or shape[1] != shape[2]:
        raise WganError(
            f"model {model!r} needs square images (C, H, W), got shape {tuple(shape)}; accepted sizes: {accepted}"
        )
    return int(shape[0]), int(shape[1])


def channels_at(shape: tuple, model: str, size: int) -> int:
    """The channels of ``shape`` for a family that draws one size only (``size`` x ``size``)."""
    accepted = f"{size} only (use 'dcgan' or 'upconv' for other sizes)"
    channels, side = image_shape(shape, model, accepted)
    if side != size:
        raise size_error(model, side, accepted)
    return channels


def size_error(model: str, size: int, accepted: str) -> WganError:
    return WganError(f"model {model!r} cannot produce {size}x{size} images; accepted sizes: {accepted}")


def doubling_ladder(shape: tuple, model: str) -> tuple[int, int, int]:
    """``(channels, start, levels)`` with ``size == start * 2**levels``, start 4 or 7.

    The DCGAN-style families grow a 4x4 (powers of two) or 7x7 (MNIST's 28 and
    its relatives) map by ``levels`` doublings; ``levels >= 1``.
    """
    accepted = "a power of two from 8 up (8, 16, 32, 64, 128, 256, ...) or 7 times one (14, 28, 56, ...)"
    channels, size = image_shape(shape, model, accepted)
    for start in (4, 7):
        if size % start == 0:
            ratio = size // start
            if ratio >= 2 and ratio & (ratio - 1) == 0:
                return channels, start, ratio.bit_length() - 1
    raise size_error(model, size, accepted)
