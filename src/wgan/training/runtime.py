"""Where and how a run executes: device, threads, seeds, speed options and the process group.

One process drives one device. Under PyTorch's launcher (``torchrun``), which
sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``, every process builds a
:class:`Runtime` for its own device and joins one process group: nccl between
CUDA devices, gloo between CPUs. Nothing here knows about GANs; the training
step asks the runtime to average gradients, the loop asks it to agree on stop
decisions, and only the main process (rank 0) writes files.

Collectives that carry device tensors (gradients, logged sums) run on the
training backend; small decisions, text and sample rows (a run folder's path, a
stop flag) run on a gloo group on the CPU, so they never wait on a GPU.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from ..devices import pick_device
from ..errors import WganError
from .threads import busy_machine_governor, set_threads

LAUNCH_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
# How long a collective may wait for a process that is still alive (the main process may be
# training a domain classifier for an evaluation). A process that dies is noticed much sooner:
# gloo sees its socket close, and torchrun stops the others.
COLLECTIVE_TIMEOUT = datetime.timedelta(minutes=30)


def on_for_cpu(mode: str, device: torch.device) -> bool:
    """An ``auto|on|off`` speed option whose ``auto`` means: on a CPU only."""
    return mode == "on" or (mode == "auto" and device.type == "cpu")


def launch_env(env=None) -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's variables; (0, 1, 0) when none is set."""
    env = os.environ if env is None else env
    if not any(k in env for k in LAUNCH_ENV):
        return 0, 1, 0
    try:
        rank, world, local = (int(env.get(k, default)) for k, default in
                              (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0)))
    except ValueError:
        raise WganError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (they are set by torchrun)") from None
    if world < 1 or not 0 <= rank < world or local < 0:
        raise WganError(f"inconsistent launch variables RANK={rank} WORLD_SIZE={world} LOCAL_RANK={local}")
    return rank, world, local


@dataclass
class Runtime:
    """The device of this process and, when there are several processes, their group."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    _control: object = field(default=None, repr=False)  # gloo group for CPU-side agreement
    _threads: object = field(default=None, repr=False)  # threads.BusyMachine for train.threads=auto on a CPU

    @property
    def main(self) -> bool:
        """Whether this process writes the run folder (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    # ---- set-up -------------------------------------------------------------------------
    @classmethod
    def start(cls, device: str = "auto", threads: int = 0, rank: int | None = None, world_size: int | None = None,
              local_rank: int | None = None, init_method: str | None = None) -> "Runtime":
        """Pick the device, set the threads and, for more than one process, join the group.

        Without explicit ``rank``/``world_size`` they come from torchrun's environment.
        """
        env_rank, env_world, env_local = launch_env()
        rank = env_rank if rank is None else rank
        world_size = env_world if world_size is None else world_size
        local_rank = (env_local if local_rank is None else local_rank) if world_size > 1 else 0
        dev = pick_device(device, local_rank, world_size)
        set_threads(threads)
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
            torch.backends.cudnn.benchmark = True  # shapes never change within a run
        runtime = cls(dev, rank, world_size, local_rank, _threads=busy_machine_governor(threads, dev))
        if world_size > 1:
            runtime._join(init_method)
        return runtime

    def _join(self, init_method: str | None) -> None:
        self.backend = "nccl" if self.device.type == "cuda" else "gloo"
        if not dist.is_available():
            raise WganError("this PyTorch build has no torch.distributed; run one process")
        if not dist.is_initialized():
            kwargs = {"device_id": self.device} if self.backend == "nccl" else {}
            dist.init_process_group(self.backend, init_method=init_method or "env://", rank=self.rank,
                                    world_size=self.world_size, timeout=COLLECTIVE_TIMEOUT, **kwargs)
        self._control = dist.new_group(backend="gloo") if self.backend == "nccl" else dist.group.WORLD

    def close(self, finished: bool = False) -> None:
        """Leave the process group (call in a ``finally``).

        ``finished``: every process got here without an error, so they leave together. A process
        that tears gloo down while a peer still talks to it can abort ("terminate called without
        an active exception"); after an error there is no barrier, which would wait forever.
        """
        if self.distributed and dist.is_initialized():
            if finished:
                dist.barrier(group=self._control)
            dist.destroy_process_group()

    def adapt_threads(self) -> None:
        """``train.threads=auto`` on a CPU: follow the cores that other processes leave free."""
        if self._threads is not None:
            self._threads.adapt()

    # ---- collectives (no-ops in one process) ------------------------------------------------
    def average_gradients(self, params) -> None:
        """Average the gradients of ``params`` over the processes: one all-reduce of them all, flattened.

        As stylegan3's training loop does, not DistributedDataParallel's wrapper, which is fragile with a
        gradient penalty's double backward. A parameter without a gradient counts as zeros.
        """
        if not self.distributed:
            return
        params = [p for p in params if p.requires_grad]
        if not params:
            return
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).flatten() for p in params])
        dist.all_reduce(flat)
        flat /= self.world_size
        for p, g in zip(params, flat.split([p.numel() for p in params])):
            p.grad = g.view_as(p).clone() if p.grad is None else p.grad.copy_(g.view_as(p))

    def all_reduce_sum_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over the processes, in place (a device tensor)."""
        if self.distributed:
            dist.all_reduce(tensor)
        return tensor

    @torch.no_grad()
    def broadcast_(self, tensors) -> None:
        """Overwrite ``tensors`` with rank 0's values (weights and buffers at start, BatchNorm statistics)."""
        if not self.distributed:
            return
        for t in tensors:
            if t.is_floating_point() or t.dtype in (torch.int64, torch.int32, torch.uint8, torch.bool):
                dist.broadcast(t.data, src=0)

    def broadcast_modules(self, modules, buffers_only: bool = False) -> None:
        """Rank 0's weights and buffers in every process (at the start), or its buffers alone (BatchNorm
        statistics are per process during training: rank 0's before saving or evaluating)."""
        for module in modules:
            self.broadcast_(module.buffers() if buffers_only else module.state_dict().values())

    def any(self, flag: bool) -> bool:
        """True on every process when ``flag`` is true on any (a collective stop decision)."""
        return bool(self.largest(1 if flag else 0))

    def largest(self, value: int) -> int:
        """The largest of every process's ``value`` (an int32), on every process."""
        if not self.distributed:
            return int(value)
        t = torch.tensor([value], dtype=torch.int32)
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self._control)
        return int(t.item())

    # Text and sample rows travel as plain tensors, never as pickled Python objects: torch's object
    # collectives unpickle what a peer sends, which would let whoever reaches the rendezvous port run
    # code in every process. Sizes are bounded or computed locally, so a peer cannot make one allocate
    # without limit either.
    def broadcast_text(self, text: str) -> str:
        """Rank 0's ``text`` on every process (a run folder's path)."""
        if not self.distributed:
            return text
        data = _encode(text if self.main else "")
        size = torch.tensor([len(data)], dtype=torch.int64)
        dist.broadcast(size, src=0, group=self._control)
        length = _checked_length(int(size))
        buffer = torch.zeros(max(length, 1), dtype=torch.uint8)  # never empty: not every backend sends 0 bytes
        buffer[:len(data)] = data
        dist.broadcast(buffer, src=0, group=self._control)
        return _decode(buffer[:length])

    def all_gather_texts(self, text: str | None) -> list[str | None]:
        """Every process's ``text`` (or None), in rank order, on every process (error messages)."""
        if not self.distributed:
            return [text]
        data = _encode("" if text is None else text)
        sizes = [torch.empty(1, dtype=torch.int64) for _ in range(self.world_size)]
        dist.all_gather(sizes, torch.tensor([-1 if text is None else len(data)]), group=self._control)
        longest = max(1, _checked_length(max(int(t) for t in sizes)))
        padded = torch.zeros(longest, dtype=torch.uint8)
        padded[:len(data)] = data
        parts = [torch.empty(longest, dtype=torch.uint8) for _ in range(self.world_size)]
        dist.all_gather(parts, padded, group=self._control)
        return [None if int(size) < 0 else _decode(part[:_checked_length(int(size))])
                for size, part in zip(sizes, parts)]

    def gather_rows(self, rows: torch.Tensor, n: int) -> torch.Tensor | None:
        """The ``n`` rows that the processes hold in :meth:`share` parts, joined in order on rank 0
        (None elsewhere); ``rows`` is this process's part, a CPU tensor of the same type on each."""
        if not self.distributed:
            return rows
        per = -(-n // self.world_size)
        padded = torch.zeros((per, *rows.shape[1:]), dtype=rows.dtype)
        padded[:len(rows)] = rows
        parts = [torch.empty_like(padded) for _ in range(self.world_size)] if self.main else None
        dist.gather(padded, parts, dst=0, group=self._control)
        if not self.main:
            return None
        return torch.cat([part[:len(range(n)[self.share_of(n, rank)])] for rank, part in enumerate(parts)])

    def share(self, n: int) -> slice:
        """This process's part of ``n`` items split into contiguous, nearly equal parts."""
        return self.share_of(n, self.rank)

    def share_of(self, n: int, rank: int) -> slice:
        per = -(-n // self.world_size)
        return slice(min(n, rank * per), min(n, (rank + 1) * per))


MAX_TEXT = 1 << 16  # bytes of a message between processes (a path, an error line)


def _encode(text: str) -> torch.Tensor:
    return torch.tensor(list(text.encode(errors="surrogateescape")[:MAX_TEXT]), dtype=torch.uint8)


def _decode(data: torch.Tensor) -> str:
    return data.numpy().tobytes().decode(errors="surrogateescape")  # paths need not be UTF-8


def _checked_length(size: int) -> int:
    if not -1 <= size <= MAX_TEXT:
        raise WganError(f"a process sent a message of {size} bytes (at most {MAX_TEXT}); is another program "
                        "talking on the rendezvous port?")
    return max(size, 0)


def local_batch(global_batch: int, world_size: int, key: str = "train.batch_size") -> int:
    """Each process's share of ``train.batch_size`` (or ``key``), which is the global batch."""
    if global_batch % world_size:
        raise WganError(f"{key}={global_batch} is the global batch and must divide evenly over "
                        f"{world_size} processes; use a multiple of {world_size}")
    return global_batch // world_size
