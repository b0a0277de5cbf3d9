"""Small pieces shared by the network files."""

from __future__ import annotations

from torch import nn

from ..errors import choice_error

ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "elu": lambda: nn.ELU(),
}


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise choice_error("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]()


def init_weights(module: nn.Module, scheme: str) -> None:
    """``normal``: N(0, 0.02) weights and zero biases, as DCGAN and the Keras seeds."""
    if scheme == "default":
        return
    if scheme != "normal":
        raise choice_error("init", scheme, ("default", "normal"))
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
