"""Stopping a run by a signal without losing a step: what schedulers, clusters and Ctrl-C send.

Runs on shared machines end by a signal: SLURM sends SIGTERM at the time limit (and, with
``--signal=USR1@120``, SIGUSR1 two minutes before), Kubernetes and spot instances send SIGTERM and
kill after a grace period, torchrun forwards SIGTERM to its workers, and a user presses Ctrl-C
(SIGINT). While the loop trains, :class:`StopRequests` turns each signal of ``train.stop_signals``
into a request, which the loop reads between generator iterations: the update in flight finishes,
the state at that step is saved, the logs are closed, and :class:`Stopped` ends the run with the
conventional exit status (128 + the signal's number: 143 for SIGTERM, 130 for Ctrl-C). A signal
that arrives while the state is being saved is noted and changes nothing: the save completes.
"""

from __future__ import annotations

import os
import signal
import threading

from ..config import signal_names
from ..errors import ProcessExit


class Stopped(ProcessExit):
    """Every process stopped at the same step because a stop signal arrived; the state there is saved.
    Exit status 128 + the signal's number, as a shell reports a process the signal ended."""

    def __init__(self, signum: int, step: int, run_dir=None):
        self.signum, self.step = signum, step
        name = signal.Signals(signum).name
        resume = f"; continue with: wgan train --resume {run_dir}" if run_dir is not None else ""
        super().__init__(128 + signum, f"stopped by {name} at step {step}; the state at that step is saved{resume}")

class StopRequests:
    """While entered, each signal of ``names`` is recorded (the first one wins) instead of ending the
    process; the handlers that were there before are put back on exit. Signals can be caught only
    in the main thread: elsewhere this records nothing and leaves the handlers alone."""

    def __init__(self, names, quiet: bool = False):
        self.signals = [getattr(signal, name) for name in signal_names(names)]
        self.quiet = quiet  # say nothing (the processes other than rank 0)
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._record)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _record(self, signum, frame) -> None:
        first = self.received is None
        if first:
            self.received = signum
        if self.quiet:
            return
        # os.write: print() is not safe inside a signal handler (it may interrupt another print).
        note = ("finishing the current step, then saving" if first else "still saving; the run stops once the "
                "state is written")
        os.write(2, f"\nwgan: {signal.Signals(signum).name}: {note}\n".encode())
