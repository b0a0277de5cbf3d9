"""How each generator iteration is run: eagerly, or captured in a CUDA graph and replayed
(:class:`IterationRunner` chooses, by ``train.cuda_graph`` and what the run allows).

A WGAN-GP iteration on small images is hundreds of tiny kernels (five critic
updates, each with the penalty's double backward, then the generator update):
on a fast GPU the Python and launch overhead, not the arithmetic, sets the
speed. ``torch.cuda.graph`` records the kernels of one whole iteration once,
random numbers, data sampling and optimiser updates included, and replaying
the record costs one launch. ``torch.compile`` is no help here: it does not
support the penalty's double backward.

What capture needs, and the trainer provides:
- static shapes and state on the device: batches are drawn by index from
  images already on the GPU, running sums stay on the device;
- optimisers whose step counters live on the device (``capturable``);
- learning rates that do not change between replays (no decay schedule);
- no host synchronisation inside the iteration.

Everything else (logging, samples, checkpoints, evaluation) runs eagerly
between replays and only reads the weights, which replays update in place.
Should recording fail all the same (an operation that cannot run inside a
graph), :class:`CaptureFailed` makes :class:`IterationRunner` go on eagerly
(``auto``) or stop with a clear error (``on``).

The step's random generator is reseeded from the step number before each
replay, outside the graph (``rng.SharedRandom.start``), and registered with
every graph so that replays read its current seed and offset. This path has
not yet been run on a GPU, which is why ``train.cuda_graph`` is off by default.
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch
from torch import nn

from ..errors import WganError, first_line
from .algorithm import Totals

# Eager iterations before capture, to create optimiser state, pick cuDNN algorithms and fill the
# allocator's pools. They are undone afterwards (see StateSnapshot), so they cost time, not steps.
WARMUP_ITERATIONS = 3


class CaptureFailed(RuntimeError):
    """Recording the iteration failed; the training state is as it was before the attempt."""


def capture_blockers(device: torch.device, data, decay: str, precision: str = "fp32", lazy: bool = False
                     ) -> list[str]:
    """Why an iteration on ``device`` over ``data`` cannot be captured (empty when it can); ``lazy``: a
    penalty that joins only some critic updates."""
    reasons = []
    if lazy:
        reasons.append("a lazy penalty (loss.penalty_every > 1) decides on the host which updates it joins")
    if precision == "fp16":
        reasons.append("the fp16 gradient scaler decides on the host whether to skip each update")
    if device.type != "cuda":
        reasons.append("CUDA graphs need a CUDA device")
    if data.streaming:
        reasons.append("the data set is streamed from the host (too large to keep on the device)")
    if decay != "none":
        reasons.append("optim.decay changes the learning rates between steps")
    return reasons


def make_capturable(optimizer: torch.optim.Optimizer) -> None:
    """Keep the optimiser's step counters on the device so that its update can be recorded."""
    for group in optimizer.param_groups:
        group["capturable"] = True
    for param, state in optimizer.state.items():
        step = state.get("step")
        if step is not None and (not torch.is_tensor(step) or step.device != param.device):
            state["step"] = torch.as_tensor(step, dtype=torch.float32, device=param.device)


class StateSnapshot:
    """A copy of every weight, buffer and optimiser moment, restorable *in place*.

    In place matters: a graph records memory addresses, so the tensors it was
    captured with must stay the ones training uses. Optimiser state that did
    not exist when the copy was taken (a fresh Adam creates its moments at the
    first step) is restored to zero, which is exactly a fresh optimiser's state.
    """

    def __init__(self, modules: list[nn.Module], optimizers: list[torch.optim.Optimizer], device: torch.device,
                 generators: tuple[torch.Generator, ...] = ()):
        self.tensors = [t for m in modules for t in m.state_dict(keep_vars=True).values()]
        self.saved = [t.detach().clone() for t in self.tensors]
        self.optimizers = optimizers
        self.moments = [{id(p): {k: v.clone() for k, v in s.items() if torch.is_tensor(v)}
                         for p, s in opt.state.items()} for opt in optimizers]
        self.device = device
        self.rng_cpu = torch.get_rng_state()
        self.rng_cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        self.generators = [(g, g.get_state()) for g in generators]

    @torch.no_grad()
    def restore(self) -> None:
        for tensor, saved in zip(self.tensors, self.saved):
            tensor.copy_(saved)
        for opt, moments in zip(self.optimizers, self.moments):
            for param, state in opt.state.items():
                saved = moments.get(id(param), {})
                for key, value in state.items():
                    if torch.is_tensor(value):
                        value.copy_(saved[key]) if key in saved else value.zero_()
        torch.set_rng_state(self.rng_cpu)
        if self.rng_cuda is not None:
            torch.cuda.set_rng_state(self.rng_cuda, self.device)
        for generator, state in self.generators:
            generator.set_state(state)


class CapturedIteration:
    """``iteration(n_critic)`` recorded once per critic count, then replayed.

    ``iteration`` returns a :class:`~wgan.training.algorithm.Totals` of device tensors (the
    iteration's summed losses, and their counts, which a replay leaves as they
    were). A replay refreshes those same tensors, so the caller consumes them
    (accumulates them elsewhere) before the next call.
    """

    def __init__(self, iteration: Callable[[int], Totals], state: Callable[[], StateSnapshot],
                 device: torch.device, generators: tuple[torch.Generator, ...] = ()):
        self.iteration = iteration
        self.state = state
        self.device = device
        self.generators = generators
        # One graph per critic count (the warm-up schedule alternates two), each with its own memory pool.
        self._graphs: dict[int, tuple[torch.cuda.CUDAGraph, Totals]] = {}

    def __call__(self, n_critic: int) -> Totals:
        if n_critic not in self._graphs:
            self._capture(n_critic)
        graph, outputs = self._graphs[n_critic]
        graph.replay()
        return outputs

    def _capture(self, n_critic: int) -> None:
        """Warm up on a side stream, undo the warm-up, record one iteration (which runs nothing)."""
        before = self.state()
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(WARMUP_ITERATIONS):
                self.iteration(n_critic)
            before.restore()
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            for generator in self.generators:
                graph.register_generator_state(generator)
            with torch.cuda.graph(graph):
                outputs = self.iteration(n_critic)
        except RuntimeError as error:
            # Nothing ran while recording, but the random streams moved on: rewind them, so that
            # an eager run from here follows the trajectory it would have without the attempt.
            before.restore()
            raise CaptureFailed(first_line(error, 1000)) from error
        self._graphs[n_critic] = (graph, outputs)


class IterationRunner:
    """Runs the step's iteration: replayed from a CUDA graph where ``train.cuda_graph`` and the run
    allow it, else eagerly. Owns the auto/on/off rules and the fallback when recording fails.

    ``mode``: ``off`` (eager), ``auto`` (capture when nothing forbids it, else eager with a
    warning on CUDA; a failed capture warns and goes on eagerly) or ``on`` (either is an error).
    """

    def __init__(self, algorithm, mode: str, decay: str):
        self.algorithm, self.mode = algorithm, mode
        self.runtime = algorithm.runtime
        self.wanted = self._plan(decay)
        self.captured: CapturedIteration | None = None

    def _plan(self, decay: str) -> bool:
        if self.mode == "off":
            return False
        blockers = capture_blockers(self.runtime.device, self.algorithm.data, decay, self.algorithm.precision,
                                    self.algorithm.lipschitz.lazy)
        if blockers and self.mode == "on":
            raise WganError("train.cuda_graph=on, but this run cannot be captured: " + "; ".join(blockers)
                            + " (use train.cuda_graph=auto or off)")
        if blockers and self.runtime.device.type == "cuda":
            warnings.warn("training without CUDA graphs: " + "; ".join(blockers), stacklevel=4)
        return not blockers

    def __call__(self, step_index: int, n_critic: int) -> Totals:
        self.algorithm.random.start(step_index)  # outside any graph: replays read the new seed
        values = self._replayed(n_critic) if self.wanted else None
        return values if values is not None else self.algorithm.iteration(n_critic)

    def reset(self) -> None:
        """Forget the graphs (the optimisers hold new state tensors after a load): capture again."""
        self.captured = None

    def snapshot(self) -> StateSnapshot:
        """What capture snapshots and restores around its warm-up (step counters moved to the GPU first)."""
        if self.runtime.device.type == "cuda":
            for opt in self.algorithm.optimizers():
                make_capturable(opt)
        return StateSnapshot(self.algorithm.modules(), self.algorithm.optimizers(), self.runtime.device,
                             self._generators())

    def _generators(self) -> tuple[torch.Generator, ...]:
        generator = self.algorithm.random.generator
        return (generator,) if generator is not None else ()

    def _replayed(self, n_critic: int) -> Totals | None:
        """The iteration replayed from its graph, or None (from now on) if it cannot be recorded.

        Whether capture failed is agreed over all processes: they all replay, or all go eager.
        """
        if self.captured is None:
            self.captured = CapturedIteration(self.algorithm.iteration, self.snapshot, self.runtime.device,
                                              self._generators())
        error = None
        if n_critic not in self.captured._graphs:
            try:
                self.captured._capture(n_critic)
            except CaptureFailed as e:
                error = str(e)
            if self.runtime.any(error is not None):
                error = error or "another process could not record it"
                if self.mode == "on":
                    raise WganError(f"train.cuda_graph=on, but the iteration cannot be recorded in a CUDA graph "
                                    f"({error}); use train.cuda_graph=auto or off") from None
                warnings.warn(f"training without CUDA graphs: recording the iteration failed ({error})",
                              stacklevel=4)
                self.wanted, self.captured = False, None
                return None
        return self.captured(n_critic)
