"""Arithmetic of a training step and of this machine: so "near the hardware's limit" is a number.

``count_flops`` runs a function under a dispatch mode that adds up the floating-point
operations PyTorch's own counter (``torch.utils.flop_counter``) assigns to each matrix
product and convolution, forward, backward and the penalty's double backward alike. (Its
``FlopCounterMode`` cannot be used: its module hooks break ``autograd.grad``, which the
gradient penalty calls.) ``peak`` times the fastest dense kernels PyTorch has here, in a
dtype: a square matrix product through BLAS (what ``a @ b`` runs) and, on a CPU, through
oneDNN, and two large convolutions (oneDNN on a CPU). On this project's AMD CPU the BLAS
product (MKL) reaches under half of oneDNN's product and convolutions, so the best of them
is the machine's peak. ``step_parts`` splits a generator iteration into its parts, each
with its FLOPs and time, to show where the time goes.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


class _CountFlops(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.total += count(*args, **kwargs, out_val=out)
        return out


def count_flops(fn) -> int:
    """Floating-point operations of matrix products and convolutions in one call of ``fn``."""
    with _CountFlops() as counter:
        fn()
    return counter.total


def speed(step, seconds: float, sync, warmup: int = 3) -> tuple[float, int]:
    """Calls per second of ``step`` over about ``seconds`` (after a warm-up), and the calls timed."""
    for _ in range(warmup):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    sync()
    return n / (time.perf_counter() - start), n


def _rate(fn, flops: float, seconds: float, sync) -> float:
    return flops * speed(fn, seconds, sync, warmup=2)[0]


def peak(dtype: torch.dtype, device: torch.device, seconds: float = 2.0, small: bool = False) -> dict[str, float]:
    """FLOP/s of the fastest dense kernels in ``dtype`` on ``device``, by kernel. ``small``: shapes a
    sixteenth of the size, for a smoke test on a CPU that emulates the dtype (a figure, not a peak)."""
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    layout = torch.channels_last
    n = (4096 if device.type == "cuda" else 2048) // (16 if small else 1)
    batch, width = (2, 64) if small else (32, 1024)
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    x1 = torch.randn(batch, width, 16, 16, device=device, dtype=dtype).contiguous(memory_format=layout)
    w1 = torch.randn(width, width, 1, 1, device=device, dtype=dtype).contiguous(memory_format=layout)
    x3 = torch.randn(batch, width // 4, 14, 14, device=device, dtype=dtype).contiguous(memory_format=layout)
    w3 = torch.randn(width // 4, width // 4, 3, 3, device=device, dtype=dtype).contiguous(memory_format=layout)
    rates = {f"matrix product {n}x{n} (BLAS)": _rate(lambda: a @ b, 2 * n**3, seconds, sync)}
    if device.type == "cpu":  # the same product through oneDNN, on tensors in its own layout
        a_dnn, b_dnn = a.to_mkldnn(), b.to_mkldnn()
        try:
            rates[f"matrix product {n}x{n} (oneDNN)"] = _rate(
                lambda: torch._C._nn.mkldnn_linear(a_dnn, b_dnn, None), 2 * n**3, seconds, sync)
        except RuntimeError:  # oneDNN has no such product on this CPU (bf16 without AVX-512): left out
            pass
    return rates | {
        f"conv 1x1, {width} channels, 16x16": _rate(lambda: F.conv2d(x1, w1), 2 * batch * width**2 * 16 * 16,
                                                   seconds, sync),
        f"conv 3x3, {width // 4} channels, 14x14": _rate(lambda: F.conv2d(x3, w3, padding=1),
                                                        2 * batch * (width // 4)**2 * 9 * 14 * 14, seconds, sync),
    }


def step_parts(algorithm, sync, seconds: float = 3.0) -> list[tuple[str, int, float]]:
    """(part, FLOPs, seconds per call) for the parts of one generator iteration of ``algorithm``
    (a ``wgan.training.algorithm.Algorithm``): the generator's forward pass without gradients that each
    critic update starts with, a whole critic update (that forward included) and the generator
    update. These calls train the networks, like the iteration they time."""
    real, labels = algorithm.real_batch()
    noise = algorithm.noise(real.shape[0])

    def generator_forward():
        with torch.no_grad():
            algorithm.generator(noise, algorithm.fake_labels(real.shape[0]))

    parts = []
    for name, fn in (("generator forward, no gradients", generator_forward),
                     ("critic update, with its generator forward", lambda: algorithm.critic_update(real, labels)),
                     ("generator update", algorithm.generator_update)):
        rate, _ = speed(fn, seconds, sync)
        parts.append((name, count_flops(fn), 1 / rate))
    return parts
