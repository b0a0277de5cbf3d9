"""A faster CPU form of one convolution shape: one output channel, a kernel of 2 or more.

oneDNN, PyTorch's CPU convolution library, is slow for a convolution to a
single output channel, such as the last layer of the ``dcgan28`` generator
(128 -> 1 channels, 7x7 over 28x28): it reaches about a tenth of the speed of
the network's other layers. The same result comes from one matrix product,
which CPUs run near their peak (here as a 1x1 convolution), followed by
``F.fold`` (col2im), which adds the per-offset products into place:

    out[n, o, i, j] = sum over (c, u, v) of x[n, c, i + u - p, j + v - p] * w[o, c, u, v]

The product computes x[n, c, a, b] * w[o, c, u, v] summed over c for every
input position (a, b) and kernel offset (u, v); fold then sums, for each output
position, the k*k products that land on it.

``python benchmarks/bench_matmul_conv.py`` on this project's 2-core CPU (batch
64, forward and backward, 2026-12-03): 7x7 to one channel 42.6 -> 17.0 ms, 5x5
24.3 -> 9.8, 3x3 13.5 -> 8.6, 2x2 (acwgan's last layer) 13.2 -> 7.6. A 1x1
convolution to one channel already is the product (6.5 -> 6.1 ms, within the
noise), and convolutions to three channels are slower as a product (11.9 ->
14.4 ms at 4x4), so they stay as they are.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MIN_KERNEL = 2  # a 1x1 convolution already is the product (see the measurements above)


class MatmulConv2d(nn.Conv2d):
    """``nn.Conv2d`` (stride 1, zero padding) computed as a matrix product and a fold.

    Same parameters and state-dict keys as the ``nn.Conv2d`` it replaces, so
    checkpoints move freely between the two.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        out_c, k, pad = self.out_channels, self.kernel_size[0], self.padding[0]
        # fold adds block l's values at (row(l) - fold_pad + u, col(l) - fold_pad + v): the
        # transposed convolution, so it takes the kernel flipped, and the padding that makes one
        # block per input pixel. Rows of the matrix: (output channel, u, v), as fold orders them.
        weight = self.weight.flip(2, 3).permute(0, 2, 3, 1).reshape(out_c * k * k, c, 1, 1)
        # The product as a 1x1 convolution: oneDNN's kernel, whose backward is faster than a
        # batched matrix product's (15 against 25 ms forward and backward for dcgan28's layer).
        products = F.conv2d(x, weight).reshape(n, out_c * k * k, h * w)  # one column per input pixel
        out_size = (h + 2 * pad - k + 1, w + 2 * pad - k + 1)
        out = F.fold(products, out_size, k, padding=k - 1 - pad)
        return out if self.bias is None else out + self.bias.view(1, out_c, 1, 1)


def convertible(conv: nn.Module) -> bool:
    """Whether ``conv`` is a plain Conv2d of the shape where the matrix form is faster."""
    if type(conv) is not nn.Conv2d or isinstance(conv.padding, str):
        return False
    k, pad = conv.kernel_size, conv.padding
    return (conv.out_channels == 1 and k[0] == k[1] >= MIN_KERNEL and pad[0] == pad[1] <= k[0] - 1
            and conv.stride == (1, 1) and conv.dilation == (1, 1) and conv.groups == 1
            and conv.padding_mode == "zeros")


def use_matmul_convs(module: nn.Module) -> int:
    """Replace every convertible Conv2d inside ``module`` by a MatmulConv2d; returns how many.

    The replacement holds the very same Parameter objects, so do this before
    anything else (an optimiser, a parametrisation) takes hold of them anyway.
    """
    count = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if convertible(child):
                setattr(parent, name, _as_matmul(child))
                count += 1
    return count


def _as_matmul(conv: nn.Conv2d) -> MatmulConv2d:
    new = MatmulConv2d(conv.in_channels, conv.out_channels, conv.kernel_size, padding=conv.padding,
                       bias=conv.bias is not None, device="meta")
    new.weight = conv.weight
    new.bias = conv.bias
    return new.train(conv.training)
