"""torch-fidelity's Inception-v3 with the same arithmetic in fewer, larger steps, for speed on a CPU.

Computing 10,000 images' features on a 2-core CPU took 20 minutes, and a tenth of each pass was
neither a matrix product nor a convolution (docs/benchmarks.md, "Inception features"):

- **the resize**: TensorFlow 1's bilinear resize to 299x299 (source pixel = target pixel * in/out,
  no half-pixel centres) is linear and separable, so it is two small matrix products,
  ``A_h @ x @ A_w^T`` with the weights of :func:`tf1_resize_matrix`, instead of torch-fidelity's
  gathers and blends over the whole 299x299 grid; a grey image is resized once and then repeated
  to three channels (not resized three times);
- **BatchNorm**: each of the 94 convolutions is followed by a BatchNorm in inference mode, a
  per-channel scale and shift, which folds into the convolution's weights and bias
  (``torch.nn.utils.fusion.fuse_conv_bn_eval``): one pass over each activation instead of two.

Neither changes what is computed, only the order of the roundings: the pool features stay within
1e-4 of torch-fidelity's own forward (tests/features/test_inception_folded.py). The convolutions
themselves already run near the CPU's peak; their arithmetic (11.4 GFLOP an image) sets the floor.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

SIZE = 299  # the graph's input
# torch-fidelity's FeatureExtractorInceptionV3, block by block, as its forward runs them.
BLOCKS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
          "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
          "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool")


def tf1_resize_matrix(n_in: int, n_out: int = SIZE) -> torch.Tensor:
    """(n_out, n_in) weights of TensorFlow 1's bilinear resize along one axis (align_corners=False,
    no half-pixel centres): output i reads input i * n_in / n_out, blending its two neighbours."""
    source = torch.arange(n_out, dtype=torch.float64) * (n_in / n_out)
    low = source.floor().long().clamp(max=n_in - 1)
    high = (low + 1).clamp(max=n_in - 1)
    frac = source - low
    weights = torch.zeros(n_out, n_in, dtype=torch.float64)
    rows = torch.arange(n_out)
    weights[rows, low] += 1 - frac
    weights[rows, high] += frac
    return weights.float()


def fold_batchnorms(module: nn.Module) -> nn.Module:
    """Every torch-fidelity ``BasicConv2d`` (conv, bn, relu) of ``module`` with its BatchNorm folded
    into the convolution, in place."""
    for block in module.modules():
        if isinstance(getattr(block, "conv", None), nn.Conv2d) and isinstance(getattr(block, "bn", None),
                                                                             nn.BatchNorm2d):
            block.conv = fuse_conv_bn_eval(block.conv, block.bn)
            block.bn = nn.Identity()
    return module


class FoldedInception(nn.Module):
    """Pool features (N, 2048) and unbiased logits (N, 1008, or None) of uint8 images (N, 1 or 3, H, W)."""

    def __init__(self, extractor: nn.Module, with_logits: bool = True):
        super().__init__()
        self.blocks = fold_batchnorms(nn.Sequential(*(copy.deepcopy(getattr(extractor, name)) for name in BLOCKS)))
        self.fc_weight = copy.deepcopy(extractor.fc.weight) if with_logits else None
        self._resize: dict[tuple[int, torch.device], torch.Tensor] = {}

    def resize_matrix(self, n: int, device: torch.device) -> torch.Tensor:
        key = (n, device)
        if key not in self._resize:
            self._resize[key] = tf1_resize_matrix(n).to(device)
        return self._resize[key]

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = images.float()
        x = self.resize_matrix(x.shape[2], x.device) @ x @ self.resize_matrix(x.shape[3], x.device).T
        x = (x - 128) / 128  # as the graph: [0, 255] to [-1, 1]
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.device.type == "cpu":  # oneDNN's convolutions run faster in NHWC
            x = x.contiguous(memory_format=torch.channels_last)
        pool = self.blocks(x).flatten(1)
        logits = pool @ self.fc_weight.T if self.fc_weight is not None else None  # torch-fidelity's logits_unbiased
        return pool, logits
