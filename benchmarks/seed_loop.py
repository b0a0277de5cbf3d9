"""The tutorial-style WGAN-GP loop that the speed and quality benchmarks compare against.

What a user copies from a tutorial: a torchvision dataset with ToTensor/Normalize
transforms, a shuffled DataLoader, and an eager PyTorch step that draws a new
real batch for every critic iteration. It uses the toolkit's networks so that
only the loop differs.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from wgan.data.sources.builtin import FASHION_DIR
from wgan.presets import preset_config
from wgan.training.trainer import Trainer


def fashion_mnist_torchvision(idx_dir: Path, size: int = 28) -> datasets.FashionMNIST:
    """torchvision's FashionMNIST over the Debian IDX files (it wants root/FashionMNIST/raw/, unzipped),
    resized to ``size`` as a tutorial would (transforms.Resize) when that is not 28."""
    root = Path(tempfile.mkdtemp(prefix="fmnist_tv_"))
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in Path(idx_dir).glob("*.gz"):
        with gzip.open(gz) as src, open(raw / gz.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    resize = [transforms.Resize(size)] if size != 28 else []
    tf = transforms.Compose([*resize, transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    return datasets.FashionMNIST(str(root), train=True, download=False, transform=tf)


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(x_hat)
    grad = torch.autograd.grad(scores, x_hat, torch.ones_like(scores), create_graph=True)[0]
    return ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


class SeedLoop:
    """One generator iteration per ``step()``, exactly as a tutorial writes it."""

    def __init__(self, generator, critic, dataset, device, batch_size=64, n_critic=5, latent_dim=100,
                 workers=2, lr=1e-4, betas=(0.0, 0.9), autocast: torch.dtype | None = None):
        self.G, self.C, self.device = generator.to(device), critic.to(device), device
        # A tutorial's one-line speed-up: the step under torch.autocast (None: plain fp32).
        self.autocast = autocast
        self.n_critic, self.batch_size, self.latent_dim = n_critic, batch_size, latent_dim
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_c = torch.optim.Adam(self.C.parameters(), lr=lr, betas=betas)
        self.loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                 num_workers=workers, persistent_workers=workers > 0,
                                 pin_memory=device.type == "cuda")
        self.batches = iter(self.loader)

    def _real(self):
        try:
            x, _ = next(self.batches)
        except StopIteration:
            self.batches = iter(self.loader)
            x, _ = next(self.batches)
        return x.to(self.device)

    def step(self) -> float:
        with torch.autocast(self.device.type, dtype=self.autocast or torch.bfloat16, enabled=self.autocast is not None):
            return self._step()

    def _step(self) -> float:
        for _ in range(self.n_critic):
            real = self._real()
            z = torch.randn(real.size(0), self.latent_dim, device=self.device)
            fake = self.G(z)
            loss_c = self.C(fake.detach()).mean() - self.C(real).mean() + 10 * gradient_penalty(
                self.C, real, fake.detach())
            self.opt_c.zero_grad()
            loss_c.backward()
            self.opt_c.step()
        z = torch.randn(self.batch_size, self.latent_dim, device=self.device)
        loss_g = -self.C(self.G(z)).mean()
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        return loss_g.item()  # tutorials print it every step, which synchronises


# The networks a benchmark can race: the speed protocol's dcgan28 on 28x28 Fashion-MNIST, and the
# WGAN-GP paper's CIFAR-10 ResNet on Fashion-MNIST resized to 32x32.
MODELS = {
    "dcgan28": {"model": {"generator": "dcgan28", "critic": "dcgan28", "latent_dim": 100}},
    "resnet-wgan": {"model": {"generator": "resnet-wgan", "critic": "resnet-wgan", "latent_dim": 128},
                    "data": {"image_size": 32}},
}


def benchmark_config(device: str, overrides: list[str], model: str = "dcgan28"):
    """The speed protocol's settings: dcgan28 (or another of MODELS), Adam(1e-4, (0, 0.9)), n_critic 5,
    batch 64, fp32, Fashion-MNIST."""
    cfg = preset_config("wgan-gp-fashion")
    cfg.update(MODELS[model])
    cfg.update({"optim": {"name": "adam", "lr_g": 1e-4, "lr_c": 1e-4, "beta1": 0.0, "beta2": 0.9},
                "train": {"batch_size": 64, "n_critic": 5, "device": device, "precision": "fp32"}})
    cfg.apply_overrides(overrides)
    return cfg


# The speed options a plain PyTorch loop does not have: the tutorial-style loops' networks run without them.
PLAIN = ["train.channels_last=off", "train.cuda_graph=off", "train.matmul_conv=off", "train.fused_resample=off"]


def seed_contender(device: str, workers: int = 2, model: str = "dcgan28", autocast: torch.dtype | None = None,
                   idx_dir: Path = FASHION_DIR, overrides: list[str] = ()):
    """The tutorial-style loop over freshly built networks, and the Trainer that holds them.

    The networks are the toolkit's, as plain PyTorch modules with PyTorch's default
    initialisation and layout (none of the trainer's speed options); the Trainer is only
    their holder, for sampling and evaluation through its generator handle. ``idx_dir``: the
    Fashion-MNIST IDX files (``overrides`` should point the holder's ``data.name`` at them too).
    """
    torch.manual_seed(0)
    holder = Trainer(benchmark_config(device, [*PLAIN, "model.init=default", *overrides], model), progress=False)
    cfg = holder.cfg
    loop = SeedLoop(holder.algorithm.generator, holder.algorithm.critic,
                    fashion_mnist_torchvision(idx_dir, cfg.data.image_size or 28), holder.device, batch_size=64,
                    n_critic=5, latent_dim=cfg.model.latent_dim, workers=workers, autocast=autocast)
    return holder, loop


def tutorial_folder(folder: Path, size: int) -> datasets.ImageFolder:
    """A folder of images as the CelebA WGAN-GP tutorial reads it: ImageFolder, Resize, ToTensor, Normalize."""
    tf = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor(),
                             transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    return datasets.ImageFolder(str(folder), transform=tf)


def folder_contender(device: str, folder: Path, size: int, workers: int = 2):
    """The CelebA WGAN-GP tutorial's loop on a folder of colour images at ``size``: its DCGAN
    networks (width 64, BatchNorm critic, N(0, 0.02) init) and settings (Adam 1e-4 betas (0.5,
    0.999), 3 critic steps, batch 64; the ``wgan-gp-celeba64`` preset's), eager, in fp32.
    Returns the Trainer that holds the networks (for sampling) and the loop."""
    torch.manual_seed(0)
    cfg = preset_config("wgan-gp-celeba64")
    cfg.update({"data": {"name": str(folder), "image_size": size},
                "train": {"device": device, "precision": "fp32"}})
    cfg.apply_overrides(PLAIN)
    holder = Trainer(cfg, progress=False)
    o = cfg.optim
    loop = SeedLoop(holder.algorithm.generator, holder.algorithm.critic, tutorial_folder(folder, size), holder.device,
                    batch_size=cfg.train.batch_size, n_critic=cfg.train.n_critic, latent_dim=cfg.model.latent_dim,
                    workers=workers, lr=o.lr_g, betas=(o.beta1, o.beta2))
    return holder, loop
