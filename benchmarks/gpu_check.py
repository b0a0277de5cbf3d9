"""The GPU path, checked in one go: correctness, speed against the tutorial-style loop, quality, protocol cost.

A GPU is lent here only now and then: 15 minutes of device time, one command of at most 600 s,
a machine start of a minute or two, and only a handful of files back. So this one process
answers everything at once, within about 7 minutes on one H100 or H200 by its own estimate
(``Sizes.estimate``; ``--deadline`` skips what would run past it), and it always brings its
report back: ``report.md`` and its twin ``report.json`` are the only files it writes to
``--out``, rewritten after every section, and each section's Markdown is printed the moment it
ends (the tail of stdout comes back even when files do not). Run folders and scratch go to a
temporary directory elsewhere (``--scratch``). Sections:

1. **environment**: card, driver, CUDA, torch and toolkit versions, bf16/fp16, free memory;
2. **correctness**: the ``gpu``-marked tests; eager against ``train.cuda_graph=on`` from the same
   seed for 50 generator steps of the main job (dcgan28, WGAN-GP), fp32 and bf16; fp16 with its
   gradient scaler for 50 steps (no storm of skipped updates); a resumed run against a straight
   one (the CPU trajectory test, on the device);
3. **speed**: generator iterations per second of the tutorial-style loop (``seed_loop.py``:
   torchvision + DataLoader + eager, the same networks), the trainer eagerly and the trainer
   replaying a CUDA graph, each in fp32 and bf16, for dcgan28 (batch 64) and resnet-wgan at
   32x32, taking turns; each one's achieved TFLOP/s (``flops.py``) and share of the card's
   published dense peak; the ratio to the tutorial-style loop in fp32 and in the same precision.
   Each contender is built and stepped once in its own try before the race: one that fails
   (a CUDA graph that cannot be captured, say) is dropped with its error, the others race;
4. **quality**: ``wgan-gp-fashion`` and the colour recipe at 64x64 on the emoji
   (``emoji_data.py``) for 45 s of training each, then ``wgan eval --n 10000`` (domain FID),
   each run in its own try;
5. **protocol cost**: ``wgan eval --protocol paper`` on the Fashion run, timed.

``--smoke`` runs every section in seconds on a CPU (tiny data, a few steps, short timings);
what needs CUDA is reported as skipped, with the reason. The tests run it, so the check does
not rot between the times a GPU is at hand.

    bash benchmarks/gpu_check.sh      # on the GPU machine, with .gpu carried (make gpu-bundle, here)
    python benchmarks/gpu_check.py --smoke --out /tmp/smoke                   # anywhere, in seconds
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # the deadline counts from here: the command's limit counts its whole wall time

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

# Deterministic cuBLAS needs this before CUDA starts; it costs nothing measurable here.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_speed import race  # noqa: E402
from flops import count_flops, peak  # noqa: E402
from seed_loop import FASHION_DIR, MODELS, benchmark_config, seed_contender  # noqa: E402

import wgan  # noqa: E402
from wgan.evaluation import evaluate_run  # noqa: E402
from wgan.features import CACHE_ENV, classifier  # noqa: E402
from wgan.presets import preset_config  # noqa: E402
from wgan.config_layers import Setting, build_config  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402

# Published dense peaks (TFLOP/s, no sparsity) of the cards this check is expected to meet:
# NVIDIA's data sheets (H100 SXM5 / PCIe, H200 SXM; the H200 has the H100 SXM's arithmetic).
PEAKS = {
    "H100 PCIe": {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0},
    "H100": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "H200": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0},
}
# When losses of the eager and the captured iteration count as the same (relative to the largest
# value seen): both run the same kernels on the same random numbers, so they should agree to
# rounding; bf16's rounding is coarser.
GRAPH_TOLERANCE = {"fp32": 1e-4, "bf16": 1e-2}
FP16_STORM = 0.1  # more than this share of skipped updates after the first few is a storm
FP16_SETTLING = 10  # the scaler starts at 65,536 and may halve a few times: not counted
PRECISIONS = ("fp32", "bf16")
LOOPS = ("tutorial-style loop", "trainer, eager", "trainer, CUDA graph")
# --smoke's network: the DCGAN at width 8 on 28x28, so that every section (fp16 and bf16 included,
# which a CPU without them emulates slowly) runs in seconds.
MODELS["tiny-dcgan"] = {"model": {"generator": "dcgan", "critic": "dcgan", "latent_dim": 16, "width": 8}}

# What the parts of the check cost on an H100, in seconds: the basis of Sizes.estimate. None of
# these was measured on a card yet (no GPU had run the check when they were written); they come
# from the code and from the CPU, where a trainer on Fashion-MNIST builds in 0.7 s (dcgan28) to
# 1.2 s (resnet-wgan), the tutorial-style loop in 0.9 to 1.5 s, and pytest collects the suite in
# 4 s. report.md sets each section's real time beside its estimate, so the next session can
# correct them; the deadline guards against their being wrong.
COST = {
    "environment": 5.0,  # CUDA's start, nvidia-smi
    "tests": 40.0,  # collection, then three small gpu tests (two capture a graph)
    "build": 2.0,  # a trainer or the tutorial-style loop: Fashion-MNIST to the device, networks, first kernels
    "capture": 5.0,  # three warm-up iterations, recording the graph, the first replay
    "eager_step": 0.05,  # one generator iteration of dcgan28 with deterministic kernels (5 critic updates)
    "flop_count": 0.5,  # one counted iteration per contender
    "eval_10k": 15.0,  # 10,000 samples and Fashion-MNIST's test split through the domain classifier (trained once)
    "paper": 45.0,  # 50,000 samples against the 60,000 train images
}


@dataclass
class Sizes:
    """How much each section does: the real check's, or the smoke test's."""

    trajectory_steps: int = 50
    resume_steps: int = 20
    speed_seconds: float = 4.0  # per contender per round, after its warm-up
    speed_rounds: int = 2
    quality_seconds: float = 45.0  # training time of each quality run
    eval_n: int = 10_000
    paper_protocol: str = "paper"
    models: tuple[str, ...] = ("dcgan28", "resnet-wgan")
    peak_seconds: float = 1.0  # per kernel and dtype
    tests_timeout: float = 150.0

    @classmethod
    def smoke(cls) -> "Sizes":
        return cls(trajectory_steps=4, resume_steps=4, speed_seconds=0.3, speed_rounds=1, quality_seconds=2.0,
                   eval_n=200, paper_protocol="quick", models=("tiny-dcgan",), peak_seconds=0.05)

    def estimate(self) -> dict[str, float]:
        """Seconds each section should take on an H100 (from ``COST``), section by section."""
        c = COST
        contenders = len(PRECISIONS) * len(LOOPS)
        speed_per_model = (contenders * (c["build"] + self.speed_rounds * self.speed_seconds + c["flop_count"])
                           + len(PRECISIONS) * c["capture"])
        kernels = 3 * len(PRECISIONS) * self.peak_seconds * 2  # three kernels, each warmed and timed
        return {
            "environment": c["environment"],
            "tests": c["tests"],
            "graph": len(PRECISIONS) * (2 * (c["build"] + self.trajectory_steps * c["eager_step"]) + c["capture"]),
            "fp16": c["build"] + self.trajectory_steps * c["eager_step"],
            "resume": 3 * c["build"] + 2 * self.resume_steps * c["eager_step"],
            "speed": len(self.models) * speed_per_model + kernels,
            "quality": 2 * (c["build"] + self.quality_seconds + c["eval_10k"] * self.eval_n / 10_000),
            "protocol": c["paper"],
        }


@dataclass
class Section:
    title: str
    status: str = "ok"  # ok | failed | skipped
    lines: list[str] = field(default_factory=list)  # Markdown
    data: dict = field(default_factory=dict)
    seconds: float = 0.0
    estimate: float | None = None

    def skip(self, reason: str) -> "Section":
        self.status = "skipped"
        self.lines.append(f"Skipped: {reason}.")
        self.data["skipped"] = reason
        return self

    def check(self, passed: bool, what: str) -> None:
        """Record one pass/fail line; any failure fails the section."""
        self.lines.append(f"- {'PASS' if passed else 'FAIL'}: {what}")
        if not passed:
            self.status = "failed"

    def markdown(self) -> list[str]:
        estimate = f", estimated {self.estimate:.0f} s" if self.estimate is not None else ""
        return [f"## {self.title}: {self.status} ({self.seconds:.0f} s{estimate})", "", *self.lines, ""]


class Check:
    """The shared set-up of every section: device, sizes, data, the deadline, where to write."""

    def __init__(self, args, scratch: Path):
        self.smoke, self.out, self.scratch = args.smoke, args.out, scratch
        self.deadline = args.deadline
        self.device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                                   ("cpu" if args.device == "auto" else args.device))
        self.cuda = self.device.type == "cuda"
        self.sizes = Sizes.smoke() if args.smoke else Sizes()
        self.runs = scratch / "runs"
        if args.smoke:
            data = scratch / "smoke-data"
            self.fashion_dir = write_tiny_fashion(data / "fashion")
            self.emoji, self.emoji_size = write_tiny_colour(data / "colour.npz", size=32), 32
            # The domain classifiers of the tiny sets go to a cache of their own, not the user's, and
            # train for 20 steps (not 200 or more): their numbers mean nothing here, their code runs.
            os.environ[CACHE_ENV] = str(data / "cache")
            classifier.MIN_STEPS = classifier.MAX_STEPS = 20
        else:
            self.fashion_dir, self.emoji, self.emoji_size = args.fashion, args.emoji, 64
        self.fashion = [f"data.name={self.fashion_dir}"] if self.fashion_dir != FASHION_DIR else []
        self.fashion_run: Path | None = None  # the quality section's run, which the protocol section measures

    def elapsed(self) -> float:
        return time.monotonic() - STARTED

    def past_deadline(self) -> bool:
        return self.elapsed() >= self.deadline

    def deadline_reason(self) -> str:
        return f"the deadline of {self.deadline:g} s had passed ({self.elapsed():.0f} s since the start)"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def config(self, overrides: list[str], model: str | None = None):
        """The speed protocol's config (dcgan28, WGAN-GP, Adam 1e-4 (0, 0.9), 5 critic steps, batch 64); its
        model is the first of the sizes' unless named."""
        return benchmark_config(str(self.device), [*self.fashion, *overrides], model or self.sizes.models[0])


def error_line(error: BaseException) -> str:
    """An exception as one line for the report: its type and its first line."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# ---- tiny data for --smoke ---------------------------------------------------------------------
def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes (gzipped), as MNIST and Fashion-MNIST ship them."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_tiny_fashion(folder: Path, n: int = 200) -> Path:
    """Fashion-MNIST's four IDX files with ``n`` random 28x28 images (and n/4 test images), 10 classes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("t10k", n // 4)):
        labels = np.arange(count) % 10
        # A little structure per class, so the classifier behind the domain features can learn something.
        images = rng.integers(0, 60, (count, 28, 28)) + (labels[:, None, None] * 20)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def write_tiny_colour(path: Path, size: int = 32, n: int = 120) -> Path:
    """An .npz of ``n`` labelled colour images at ``size`` (three classes: a red, green or blue square)."""
    rng = np.random.default_rng(1)
    labels = np.arange(n) % 3
    images = np.full((n, size, size, 3), 255, np.uint8)
    for i, label in enumerate(labels):
        x, y = rng.integers(0, size // 2, 2)
        images[i, y:y + size // 2, x:x + size // 2] = 0
        images[i, y:y + size // 2, x:x + size // 2, label] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, images=images, labels=labels)
    return path


# ---- 1. environment ----------------------------------------------------------------------------
def environment(check: Check, section: Section) -> None:
    env = {"torch": torch.__version__, "wgan": wgan.__version__, "python": platform.python_version(),
           "device": str(check.device)}
    if check.cuda:
        free, total = torch.cuda.mem_get_info(check.device)
        props = torch.cuda.get_device_properties(check.device)
        env.update(card=torch.cuda.get_device_name(check.device), cuda=torch.version.cuda,
                   driver=nvidia_smi("driver_version"), capability=f"{props.major}.{props.minor}",
                   multiprocessors=props.multi_processor_count, bf16=torch.cuda.is_bf16_supported(),
                   fp16=True, memory_free_gib=round(free / 2**30, 1), memory_total_gib=round(total / 2**30, 1),
                   cudnn=torch.backends.cudnn.version(), tf32_convolutions=torch.backends.cudnn.allow_tf32,
                   tf32_matmul=torch.backends.cuda.matmul.allow_tf32)
    else:
        from wgan.precision import cpu_has_native_bf16

        env.update(card=platform.processor() or platform.machine(), threads=torch.get_num_threads(),
                   bf16=cpu_has_native_bf16())
    env.update(deadline_s=check.deadline, estimated_total_s=round(sum(check.sizes.estimate().values())))
    section.data = env
    section.lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in env.items()]


def nvidia_smi(field_name: str) -> str:
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={field_name}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# ---- 2. correctness ------------------------------------------------------------------------------
def gpu_tests(check: Check, section: Section) -> None:
    if not check.cuda:
        section.skip("no CUDA device (the tests marked gpu skip without one)")
        return
    root = HERE.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")]))
    timeout = max(10.0, min(check.sizes.tests_timeout, check.deadline - check.elapsed()))
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
                               "--basetemp", str(check.scratch / "pytest"), "tests"],
                              cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        section.check(False, f"`pytest -m gpu` did not finish within {timeout:.0f} s")
        return
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    section.data = {"returncode": done.returncode, "summary": summary, "seconds": time.perf_counter() - started}
    section.check(done.returncode == 0, f"`pytest -m gpu`: {summary}")
    if done.returncode != 0:
        section.lines += ["", "```", *(done.stdout + done.stderr).strip().splitlines()[-40:], "```"]


class deterministic:
    """Deterministic kernels for a comparison (cuDNN's autotuner may pick different algorithms in two
    trainers, whose rounding differs); restored afterwards, so the speed section runs as users do."""

    def __enter__(self):
        self.saved = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark)
        torch.use_deterministic_algorithms(True, warn_only=True)

    def __exit__(self, *exc):
        torch.use_deterministic_algorithms(self.saved[0])
        torch.backends.cudnn.benchmark = self.saved[1]


def trajectory(check: Check, overrides: list[str], steps: int) -> tuple[dict[str, list[float]], Trainer]:
    """Per-step critic loss, generator loss and Wasserstein estimate of ``steps`` steps of the main job."""
    trainer = Trainer(check.config(overrides), progress=False)
    torch.backends.cudnn.benchmark = False  # the Runtime turned it on
    out: dict[str, list[float]] = {"loss_critic": [], "loss_generator": [], "wasserstein": []}
    for _ in range(steps):
        trainer.train_step()
        logged = trainer.gather()
        for key in out:
            out[key].append(logged[key])
    return out, trainer


def largest_difference(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    """The largest difference between two trajectories, relative to the largest value in either."""
    worst = 0.0
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        scale = max(np.abs(x).max(), np.abs(y).max(), 1e-12)
        worst = max(worst, float(np.abs(x - y).max() / scale))
    return worst


def graph_equality(check: Check, section: Section) -> None:
    steps = check.sizes.trajectory_steps
    with deterministic():
        if not check.cuda:
            eager, _ = trajectory(check, ["train.cuda_graph=off"], steps)  # the eager side still runs
            section.data["eager_fp32"] = eager
            section.skip("CUDA graphs need a CUDA device (the eager trajectory ran)")
            return
        for precision in PRECISIONS:
            try:  # one precision's failure leaves the other's answer
                eager, _ = trajectory(check, ["train.cuda_graph=off", f"train.precision={precision}"], steps)
                graphed, trainer = trajectory(check, ["train.cuda_graph=on", f"train.precision={precision}"], steps)
            except Exception as error:
                section.data[precision] = {"error": error_line(error)}
                section.check(False, f"{precision}: {error_line(error)}")
                continue
            diff = largest_difference(eager, graphed)
            tolerance = GRAPH_TOLERANCE[precision]
            captured = trainer.runner.captured is not None
            section.data[precision] = {"largest_relative_difference": diff, "tolerance": tolerance,
                                       "captured": captured, "eager": eager, "graph": graphed}
            section.check(captured and diff <= tolerance,
                          f"{precision}: {steps} steps, losses and Wasserstein estimate differ by at most "
                          f"{diff:.2e} of their largest value (tolerance {tolerance:g}); graph captured: {captured}")


def fp16_storm(check: Check, section: Section) -> None:
    steps = check.sizes.trajectory_steps
    trainer = Trainer(check.config(["train.precision=fp16"]), progress=False)
    logged: dict[str, float] = {}
    for step in range(1, steps + 1):
        trainer.train_step()
        if step % 10 == 0 or step == steps:  # as train.log_every would: every logged number reaches the host
            logged = trainer.gather()
    algorithm = trainer.algorithm
    updates = {"critic": steps * check.config([]).train.n_critic, "generator": steps}
    finite = all(math.isfinite(v) for v in logged.values())
    section.data = {"steps": steps, "skipped": dict(algorithm.skipped), "updates": updates,
                    "scale": {k: s.get_scale() for k, s in algorithm.scalers.items()}, "finite": finite}
    for name, skipped in algorithm.skipped.items():
        share = max(0, skipped - FP16_SETTLING) / updates[name]
        section.check(share <= FP16_STORM, f"{name}: {skipped} of {updates[name]} updates skipped "
                      f"(beyond the first {FP16_SETTLING}: {share:.0%}, at most {FP16_STORM:.0%}); scale now "
                      f"{algorithm.scalers[name].get_scale():g}")
    section.check(finite, "every logged number finite (the loss scale logged beside them)")


def resume_on_device(check: Check, section: Section) -> None:
    total = check.sizes.resume_steps
    half = total // 2
    cadence = [f"train.checkpoint_every={half}", f"train.log_every={half}", f"train.sample_every={total}"]
    if not check.cuda:  # a CPU's thread count (train.threads=auto follows the load) changes the rounding
        cadence.append("train.threads=1")
    with deterministic(), tempfile.TemporaryDirectory(dir=check.scratch) as tmp:
        straight = Trainer(check.config(cadence), Path(tmp) / "straight", progress=False)
        torch.backends.cudnn.benchmark = False
        straight.fit(total)
        first = Trainer(check.config(cadence), Path(tmp) / "resumed", progress=False)
        torch.backends.cudnn.benchmark = False
        first.fit(half)
        resumed = Trainer.resume(Path(tmp) / "resumed", progress=False)
        torch.backends.cudnn.benchmark = False
        resumed.fit(total)
        pairs = [(a, b) for net in ("generator", "critic")
                 for a, b in zip(getattr(straight.algorithm, net).parameters(),
                                 getattr(resumed.algorithm, net).parameters())]
        identical = all(torch.equal(a, b) for a, b in pairs)
        worst = max(float((a - b).abs().max()) for a, b in pairs)
    section.data = {"steps": total, "resumed_at": half, "identical": identical, "largest_difference": worst}
    section.check(identical, f"{total} steps straight against {half} + {total - half} resumed on "
                  f"{check.device.type}: weights identical (largest difference {worst:.2e})")


# ---- 3. speed -------------------------------------------------------------------------------------
def published_peak(card: str, precision: str) -> tuple[float | None, str]:
    """The card's published dense TFLOP/s for ``precision`` and which peak it is. fp32 convolutions run
    on TF32 tensor cores when cuDNN allows it (PyTorch's default)."""
    kind = "bf16" if precision == "bf16" else ("tf32" if torch.backends.cudnn.allow_tf32 else "fp32")
    for name, peaks in PEAKS.items():  # the more specific names first
        if all(word in card for word in name.split()):
            return peaks[kind], kind
    return None, kind


@dataclass
class Contender:
    label: str  # "<loop>|<precision>"
    step: Callable[[], object]
    flops: int  # of one generator iteration


def build_contender(check: Check, model: str, loop: str, precision: str) -> Contender:
    """One contender of the race, built and stepped once (a CUDA graph is captured then), so that
    whatever fails, fails here and not in the race."""
    if loop == "tutorial-style loop":
        _, tutorial = seed_contender(str(check.device), model=model,
                                     autocast=torch.bfloat16 if precision == "bf16" else None,
                                     idx_dir=check.fashion_dir, overrides=check.fashion)
        step = tutorial.step
    else:
        graph = "on" if loop == "trainer, CUDA graph" else "off"
        step = Trainer(check.config([f"train.precision={precision}", f"train.cuda_graph={graph}"], model),
                       progress=False).train_step
    step()
    check.sync()
    # A replay runs the eager iteration's arithmetic, which the counter cannot see inside the graph.
    flops = count_flops(step) if loop != "trainer, CUDA graph" else 0
    return Contender(f"{loop}|{precision}", step, flops)


def contenders_of(check: Check, section: Section, model: str) -> list[Contender]:
    """The contenders on ``model`` that could be built; each failure is a line in the report."""
    built = []
    for precision in PRECISIONS:
        for loop in LOOPS:
            if loop == "trainer, CUDA graph" and not check.cuda:
                continue
            try:
                built.append(build_contender(check, model, loop, precision))
            except Exception as error:
                section.data.setdefault("dropped", {})[f"{model}|{loop}|{precision}"] = error_line(error)
                section.lines.append(f"- {model}, {loop}, {precision}: dropped from the race ({error_line(error)})")
    eager = {c.label.split("|")[1]: c.flops for c in built if c.label.startswith("trainer, eager")}
    for c in built:
        if c.label.startswith("trainer, CUDA graph"):
            c.flops = eager.get(c.label.split("|")[1], 0)
    return built


def speed(check: Check, section: Section) -> None:
    card = section.data["card"] = (torch.cuda.get_device_name(check.device) if check.cuda else "cpu")
    header = ["| model | loop | precision | it/s | ratio to the tutorial-style loop, fp32 | ... in the same precision "
              "| TFLOP/s | share of the published dense peak |", "|---|---|---|---|---|---|---|---|"]
    rows, measured = [], {}
    sizes = check.sizes
    for model in sizes.models:
        if check.past_deadline():
            section.lines.append(f"- {model}: skipped, {check.deadline_reason()}")
            continue
        contenders = contenders_of(check, section, model)
        if not contenders:
            continue
        print(f"speed: {model}, {len(contenders)} contenders, {sizes.speed_seconds:g} s each a round", flush=True)
        raced = race([(c.label, c.step) for c in contenders], sizes.speed_seconds * sizes.speed_rounds,
                     sizes.speed_rounds, check.sync)
        flops = {c.label: c.flops for c in contenders}
        rates = {label: rate for label, rate, _ in raced}
        for label, rate, n in raced:
            loop, precision = label.split("|")
            tflops = rate * flops[label] / 1e12
            peak_value, kind = published_peak(card, precision) if check.cuda else (None, "")
            share = f"{tflops / peak_value:.1%} of {kind} {peak_value:g}" if peak_value and tflops else "-"
            base_fp32 = rates.get("tutorial-style loop|fp32")
            base_same = rates.get(f"tutorial-style loop|{precision}")
            ratio = rate / base_fp32 if base_fp32 else None
            ratio_same = rate / base_same if base_same else None
            rows.append(f"| {model} | {loop} | {precision} | {rate:.2f} | {fmt_ratio(ratio)} | {fmt_ratio(ratio_same)} "
                        f"| {tflops:.3f} | {share} |")
            measured[f"{model}|{label}"] = {"it_per_s": rate, "iterations": n, "ratio": ratio,
                                            "ratio_same_precision": ratio_same, "tflops": tflops,
                                            "gflop_per_iteration": flops[label] / 1e9}
    section.data["rows"] = measured
    section.lines += header + rows
    summarise_speed(check, section, measured)
    if check.past_deadline():
        section.lines.append(f"\nThe kernel peaks were skipped: {check.deadline_reason()}.")
        return
    kernels = {name: {k: v / 1e12 for k, v in peak(dtype, check.device, sizes.peak_seconds, small=check.smoke).items()}
               for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16))}
    section.data["measured_kernel_tflops"] = kernels
    section.lines += ["", "This device's fastest dense kernels, measured (TFLOP/s):", "| kernel | fp32 | bf16 |",
                      "|---|---|---|"]
    for kernel in dict.fromkeys([*kernels["fp32"], *kernels["bf16"]]):
        cells = [f"{kernels[p][kernel]:.1f}" if kernel in kernels[p] else "-" for p in PRECISIONS]
        section.lines.append(f"| {kernel} | {' | '.join(cells)} |")


def fmt_ratio(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else "-"


def summarise_speed(check: Check, section: Section, measured: dict) -> None:
    """The best trainer setting on the main model against the tutorial-style loop (goal: 10x), and
    whether the CUDA graph was faster than eager."""
    main = check.sizes.models[0]
    for basis, key in (("in fp32", "ratio"), ("in the same precision", "ratio_same_precision")):
        ratios = [(v[key], k) for k, v in measured.items() if k.startswith(f"{main}|trainer") and v[key] is not None]
        if not ratios:
            continue
        ratio, setting = max(ratios)
        section.data[f"best_trainer_ratio_{key}"] = {"model": main, "ratio": ratio, "setting": setting}
        section.lines.append(f"\nBest trainer setting on {main} against the tutorial-style loop {basis}: "
                             f"{setting.split('|', 1)[1].replace('|', ', ')}, {ratio:.2f}x (goal: at least 10x).")
    if check.cuda:
        section.lines.append(graph_decision(measured, main))


def graph_decision(measured: dict, model: str) -> str:
    """Whether the CUDA graph was faster than eager on ``model`` in each precision that raced both
    (equality is the correctness section's)."""
    gains = {p: measured[f"{model}|trainer, CUDA graph|{p}"]["it_per_s"] / measured[f"{model}|trainer, eager|{p}"][
        "it_per_s"] for p in PRECISIONS
        if f"{model}|trainer, CUDA graph|{p}" in measured and f"{model}|trainer, eager|{p}" in measured}
    if not gains:
        return f"CUDA graph against eager on {model}: not measured (see the dropped contenders)."
    faster = all(g > 1.0 for g in gains.values())
    listed = ", ".join(f"{p} {g:.2f}x" for p, g in gains.items())
    return f"CUDA graph against eager on {model}: {listed}: {'faster' if faster else 'not faster'} in each."


# ---- 4. quality and 5. protocol cost ---------------------------------------------------------------
def train_for(check: Check, cfg, seconds: float) -> tuple[Path, int]:
    """Train ``cfg`` for ``seconds`` of training time in a new run folder; (folder, steps reached)."""
    from wgan.run_folder import new_run_dir

    cfg.update({"train": {"max_minutes": seconds / 60, "steps": 10**7, "device": str(check.device),
                          "sample_every": 10**6, "checkpoint_every": 10**6}})
    run_dir = new_run_dir(check.runs, cfg)
    trainer = Trainer(cfg, run_dir, progress=False)
    trainer.fit()
    return run_dir, trainer.state.step


def fid_of(results: dict) -> tuple[str, float]:
    key = next(k for k in results if k.startswith("fid_"))
    return key, float(results[key])


def quality(check: Check, section: Section) -> None:
    seconds, n = check.sizes.quality_seconds, check.sizes.eval_n
    section.lines += ["| run | training seconds | steps | FID (key) | evaluation seconds |", "|---|---|---|---|---|"]
    fashion = preset_config("wgan-gp-fashion")
    if check.fashion:
        fashion.update({"data": {"name": str(check.fashion_dir)}})
    colour = build_config(None, None, [Setting("--data", "data.name", str(check.emoji)),
                                       Setting("--image-size", "data.image_size", check.emoji_size)])
    for label, cfg in (("wgan-gp-fashion", fashion), (f"{colour.preset} on {check.emoji.name}", colour)):
        if check.past_deadline():
            section.lines.append(f"| {label} | skipped: {check.deadline_reason()} | | | |")
            continue
        try:  # one run's failure leaves the other's row
            run_dir, steps = train_for(check, cfg, seconds)
            started = time.perf_counter()
            results, _ = evaluate_run(run_dir, n=n, device=str(check.device))
            took = time.perf_counter() - started
            key, fid = fid_of(results)
        except Exception as error:
            section.data[label] = {"error": error_line(error)}
            section.status = "failed"
            section.lines.append(f"| {label} | failed: {error_line(error)} | | | |")
            continue
        section.data[label] = {"run": str(run_dir), "steps": steps, "train_seconds": seconds, "fid": fid, "key": key,
                               "eval_seconds": took}
        section.lines.append(f"| {label} | {seconds:.0f} | {steps} | {fid:.2f} (`{key}`) | {took:.0f} |")
        if label == "wgan-gp-fashion":
            check.fashion_run = run_dir


def protocol_cost(check: Check, section: Section) -> None:
    protocol = check.sizes.paper_protocol
    if check.fashion_run is None:
        section.skip("the quality section made no Fashion-MNIST run to measure")
        return
    started = time.perf_counter()
    results, _ = evaluate_run(check.fashion_run, protocol=protocol,
                              n=check.sizes.eval_n if protocol == "quick" else None, device=str(check.device))
    took = time.perf_counter() - started
    key, fid = fid_of(results)
    section.data = {"protocol": protocol, "seconds": took, "fid": fid, "key": key, "n": results["n"]}
    section.lines.append(f"{results['n']:,} samples against {results['n_reference']:,} real images: {took:.0f} s "
                         f"(`{key}` = {fid:.2f})" + (" (smoke: the quick protocol stands in for paper)"
                                                     if check.smoke else ""))


# name: (title, function); a function fills in its Section.
SECTIONS = {
    "environment": ("Environment", environment),
    "tests": ("Tests marked gpu", gpu_tests),
    "graph": ("Eager against the CUDA graph (dcgan28, WGAN-GP, same seed)", graph_equality),
    "fp16": ("fp16 with the gradient scaler", fp16_storm),
    "resume": ("A resumed run continues as a straight one", resume_on_device),
    "speed": ("Speed against the tutorial-style loop (generator iterations per second)", speed),
    "quality": ("Quality against time", quality),
    "protocol": ("Protocol cost", protocol_cost),
}


def run_section(check: Check, name: str) -> Section:
    """One section, timed; skipped past the deadline; an exception fails it and no other."""
    title, fill = SECTIONS[name]
    section = Section(title, estimate=None if check.smoke else check.sizes.estimate()[name])
    if check.past_deadline():
        return section.skip(check.deadline_reason())
    begun = time.perf_counter()
    try:
        fill(check, section)
    except Exception as error:  # one broken section must not cost the others' numbers
        section.status = "failed"
        section.data["error"] = error_line(error)
        section.lines += ["```", *traceback.format_exc().strip().splitlines()[-15:], "```"]
    section.seconds = time.perf_counter() - begun
    return section


def write_report(out: Path, sections: list[Section], check: Check) -> None:
    """report.md and report.json, whole, each written to a temporary name and renamed over the old one."""
    title = "# wgan GPU check" + (" (smoke run: tiny sizes, not measurements)" if check.smoke else "")
    parts = [title, f"{time.strftime('%Y-%m-%d %H:%M')}; {check.elapsed():.0f} s so far (deadline "
             f"{check.deadline:g} s).", ""]
    for s in sections:
        parts += s.markdown()
    report = {"smoke": check.smoke, "deadline_s": check.deadline, "elapsed_s": check.elapsed(), "scratch": str(check.scratch),
              "sections": [{"title": s.title, "status": s.status, "seconds": s.seconds, "estimate_s": s.estimate,
                            "data": s.data} for s in sections]}
    for name, text in (("report.md", "\n".join(parts)), ("report.json", json.dumps(report, indent=1, default=str))):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(out / name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for report.md and report.json (nothing else)")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="folder for run folders and tiny data (default: a temporary folder, removed at the end)")
    parser.add_argument("--smoke", action="store_true", help="every section in seconds, on tiny data")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cuda, cuda:N or cpu")
    parser.add_argument("--deadline", type=float, default=480.0,
                        help="seconds after the start past which the remaining sections are skipped (default 480)")
    parser.add_argument("--fashion", type=Path, default=FASHION_DIR, help="Fashion-MNIST's IDX files")
    parser.add_argument("--emoji", type=Path, default=Path(".gpu/emoji64.npz"),
                        help="the emoji at 64x64 (benchmarks/emoji_data.py --out FILE.npz)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"which to run, comma-separated (default all: {', '.join(SECTIONS)})")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; accepted: {', '.join(SECTIONS)}")
    if args.deadline <= 0:
        parser.error(f"--deadline must be a positive number of seconds, not {args.deadline:g}")
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="wgan-gpu-check-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        check = Check(args, scratch)
        done: list[Section] = []
        for name in wanted:
            print(f"== {name} ({check.elapsed():.0f} s)", flush=True)
            section = run_section(check, name)
            done.append(section)
            write_report(args.out, done, check)
            print("\n".join(section.markdown()), flush=True)
        print("| section | status | seconds | estimated |\n|---|---|---|---|\n" + "\n".join(
            f"| {s.title} | {s.status} | {s.seconds:.0f} | {'-' if s.estimate is None else f'{s.estimate:.0f}'} |"
            for s in done) + f"\n\nTotal {check.elapsed():.0f} s; report in {args.out}.", flush=True)
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(s.status != "failed" for s in done) else 1


if __name__ == "__main__":
    sys.exit(main())
