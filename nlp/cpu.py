"""How many torch threads to run with now: fewer when other processes are busy on the cores.

torch's CPU thread pool splits every operation across its threads and waits for all of them;
when another process holds one of two cores, each operation waits for the descheduled thread
and a model call slows down many times over (``benchmarks/bench_busy.py``: the seed page took
1.5 s on an idle 2-core machine and 13.7 s with one CPU-bound neighbour at 2 threads, 2.2 s
either way at 1 thread). So the models ask :func:`adapt_threads` before each call: a
background sampler reads ``/proc/stat`` and this process's own CPU time twice a second, and
the threads are the cores the *other* processes leave free (at least one, at most the
ceiling: torch's thread count when first asked, or what :func:`set_ceiling` says, e.g. a Ray
actor's CPUs).

Off Linux (no ``/proc``) nothing is sampled and the ceiling is used as it is.
"""

from __future__ import annotations

import os
import threading
import time

SAMPLE_EVERY_S = 0.5
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def busy_ticks() -> int | None:
    """Busy jiffies of all CPUs since boot (``/proc/stat``: all but idle and iowait)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)


def own_ticks() -> int:
    """CPU jiffies of this process, all its threads (user + system)."""
    t = os.times()
    return round((t.user + t.system) * _TICK)


def others_busy(
    busy: int, own: int, busy0: int, own0: int, seconds: float, tick: int = _TICK
) -> float:
    """Cores that other processes kept busy over ``seconds`` between two readings (jiffies
    of ``tick`` per second).

    Example:
        >>> others_busy(busy=350, own=150, busy0=100, own0=0, seconds=1.0, tick=100)
        1.0
    """
    if seconds <= 0:
        return 0.0
    return max(0.0, ((busy - busy0) - (own - own0)) / (seconds * tick))


class LoadSampler:
    """A daemon thread keeping :attr:`others` (cores busy with other processes) current."""

    def __init__(self, every: float = SAMPLE_EVERY_S):
        self.every, self.others = every, 0.0
        self._thread = threading.Thread(target=self._run, name="cpu-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        busy0, own0, t0 = busy_ticks(), own_ticks(), time.monotonic()
        while busy0 is not None:
            time.sleep(self.every)
            busy, own, t = busy_ticks(), own_ticks(), time.monotonic()
            if busy is None:
                return
            self.others = others_busy(busy, own, busy0, own0, t - t0)
            busy0, own0, t0 = busy, own, t


_lock = threading.Lock()
_sampler: LoadSampler | None = None
_ceiling: int | None = None
_adaptive = True


def set_ceiling(threads: int, adaptive: bool = True) -> None:
    """The most threads :func:`adapt_threads` will use (a Ray actor's CPUs, a benchmark's);
    ``adaptive=False`` pins them there whatever the load (for measuring)."""
    global _ceiling, _adaptive
    _ceiling, _adaptive = max(1, int(threads)), adaptive


def threads_for(ceiling: int, cores: int, others: float) -> int:
    """Threads to use: the cores left by ``others`` busy ones, within ``1..ceiling``.

    Example:
        >>> threads_for(2, 2, 0.1), threads_for(2, 2, 0.9), threads_for(2, 2, 2.0)
        (2, 1, 1)
    """
    return max(1, min(ceiling, round(cores - others)))


def adapt_threads() -> int:
    """Set torch's thread count for the next model call from the current load; returns it."""
    import torch

    global _sampler, _ceiling
    with _lock:
        if _ceiling is None:
            _ceiling = torch.get_num_threads()
        if _sampler is None and busy_ticks() is not None:
            _sampler = LoadSampler()
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else _ceiling
        others = _sampler.others if _sampler is not None and _adaptive else 0.0
        n = threads_for(_ceiling, cores, others)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
